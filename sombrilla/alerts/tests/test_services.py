"""Reports, moderation, police alerts, screening and retention, through the services against a real database."""

import json
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from sombrilla.accounts import selectors as account_selectors
from sombrilla.accounts import services as account_services
from sombrilla.accounts.models import Membership, Role
from sombrilla.alerts import selectors, services
from sombrilla.alerts.models import (
    Alert,
    AlertTally,
    Category,
    Identifier,
    IdentifierKind,
    IncidentTally,
    PoliceAlert,
    PoliceAlertTally,
    Report,
    ScreeningCount,
    ScreeningTally,
)
from sombrilla.alerts.normalise import identifier_key
from sombrilla.alerts.tests.factories import PHONE, PHONE_E164, make_alert, make_report
from sombrilla.conftest import PASSPHRASE, cache_entries, make_member
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.notify.models import Delivery, Dispatch, Topic


def _raw(table: str, column: str) -> list[str]:
    """Column values as the database holds them, past the model's decryption."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own names
        return [row[0] for row in cursor.fetchall()]


def _database_text() -> str:
    """Every row of every table, as text: what a seized copy of the database would hold."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from the schema
            rows.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(rows)


def _audited(action: AuditAction, actor: Membership, target_id=None) -> bool:
    entries = AuditEntry.objects.filter(action=action, actor=actor)
    if target_id is not None:
        entries = entries.filter(target_id=target_id)
    return entries.exists()


# Reports --------------------------------------------------------------------------------------------------


def test_it_stores_identifiers_only_as_a_keyed_hash_and_an_encrypted_value(alice, areas):
    report = make_report(alice, areas["nairobi"], plate="kda 123-a", handle="@Big_Tony")
    stored = {identifier.kind: identifier for identifier in report.identifiers.all()}
    assert stored[IdentifierKind.PHONE].value == PHONE_E164
    assert stored[IdentifierKind.PHONE].value_hash == identifier_key("phone", PHONE_E164)
    assert stored[IdentifierKind.PLATE].value == "KDA123A"
    assert stored[IdentifierKind.HANDLE].value == "big_tony"
    assert stored[IdentifierKind.HANDLE].platform == "Telegram"
    database = _database_text()
    for plain in ("712345678", "KDA123A", "kda 123", "big_tony", "Big_Tony", "Telegram", "threatened to tell"):
        assert plain not in database, plain
    assert set(_raw("alerts_identifier", "value_hash")) == {
        identifier_key("phone", PHONE_E164),
        identifier_key("plate", "KDA123A"),
        identifier_key("handle", "big_tony"),
    }


def test_it_keeps_an_unparseable_phone_number_as_a_handle(alice, areas):
    report = make_report(alice, areas["nairobi"], phone="ask for Tony at the bar")
    identifier = report.identifiers.get()
    assert (identifier.kind, identifier.value) == (IdentifierKind.HANDLE, "askfortonyatthebar")


def test_it_stores_one_identifier_for_the_same_one_typed_twice(alice, areas):
    report = make_report(
        alice,
        areas["nairobi"],
        identifiers=[
            services.IdentifierIn(kind="phone", value="0712 345 678"),
            services.IdentifierIn(kind="phone", value="+254712345678"),
            services.IdentifierIn(kind="email", value=""),
        ],
    )
    assert report.identifiers.count() == 1


def test_it_keeps_the_arrival_time_to_the_hour_only(alice, areas):
    report = make_report(alice, areas["nairobi"])
    assert (report.created_at.minute, report.created_at.second, report.created_at.microsecond) == (0, 0, 0)


def test_it_makes_one_report_from_a_form_sent_twice(alice, areas):
    first = make_report(alice, areas["nairobi"], submission_key="form-key-1")
    again = make_report(alice, areas["nairobi"], submission_key="form-key-1")
    other = make_report(alice, areas["nairobi"], submission_key="form-key-2")
    assert first.pk == again.pk != other.pk
    assert Report.objects.count() == 2
    assert "form-key-1" not in _database_text()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"occurred_on": date.today() + timedelta(days=2)}, "The date cannot be in the future."),
        ({"categories": []}, "Choose at least one category from the list."),
        ({"categories": ["arson"]}, "Choose at least one category from the list."),
        ({"account": "   "}, "Please say what happened."),
    ],
)
def test_it_refuses_a_report_that_is_not_complete(alice, areas, overrides, message):
    with pytest.raises(services.AlertError, match=message):
        make_report(alice, areas["nairobi"], **overrides)
    assert not Report.objects.exists()


def test_it_refuses_a_report_in_another_organisations_area(alice, areas_b):
    with pytest.raises(services.AlertError):
        make_report(alice, areas_b["nairobi"])


