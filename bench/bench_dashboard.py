"""M&E dashboard benchmark: the dashboard of one organisation for one year, with 1,000,000 records across every
record type the network keeps (sombrilla.monitoring.records) and Sombrilla's own tallies and rows (members,
incidents, alerts, police alerts, screenings, check-ins, deliveries), spread over 2021-2026.

Each page is fetched whole through Django's test client in-process (the view, every computation of the
strategy's indicators over the framework's years for the trend charts, suppression, the SVG and the template),
as a staff member who passed two-factor. Target: under 1 second for the whole dashboard page on PostgreSQL.
Run (SQLite under a temp dir, then PostgreSQL):

    .venv/bin/python bench/bench_dashboard.py
    createdb -h 127.0.0.1 -U postgres bench_dashboard   # an empty database, each time
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dashboard .venv/bin/python bench/bench_dashboard.py

BENCH_RECORDS changes the total (default 1,000,000). Figures go in bench/README.md.
"""

import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta

import inprocess  # noqa: F401 - sets Django up, so it comes before any Django import

# isort: split
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

RECORDS = int(os.environ.get("BENCH_RECORDS", 1_000_000))
YEAR = 2025
FIRST_DAY = date(2021, 1, 1)
DAYS = 6 * 365
RUNS = int(os.environ.get("BENCH_RUNS", 15))
BATCH = 5000
REGIONS = ("africa", "asia-pacific", "europe", "latin-america", "north-america-caribbean")
THEMES = ("human-rights", "health", "labour", "stigma", "criminalisation", "violence", "migration", "economic")
FORMATS = ("briefing-paper", "report", "community-guide", "infographic", "video", "audio", "other")
LANGUAGES = ("en", "fr", "es", "ru", "zh", "pt", "sw")
CATEGORIES = ("physical_violence", "robbery", "non_payment", "threats", "harassment", "condom", "other")


def day(i: int) -> date:
    return FIRST_DAY + timedelta(days=i % DAYS)


def moment(i: int) -> datetime:
    return datetime.combine(day(i), datetime.min.time(), tzinfo=timezone.get_current_timezone())


def month(i: int) -> date:
    return day(i * 31).replace(day=1)


# Shares of the records, by type (about 1,000,000 together). Types whose rows are unique per day and kind (the
# board's events, website statistics, screening tallies, campaigns) get what fits in six years.
SHARES = {
    "member_organisations": 0.12,
    "governance": 0.008,
    "publications": 0.02,
    "publication_stats": 0.18,
    "website_stats": 0.002,
    "website_languages": 0.028,
    "communications": 0.13,
    "trainings": 0.02,
    "participants": 0.06,
    "support": 0.05,
    "forums": 0.06,
    "tools": 0.03,
    "products": 0.06,
    "alerts": 0.06,
    "police_alerts": 0.03,
    "incident_tallies": 0.05,
    "screening_tallies": 0.002,
    "deliveries": 0.089,
}


