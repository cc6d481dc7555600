"""The migration that brought the alert tallies counts what was published before it, against a real database."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from sombrilla.core import clock

BEFORE = [("alerts", "0002_police_alert_submission")]
TALLIES = [("alerts", "0003_alert_tallies")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.fixture
def before_tallies(transactional_db):
    """The schema as it was before the tallies, put back to the latest whatever the test does."""
    yield _migrate(BEFORE).loader.project_state(BEFORE).apps
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_it_counts_the_alerts_and_published_police_alerts_still_held(before_tallies, org_a):
    apps = before_tallies
    Alert, PoliceAlert = apps.get_model("alerts", "Alert"), apps.get_model("alerts", "PoliceAlert")
    march, april = (datetime(2026, month, 10, 12, tzinfo=timezone.get_current_timezone()) for month in (3, 4))
    for published, categories in ((march, ["robbery"]), (march, ["robbery", "threats"]), (april, ["other"])):
        Alert.objects.create(
            organisation_id=org_a.pk,
            categories=categories,
            text="x",
            occurred_month=published.date().replace(day=1),
            published_at=published,
            expires_at=published + timedelta(days=365),
        )
    for kind, status in (("raid", "published"), ("raid", "published"), ("patrol", "pending"), ("raid", "rejected")):
        PoliceAlert.objects.create(
            organisation_id=org_a.pk,
            kind=kind,
            seen_at=march,
            status=status,
            published_at=march if status == "published" else None,
            expires_at=march + timedelta(hours=24),
        )
    executor = _migrate(TALLIES)
    apps = executor.loader.project_state(TALLIES).apps
    AlertTally, PoliceAlertTally = apps.get_model("alerts", "AlertTally"), apps.get_model("alerts", "PoliceAlertTally")
    in_march, in_april = clock.month(march), clock.month(april)
    assert set(AlertTally.objects.values_list("month", "category", "count")) == {
        (in_march, "", 2),
        (in_march, "robbery", 2),
        (in_march, "threats", 1),
        (in_april, "", 1),
        (in_april, "other", 1),
    }
    assert list(PoliceAlertTally.objects.values_list("month", "kind", "count")) == [(in_march, "raid", 2)]