def test_it_refuses_reports_from_analysts_who_are_not_organisation_members(nina, areas):
    with pytest.raises(services.PermissionDenied):
        make_report(nina, areas["nairobi"])
    with pytest.raises(services.PermissionDenied):
        services.screening_check(actor=nina, kind="phone", value=PHONE)


def test_it_records_the_chain_as_a_keyed_hash_of_the_first_peer(alice, erin, frank, bob, carol, dana):
    gina = make_member(alice.organisation, "gina", invited_by=erin)
    chains = {
        person.account.pseudonym: services.chain_hash(person) for person in (alice, erin, gina, frank, bob, carol)
    }
    # erin and gina were vouched for by alice, whom staff invited: one chain, rooted at alice.
    assert services.chain_root(gina) == alice
    assert chains["alice"] == chains["erin"] == chains["gina"]
    # Each person staff invited starts a chain; so does staff themselves.
    assert len({chains["alice"], chains["frank"], chains["bob"], chains["carol"]}) == 4
    assert str(alice.pk) not in chains["alice"]


def test_it_stops_at_a_loop_in_the_invitation_chain(alice, erin):
    Membership.objects.filter(pk=alice.pk).update(invited_by=erin)
    alice.refresh_from_db()
    assert services.chain_root(alice) in (alice, erin)


# Moderation -----------------------------------------------------------------------------------------------


def test_it_publishes_an_alert_without_anything_of_the_reporter(bob, alice, areas):
    report = make_report(alice, areas["westlands"], occurred_on=date(2025, 3, 14))
    alert = services.alert_publish(actor=bob, report=report, text="Refuses to pay.", areas=[areas["westlands"]])
    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED and report.alert == alert
    assert alert.occurred_month == date(2025, 3, 1)
    assert alert.categories == [Category.NON_PAYMENT, Category.THREATS]
    fields = {f.name for f in Alert._meta.get_fields()}
    assert not fields & {"reporter", "published_by", "account", "chain_hash"}
    assert _audited(AuditAction.ALERT_PUBLISHED, bob, alert.pk)
    assert "Refuses to pay." not in _raw("alerts_alert", "text")


def test_it_refuses_to_publish_a_report_whose_author_did_not_agree(bob, alice, areas):
    report = make_report(alice, areas["westlands"], consent_alert=False)
    with pytest.raises(services.PermissionDenied):
        services.alert_publish(actor=bob, report=report, text="x", areas=[areas["westlands"]])
    other = make_alert(bob, alice, areas["westlands"])
    with pytest.raises(services.PermissionDenied):
        services.report_attach(actor=bob, report=report, alert=other)
    report.refresh_from_db()
    assert report.status == Report.Status.PENDING and report.alert is None
    assert Alert.objects.count() == 1


def test_it_lets_only_moderators_and_staff_of_the_organisation_decide(alice, erin, bob, carol, mallory, areas):
    report = make_report(erin, areas["westlands"])
    for actor in (alice, mallory):
        with pytest.raises(services.PermissionDenied):
            services.alert_publish(actor=actor, report=report, text="x", areas=[areas["westlands"]])
        with pytest.raises(services.PermissionDenied):
            services.report_reject(actor=actor, report=report, reason="no")
    with pytest.raises(Http404):
        selectors.report_get_for_moderator(actor=mallory, report_id=report.pk)
    with pytest.raises(Http404):
        selectors.report_get_for_moderator(actor=alice, report_id=report.pk)
    assert selectors.report_get_for_moderator(actor=carol, report_id=report.pk) == report


def test_it_needs_a_second_moderator_for_an_untrusted_moderators_own_report(bob, carol, areas):
    report = make_report(bob, areas["westlands"])
    with pytest.raises(services.PermissionDenied):
        services.alert_publish(actor=bob, report=report, text="x", areas=[areas["westlands"]])
    services.alert_publish(actor=carol, report=report, text="x", areas=[areas["westlands"]])


def test_it_lets_a_trusted_moderator_publish_their_own_report(bob, carol, areas):
    account_services.membership_set_trusted(actor=carol, membership=bob, trusted=True)
    bob.refresh_from_db()
    assert services.can_publish_own(bob)
    report = make_report(bob, areas["westlands"])
    services.alert_publish(actor=bob, report=report, text="x", areas=[areas["westlands"]])
    assert _audited(AuditAction.MEMBER_TRUST_CHANGED, carol, bob.pk)


