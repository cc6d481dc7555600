"""Foundation benchmark: how long a login costs (Argon2id) and how fast pages render, in-process.

Run: `SOMBRILLA_DEMO=1 .venv/bin/python bench/bench_foundation.py` (SQLite under a temp dir), or with
DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench for PostgreSQL. Figures go in bench/README.md.
"""

import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("SOMBRILLA_DEMO", "1")
os.environ.setdefault("SOMBRILLA_VAR_DIR", tempfile.mkdtemp(prefix="sombrilla-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sombrilla.settings")
os.environ.setdefault("SOMBRILLA_ENV_FILE", os.devnull)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

ROUNDS = 200


def timed(label: str, func, rounds: int = ROUNDS) -> None:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    sys.stdout.write(f"{label:<34} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms\n")


def main() -> None:
    setup_test_environment()
    call_command("migrate", "--noinput", "-v", "0")
    call_command("collectstatic", "--noinput", "-v", "0")
    call_command("demo_data", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed at exit
    from sombrilla.accounts.management.commands.demo_data import DEMO_PASSPHRASE
    from sombrilla.accounts.models import Account

    alice = Account.objects.get(pseudonym="alice")
    engine = django.db.connection.vendor
    sys.stdout.write(f"database: {engine}\n")
    timed("Argon2id passphrase check", lambda: alice.check_password(DEMO_PASSPHRASE), rounds=30)

    anonymous = Client()
    timed("GET /login/ (anonymous)", lambda: anonymous.get("/login/"))
    member = Client()
    member.force_login(alice)
    timed("GET /home/ (member)", lambda: member.get("/home/"))
    timed("GET /account/ (member)", lambda: member.get("/account/"))
    timed("GET /api/v1/me (session)", lambda: member.get("/api/v1/me"))


if __name__ == "__main__":
    main()
