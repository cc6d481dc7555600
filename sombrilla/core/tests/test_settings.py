"""Start-up safety, tested on real processes: fresh keys from `sombrilla init`, refusal of demo or missing
keys outside demo mode, a clean `check --deploy`, and clear messages for malformed values."""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import connection

KEY_NAMES = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "IDENTIFIER_PEPPER")
# Every variable settings.py reads, found in its source so a new one cannot leak in from the test run.
SETTINGS_SOURCE = (Path(settings.BASE_DIR) / "settings.py").read_text(encoding="utf-8")
READ_BY_SETTINGS = set(re.findall(r"""(?:env\w*|os\.environ\.get)\(\s*["']([A-Z_]+)["']""", SETTINGS_SOURCE))


def _clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The test run's environment without anything Sombrilla reads (the suite sets test keys), plus `values`."""
    env = {
        name: value
        for name, value in os.environ.items()
        # DJANGO_*: the suite sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which --deploy rightly refuses.
        if name not in READ_BY_SETTINGS
        and not name.endswith("_FILE")
        and not name.startswith("DJANGO_")
        and name != "DEBUG"
    }
    env.update(SOMBRILLA_ENV_FILE=os.devnull, SOMBRILLA_VAR_DIR=str(tmp_path / "var"))
    env.update(values)
    return env


def _sombrilla(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sombrilla", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _fresh_keys() -> dict[str, str]:
    import secrets

    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "IDENTIFIER_PEPPER": secrets.token_urlsafe(32),
    }