def test_it_refuses_to_decide_twice(bob, carol, alice, areas):
    report = make_report(alice, areas["westlands"])
    services.report_reject(actor=bob, report=report, reason="Not a client incident.")
    with pytest.raises(services.AlertError, match="already been dealt with"):
        services.alert_publish(actor=carol, report=report, text="x", areas=[areas["westlands"]])


def test_it_rejects_with_a_reason_the_reporter_reads(bob, alice, areas):
    report = make_report(alice, areas["westlands"])
    with pytest.raises(services.AlertError):
        services.report_reject(actor=bob, report=report, reason="  ")
    services.report_reject(actor=bob, report=report, reason="This reads like a dispute between colleagues.")
    mine = selectors.report_list_for_reporter(actor=alice).get()
    assert mine.status == Report.Status.REJECTED
    assert mine.rejection_reason == "This reads like a dispute between colleagues."
    assert _audited(AuditAction.REPORT_REJECTED, bob, report.pk)


def test_it_adds_a_report_to_a_matching_alert(bob, alice, frank, areas):
    alert = make_alert(bob, alice, areas["westlands"], categories=[Category.NON_PAYMENT])
    report = make_report(frank, areas["nairobi"], phone="+254 712 345 678", categories=[Category.ROBBERY])
    matches = selectors.report_matches(report=report)
    assert [match.alert.pk for match in matches] == [alert.pk]
    assert matches[0].kinds == [IdentifierKind.PHONE.label]
    with clock.travel(timedelta(days=40)):
        services.report_attach(actor=bob, report=report, alert=alert)
        alert.refresh_from_db()
        assert alert.categories == [Category.ROBBERY, Category.NON_PAYMENT]
        assert alert.expires_at >= services.add_months(clock.now(), 12) - timedelta(seconds=1)
    assert alert.reports.count() == 2
    assert _audited(AuditAction.REPORT_ATTACHED, bob, report.pk)


def test_it_counts_each_alert_once_and_once_in_each_of_its_categories_in_its_month(bob, alice, frank, areas):
    """The unlinked tally M&E counts alerts from: a report attached later adds only the categories it brings,
    in the month the alert was published, and never the alert a second time."""
    alert = make_alert(bob, alice, areas["westlands"], categories=[Category.NON_PAYMENT])
    published = clock.month(alert.published_at)
    report = make_report(frank, areas["nairobi"], categories=[Category.ROBBERY, Category.NON_PAYMENT])
    with clock.travel(timedelta(days=40)):
        services.report_attach(actor=bob, report=report, alert=alert)
    assert set(AlertTally.objects.values_list("organisation", "month", "category", "count")) == {
        (alert.organisation_id, published, "", 1),
        (alert.organisation_id, published, Category.NON_PAYMENT, 1),
        (alert.organisation_id, published, Category.ROBBERY, 1),
    }


def test_it_refuses_to_add_a_report_to_an_alert_it_shares_nothing_with(bob, alice, frank, areas):
    alert = make_alert(bob, alice, areas["westlands"])
    report = make_report(frank, areas["nairobi"], phone="+254 733 000 111")
    assert selectors.report_matches(report=report) == []
    with pytest.raises(services.AlertError, match="shares no identifier"):
        services.report_attach(actor=bob, report=report, alert=alert)


def test_it_shows_moderators_matches_within_their_organisation_only(bob, alice, mallory, olga, areas, areas_b):
    make_alert(mallory, olga, areas_b["nairobi"])
    report = make_report(alice, areas["nairobi"])
    assert selectors.report_matches(report=report) == []
    reports, _police = selectors.moderation_queue(actor=bob)
    assert [(r.pk, r.match_count) for r in reports] == [(report.pk, 0)]


def test_it_keeps_a_report_on_record_without_an_alert(bob, alice, areas):
    report = make_report(alice, areas["westlands"], consent_alert=False)
    services.report_record(actor=bob, report=report)
    report.refresh_from_db()
    assert report.status == Report.Status.RECORDED and report.alert is None
    assert _audited(AuditAction.REPORT_RECORDED, bob, report.pk)


def test_it_gives_a_referral_only_with_the_reporters_consent_and_audits_it(carol, bob, alice, areas):
    refused = make_report(alice, areas["westlands"])
    with pytest.raises(services.PermissionDenied):
        services.report_referral(actor=carol, report=refused)
    agreed = make_report(alice, areas["westlands"], consent_referral=True)
    with pytest.raises(services.PermissionDenied):
        services.report_referral(actor=bob, report=agreed)  # moderators are not the organisation's voice
    text = services.report_referral(actor=carol, report=agreed)
    assert "threatened to tell my family" in text and PHONE_E164 in text
    assert "alice" not in text
    assert _audited(AuditAction.REPORT_REFERRAL_VIEWED, carol, agreed.pk)
    assert not _audited(AuditAction.REPORT_REFERRAL_VIEWED, carol, refused.pk)


