"""`sombrilla` command: init, demo, serve, worker, and every Django management command (migrate, reencrypt, ...)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path


def _write_env_file(path: Path) -> None:
    from sombrilla.core.crypto import new_field_key, new_vapid_key

    if path.exists():
        sys.exit(f"{path} exists already; move it away first (it holds the keys to your data).")
    lines = [
        "# Sombrilla configuration. Keep this file secret: without these keys the data cannot be read.",
        f"SECRET_KEY={secrets.token_urlsafe(50)}",
        f"FIELD_ENCRYPTION_KEYS={new_field_key()}",
        f"IDENTIFIER_PEPPER={secrets.token_urlsafe(32)}",
        f"ADMIN_PATH=operator-{secrets.token_hex(6)}",
        f"VAPID_PRIVATE_KEY={new_vapid_key()}",
        "ALLOWED_HOSTS=sombrilla.example.org",
        "SITE_URL=https://sombrilla.example.org",
        "# DATABASE_URL=postgres://sombrilla@127.0.0.1:5432/sombrilla",
        "# REDIS_URL=redis://127.0.0.1:6379/0",
        "# SITE_NAME=Notes",
        "# SITE_ICON=note",
        "# QUICK_EXIT_URL=https://www.wikipedia.org/",
        "",
    ]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    sys.stdout.write(f"Wrote {path} (mode 0600) with fresh keys. Set ALLOWED_HOSTS, then: sombrilla migrate && serve\n")


def _django(*argv: str) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sombrilla", *argv])


def _serve(bind: str) -> None:
    """gunicorn with an access log that has no client address or user agent in it."""
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "sombrilla.wsgi:application",
        "--bind",
        bind,
        "--workers",
        os.environ.get("WEB_WORKERS", "2"),
        "--access-logfile",
        "-",
        "--access-logformat",
        '"%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    ]
    run()


def main(argv: list[str] | None = None) -> None:
    from django.core.exceptions import ImproperlyConfigured

    try:
        _run(list(sys.argv[1:] if argv is None else argv))
    except ImproperlyConfigured as exc:
        # A configuration mistake deserves one clear line, not a traceback.
        sys.exit(f"sombrilla: {exc}")


def _run(argv: list[str]) -> None:
    command = argv[0] if argv else "help"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sombrilla.settings")
    if command == "init":
        _write_env_file(Path(argv[1] if len(argv) > 1 else ".env"))
        return
    if command == "demo":
        os.environ["SOMBRILLA_DEMO"] = "1"
        import django

        django.setup()
        _django("migrate", "--noinput", "-v", "0")
        _django("demo_data")
        _django("collectstatic", "--noinput", "-v", "0")
        # The demo's worker lives and dies with the server: deliveries and timers need one.
        worker = subprocess.Popen([sys.executable, "-m", "sombrilla", "worker"])  # noqa: S603
        try:
            _serve(os.environ.get("BIND", "127.0.0.1:8000"))
        finally:
            worker.terminate()
        return
    if command == "serve":
        import django

        django.setup()
        _django("check", "--deploy", "--fail-level", "WARNING")
        _django("collectstatic", "--noinput", "-v", "0")
        _serve(os.environ.get("BIND", "127.0.0.1:8000"))
        return
    _django(*argv)


if __name__ == "__main__":
    main()