def _read_env_file(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_it_reads_the_expected_variables():
    # Guards _clean_env: if the pattern stopped matching, the subprocesses would inherit the test keys.
    assert {
        "SECRET_KEY",
        "IDENTIFIER_PEPPER",
        "SOMBRILLA_DEMO",
        "ALLOWED_HOSTS",
        "SESSION_IDLE_SECONDS",
        "HTTPS",
        "DATABASE_URL",
    } <= READ_BY_SETTINGS


def test_it_writes_a_private_env_file_with_fresh_keys_and_never_overwrites_it(tmp_path):
    env = _clean_env(tmp_path)
    first, second = tmp_path / "one" / ".env", tmp_path / "two" / ".env"
    first.parent.mkdir()
    second.parent.mkdir()
    for path in (first, second):
        result = _sombrilla("init", str(path), env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    one, two = _read_env_file(first), _read_env_file(second)
    for name in KEY_NAMES:
        assert one[name] and two[name] and one[name] != two[name], name
    assert one["SECRET_KEY"] != settings.DEMO_SECRET_KEY and len(one["SECRET_KEY"]) >= 50
    assert one["IDENTIFIER_PEPPER"] != settings.DEMO_PEPPER and len(one["IDENTIFIER_PEPPER"]) >= 32
    assert one["FIELD_ENCRYPTION_KEYS"] != settings.DEMO_FIELD_KEY
    Fernet(one["FIELD_ENCRYPTION_KEYS"].encode())  # a usable key, not just random text

    before = first.read_bytes()
    refused = _sombrilla("init", str(first), env=env, cwd=tmp_path)
    assert refused.returncode != 0
    assert "exists already" in refused.stderr
    assert first.read_bytes() == before


def test_it_starts_with_the_env_file_that_init_wrote(tmp_path):
    env_file = tmp_path / ".env"
    assert _sombrilla("init", str(env_file), env=_clean_env(tmp_path), cwd=tmp_path).returncode == 0
    result = _sombrilla(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        cwd=tmp_path,
        env=_clean_env(tmp_path, SOMBRILLA_ENV_FILE=str(env_file)),
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("demo_keys", [KEY_NAMES, *[(name,) for name in KEY_NAMES]])
def test_it_refuses_to_start_with_any_demo_key_outside_demo_mode(tmp_path, demo_keys):
    demo = {
        "SECRET_KEY": settings.DEMO_SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": settings.DEMO_FIELD_KEY,
        "IDENTIFIER_PEPPER": settings.DEMO_PEPPER,
    }
    keys = _fresh_keys() | {name: demo[name] for name in demo_keys}
    result = _sombrilla("check", env=_clean_env(tmp_path, ALLOWED_HOSTS="example.org", **keys), cwd=tmp_path)
    assert result.returncode != 0
    assert "The demo keys are public" in result.stderr


def test_it_refuses_the_demo_field_key_even_behind_a_newer_key(tmp_path):
    keys = _fresh_keys()
    keys["FIELD_ENCRYPTION_KEYS"] += "," + settings.DEMO_FIELD_KEY
    result = _sombrilla("check", env=_clean_env(tmp_path, ALLOWED_HOSTS="example.org", **keys), cwd=tmp_path)
    assert result.returncode != 0
    assert "The demo keys are public" in result.stderr


def test_it_runs_with_the_demo_keys_only_in_demo_mode(tmp_path):
    # The control for the refusals above: the same keys are accepted where they are meant to be.
    result = _sombrilla("check", env=_clean_env(tmp_path, SOMBRILLA_DEMO="1"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", KEY_NAMES)
def test_it_refuses_to_start_without_keys_with_a_clear_message(tmp_path, missing):
    keys = {name: value for name, value in _fresh_keys().items() if name != missing}
    result = _sombrilla("check", env=_clean_env(tmp_path, ALLOWED_HOSTS="example.org", **keys), cwd=tmp_path)
    assert result.returncode != 0
    assert f"{missing} is not set: run `sombrilla init` to write an env file with fresh keys" in result.stderr


def test_it_refuses_to_start_with_no_keys_at_all(tmp_path):
    result = _sombrilla("check", env=_clean_env(tmp_path), cwd=tmp_path)
    assert result.returncode != 0
    assert "is not set: run `sombrilla init`" in result.stderr


def test_it_passes_the_deployment_checks_in_production_without_a_warning(tmp_path):
    env = _clean_env(tmp_path, ALLOWED_HOSTS="example.org", **_fresh_keys())
    result = _sombrilla("check", "--deploy", "--fail-level", "WARNING", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (" in result.stdout
    assert "WARNING" not in result.stderr and "W0" not in result.stdout + result.stderr


def test_it_fails_the_deployment_checks_with_https_turned_off(tmp_path):
    # The control: --deploy does find problems, so the clean result above means something.
    env = _clean_env(tmp_path, ALLOWED_HOSTS="example.org", HTTPS="false", **_fresh_keys())
    result = _sombrilla("check", "--deploy", "--fail-level", "WARNING", env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "security.W" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SESSION_IDLE_SECONDS", "abc", "SESSION_IDLE_SECONDS must be a whole number, not 'abc'"),
        ("LOGIN_FAILURES_BEFORE_LOCK", "5.5", "LOGIN_FAILURES_BEFORE_LOCK must be a whole number, not '5.5'"),
        ("HTTPS", "maybe", "HTTPS must be true or false, not 'maybe'"),
        ("SITE_ICON", "logo.png", "SITE_ICON must be umbrella, leaf or note, not 'logo.png'"),
    ],
)
def test_it_explains_a_malformed_value(tmp_path, name, value, message):
    env = _clean_env(tmp_path, ALLOWED_HOSTS="example.org", **_fresh_keys(), **{name: value})
    result = _sombrilla("check", env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr  # one clear line, not a stack trace
    assert message in result.stderr


def test_it_refuses_a_malformed_field_encryption_key(tmp_path):
    env = _clean_env(tmp_path, ALLOWED_HOSTS="example.org", **{**_fresh_keys(), "FIELD_ENCRYPTION_KEYS": "abc"})
    result = _sombrilla("check", env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS entry must be a Fernet key" in result.stderr


def test_it_serves_with_an_access_log_that_has_no_address_user_agent_referer_or_query(monkeypatch):
    """gunicorn's default access log names the client address and user agent, and a query string can hold an
    invitation code; `sombrilla serve` must replace that format."""
    import gunicorn.app.wsgiapp

    from sombrilla import cli

    seen = {}
    monkeypatch.setattr(gunicorn.app.wsgiapp, "run", lambda: seen.setdefault("argv", list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["sombrilla"])
    cli._serve("127.0.0.1:0")
    argv = seen["argv"]
    log_format = argv[argv.index("--access-logformat") + 1]
    assert "%(U)s" in log_format
    for atom in ("%(h)s", "%(a)s", "%(f)s", "%(r)s", "%(q)s", "%(u)s", "}i", "}e"):
        assert atom not in log_format, atom


@pytest.mark.django_db(transaction=True)
def test_a_web_process_keeps_its_database_connection_from_one_request_to_the_next():
    """Outside the test client, which holds connections open itself: a request's start and end signals are
    where Django closes a connection that has outlived DATABASE_CONN_MAX_AGE."""
    connection.ensure_connection()
    kept = connection.connection
    for _request in range(2):
        request_started.send(sender=None)
        connection.ensure_connection()
        request_finished.send(sender=None)
    assert connection.connection is kept