def test_it_counts_only_reports_whose_authors_agreed_in_the_statistics(bob, alice, frank, areas):
    counted = make_report(alice, areas["westlands"], occurred_on=date(2025, 3, 14))
    not_counted = make_report(
        frank, areas["westlands"], occurred_on=date(2025, 3, 20), phone="+254733000111", consent_statistics=False
    )
    rejected = make_report(frank, areas["westlands"], occurred_on=date(2025, 3, 21), phone="+254733000222")
    services.alert_publish(actor=bob, report=counted, text="x", areas=[areas["westlands"]])
    services.alert_publish(actor=bob, report=not_counted, text="x", areas=[areas["westlands"]])
    services.report_reject(actor=bob, report=rejected, reason="duplicate")
    cells = set(IncidentTally.objects.values_list("month", "area", "category", "count"))
    assert cells == {
        (date(2025, 3, 1), areas["westlands"].pk, Category.NON_PAYMENT, 1),
        (date(2025, 3, 1), areas["westlands"].pk, Category.THREATS, 1),
    }


# Notifications ------------------------------------------------------------------------------------------------


def test_it_notifies_followers_of_the_area_its_ancestors_and_descendants(bob, alice, carol, dana, nina, areas):
    erin = make_member(alice.organisation, "erin", invited_by=alice)
    frank = make_member(alice.organisation, "frank", invited_by=carol)
    suspended = make_member(alice.organisation, "sus", invited_by=carol)
    services.area_follow_set(actor=alice, areas=[areas["westlands"]])  # a descendant
    services.area_follow_set(actor=erin, areas=[areas["kenya"]])  # an ancestor
    services.area_follow_set(actor=frank, areas=[areas["mombasa"]])  # a sibling: not told
    services.area_follow_set(actor=suspended, areas=[areas["nairobi"]])
    account_services.membership_suspend(actor=carol, membership=suspended)
    alert = make_alert(bob, carol, areas["nairobi"])
    dispatch = Dispatch.objects.get(target_id=alert.pk)
    assert dispatch.topic == Topic.ALERT
    assert dispatch.url == f"/alerts/{alert.pk}/"
    told = set(Delivery.objects.filter(dispatch=dispatch).values_list("membership__account__pseudonym", flat=True))
    assert told == {"alice", "erin"}


def test_it_sends_nothing_when_publishing_fails(bob, alice, areas):
    services.area_follow_set(actor=alice, areas=[areas["westlands"]])
    report = make_report(alice, areas["westlands"], consent_alert=False)
    with pytest.raises(services.PermissionDenied):
        services.alert_publish(actor=bob, report=report, text="x", areas=[areas["westlands"]])
    assert not Dispatch.objects.exists()


# Police alerts -------------------------------------------------------------------------------------------------


def test_it_makes_one_police_alert_from_a_warning_sent_twice(alice, carol, erin, areas):
    """A phone that replays a warning it had already sent (the answer was lost) must not warn twice."""
    account_services.membership_set_trusted(actor=carol, membership=alice, trusted=True)
    alice.refresh_from_db()
    services.area_follow_set(actor=erin, areas=[areas["kenya"]])
    warn = {"actor": alice, "area": areas["westlands"], "kind": "raid", "minutes_ago": 0}
    first = services.police_alert_create(**warn, submission_key="police-form-1")
    again = services.police_alert_create(**warn, submission_key="police-form-1")
    other = services.police_alert_create(**warn, submission_key="police-form-2")
    # The same key from another member is that member's own warning.
    erins = services.police_alert_create(**{**warn, "actor": erin}, submission_key="police-form-1")
    assert first.pk == again.pk != other.pk != erins.pk
    assert PoliceAlert.objects.count() == 3
    assert Dispatch.objects.filter(target_id=first.pk).count() == 1
    assert "police-form-1" not in _database_text()


def test_it_publishes_a_trusted_members_police_alert_at_once(alice, carol, erin, areas):
    account_services.membership_set_trusted(actor=carol, membership=alice, trusted=True)
    alice.refresh_from_db()
    services.area_follow_set(actor=erin, areas=[areas["kenya"]])
    police_alert = services.police_alert_create(actor=alice, area=areas["westlands"], kind="raid", minutes_ago=30)
    assert police_alert.status == PoliceAlert.Status.PUBLISHED
    dispatch = Dispatch.objects.get(target_id=police_alert.pk)
    assert dispatch.topic == Topic.POLICE_ALERT
    assert set(dispatch.deliveries.values_list("membership", flat=True)) == {erin.pk}
    assert _audited(AuditAction.POLICE_ALERT_PUBLISHED, alice, police_alert.pk)


