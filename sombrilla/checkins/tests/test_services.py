"""Check-in services against the real database: buddies, PINs, plans, every escalation step and retention."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.http import Http404

from sombrilla.accounts import services as account_services
from sombrilla.accounts.models import Role
from sombrilla.alerts.tests.factories import make_alert, make_areas
from sombrilla.checkins import selectors, services
from sombrilla.checkins.models import Buddy, ContactLink, Plan, Responder, Step
from sombrilla.checkins.services import CheckinError
from sombrilla.checkins.tests.factories import lapse, make_plan, member_buddy, outside_buddy
from sombrilla.conftest import make_member
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.notify.models import Channel, Delivery, Dispatch, Topic

pytestmark = pytest.mark.django_db


def _told(plan, topic) -> set:
    """Who an in-app notification of `topic` about the plan reached, by pseudonym."""
    return set(
        Delivery.objects.filter(dispatch__target_id=plan.pk, dispatch__topic=topic, channel=Channel.INAPP).values_list(
            "membership__account__pseudonym", flat=True
        )
    )


def _kinds(plan) -> list[str]:
    return list(plan.steps.order_by("fired_at", "kind").values_list("kind", flat=True))


def _raw(table: str, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex if connection.vendor == "sqlite" else pk])  # noqa: S608
        return cursor.fetchone()[0]


# Settings and PINs ------------------------------------------------------------------------------------


class TestSafetySettings:
    def test_it_keeps_pins_hashed_and_refuses_bad_ones(self, alice):
        found = services.safety_settings_update(membership=alice, grace_minutes=20, pin="1234", duress_pin="9876")
        assert found.grace_minutes == 20
        assert "1234" not in found.pin_hash and found.pin_hash.startswith("md5$")
        for pin, duress, message in [
            ("12", "", "A PIN is 4 to 8 digits."),
            ("12ab", "", "A PIN is 4 to 8 digits."),
            ("١٢٣٤", "", "A PIN is 4 to 8 digits."),  # Arabic-Indic digits: not what a keypad PIN field sends
            ("5555", "5555", "The duress PIN must differ from your check-in PIN."),
            ("", "1234", "The duress PIN must differ from your check-in PIN."),
            ("9876", "", "The duress PIN must differ from your check-in PIN."),
        ]:
            with pytest.raises(CheckinError, match=message):
                services.safety_settings_update(membership=alice, grace_minutes=20, pin=pin, duress_pin=duress)

    def test_a_duress_pin_needs_a_check_in_pin_and_the_wait_has_bounds(self, alice):
        with pytest.raises(CheckinError, match="Set a check-in PIN before a duress PIN."):
            services.safety_settings_update(membership=alice, grace_minutes=15, duress_pin="1234")
        for minutes in (4, 121):
            with pytest.raises(CheckinError, match="5 to 120 minutes"):
                services.safety_settings_update(membership=alice, grace_minutes=minutes)

    def test_removing_pins_clears_both(self, alice):
        services.safety_settings_update(membership=alice, grace_minutes=15, pin="1234", duress_pin="9876")
        found = services.safety_settings_update(membership=alice, grace_minutes=15, remove_pins=True)
        assert found.pin_hash == found.duress_pin_hash == ""


# Buddies ----------------------------------------------------------------------------------------------


class TestBuddies:
    def test_a_member_buddy_is_asked_and_counts_once_they_accept(self, alice, erin):
        buddy = services.buddy_add_member(actor=alice, pseudonym="ERIN")
        assert buddy.status == Buddy.Status.INVITED
        request = Dispatch.objects.get(topic=Topic.BUDDY_REQUEST, target_id=buddy.pk)
        assert set(request.deliveries.values_list("membership_id", flat=True)) == {erin.pk}
        with pytest.raises(CheckinError, match="This request was not sent to you."):
            services.buddy_answer(actor=alice, buddy=buddy, accept=True)
        services.buddy_answer(actor=erin, buddy=buddy, accept=True)
        with pytest.raises(CheckinError, match="already answered"):
            services.buddy_answer(actor=erin, buddy=buddy, accept=False)

    def test_it_refuses_oneself_strangers_and_repeats_with_one_answer_for_unknown_and_foreign(self, alice, erin, olga):
        with pytest.raises(CheckinError, match="cannot be your own buddy"):
            services.buddy_add_member(actor=alice, pseudonym="alice")
        for name in ("nobody", "olga"):
            with pytest.raises(CheckinError, match="No member of your organisation has that name."):
                services.buddy_add_member(actor=alice, pseudonym=name)
        services.buddy_add_member(actor=alice, pseudonym="erin")
        with pytest.raises(CheckinError, match="already asked"):
            services.buddy_add_member(actor=alice, pseudonym="erin")

    def test_no_more_than_five_count_and_a_declined_one_frees_a_place(self, org_a, alice):
        others = [make_member(org_a, f"peer{i}") for i in range(6)]
        asked = [services.buddy_add_member(actor=alice, pseudonym=f"peer{i}") for i in range(5)]
        with pytest.raises(CheckinError, match="up to 5 buddies"):
            outside_buddy(alice)
        services.buddy_answer(actor=others[0], buddy=asked[0], accept=False)
        services.buddy_add_member(actor=alice, pseudonym="peer5")

    def test_an_outside_contact_is_normalised_encrypted_and_counts_at_once(self, alice):
        buddy = outside_buddy(alice, contact="0700 111 222")
        assert buddy.contact == "+254700111222" and buddy.status == Buddy.Status.ACCEPTED
        assert "700111222" not in _raw("checkins_buddy", "contact", buddy.pk)
        with pytest.raises(CheckinError, match="phone number"):
            outside_buddy(alice, contact="not a number")
        with pytest.raises(CheckinError, match="email address"):
            outside_buddy(alice, kind=Buddy.Kind.EMAIL, contact="no-at-sign")
        with pytest.raises(CheckinError, match="by SMS or by email"):
            services.buddy_add_outside(actor=alice, kind="push", contact="x", name="x")

    def test_either_side_may_end_it_but_nobody_else(self, alice, erin, frank):
        buddy = member_buddy(alice, erin)
        with pytest.raises(CheckinError, match="not yours to remove"):
            services.buddy_remove(actor=frank, buddy=buddy)
        services.buddy_remove(actor=erin, buddy=buddy)
        assert not Buddy.objects.exists()


# Plans and their timers -------------------------------------------------------------------------------


class TestPlanCreate:
    def test_it_refuses_impossible_times_and_too_many_open_plans(self, alice):
        now = clock.now()
        for starts, ends, message in [
            (now, now - timedelta(minutes=1), "must be in the future"),
            (now + timedelta(hours=2), now + timedelta(hours=1), "must come after the start"),
            (now, now + timedelta(hours=25), "up to 24 hours"),
        ]:
            with pytest.raises(CheckinError, match=message):
                services.plan_create(actor=alice, starts_at=starts, ends_at=ends)
        for _i in range(services.MAX_OPEN_PLANS):
            make_plan(alice)
        with pytest.raises(CheckinError, match="too many open plans"):
            make_plan(alice)

    def test_details_are_encrypted_and_identifiers_normalised(self, alice):
        plan = make_plan(alice, place="Hotel Azul", identifiers=[("phone", "0712 345 678"), ("plate", "kbc-123a")])
        assert services.plan_identifiers(plan) == [("phone", "+254712345678"), ("plate", "KBC123A")]
        assert "Azul" not in _raw("checkins_plan", "place", plan.pk)
        assert "KBC123A" not in _raw("checkins_plan", "identifiers", plan.pk)
        with pytest.raises(CheckinError, match="Choose what you are checking"):
            make_plan(alice, identifiers=[("name", "John")])

    def test_a_client_with_published_alerts_comes_back_as_a_warning(self, org_a, alice, bob, erin):
        areas = make_areas(org_a)
        make_alert(bob, erin, areas["nairobi"])
        now = clock.now()
        _plan, warnings = services.plan_create(
            actor=alice,
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            identifiers=[("phone", "+254 712 345678"), ("plate", "ZZZ999")],
        )
        assert len(warnings) == 1
        assert warnings[0].kind == "phone" and warnings[0].reports == 1 and warnings[0].confirmed
        assert "non-payment" in warnings[0].categories


class TestEscalation:
    def test_nothing_fires_before_the_end(self, alice, erin):
        member_buddy(alice, erin)
        plan = make_plan(alice, minutes=60)
        lapse(plan, 59)
        assert _kinds(plan) == []

    def test_it_asks_at_the_end_then_alerts_buddies_then_the_duty_staff(
        self, sms_peer, org_a, alice, erin, frank, carol, dana
    ):
        member_buddy(alice, erin)
        services.buddy_add_member(actor=alice, pseudonym="frank")  # asked, never answered: not alerted
        outside_buddy(alice)
        plan = make_plan(alice, minutes=60)
        lapse(plan, 60)
        assert _kinds(plan) == [Step.Kind.ASK] and _told(plan, Topic.CHECKIN_DUE) == {"alice"}
        assert plan.status == Plan.Status.ACTIVE
        lapse(plan, 74)
        assert _kinds(plan) == [Step.Kind.ASK]
        lapse(plan, 75)
        assert plan.status == Plan.Status.ESCALATED
        assert _kinds(plan) == [Step.Kind.ASK, Step.Kind.BUDDIES]
        assert _told(plan, Topic.CHECKIN_ALERT) == {"erin"}
        sms = Delivery.objects.get(dispatch__target_id=plan.pk, channel=Channel.SMS)
        assert sms.destination == "+254700111222" and "/c/" in sms.message and "Rosa" in sms.message
        assert ContactLink.objects.filter(plan=plan).count() == 1
        lapse(plan, 89)
        assert Step.Kind.STAFF not in _kinds(plan)
        lapse(plan, 90)
        # Nobody on the rota: every staff member and admin is told.
        assert _told(plan, Topic.CHECKIN_ALERT) == {"erin", "carol", "dana"}
        assert plan.next_step_at is None

    def test_the_rota_decides_which_staff_are_told(self, org_a, alice, carol, dana):
        # A fixed hour: a shift made from "an hour either side of now" wraps past midnight when run near it.
        wednesday_noon = datetime(2026, 12, 2, 12, tzinfo=UTC)
        services.duty_slot_add(actor=dana, membership=carol, weekday=2, start=time(11), end=time(13))
        assert services.on_duty(organisation=org_a, now=wednesday_noon) == [carol.pk]
        assert set(services.on_duty(organisation=org_a, now=wednesday_noon + timedelta(hours=1))) == {
            carol.pk,
            dana.pk,
        }
        assert AuditEntry.objects.filter(action=AuditAction.DUTY_ROTA_CHANGED).count() == 1

    def test_a_shift_past_midnight_covers_the_early_hours_of_the_next_day(self, org_a, carol, dana):
        services.duty_slot_add(actor=dana, membership=carol, weekday=0, start=time(22), end=time(6))
        monday_23 = datetime(2026, 11, 30, 23, tzinfo=UTC)
        assert services.on_duty(organisation=org_a, now=monday_23) == [carol.pk]
        assert services.on_duty(organisation=org_a, now=monday_23 + timedelta(hours=6)) == [carol.pk]
        assert set(services.on_duty(organisation=org_a, now=monday_23 + timedelta(hours=8))) == {carol.pk, dana.pk}

    def test_only_staff_go_on_the_rota(self, alice, carol, dana):
        with pytest.raises(CheckinError, match="Only staff of the organisation can be on duty."):
            services.duty_slot_add(actor=dana, membership=alice, weekday=0, start=time(9), end=time(17))
        with pytest.raises(CheckinError, match="Only staff can do this."):
            services.duty_slot_add(actor=alice, membership=carol, weekday=0, start=time(9), end=time(17))

    def test_a_step_fires_once_however_often_the_scheduler_looks(self, alice, erin):
        member_buddy(alice, erin)
        plan = make_plan(alice, minutes=1)
        for _i in range(3):
            lapse(plan, 16)
        assert _kinds(plan) == [Step.Kind.BUDDIES]  # the ask was overtaken: its deadline had passed with the wait
        assert Delivery.objects.filter(dispatch__topic=Topic.CHECKIN_ALERT, membership=erin).count() == 1

    def test_with_no_buddy_the_staff_are_told_at_once(self, alice, carol):
        plan = make_plan(alice, minutes=1)
        lapse(plan, 16)
        assert _kinds(plan) == [Step.Kind.BUDDIES, Step.Kind.STAFF]
        assert "carol" in _told(plan, Topic.CHECKIN_ALERT) and plan.next_step_at is None

    def test_extending_moves_the_deadline_and_asks_again_at_the_new_one(self, alice):
        plan = make_plan(alice, minutes=10)
        lapse(plan, 10)
        with clock.travel(timedelta(minutes=11)):
            services.plan_extend(actor=alice, plan=plan, minutes=30)
        plan.refresh_from_db()
        assert plan.next_step_at == plan.ends_at
        lapse(plan, 41)
        assert _kinds(plan) == [Step.Kind.ASK, Step.Kind.ASK]
        for minutes in (10, 0, -15):
            with pytest.raises(CheckinError, match="15, 30 or 60"):
                services.plan_extend(actor=alice, plan=plan, minutes=minutes)

    def test_no_extension_once_the_buddies_know(self, alice):
        plan = make_plan(alice, minutes=1)
        lapse(plan, 16)
        with pytest.raises(CheckinError, match="already been alerted"):
            services.plan_extend(actor=alice, plan=plan, minutes=15)


class TestCheckIn:
    def test_a_safe_check_in_stops_the_timers_and_is_deleted_after_a_day(self, alice, erin):
        member_buddy(alice, erin)
        plan = make_plan(alice, minutes=30)
        services.plan_check_in(actor=alice, plan=plan)
        plan.refresh_from_db()
        assert plan.status == Plan.Status.SAFE and plan.next_step_at is None
        lapse(plan, 120)
        assert _kinds(plan) == []
        with pytest.raises(CheckinError, match="already closed"):
            services.plan_check_in(actor=alice, plan=plan)
        with clock.travel(timedelta(hours=23)):
            assert services.plans_purge() == 0
        with clock.travel(timedelta(hours=25)):
            assert services.plans_purge() == 1
        assert not Plan.objects.exists()

    def test_the_pin_is_required_once_set(self, alice):
        services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468")
        plan = make_plan(alice)
        for wrong in ("", "1111"):
            with pytest.raises(CheckinError, match="That PIN is not right."):
                services.plan_check_in(actor=alice, plan=plan, pin=wrong)
        plan.refresh_from_db()
        assert plan.wrong_pins == 2 and plan.status == Plan.Status.ACTIVE
        services.plan_check_in(actor=alice, plan=plan, pin=" 2468 ")
        plan.refresh_from_db()
        assert plan.status == Plan.Status.SAFE

    def test_the_duress_pin_looks_safe_to_the_member_and_alerts_everyone_else_at_once(self, alice, erin, carol):
        member_buddy(alice, erin)
        services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468", duress_pin="1357")
        plan = make_plan(alice)
        services.plan_check_in(actor=alice, plan=plan, pin="1357")
        plan.refresh_from_db()
        assert plan.status == Plan.Status.ESCALATED and plan.duress
        assert selectors.member_status(plan) == Plan.Status.SAFE
        assert selectors.plan_get_for_member(actor=alice, plan_id=plan.pk).shown_status == Plan.Status.SAFE
        assert _kinds(plan) == [Step.Kind.BUDDIES, Step.Kind.STAFF]
        assert _told(plan, Topic.CHECKIN_SOS) == {"erin", "carol", "dana"}
        assert "alice" not in _told(plan, Topic.CHECKIN_SOS)
        assert selectors.escalation_record(plan=plan, for_member=True) == []
        assert selectors.escalation_record(plan=plan, for_member=False)

    def test_the_duress_pin_after_the_alert_shows_closed_as_a_real_check_in_would(self, alice, erin):
        member_buddy(alice, erin)
        services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468", duress_pin="1357")
        real, duress = make_plan(alice, minutes=1), make_plan(alice, minutes=1)
        lapse(real, 16)
        duress.refresh_from_db()
        with clock.travel(timedelta(minutes=17)):
            services.plan_check_in(actor=alice, plan=real, pin="2468")
            services.plan_check_in(actor=alice, plan=duress, pin="1357")
        real.refresh_from_db()
        duress.refresh_from_db()
        assert real.status == selectors.member_status(duress) == Plan.Status.CLOSED
        assert duress.status == Plan.Status.ESCALATED and Step.Kind.STOOD_DOWN not in _kinds(duress)

    def test_a_silent_alert_is_kept_for_responders_but_leaves_the_members_list_when_a_safe_one_would(self, alice, erin):
        member_buddy(alice, erin)
        services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468", duress_pin="1357")
        plan = make_plan(alice)
        services.plan_check_in(actor=alice, plan=plan, pin="1357")
        with clock.travel(timedelta(hours=23)):
            assert [p.pk for p in selectors.plans_of(actor=alice)] == [plan.pk]
        with clock.travel(timedelta(hours=25)):
            assert selectors.plans_of(actor=alice) == []
            with pytest.raises(Http404):
                selectors.plan_get_for_member(actor=alice, plan_id=plan.pk)
            assert services.plans_purge() == 0
            assert selectors.plan_get_for_responder(actor=erin, plan_id=plan.pk) == plan

    def test_an_sos_after_a_duress_check_in_shows_the_alert_she_raised(self, alice, erin):
        member_buddy(alice, erin)
        services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468", duress_pin="1357")
        plan = make_plan(alice)
        services.plan_check_in(actor=alice, plan=plan, pin="1357")
        services.plan_sos(actor=alice, plan=plan)
        plan.refresh_from_db()
        assert not plan.duress and selectors.member_status(plan) == Plan.Status.ESCALATED

    def test_extending_after_wrong_pins_looks_like_it_worked_and_the_alert_goes_on(self, alice, erin, carol):
        member_buddy(alice, erin)
        services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468")
        plan = make_plan(alice)
        for _i in range(services.MAX_WRONG_PINS):
            with pytest.raises(CheckinError):
                services.plan_check_in(actor=alice, plan=plan, pin="0000")
        before = Plan.objects.get(pk=plan.pk).ends_at
        extended = services.plan_extend(actor=alice, plan=plan, minutes=30)
        assert extended.ends_at >= before + timedelta(minutes=30)
        assert selectors.member_status(extended) == Plan.Status.ACTIVE
        lapse(plan, 16)
        assert "carol" in _told(plan, Topic.CHECKIN_SOS)

    def test_too_many_wrong_pins_raise_the_alert_in_silence(self, alice, erin):
        member_buddy(alice, erin)
        services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468")
        plan = make_plan(alice)
        for _i in range(services.MAX_WRONG_PINS):
            with pytest.raises(CheckinError, match="That PIN is not right."):
                services.plan_check_in(actor=alice, plan=plan, pin="0000")
        plan.refresh_from_db()
        assert plan.duress and plan.status == Plan.Status.ESCALATED
        assert selectors.member_status(plan) == Plan.Status.ACTIVE
        assert Step.objects.get(plan=plan, kind=Step.Kind.BUDDIES).reason == Step.Reason.WRONG_PINS

    def test_checking_in_after_the_alert_tells_everyone_it_is_over(self, sms_peer, alice, erin, carol):
        member_buddy(alice, erin)
        outside_buddy(alice)
        plan = make_plan(alice, minutes=1)
        lapse(plan, 16)
        with clock.travel(timedelta(minutes=17)):
            services.plan_check_in(actor=alice, plan=plan)
        plan.refresh_from_db()
        assert plan.status == Plan.Status.CLOSED and plan.outcome == Plan.Outcome.SAFE
        assert _told(plan, Topic.CHECKIN_OVER) == {"erin"}
        over = Delivery.objects.get(dispatch__topic=Topic.CHECKIN_OVER, channel=Channel.SMS)
        assert "over" in over.message and "/c/" not in over.message
        lapse(plan, 60)
        assert Step.Kind.STAFF not in _kinds(plan)

    def test_only_the_member_checks_in(self, alice, erin):
        plan = make_plan(alice)
        with pytest.raises(CheckinError, match="not yours"):
            services.plan_check_in(actor=erin, plan=plan)


class TestSos:
    def test_an_sos_without_a_plan_alerts_buddies_and_staff_at_once_with_the_location(self, alice, erin, carol):
        member_buddy(alice, erin)
        plan = services.plan_sos(actor=alice, location={"lat": "-1.2921", "lon": 36.8219, "accuracy": 30})
        assert plan.status == Plan.Status.ESCALATED and not plan.duress
        assert _kinds(plan) == [Step.Kind.BUDDIES, Step.Kind.STAFF]
        assert {"erin", "carol"} <= _told(plan, Topic.CHECKIN_SOS)
        assert "36.8219" not in _raw("checkins_plan", "location", plan.pk)
        plan.refresh_from_db()
        assert '"lat": -1.2921' in plan.location

    @pytest.mark.parametrize(
        "location", [{"lat": 91, "lon": 0}, {"lat": "x", "lon": 0}, {"lon": 1}, {"lat": 0, "lon": 0, "accuracy": -1}]
    )
    def test_a_location_that_cannot_be_read_is_refused_clearly(self, alice, location):
        with pytest.raises(CheckinError, match="location from this device could not be read"):
            services.plan_sos(actor=alice, location=location)

    def test_an_sos_on_a_plan_fires_only_what_has_not_fired(self, alice, erin):
        member_buddy(alice, erin)
        plan = make_plan(alice, minutes=1)
        lapse(plan, 16)
        with clock.travel(timedelta(minutes=17)):
            services.plan_sos(actor=alice, plan=plan)
        assert _kinds(plan) == [Step.Kind.BUDDIES, Step.Kind.STAFF]
        assert Delivery.objects.filter(dispatch__target_id=plan.pk, membership=erin, channel=Channel.INAPP).count() == 1


class TestResponders:
    def test_an_alerted_buddy_and_staff_may_respond_and_read_others_may_not(self, alice, erin, frank, carol):
        member_buddy(alice, erin)
        plan = make_plan(alice, minutes=1)
        with pytest.raises(CheckinError, match="not open to you"):
            services.plan_respond(actor=erin, plan=plan)
        lapse(plan, 16)
        services.plan_respond(actor=erin, plan=plan)
        services.plan_respond(actor=erin, plan=plan)
        services.plan_respond(actor=carol, plan=plan)
        with pytest.raises(CheckinError, match="not open to you"):
            services.plan_respond(actor=frank, plan=plan)
        assert selectors.responders_of(plan=plan) == ["erin", "carol"]
        assert AuditEntry.objects.filter(action=AuditAction.PLAN_RESPONDED).count() == 2
        assert selectors.plan_get_for_responder(actor=erin, plan_id=plan.pk) == plan

    def test_a_buddy_reads_the_alert_while_it_is_open_and_staff_after_it_closed(self, alice, erin, carol):
        member_buddy(alice, erin)
        plan = make_plan(alice, minutes=1)
        lapse(plan, 16)
        assert selectors.plan_get_for_responder(actor=erin, plan_id=plan.pk) == plan
        services.plan_close(actor=carol, plan=plan, outcome=Plan.Outcome.SAFE)
        with pytest.raises(Http404):
            selectors.plan_get_for_responder(actor=erin, plan_id=plan.pk)
        assert selectors.plan_get_for_responder(actor=carol, plan_id=plan.pk) == plan

    def test_an_outside_contact_link_opens_is_audited_and_dies_with_the_alert(self, sms_peer, alice, carol):
        outside_buddy(alice)
        plan = make_plan(alice, minutes=1)
        lapse(plan, 16)
        message = Delivery.objects.get(dispatch__target_id=plan.pk, channel=Channel.SMS).message
        token = message.split("/c/")[1].split("/")[0]
        opened, buddy = services.link_open(token=token)
        assert opened == plan and buddy.name == "Sis"
        services.link_open(token=token, respond=True)
        assert Responder.objects.filter(plan=plan, buddy=buddy).count() == 1
        viewed = AuditEntry.objects.get(action=AuditAction.PLAN_VIEWED)
        assert viewed.actor is None and viewed.actor_label == "outside contact: Sis"
        with pytest.raises(CheckinError, match="expired or does not exist"):
            services.link_open(token=token + "x")
        with clock.travel(timedelta(hours=25)), pytest.raises(CheckinError, match="expired or does not exist"):
            services.link_open(token=token)
        services.plan_close(actor=carol, plan=plan, outcome=Plan.Outcome.SAFE)
        with pytest.raises(CheckinError, match="This alert is over"):
            services.link_open(token=token)


class TestClose:
    def test_staff_close_with_an_outcome_audited_and_others_cannot(self, alice, erin, carol, olga):
        plan = make_plan(alice, minutes=1)
        lapse(plan, 16)
        for stranger in (erin, olga):
            with pytest.raises(CheckinError, match="Only the member or staff"):
                services.plan_close(actor=stranger, plan=plan, outcome=Plan.Outcome.SAFE)
        with pytest.raises(CheckinError, match="how it ended"):
            services.plan_close(actor=carol, plan=plan, outcome="fine")
        services.plan_close(actor=carol, plan=plan, outcome=Plan.Outcome.INCIDENT, note="Robbed, safe now")
        plan.refresh_from_db()
        assert plan.status == Plan.Status.CLOSED and plan.closed_by == carol
        assert AuditEntry.objects.filter(action=AuditAction.PLAN_CLOSED, actor=carol).exists()
        assert plan.delete_after == plan.closed_at + timedelta(days=30)

    def test_a_closed_escalated_plan_is_kept_for_the_retention_period_then_deleted_with_its_messages(self, alice, erin):
        member_buddy(alice, erin)
        plan = make_plan(alice, minutes=1)
        lapse(plan, 16)
        services.plan_close(actor=alice, plan=plan, outcome=Plan.Outcome.SAFE)
        with clock.travel(timedelta(days=29)):
            assert services.plans_purge() == 0
        with clock.travel(timedelta(days=31)):
            assert services.plans_purge() == 1
        assert not Dispatch.objects.filter(target_id=plan.pk).exists()
        assert not Delivery.objects.filter(dispatch__target_id=plan.pk).exists()


def test_deleting_an_account_deletes_its_plans_and_their_messages(org_a, alice, erin):
    member_buddy(alice, erin)
    plan = make_plan(alice, minutes=1)
    lapse(plan, 16)
    from sombrilla.conftest import PASSPHRASE

    account_services.account_delete(account=alice.account, passphrase=PASSPHRASE)
    assert not Plan.objects.exists() and not Dispatch.objects.filter(target_id=plan.pk).exists()


def test_an_analyst_or_suspended_member_cannot_use_check_ins(org_a, nina, alice, dana):
    with pytest.raises(CheckinError, match="Only members"):
        make_plan(nina)
    suspended = make_member(org_a, "sam", Role.MEMBER)
    account_services.membership_suspend(actor=dana, membership=suspended)
    suspended.refresh_from_db()
    with pytest.raises(CheckinError, match="Only members"):
        services.plan_sos(actor=suspended)


def test_it_schedules_the_timers_and_the_purge_with_the_worker(db, settings):
    from django_tasks import TaskResultStatus

    from sombrilla.checkins.tasks import plans_purge_enqueue, plans_purge_task

    assert ("sombrilla.checkins.services.plans_fire_due", settings.SCHEDULER_TICK_SECONDS) in settings.SCHEDULED_JOBS
    assert ("sombrilla.checkins.tasks.plans_purge_enqueue", 600) in settings.SCHEDULED_JOBS
    queued = plans_purge_enqueue()
    assert plans_purge_task.get_result(queued.id).status == TaskResultStatus.READY
