"""Screening benchmark: "check before you meet" against 1,000,000 stored identifier hashes.

Each lookup goes through the real page (POST /check/, the form, the service, the template) and through
the API (POST /api/v1/screening) in-process with Django's test client, with the database connection kept and
checked between requests as in a web process (DATABASE_CONN_MAX_AGE, health checks); half the lookups hit a
reported identifier, half miss. Run (SQLite under a temp dir, then PostgreSQL):

    .venv/bin/python bench/bench_screening.py
    createdb -h 127.0.0.1 -U postgres bench_screening   # an empty database, each time
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_screening .venv/bin/python bench/bench_screening.py

Figures go in bench/README.md.
"""

import os
import random
import statistics
import sys
import time
from datetime import date
from urllib.parse import urlencode

import inprocess  # noqa: F401 - sets Django up, so it comes before any Django import

# isort: split
from django.core.management import call_command
from django.db import close_old_connections, connection, transaction
from django.test import Client

IDENTIFIERS = int(os.environ.get("BENCH_IDENTIFIERS", 1_000_000))
PER_REPORT = 10
LOOKUPS = 2000
FORM = "application/x-www-form-urlencoded"


def _phone(n: int) -> str:
    return f"+2547{n:08d}"


def populate(organisation, reporter, area) -> None:
    """Reports with PER_REPORT phone identifiers each, inserted in bulk (the services would take hours)."""
    from sombrilla.alerts.models import Identifier, Report
    from sombrilla.alerts.normalise import identifier_key
    from sombrilla.core import clock

    now = clock.now().replace(minute=0, second=0, microsecond=0)
    statuses = [Report.Status.PUBLISHED, Report.Status.PENDING]
    start = time.perf_counter()
    for first in range(0, IDENTIFIERS, 50_000):
        reports = [
            Report(
                organisation=organisation,
                reporter=reporter,
                chain_hash=f"{i % 97:064x}",
                status=statuses[i % 2],
                occurred_on=date(2026, 1 + i % 11, 1),
                area=area,
                categories=["non_payment"],
                account="x",
                consent_alert=True,
                consent_statistics=True,
                created_at=now,
            )
            for i in range(first // PER_REPORT, (first + 50_000) // PER_REPORT)
        ]
        with transaction.atomic():
            Report.objects.bulk_create(reports, batch_size=5000)
            Identifier.objects.bulk_create(
                (
                    Identifier(
                        report=report,
                        kind="phone",
                        value_hash=identifier_key("phone", _phone(first + j * PER_REPORT + k)),
                        value=_phone(first + j * PER_REPORT + k),
                    )
                    for j, report in enumerate(reports)
                    for k in range(PER_REPORT)
                ),
                batch_size=5000,
            )
        sys.stdout.write(f"\r{first + 50_000:>9,} identifiers stored ({time.perf_counter() - start:.0f} s)")
        sys.stdout.flush()
    sys.stdout.write("\n")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure(label: str, request) -> None:
    rng = random.Random(7)  # noqa: S311  a repeatable choice of lookups, not a secret
    samples = []
    for i in range(LOOKUPS):
        # Half reported numbers typed the local way, half never reported.
        n = rng.randrange(IDENTIFIERS) if i % 2 == 0 else IDENTIFIERS + rng.randrange(IDENTIFIERS)
        typed = "0" + _phone(n)[4:]
        start = time.perf_counter()
        response = request(typed)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    samples.sort()
    p99 = samples[int(len(samples) * 0.99) - 1]
    sys.stdout.write(f"{label:<30} median {statistics.median(samples):6.2f} ms   p99 {p99:6.2f} ms\n")


def main() -> None:
    call_command("migrate", "--noinput", "-v", "0")
    call_command("collectstatic", "--noinput", "-v", "0")
    from sombrilla.accounts import services as account_services
    from sombrilla.accounts.models import Account, Membership
    from sombrilla.core import clock

    organisation = account_services.organisation_create(
        slug="bench",
        name="Bench",
        default_country="KE",
        screening_daily_limit=30_000,  # a small integer field; the run makes about 6,000 checks
    )
    area = account_services.area_create(actor=None, organisation=organisation, name="Kenya", kind="country")
    account = Account.objects.create(pseudonym="bench-member")
    member = Membership.objects.create(account=account, organisation=organisation, joined_on=clock.now().date())
    sys.stdout.write(f"database: {connection.vendor}; {IDENTIFIERS:,} identifier hashes\n")
    populate(organisation, member, area)

    client = Client()
    client.force_login(account)

    def served(send):
        """A request as a web process serves it. The test client leaves out what Django does with the kept
        database connection at a request's start and end (close it if too old, and with health checks a
        `SELECT 1` before its first reuse), so it is done here."""

        def request(typed):
            close_old_connections()
            try:
                return send(typed)
            finally:
                close_old_connections()

        return request

    @served
    def check_page(typed):
        # As a browser sends this form (it has no file field): urlencoded, not the test client's multipart.
        return client.post("/check/", urlencode({"kind": "phone", "value": typed}), content_type=FORM)

    # Warm up connections, caches and the phone-number metadata before timing.
    for _ in range(50):
        check_page("0712345678")
    measure("POST /check/ (page)", check_page)
    measure(
        "POST /api/v1/screening (API)",
        served(
            lambda typed: client.post(
                "/api/v1/screening", {"kind": "phone", "value": typed}, content_type="application/json"
            )
        ),
    )
    # The lookup alone (normalise, hash, count, query), to tell its share from the page's rendering.
    from sombrilla.alerts.services import screening_check

    class _Done:
        status_code = 200

    def lookup(typed):
        screening_check(actor=member, kind="phone", value=typed)
        return _Done

    measure("screening_check (service)", lookup)


if __name__ == "__main__":
    main()