def test_it_sends_an_untrusted_members_police_alert_through_moderation(alice, bob, areas):
    police_alert = services.police_alert_create(actor=alice, area=areas["westlands"], kind="patrol", minutes_ago=0)
    assert police_alert.status == PoliceAlert.Status.PENDING
    assert not Dispatch.objects.exists()
    services.area_follow_set(actor=alice, areas=[areas["nairobi"]])
    assert selectors.alert_feed(actor=alice).police_alerts == []
    services.police_alert_approve(actor=bob, police_alert=police_alert)
    assert Dispatch.objects.get(target_id=police_alert.pk).topic == Topic.POLICE_ALERT
    assert [p.pk for p in selectors.alert_feed(actor=alice).police_alerts] == [police_alert.pk]
    assert _audited(AuditAction.POLICE_ALERT_PUBLISHED, bob, police_alert.pk)


def test_it_rejects_a_police_alert_and_audits_it(alice, bob, areas):
    police_alert = services.police_alert_create(actor=alice, area=areas["westlands"], kind="other", minutes_ago=0)
    services.police_alert_reject(actor=bob, police_alert=police_alert, reason="Old news.")
    police_alert.refresh_from_db()
    assert police_alert.status == PoliceAlert.Status.REJECTED
    assert _audited(AuditAction.POLICE_ALERT_REJECTED, bob, police_alert.pk)
    with pytest.raises(services.AlertError):
        services.police_alert_approve(actor=bob, police_alert=police_alert)


def test_it_expires_police_alerts_after_the_organisations_hours(alice, bob, areas, org_a):
    org_a.police_alert_hours = 6
    org_a.save()
    alice.refresh_from_db()
    services.area_follow_set(actor=alice, areas=[areas["westlands"]])
    police_alert = services.police_alert_create(actor=bob, area=areas["westlands"], kind="raid", minutes_ago=60)
    services.police_alert_approve(actor=alice.organisation.memberships.get(role=Role.STAFF), police_alert=police_alert)
    with clock.travel(timedelta(hours=4, minutes=50)):
        assert len(selectors.alert_feed(actor=alice).police_alerts) == 1
    with clock.travel(timedelta(hours=5, minutes=1)):
        assert selectors.alert_feed(actor=alice).police_alerts == []
        with pytest.raises(Http404):
            selectors.police_alert_get_for_member(actor=alice, police_alert_id=police_alert.pk)
        assert services.alerts_purge()["police_alerts"] == 1
    assert not PoliceAlert.objects.exists()


def test_it_counts_published_police_alerts_by_kind_and_nothing_else(alice, bob, carol, areas):
    """The unlinked tally M&E counts police alerts from, which outlives their purge hours later."""
    warn = {"actor": alice, "area": areas["westlands"], "minutes_ago": 0}
    waiting = services.police_alert_create(**warn, kind="raid")
    refused = services.police_alert_create(**warn, kind="patrol")
    services.police_alert_reject(actor=bob, police_alert=refused)
    assert not PoliceAlertTally.objects.exists()
    services.police_alert_approve(actor=bob, police_alert=waiting)
    account_services.membership_set_trusted(actor=carol, membership=alice, trusted=True)
    alice.refresh_from_db()
    services.police_alert_create(**warn, kind="raid")
    month = clock.month()
    assert list(PoliceAlertTally.objects.values_list("organisation", "month", "kind", "count")) == [
        (alice.organisation_id, month, "raid", 2)
    ]
    with clock.travel(timedelta(days=2)):
        assert services.alerts_purge()["police_alerts"] == 3  # the rejected one too
    assert PoliceAlertTally.objects.get().count == 2


def test_it_refuses_a_police_sighting_older_than_an_alert_would_last(alice, areas):
    with pytest.raises(services.AlertError, match="too long ago"):
        services.police_alert_create(actor=alice, area=areas["westlands"], kind="raid", minutes_ago=24 * 60)


def test_it_cannot_approve_an_expired_police_alert(alice, bob, areas):
    police_alert = services.police_alert_create(actor=alice, area=areas["westlands"], kind="raid", minutes_ago=0)
    with clock.travel(timedelta(hours=25)), pytest.raises(services.AlertError, match="expired"):
        services.police_alert_approve(actor=bob, police_alert=police_alert)


# The feed ---------------------------------------------------------------------------------------------------