def populate(organisation, member) -> dict[str, int]:
    """Every type's share of RECORDS, bulk inserted (the services would take hours), unique where the models say
    so. Returns how many of each were made."""
    from sombrilla.accounts.models import Area, MembershipTally
    from sombrilla.alerts.models import Alert, AlertTally, IncidentTally, PoliceAlert, PoliceAlertTally, ScreeningTally
    from sombrilla.checkins.models import CheckinTally
    from sombrilla.core import clock
    from sombrilla.monitoring.records import models as m
    from sombrilla.notify.models import Delivery, Dispatch

    own = {"organisation": organisation}
    n = {kind: max(1, int(RECORDS * share)) for kind, share in SHARES.items()}
    later = clock.now() + timedelta(days=3650)
    areas = Area.objects.bulk_create(
        Area(organisation=organisation, kind=Area.Kind.CITY, name=f"City {i}") for i in range(200)
    )
    dispatch = Dispatch.objects.create(organisation=organisation, topic="test")
    publications = m.Publication.objects.bulk_create(
        (
            m.Publication(
                **own,
                title=f"Publication {i}",
                format=FORMATS[i % 7],
                languages=list(LANGUAGES[:3]),
                published_on=day(i),
            )
            for i in range(n["publications"])
        ),
        batch_size=BATCH,
    )
    trainings = m.Training.objects.bulk_create(
        (
            m.Training(
                **own,
                title=f"Training {i}",
                date=day(i),
                region=REGIONS[i % 5],
                trainer_kind=("network", "experienced-leader")[i % 2],
                experienced_trainers=i % 2 * 3,
            )
            for i in range(n["trainings"])
        ),
        batch_size=BATCH,
    )
    campaigns = m.Campaign.objects.bulk_create(
        m.Campaign(**own, day=d, year=year)
        for d in ("march-3", "june-2", "september-14", "december-17")
        for year in range(2021, 2027)
    )
    makers = {
        "member_organisations": lambda i: m.MemberOrganisation(
            **own,
            name=f"Member {i}",
            country="KE",
            region=REGIONS[i % 5],
            joined_on=day(i),
            left_on=day(i) + timedelta(days=400) if i % 7 == 0 else None,
            in_regional_network=i % 3 == 0,
        ),
        "governance": lambda i: m.GovernanceEvent(
            **own,
            kind=("board-meeting", "teleconference", "president-election", "regional-nomination")[i % 4],
            date=day(i // 4),
            region=REGIONS[i // 4 // DAYS % 5] if i % 4 == 3 else "",
            note=str(i),
        ),
        "publication_stats": lambda i: m.PublicationStat(
            **own,
            publication=publications[i % len(publications)],
            language=LANGUAGES[i % 3],
            period_start=day(i // len(publications)),
            period_end=day(i // len(publications)),
            distributed=i % 50,
            downloads=i % 80,
        ),
        "website_stats": lambda i: m.WebsiteStat(
            **own,
            period_start=FIRST_DAY + timedelta(days=i),
            period_end=FIRST_DAY + timedelta(days=i),
            unique_visitors=100 + i % 50,
            repeat_visitors=i % 50,
        ),
        "website_languages": lambda i: m.WebsiteLanguageStat(
            **own,
            period_start=FIRST_DAY + timedelta(days=i // 14),
            period_end=FIRST_DAY + timedelta(days=i // 14),
            language=LANGUAGES[i % 7],
            translation=("online", "community")[i // 7 % 2],
            pages=i % 9,
        ),
        "communications": lambda i: m.Communication(
            **own,
            kind=("mailing-list", "mailing-list-message", "social-media-post")[i % 3],
            channel=f"channel {i % 300}",
            date=day(i // 300 * 5),
            count=1 + i % 5,
        ),
        "participants": lambda i: m.TrainingParticipant(
            **own, training=trainings[i // 3], region=REGIONS[i % 3], new_leaders=i % 6, young_leaders=1 + i % 4
        ),
        "support": lambda i: m.TechnicalSupport(
            **own,
            recipient_kind=("regional-network", "national-organisation")[i % 2],
            recipient=f"Org {i % 400}",
            region=REGIONS[i % 5],
            kind=("south-exchange", "reporting", "governance", "other")[i % 4],
            date=day(i),
        ),
        "forums": lambda i: m.PolicyForum(
            **own,
            kind=("forum", "delegation", "document")[i % 3],
            name=f"Forum {i}",
            level=("international", "regional", "national")[i % 3],
            date=day(i),
            leaders_supported=i % 7 if i % 3 == 0 else 0,
            region=REGIONS[i % 5],
        ),
        "tools": lambda i: m.AdvocacyTool(
            **own, title=f"Tool {i}", theme=THEMES[i % 8], format=FORMATS[i % 7], languages=["en"], published_on=day(i)
        ),
        "products": lambda i: m.KnowledgeProduct(
            **own,
            kind=("case-study", "interview", "briefing-note", "digest")[i % 4],
            title=f"Product {i}",
            region=REGIONS[i % 5],
            date=day(i),
        ),
        "campaigns": lambda i: m.CampaignParticipation(
            **own,
            campaign=campaigns[i // 40 % len(campaigns)],
            region=REGIONS[i % 5],
            theme=THEMES[i // 5 % 8],
            member_organisations=1 + i % 9,
        ),
        "alerts": lambda i: Alert(
            organisation=organisation,
            categories=[CATEGORIES[i % 7], CATEGORIES[(i + 3) % 7]][: 1 + i % 2],
            text="x",
            occurred_month=month(i),
            published_at=moment(i),
            expires_at=later,
        ),
        "police_alerts": lambda i: PoliceAlert(
            organisation=organisation,
            kind=("raid", "patrol", "checkpoint", "posing", "other")[i % 5],
            seen_at=moment(i),
            status="published",
            published_at=moment(i),
            expires_at=later,
        ),
        "incident_tallies": lambda i: IncidentTally(
            organisation=organisation,
            month=month(i // 1400),
            area=areas[i // 7 % 200],
            category=CATEGORIES[i % 7],
            count=1 + i % 9,
        ),
        "screening_tallies": lambda i: ScreeningTally(organisation=organisation, day=day(i), count=i % 40),
        "deliveries": lambda i: Delivery(
            dispatch=dispatch,
            membership=member,
            channel=("push", "email", "sms", "inapp")[i % 4],
            status=("sent", "sent", "sent", "dead", "undeliverable", "pending")[i % 6],
            idempotency_key=f"bench-{i}",
            created_at=moment(i),
        ),
    }
    start = time.perf_counter()
    made = {"publications": len(publications), "trainings": len(trainings)}
    for kind, make in makers.items():
        model = type(make(0))
        count = {"campaigns": 40 * len(campaigns), "participants": 3 * len(trainings)}.get(kind) or n[kind]
        for first in range(0, count, BATCH):
            with transaction.atomic():
                model.objects.bulk_create([make(i) for i in range(first, min(first + BATCH, count))])
        made[kind] = count
        sys.stdout.write(f"\r{sum(made.values()):>9,} records ({time.perf_counter() - start:.0f} s)      ")
        sys.stdout.flush()
    MembershipTally.objects.bulk_create(
        MembershipTally(organisation=organisation, month=month(i), event=event, count=5 + i % 11)
        for i in range(70)
        for event in ("joined", "left")
    )
    CheckinTally.objects.bulk_create(
        CheckinTally(organisation=organisation, month=month(i), event=event, count=3 + i % 13)
        for i in range(70)
        for event in ("plan", "escalated_due", "escalated_sos", "escalated_silent")
    )
    AlertTally.objects.bulk_create(
        AlertTally(organisation=organisation, month=month(i), category=category, count=2 + i % 9)
        for i in range(70)
        for category in ("", *CATEGORIES)
    )
    PoliceAlertTally.objects.bulk_create(
        PoliceAlertTally(organisation=organisation, month=month(i), kind=kind, count=1 + i % 17)
        for i in range(70)
        for kind in ("raid", "patrol", "checkpoint", "posing", "other")
    )
    sys.stdout.write("\n")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return made


def measure(client, label: str, path: str, runs: int = RUNS) -> None:
    client.get(path)  # warm up: connections, caches, compiled templates
    samples = []
    for _run in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)]
    sys.stdout.write(
        f"{label:<40} median {statistics.median(samples):7.1f} ms   p99 {p99:7.1f} ms   "
        f"({len(response.content):,} bytes, {runs} runs)\n"
    )


def main() -> None:
    call_command("migrate", "--noinput", "-v", "0")
    call_command("collectstatic", "--noinput", "-v", "0")
    from sombrilla.accounts import services as account_services
    from sombrilla.accounts.models import Account, Authenticator, Membership, Role
    from sombrilla.core import clock
    from sombrilla.monitoring.services import framework_load_shipped

    for code in ("nswp-2022-25", "sombrilla-platform"):
        framework_load_shipped(code=code)
    organisation = account_services.organisation_create(slug="bench", name="Bench", default_country="KE")
    organisation.created_at = datetime(2021, 1, 1, tzinfo=timezone.get_current_timezone())
    organisation.save(update_fields=["created_at"])
    account = Account.objects.create(pseudonym="bench-officer")
    member = Membership.objects.create(
        account=account, organisation=organisation, role=Role.STAFF, joined_on=clock.now().date()
    )
    device = Authenticator.objects.create(user=account, name="bench", confirmed=True)
    sys.stdout.write(f"database: {connection.vendor}; {RECORDS:,} records\n")
    made = populate(organisation, member)
    sys.stdout.write(f"made: {', '.join(f'{kind} {count:,}' for kind, count in made.items())}\n")

    client = Client()
    client.force_login(account, backend="sombrilla.accounts.backends.AccountBackend")
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    for strategy in ("1", "2", "3", "impact"):
        measure(client, f"GET /me/ NSWP strategy {strategy}", f"/me/?year={YEAR}&strategy={strategy}")
    measure(client, "GET /me/ Sombrilla platform", f"/me/?framework=sombrilla-platform&year={YEAR}")
    measure(client, "GET /me/compare/ (2022 and 2024)", "/me/compare/?from=2022&to=2024")
    measure(client, "GET /me/report.xlsx (every part)", f"/me/report.xlsx?year={YEAR}", runs=5)
    measure(client, "GET /me/export/dhis2.json", f"/me/export/dhis2.json?year={YEAR}", runs=5)


if __name__ == "__main__":
    main()