def test_it_shows_alerts_of_followed_areas_their_ancestors_and_descendants(bob, alice, carol, areas):
    in_district = make_alert(bob, carol, areas["westlands"], phone="+254700000001")
    in_country = make_alert(bob, carol, areas["kenya"], phone="+254700000002")
    in_sibling = make_alert(bob, carol, areas["mombasa"], phone="+254700000003")
    assert selectors.alert_feed(actor=alice).follows_nothing
    services.area_follow_set(actor=alice, areas=[areas["nairobi"]])
    feed = selectors.alert_feed(actor=alice)
    assert [a.pk for a in feed.alerts] == [in_country.pk, in_district.pk]  # newest first
    assert in_sibling.pk not in [a.pk for a in feed.alerts]
    assert feed.alerts[0].report_count == 1
    assert feed.alerts[0].hints == [(IdentifierKind.PHONE.label, "…002")]


def test_it_never_shows_a_whole_identifier_in_the_feed(bob, alice, carol, areas):
    make_alert(bob, carol, areas["nairobi"], plate="KDA 123A", handle="@big_tony")
    services.area_follow_set(actor=alice, areas=[areas["nairobi"]])
    shown = json.dumps([a.hints for a in selectors.alert_feed(actor=alice).alerts], default=str)
    for whole in (PHONE_E164, "712345678", "KDA123A", "big_tony"):
        assert whole not in shown


def test_it_shows_nothing_of_another_organisation(alice, mallory, olga, areas, areas_b):
    make_alert(mallory, olga, areas_b["nairobi"])
    services.area_follow_set(actor=alice, areas=[areas["nairobi"]])
    assert selectors.alert_feed(actor=alice).alerts == []
    with pytest.raises(services.AlertError):
        services.area_follow_set(actor=alice, areas=[areas_b["nairobi"]])
    alert = Alert.objects.get()
    with pytest.raises(Http404):
        selectors.alert_get_for_member(actor=alice, alert_id=alert.pk)


# Screening -------------------------------------------------------------------------------------------------


def _check(actor, value=PHONE, kind="phone"):
    return services.screening_check(actor=actor, kind=kind, value=value)


def test_it_answers_unverified_for_one_unmoderated_report(alice, frank, areas):
    make_report(alice, areas["nairobi"], occurred_on=date(2025, 4, 2))
    answer = _check(frank, "+254 712 345678")
    assert (answer.reports, answer.confirmed, answer.latest_month) == (1, False, date(2025, 4, 1))
    assert answer.categories == [Category.NON_PAYMENT.label, Category.THREATS.label]
    assert answer.hint == "…678"


def test_it_does_not_confirm_reports_from_one_invitation_chain(alice, erin, frank, areas):
    make_report(alice, areas["nairobi"])
    make_report(erin, areas["nairobi"])
    assert (_check(frank).reports, _check(frank).confirmed) == (2, False)


def test_it_confirms_reports_from_two_invitation_chains(alice, frank, bob, areas):
    make_report(alice, areas["nairobi"])
    make_report(frank, areas["nairobi"])
    assert (_check(bob).reports, _check(bob).confirmed) == (2, True)


def test_it_confirms_a_report_a_moderator_approved(alice, bob, areas):
    make_alert(bob, alice, areas["nairobi"])
    assert (_check(bob).reports, _check(bob).confirmed) == (1, True)


def test_it_never_counts_rejected_reports_or_reports_without_alert_consent(alice, frank, bob, areas):
    rejected = make_report(alice, areas["nairobi"])
    services.report_reject(actor=bob, report=rejected, reason="false")
    make_report(frank, areas["nairobi"], consent_alert=False)
    answer = _check(bob)
    assert (answer.reports, answer.confirmed, answer.latest_month, answer.categories) == (0, False, None, [])


def test_it_answers_the_same_for_an_identifier_typed_another_way(alice, bob, areas):
    make_report(alice, areas["nairobi"], plate="KDA 123A", handle="@Big_Tony", phone="")
    assert _check(bob, "kda-123a", "plate").reports == 1
    assert _check(bob, "big_tony", "handle").reports == 1
    assert _check(bob, "KDA123A", "handle").reports == 0  # a handle is not a plate


def test_it_refuses_a_check_by_name_or_empty_value(bob):
    with pytest.raises(services.AlertError):
        _check(bob, "Tony", "name")
    with pytest.raises(services.AlertError):
        _check(bob, "  @ ")
    assert not ScreeningCount.objects.exists()


def test_it_keeps_members_within_the_daily_limit(alice, org_a):
    org_a.screening_daily_limit = 3
    org_a.save()
    alice.refresh_from_db()
    assert [_check(alice).left_today for _ in range(3)] == [2, 1, 0]
    with pytest.raises(services.ScreeningLimitReached):
        _check(alice)
    assert ScreeningCount.objects.get(membership=alice).count == 3
    with clock.travel(timedelta(days=1)):
        assert _check(alice).left_today == 2
        assert _check(alice).left_today == 1
    # The organisation's statistics count each day's checks on that day's row (refused checks not counted).
    assert list(ScreeningTally.objects.order_by("day").values_list("count", flat=True)) == [3, 2]


def test_it_keeps_only_counts_of_checks_never_the_value_or_its_hash(alice, bob, frank, areas):
    """A seized database, or the cache, must not say what anyone looked up."""
    make_report(alice, areas["nairobi"])
    before = _database_text()
    unreported = "+254 799 888 777"
    _check(frank, unreported)
    _check(frank, PHONE)
    _check(bob, "@someone_else", "handle")
    after = _database_text()
    cached = b"".join(key.encode() + value for key, value in cache_entries().items())
    for text in (unreported, "799888777", "+254799888777", "someone_else"):
        assert text not in after and text.encode() not in cached, text
    for kind in ("phone", "handle", "email", "plate"):
        for value in ("+254799888777", "someone_else"):
            assert identifier_key(kind, value) not in after
            assert identifier_key(kind, value).encode() not in cached
    # The reported number's hash is where it was before the checks, and nowhere new.
    reported = identifier_key("phone", PHONE_E164)
    assert after.count(reported) == before.count(reported) == 1
    assert ScreeningCount.objects.get(membership=frank).count == 2
    assert ScreeningCount.objects.get(membership=bob).count == 1
    assert ScreeningTally.objects.get(organisation=alice.organisation).count == 3


@pytest.mark.django_db(transaction=True)
def test_its_counters_do_not_wait_for_the_disk_on_postgresql_unless_inside_a_larger_transaction(org_a):
    member = make_member(org_a, "gina", Role.MEMBER)
    _check(member)  # the day's first check makes the day's counter rows
    with CaptureQueriesContext(connection) as alone:
        _check(member)
    with transaction.atomic():
        _check(member)
        setting = _commit_setting()
    statements = [q["sql"] for q in alone.captured_queries]
    if connection.vendor == "postgresql":
        # Take, tally and lookup in one round trip, whose commit alone is relaxed.
        assert len(statements) == 1 and "CASE WHEN true THEN 'off'" in statements[0]
        assert setting == "on"
        assert _commit_setting() == "on"
    else:
        assert not [sql for sql in statements if "synchronous_commit" in sql]
    assert ScreeningCount.objects.get(membership=member).count == 3
    assert ScreeningTally.objects.get(organisation=org_a).count == 3


def _commit_setting():
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_a_check_counts_for_the_organisation_even_when_its_days_tally_is_missing(alice, org_a):
    """The member's row for the day exists but not the organisation's (made apart, or lost to a crash)."""
    ScreeningCount.objects.create(membership=alice, day=clock.now().date())
    assert _check(alice).left_today == org_a.screening_daily_limit - 1
    assert ScreeningTally.objects.get(organisation=org_a).count == 1
    assert ScreeningCount.objects.get(membership=alice).count == 1


def test_it_answers_from_the_network_only_when_both_organisations_share(alice, olga, org_a, org_b, areas):
    make_report(alice, areas["nairobi"], phone="+254712345678")
    assert _check(olga, "+254712345678").reports == 1  # both share by default
    org_a.shares_with_network = False
    org_a.save()
    assert _check(olga, "+254712345678").reports == 0
    org_a.shares_with_network = True
    org_a.save()
    org_b.shares_with_network = False
    org_b.save()
    olga.refresh_from_db()
    assert _check(olga, "+254712345678").reports == 0
    alice.refresh_from_db()
    assert _check(alice, "+254712345678").reports == 1  # its own organisation's reports always count


# Retention --------------------------------------------------------------------------------------------------


def test_it_deletes_expired_alerts_with_their_reports_and_identifiers_for_real(bob, alice, frank, areas, org_a):
    org_a.alert_retention_months = 2
    org_a.save()
    bob.refresh_from_db()
    alert = make_alert(bob, alice, areas["nairobi"])
    services.report_attach(actor=bob, report=make_report(frank, areas["nairobi"]), alert=alert)
    with clock.travel(timedelta(days=55)):
        assert services.alerts_purge() == {
            "identifiers": 0,
            "reports": 0,
            "alerts": 0,
            "police_alerts": 0,
            "screening_counts": 0,
        }
    with clock.travel(timedelta(days=63)):
        deleted = services.alerts_purge()
    assert (deleted["alerts"], deleted["reports"], deleted["identifiers"]) == (1, 2, 2)
    for table in ("alerts_alert", "alerts_report", "alerts_identifier", "alerts_alert_areas"):
        assert _raw(table, "id") == [], table
    # The figures for M&E survive, with no link to anything that was deleted.
    assert sum(IncidentTally.objects.values_list("count", flat=True)) == 4
    assert dict(AlertTally.objects.values_list("category", "count")) == {"": 1, "non_payment": 1, "threats": 1}


def test_it_deletes_rejected_reports_30_days_after_rejection(bob, alice, areas):
    report = make_report(alice, areas["nairobi"])
    with clock.travel(timedelta(days=5)):
        services.report_reject(actor=bob, report=report, reason="duplicate")
    with clock.travel(timedelta(days=34)):
        services.alerts_purge()
    assert Report.objects.filter(pk=report.pk).exists()
    with clock.travel(timedelta(days=35, hours=1)):
        services.alerts_purge()
    assert not Report.objects.filter(pk=report.pk).exists()
    assert not Identifier.objects.exists()


def test_it_deletes_reports_never_made_into_an_alert_after_the_retention_period(alice, bob, areas):
    pending = make_report(alice, areas["nairobi"])
    recorded = make_report(alice, areas["nairobi"], consent_alert=False)
    services.report_record(actor=bob, report=recorded)
    with clock.travel(timedelta(days=360)):
        services.alerts_purge()
    assert Report.objects.count() == 2
    with clock.travel(timedelta(days=370)):
        services.alerts_purge()
    assert not Report.objects.filter(pk__in=[pending.pk, recorded.pk]).exists()


def test_it_forgets_yesterdays_screening_counts(alice):
    _check(alice)
    with clock.travel(timedelta(days=1)):
        assert services.alerts_purge()["screening_counts"] == 1


def test_it_runs_the_purge_as_a_task(bob, alice, areas):
    from sombrilla.alerts.tasks import alerts_purge_task

    make_alert(bob, alice, areas["nairobi"])
    with clock.travel(timedelta(days=400)):
        assert alerts_purge_task.call()["alerts"] == 1
    assert not Alert.objects.exists()


# Accounts ----------------------------------------------------------------------------------------------------


def test_it_exports_the_members_own_reports_decrypted(alice, bob, areas):
    make_report(alice, areas["nairobi"], plate="KDA 123A")
    services.police_alert_create(actor=alice, area=areas["nairobi"], kind="raid", minutes_ago=0, note="Two vans")
    services.area_follow_set(actor=alice, areas=[areas["nairobi"]])
    make_report(bob, areas["nairobi"], account="Bob's own report")
    export = account_selectors.account_export(account=alice.account)
    reports = export["alerts"]["reports"]
    assert len(reports) == 1
    assert reports[0]["account"] == "He refused to pay and threatened to tell my family."
    assert {i["value"] for i in reports[0]["identifiers"]} == {PHONE_E164, "KDA123A"}
    assert reports[0]["consent"] == {"alert_for_peers": True, "lawyers_or_police": False, "anonymous_statistics": True}
    assert export["alerts"]["police_alerts"][0]["note"] == "Two vans"
    assert export["alerts"]["areas_followed"] == ["Nairobi"]
    assert "Bob's own report" not in json.dumps(export)


def test_it_deletes_unpublished_reports_with_the_account_and_keeps_published_ones_unlinked(alice, bob, areas):
    published = make_alert(bob, alice, areas["nairobi"]).reports.get()
    pending = make_report(alice, areas["nairobi"], phone="+254700000009")
    rejected = make_report(alice, areas["nairobi"], phone="+254700000008")
    services.report_reject(actor=bob, report=rejected, reason="no")
    account_services.account_delete(account=alice.account, passphrase=PASSPHRASE)
    assert list(Report.objects.values_list("pk", flat=True)) == [published.pk]
    published.refresh_from_db()
    assert published.reporter is None and published.status == Report.Status.PUBLISHED
    assert not Identifier.objects.filter(report_id__in=[pending.pk, rejected.pk]).exists()


def test_it_schedules_the_purge_with_the_worker(db, settings):
    from django_tasks import TaskResultStatus

    from sombrilla.alerts.tasks import alerts_purge_enqueue, alerts_purge_task

    assert ("sombrilla.alerts.tasks.alerts_purge_enqueue", 3600) in settings.SCHEDULED_JOBS
    queued = alerts_purge_enqueue()
    # Read back from whichever queue is configured (the database, or RQ on Redis).
    assert alerts_purge_task.get_result(queued.id).status == TaskResultStatus.READY
