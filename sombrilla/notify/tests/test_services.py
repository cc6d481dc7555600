"""The notification services: members' choices and destinations, the outbox written with what it announces,
leases, retries with back-off, dead letters, quiet hours and the scheduler's sweep."""

import json
import re
import threading
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from sombrilla.accounts.models import Membership
from sombrilla.conftest import make_member
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.notify import selectors, services
from sombrilla.notify.channels import Outcome
from sombrilla.notify.models import Channel, Contact, Delivery, Dispatch, Preference, PushSubscription, Topic
from sombrilla.notify.tests.factories import dispatch, key_of, outgoing, reachable, tell_outside


def _at(moment: datetime):
    """Move the clock so that clock.now() is `moment` (give or take the milliseconds the test takes)."""
    return clock.travel(moment - timezone.now())


def _raw_column(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608  fixed names from this test module
        return [str(row[0]) for row in cursor.fetchall()]


# Members' choices ----------------------------------------------------------------------------------


def test_it_offers_only_the_channels_the_site_is_configured_for(alice, no_channels, smtp_peer):
    assert services.channels_available() == [Channel.EMAIL]
    with pytest.raises(services.NotifyError, match="cannot send notifications that way"):
        services.preference_update(
            membership=alice, channels=["sms"], discreet=True, quiet_start=None, quiet_end=None, timezone="UTC"
        )
    assert services.preference_get(membership=alice).channels == [Channel.PUSH]  # the untouched default


def test_it_saves_a_members_channels_discretion_and_quiet_hours(alice, smtp_peer, sms_peer, push_peer):
    preference = services.preference_update(
        membership=alice,
        channels=["sms", "email", "sms"],
        discreet=False,
        quiet_start=time(22),
        quiet_end=time(6),
        timezone="Africa/Nairobi",
    )
    preference = Preference.objects.get(pk=preference.pk)
    assert preference.channels == ["email", "sms"]
    assert preference.discreet is False
    assert (preference.quiet_start, preference.quiet_end, preference.timezone) == (time(22), time(6), "Africa/Nairobi")


def test_it_is_discreet_until_the_member_says_otherwise(alice):
    assert services.preference_get(membership=alice).discreet is True


@pytest.mark.parametrize(
    ("quiet", "zone", "message"),
    [
        ((time(22), None), "UTC", "Quiet hours need both a start and an end."),
        ((None, time(6)), "UTC", "Quiet hours need both a start and an end."),
        ((time(22), time(22)), "UTC", "Quiet hours need a different start and end."),
        ((None, None), "Mars/Olympus_Mons", "Choose a time zone from the list."),
        ((None, None), "America", "Choose a time zone from the list."),  # a directory of the zone database
        ((None, None), "../../etc/passwd", "Choose a time zone from the list."),
        ((None, None), "", "Choose a time zone from the list."),
    ],
)
def test_it_refuses_half_quiet_hours_and_unknown_time_zones(alice, quiet, zone, message):
    with pytest.raises(services.NotifyError) as refused:
        services.preference_update(
            membership=alice, channels=[], discreet=False, quiet_start=quiet[0], quiet_end=quiet[1], timezone=zone
        )
    assert str(refused.value) == message
    assert services.preference_get(membership=alice).discreet is True  # nothing was saved


def test_it_keeps_contacts_normalised_and_encrypted(alice, smtp_peer, sms_peer):
    services.contact_set(membership=alice, channel=Channel.EMAIL, contact="  Alice.Example@Example.ORG ")
    services.contact_set(membership=alice, channel=Channel.SMS, contact="0712 345 678")  # org A is in Kenya
    saved = {c.channel: c.contact for c in Contact.objects.filter(membership=alice)}
    assert saved == {Channel.EMAIL: "alice.example@example.org", Channel.SMS: "+254712345678"}
    raw = " ".join(_raw_column("notify_contact", "contact"))
    assert "example.org" not in raw and "712345678" not in raw
    services.contact_set(membership=alice, channel=Channel.SMS, contact="+254 733 000 111")
    assert Contact.objects.get(membership=alice, channel=Channel.SMS).contact == "+254733000111"
    services.contact_set(membership=alice, channel=Channel.EMAIL, contact="  ")
    assert list(Contact.objects.filter(membership=alice).values_list("channel", flat=True)) == [Channel.SMS]


@pytest.mark.parametrize(
    ("channel", "value", "message"),
    [
        (Channel.EMAIL, "alice@", "That does not look like an email address."),
        (Channel.EMAIL, "not an email", "That does not look like an email address."),
        (Channel.SMS, "12", "That does not look like a phone number. Include the country code, e.g. +254…"),
        (Channel.SMS, "call me", "That does not look like a phone number. Include the country code, e.g. +254…"),
        (Channel.PUSH, "anything", "This site cannot send notifications that way."),
    ],
)
def test_it_refuses_a_destination_that_is_not_one(alice, channel, value, message):
    with pytest.raises(services.NotifyError) as refused:
        services.contact_set(membership=alice, channel=channel, contact=value)
    assert str(refused.value) == message
    assert not Contact.objects.exists()


def test_it_saves_contacts_and_choices_together_or_not_at_all(alice, smtp_peer, sms_peer):
    reachable(alice, email="alice@example.org", phone="+254712345678")
    choices = {"channels": ["email"], "discreet": False, "quiet_start": None, "quiet_end": None}
    with pytest.raises(services.NotifyError, match="Choose a time zone"):
        services.notification_settings_save(
            membership=alice, **choices, timezone="Mars/Olympus_Mons", contacts={"email": "new@example.org", "sms": ""}
        )
    assert dict(Contact.objects.filter(membership=alice).values_list("channel", "contact")) == {
        "email": "alice@example.org",
        "sms": "+254712345678",
    }
    services.notification_settings_save(
        membership=alice,
        **choices,
        timezone="UTC",
        contacts={"email": None, "sms": ""},  # keep, remove
    )
    assert dict(Contact.objects.filter(membership=alice).values_list("channel", "contact")) == {
        "email": "alice@example.org"
    }
    assert services.preference_get(membership=alice).discreet is False


# Push subscriptions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:6379/",
        "https://evil.example/push/1",
        "http://fcm.googleapis.com/fcm/send/abc",  # an allowed host, but not over HTTPS
        "https://fcm.googleapis.com.evil.example/fcm/send/abc",
        "https://notfcm.googleapis.com.example/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost/push",
        "file:///etc/passwd",
        "https:///no-host",
        "https://fcm.googleapis.com/" + "a" * 1000,
    ],
)
def test_it_refuses_push_endpoints_outside_the_allow_list(alice, push_peer, settings, endpoint):
    settings.PUSH_SERVICE_HOSTS = ["fcm.googleapis.com", "push.services.mozilla.com", push_peer.url]
    keys = push_peer.subscription().as_form()
    with pytest.raises(services.NotifyError, match="push subscription could not be used"):
        services.push_subscribe(membership=alice, endpoint=endpoint, p256dh=keys["p256dh"], auth=keys["auth"])
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    ["https://fcm.googleapis.com/fcm/send/abc:def", "https://updates.push.services.mozilla.com/wpush/v2/gAAA"],
)
def test_it_accepts_the_browsers_push_services(alice, push_peer, settings, endpoint):
    settings.PUSH_SERVICE_HOSTS = ["fcm.googleapis.com", "push.services.mozilla.com"]
    keys = push_peer.subscription().as_form()
    services.push_subscribe(membership=alice, endpoint=endpoint, p256dh=keys["p256dh"], auth=keys["auth"])
    assert PushSubscription.objects.get().endpoint == endpoint


@pytest.mark.parametrize(
    ("p256dh", "auth"),
    [
        ("BAAA", None),  # too short
        ("!!!not base64!!!", None),
        (None, "c2hvcnQ"),  # 5 bytes, not 16
        ("ключ", None),  # not ASCII
        ("A" * 87, None),  # 65 bytes, but not an uncompressed point (first byte is not 4)
    ],
)
def test_it_refuses_malformed_push_keys(alice, push_peer, p256dh, auth):
    form = push_peer.subscription().as_form()
    form["p256dh"] = p256dh or form["p256dh"]
    form["auth"] = auth or form["auth"]
    with pytest.raises(services.NotifyError):
        services.push_subscribe(membership=alice, **form)
    assert not PushSubscription.objects.exists()


def test_it_keeps_one_encrypted_subscription_per_endpoint(alice, bob, push_peer):
    browser = push_peer.subscription()
    services.push_subscribe(membership=alice, **browser.as_form())
    services.push_subscribe(membership=alice, **browser.as_form())
    assert PushSubscription.objects.filter(membership=alice).count() == 1
    assert browser.endpoint not in " ".join(_raw_column("notify_pushsubscription", "endpoint"))
    assert browser.p256dh not in " ".join(_raw_column("notify_pushsubscription", "keys"))
    # A shared phone: whoever subscribed the browser last receives its notifications.
    services.push_subscribe(membership=bob, **browser.as_form())
    assert PushSubscription.objects.get().membership == bob
    assert services.push_unsubscribe(membership=alice, endpoint=browser.endpoint) == 0
    assert services.push_unsubscribe(membership=bob, endpoint=browser.endpoint) == 1
    assert not PushSubscription.objects.exists()


# The outbox -----------------------------------------------------------------------------------------


def test_it_leaves_no_dispatch_or_delivery_when_the_announcing_transaction_rolls_back(
    alice, push_peer, smtp_peer, django_capture_on_commit_callbacks
):
    reachable(alice, push=push_peer, email="alice@example.org")
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                services.dispatch_create(
                    organisation=alice.organisation,
                    topic=Topic.ALERT,
                    recipients=Membership.objects.filter(id=alice.id),
                )
                assert Delivery.objects.count() == 3
                raise RuntimeError("the alert could not be saved")
    assert not Dispatch.objects.exists() and not Delivery.objects.exists()
    assert callbacks == []  # no send task is enqueued for what never existed
    with django_capture_on_commit_callbacks() as callbacks:
        dispatch(alice.organisation, alice)
    assert len(callbacks) == 1 and Delivery.objects.count() == 3


def test_it_writes_one_delivery_per_recipient_channel_and_device(
    people, org_b, push_peer, smtp_peer, sms_peer, django_capture_on_commit_callbacks
):
    alice, bob, carol, mallory = people["alice"], people["bob"], people["carol"], people["mallory"]
    reachable(alice, push=push_peer, email="alice@example.org", phone="+254712345678")
    second_browser = push_peer.subscription()
    services.push_subscribe(membership=alice, **second_browser.as_form())
    services.preference_update(  # bob chose email but never gave an address
        membership=bob, channels=["email"], discreet=True, quiet_start=None, quiet_end=None, timezone="UTC"
    )
    reachable(mallory, email="mallory@example.org")  # another organisation
    suspended = reachable(make_member(alice.organisation, "sleepy"), email="sleepy@example.org")
    Membership.objects.filter(pk=suspended.pk).update(suspended_at=clock.now())
    with django_capture_on_commit_callbacks():
        sent = dispatch(alice.organisation, alice, bob, carol, mallory, suspended)
    rows = list(Delivery.objects.filter(dispatch=sent))
    got = sorted((r.membership.account.pseudonym, r.channel, r.subscription_id is not None) for r in rows)
    assert got == [
        ("alice", "email", False),
        ("alice", "inapp", False),
        ("alice", "push", True),
        ("alice", "push", True),
        ("alice", "sms", False),
        ("bob", "inapp", False),
        ("carol", "inapp", False),
    ]
    assert {r.subscription_id for r in rows if r.channel == Channel.PUSH} == set(
        PushSubscription.objects.filter(membership=alice).values_list("id", flat=True)
    )
    keys = [r.idempotency_key for r in rows]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    assert not any(str(alice.pk).replace("-", "") in key or str(sent.pk).replace("-", "") in key for key in keys)
    for row in rows:
        if row.channel == Channel.INAPP:
            assert row.status == Delivery.Status.SENT and row.sent_at is not None
        else:
            assert row.status == Delivery.Status.PENDING and row.attempts == 0
            assert abs(row.next_attempt_at - sent.created_at) < timedelta(seconds=1)


def test_it_refuses_a_second_delivery_with_the_same_idempotency_key(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        sent = dispatch(alice.organisation, alice)
    entry = Delivery.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            dispatch=sent, membership=alice, channel=Channel.INAPP, idempotency_key=entry.idempotency_key
        )


# Quiet hours ----------------------------------------------------------------------------------------

NAIROBI = ZoneInfo("Africa/Nairobi")


def _next_local(hour: int, minute: int = 0) -> datetime:
    """The next moment after now that is hour:minute in Nairobi."""
    local = timezone.now().astimezone(NAIROBI)
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment if moment > local + timedelta(minutes=1) else moment + timedelta(days=1)


@pytest.mark.parametrize(
    ("quiet", "at", "until"),
    [
        ((time(22), time(6)), (23, 30), (6, 0)),  # across midnight, before it
        ((time(22), time(6)), (2, 15), (6, 0)),  # across midnight, after it
        ((time(13), time(15, 30)), (14, 0), (15, 30)),  # within one day
    ],
)
def test_it_postpones_outside_channels_in_quiet_hours_but_not_the_inbox(
    alice, push_peer, smtp_peer, quiet, at, until, django_capture_on_commit_callbacks
):
    reachable(alice, push=push_peer, email="alice@example.org", quiet=quiet, timezone="Africa/Nairobi")
    moment = _next_local(*at)
    expected = moment.replace(hour=until[0], minute=until[1])
    if expected <= moment:
        expected += timedelta(days=1)
    with _at(moment), django_capture_on_commit_callbacks():
        dispatch(alice.organisation, alice)
        assert services.deliveries_claim(limit=10) == []  # nothing leaves during quiet hours
    inbox = Delivery.objects.get(channel=Channel.INAPP)
    assert inbox.status == Delivery.Status.SENT and abs(inbox.sent_at - moment) < timedelta(seconds=5)
    assert {row.next_attempt_at for row in outgoing()} == {expected}
    with _at(expected - timedelta(seconds=30)):
        assert services.deliveries_claim(limit=10) == []
    with _at(expected + timedelta(seconds=1)):
        assert {d.channel for d in services.deliveries_claim(limit=10)} == {Channel.PUSH, Channel.EMAIL}


def test_it_sends_at_once_outside_quiet_hours(alice, smtp_peer, django_capture_on_commit_callbacks):
    reachable(alice, email="alice@example.org", quiet=(time(22), time(6)), timezone="Africa/Nairobi")
    moment = _next_local(12, 0)
    with _at(moment), django_capture_on_commit_callbacks():
        dispatch(alice.organisation, alice)
        assert [d.channel for d in services.deliveries_claim(limit=10)] == [Channel.EMAIL]


def test_it_ignores_quiet_hours_for_urgent_dispatches(alice, sms_peer, django_capture_on_commit_callbacks):
    reachable(alice, phone="+254712345678", quiet=(time(22), time(6)), timezone="Africa/Nairobi")
    moment = _next_local(23, 30)
    with _at(moment), django_capture_on_commit_callbacks():
        dispatch(alice.organisation, alice, urgent=True)
        assert [d.channel for d in services.deliveries_claim(limit=10)] == [Channel.SMS]


# Claims and leases ----------------------------------------------------------------------------------


def _pending(membership, n: int) -> Dispatch:
    """`n` due email deliveries, written directly: the claim does not care who they are for."""
    sent = Dispatch.objects.create(organisation=membership.organisation, topic=Topic.ALERT)
    Delivery.objects.bulk_create(
        Delivery(dispatch=sent, membership=membership, channel=Channel.EMAIL, idempotency_key=f"k{i:04d}-{sent.pk}")
        for i in range(n)
    )
    return sent


def test_it_leases_claimed_deliveries_so_the_next_claim_gets_other_rows(alice, settings):
    settings.DELIVERY_LEASE_SECONDS = 60
    _pending(alice, 12)
    first = services.deliveries_claim(limit=5)
    second = services.deliveries_claim(limit=5)
    third = services.deliveries_claim(limit=5)
    assert [len(first), len(second), len(third)] == [5, 5, 2]
    assert services.deliveries_claim(limit=5) == []
    ids = [d.id for d in first + second + third]
    assert len(set(ids)) == 12
    for claim in (first, second, third):
        assert len({d.lease_token for d in claim}) == 1
    assert len({claim[0].lease_token for claim in (first, second, third)}) == 3
    assert {d.attempts for d in first} == {1}
    for delivery in Delivery.objects.filter(id__in=[d.id for d in first]):
        assert delivery.status == Delivery.Status.SENDING and delivery.attempts == 1
        assert timedelta(seconds=55) < delivery.lease_until - clock.now() <= timedelta(seconds=60)


def test_it_claims_a_delivery_again_when_the_workers_lease_runs_out(alice, settings):
    settings.DELIVERY_LEASE_SECONDS = 60
    _pending(alice, 3)
    dead_worker = services.deliveries_claim(limit=5)
    with clock.travel(timedelta(seconds=30)):
        assert services.deliveries_claim(limit=5) == []  # still leased
    with clock.travel(timedelta(seconds=61)):
        assert services.deliveries_sweep() == 3  # the sweep sees them as due again
        second = services.deliveries_claim(limit=5)
        assert {d.id for d in second} == {d.id for d in dead_worker}
        assert {d.attempts for d in second} == {2}
        # The first worker comes back to life and reports a failure: its lease is gone, so nothing changes.
        services.deliveries_record(results=[(d, Outcome(ok=False, error="late")) for d in dead_worker])
        assert set(Delivery.objects.values_list("status", "lease_token")) == {("sending", second[0].lease_token)}
        services.deliveries_record(results=[(d, Outcome(ok=True)) for d in second])
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db(transaction=True)
def test_it_never_hands_the_same_row_to_two_concurrent_claims(alice):
    """Four threads, each with its own database connection, claim until nothing is left."""
    _pending(alice, 60)
    barrier = threading.Barrier(4)
    claimed: list[list] = [[] for _ in range(4)]
    errors: list = []

    def claimer(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            while batch := services.deliveries_claim(limit=3):
                claimed[index].extend(d.id for d in batch)
        except Exception as exc:  # noqa: BLE001  reported to the test thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    everything = [delivery_id for claim in claimed for delivery_id in claim]
    assert len(everything) == 60
    assert len(set(everything)) == 60, "a row was claimed twice"
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}


# Sending, retries, dead letters ----------------------------------------------------------------------


def test_it_backs_off_exponentially_then_dead_letters(alice, settings, sms_peer, django_capture_on_commit_callbacks):
    settings.DELIVERY_RETRY_SECONDS, settings.DELIVERY_MAX_ATTEMPTS = 30, 4
    sms_peer.answer = 503
    reachable(alice, phone="+254712345678")
    with django_capture_on_commit_callbacks():
        dispatch(alice.organisation, alice)
    attempted_at = clock.now()
    assert services.deliveries_send_due() == 1
    for attempt, wait in ((1, 30), (2, 60), (3, 120)):
        delivery = outgoing().get()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", attempt, "sms: HTTP 503")
        assert abs(delivery.next_attempt_at - attempted_at - timedelta(seconds=wait)) < timedelta(seconds=5)
        with _at(delivery.next_attempt_at - timedelta(seconds=2)):
            assert services.deliveries_send_due() == 0  # not yet
        attempted_at = delivery.next_attempt_at + timedelta(seconds=1)
        with _at(attempted_at):
            assert services.deliveries_send_due() == 1
    dead = outgoing().get()
    assert (dead.status, dead.attempts) == ("dead", 4)
    with clock.travel(timedelta(days=30)):
        assert services.deliveries_send_due() == 0
        assert services.deliveries_sweep() == 0
    assert len(sms_peer.received()) == 4
    assert set(sms_peer.keys("Idempotency-Key")) == {dead.idempotency_key}


@pytest.mark.parametrize(("answer", "status", "kept"), [(410, "undeliverable", 0), (404, "undeliverable", 0)])
def test_it_forgets_a_push_subscription_the_push_service_calls_gone(
    alice, push_peer, answer, status, kept, django_capture_on_commit_callbacks
):
    reachable(alice, push=push_peer)
    push_peer.answer = answer
    with django_capture_on_commit_callbacks():
        dispatch(alice.organisation, alice)
    assert services.deliveries_send_due() == 1
    delivery = outgoing().get()
    assert (delivery.status, delivery.last_error) == (status, f"push: HTTP {answer}")
    assert PushSubscription.objects.count() == kept
    assert services.deliveries_send_due() == 0  # never tried again


def test_it_keeps_a_push_subscription_and_retries_when_the_push_service_fails(
    alice, push_peer, django_capture_on_commit_callbacks
):
    reachable(alice, push=push_peer)
    push_peer.answer = 500
    with django_capture_on_commit_callbacks():
        dispatch(alice.organisation, alice)
    services.deliveries_send_due()
    delivery = outgoing().get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert PushSubscription.objects.count() == 1


@pytest.mark.parametrize(("answer", "status"), [(400, "undeliverable"), (422, "undeliverable"), (429, "pending")])
def test_it_stops_at_a_number_the_sms_gateway_refuses_and_retries_anything_else(
    alice, sms_peer, answer, status, django_capture_on_commit_callbacks
):
    reachable(alice, phone="+254712345678")
    sms_peer.answer = answer
    with django_capture_on_commit_callbacks():
        dispatch(alice.organisation, alice)
    services.deliveries_send_due()
    assert outgoing().get().status == status


def test_it_marks_a_delivery_undeliverable_when_the_member_removed_the_destination(
    alice, smtp_peer, django_capture_on_commit_callbacks
):
    reachable(alice, email="alice@example.org")
    with django_capture_on_commit_callbacks():
        dispatch(alice.organisation, alice)
    services.contact_set(membership=alice, channel=Channel.EMAIL, contact="")
    services.deliveries_send_due()
    assert (outgoing().get().status, outgoing().get().last_error) == ("undeliverable", "no email destination")
    assert smtp_peer.messages == []


def _dead_delivery(alice, settings, sms_peer, django_capture_on_commit_callbacks) -> Delivery:
    settings.DELIVERY_MAX_ATTEMPTS = 1
    sms_peer.answer = 503
    reachable(alice, phone="+254712345678")
    with django_capture_on_commit_callbacks():
        dispatch(alice.organisation, alice)
    services.deliveries_send_due()
    delivery = outgoing().get()
    assert delivery.status == Delivery.Status.DEAD
    return delivery


def test_it_lets_staff_of_the_organisation_retry_a_dead_delivery(
    people, settings, sms_peer, django_capture_on_commit_callbacks
):
    delivery = _dead_delivery(people["alice"], settings, sms_peer, django_capture_on_commit_callbacks)
    for person in ("alice", "bob", "nina", "mallory"):
        with pytest.raises(services.NotifyError):
            services.delivery_retry(actor=people[person], delivery=delivery)
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.DEAD
    assert not AuditEntry.objects.filter(action=AuditAction.DELIVERY_RETRIED).exists()
    with django_capture_on_commit_callbacks() as callbacks:
        retried = services.delivery_retry(actor=people["carol"], delivery=delivery)
    assert (retried.status, retried.attempts, retried.last_error) == ("pending", 0, "")
    assert len(callbacks) == 1  # a send task is enqueued after the commit
    entry = AuditEntry.objects.get(action=AuditAction.DELIVERY_RETRIED)
    assert (entry.actor, entry.target_type, entry.target_id) == (people["carol"], "delivery", delivery.pk)
    sms_peer.answer = 200
    assert services.deliveries_send_due() == 1
    assert outgoing().get().status == Delivery.Status.SENT
    with pytest.raises(services.NotifyError, match="Only failed deliveries"):
        services.delivery_retry(actor=people["carol"], delivery=outgoing().get())


def test_it_sweeps_due_work_into_the_queue_whatever_happened_to_earlier_tasks(
    alice, smtp_peer, immediate_tasks, django_capture_on_commit_callbacks
):
    reachable(alice, email="alice@example.org")
    with django_capture_on_commit_callbacks(execute=False):  # the send task is lost
        dispatch(alice.organisation, alice)
    assert smtp_peer.messages == []
    assert services.deliveries_sweep() == 1
    assert len(smtp_peer.messages) == 1
    assert outgoing().get().status == Delivery.Status.SENT
    assert services.deliveries_sweep() == 0


def test_it_marks_inbox_entries_read_only_for_their_member(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        first = dispatch(alice.organisation, alice, bob)
        dispatch(alice.organisation, alice)
    mine = Delivery.objects.get(dispatch=first, membership=alice)
    assert services.inbox_mark_read(membership=bob, delivery_ids=[mine.id]) == 0
    assert services.inbox_mark_read(membership=alice, delivery_ids=[mine.id]) == 1
    assert services.inbox_mark_read(membership=alice) == 1
    assert Delivery.objects.filter(membership=bob, read_at__isnull=True).count() == 1


def test_it_delivers_on_every_channel_in_one_pass(alice, smtp_peer, sms_peer, push_peer):
    reachable(alice, push=push_peer, email="alice@example.org", phone="+254712345678")
    dispatch(alice.organisation, alice)
    assert services.deliveries_send_due() == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert (len(smtp_peer.messages), len(sms_peer.received()), len(push_peer.received())) == (1, 1, 1)
    assert key_of(alice, Channel.SMS) == sms_peer.received()[0]["headers"]["Idempotency-Key"]


# The poison delivery ---------------------------------------------------------------------------------


def test_it_dead_letters_a_delivery_whose_worker_stops_on_every_attempt(alice, settings):
    settings.DELIVERY_LEASE_SECONDS, settings.DELIVERY_MAX_ATTEMPTS = 60, 3
    [poison] = Delivery.objects.filter(dispatch=_pending(alice, 1))
    for attempt in (1, 2, 3):  # each worker that takes it dies without a word
        with clock.travel(timedelta(seconds=61 * attempt)):
            assert [(d.id, d.attempts) for d in services.deliveries_claim(limit=5)] == [(poison.id, attempt)]
    waiting = _pending(alice, 2)
    with clock.travel(timedelta(seconds=61 * 4)):
        # The rows behind it are still handed out; the poison one is not, for a fourth worker to die on.
        claimed = services.deliveries_claim(limit=5)
        assert {d.dispatch_id for d in claimed} == {waiting.id} and len(claimed) == 2
        poison.refresh_from_db()
        assert (poison.status, poison.attempts, poison.last_error) == ("dead", 3, "worker stopped while sending")
        assert (poison.lease_token, poison.lease_until) == ("", None)
    with clock.travel(timedelta(days=1)):
        assert poison.id not in {d.id for d in services.deliveries_claim(limit=5)}
        assert Delivery.objects.get(pk=poison.pk).status == Delivery.Status.DEAD


def test_it_still_claims_an_expired_lease_with_attempts_left(alice, settings):
    settings.DELIVERY_LEASE_SECONDS, settings.DELIVERY_MAX_ATTEMPTS = 60, 3
    _pending(alice, 1)
    services.deliveries_claim(limit=5)
    with clock.travel(timedelta(seconds=61)):
        assert [d.attempts for d in services.deliveries_claim(limit=5)] == [2]
    assert Delivery.objects.get().status == Delivery.Status.SENDING


# Outside contacts ------------------------------------------------------------------------------------

BUDDY, OTHER_BUDDY = uuid.UUID(int=1), uuid.UUID(int=2)
TEXT = "Rosa has not checked in. Call her, or open https://sombrilla.example.org/c/one-time-token"


def _sms(reference=BUDDY, phone="+254712345678", text=TEXT) -> services.Outside:
    return services.Outside(reference=reference, channel=Channel.SMS, destination=phone, message=text)


def _email(reference=BUDDY, address="buddy@example.org", text=TEXT) -> services.Outside:
    return services.Outside(reference=reference, channel=Channel.EMAIL, destination=address, message=text)


def test_it_writes_one_delivery_per_outside_contact_due_at_once(
    alice, sms_peer, smtp_peer, django_capture_on_commit_callbacks
):
    reachable(alice, email="alice@example.org", quiet=(time(0, 0), time(23, 59)), timezone="Africa/Nairobi")
    contacts = [_sms(), _email(), _sms(OTHER_BUDDY, "+254733000111")]
    with _at(_next_local(12)), django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        sent = services.dispatch_create(
            organisation=alice.organisation,
            topic=Topic.CHECKIN_ALERT,
            recipients=Membership.objects.filter(id=alice.id),
            outside=contacts,
        )
    assert len(callbacks) == 1
    rows = list(Delivery.objects.filter(dispatch=sent, membership__isnull=True).order_by("reference", "channel"))
    assert [(r.reference, r.channel, r.status, r.destination, r.message) for r in rows] == [
        (BUDDY, "email", "pending", "buddy@example.org", TEXT),
        (BUDDY, "sms", "pending", "+254712345678", TEXT),
        (OTHER_BUDDY, "sms", "pending", "+254733000111", TEXT),
    ]
    # The member's quiet hours hold her email back; outside contacts have none that we know of.
    assert all(abs(r.next_attempt_at - sent.created_at) < timedelta(seconds=1) for r in rows)
    assert outgoing(sent).get(membership=alice).next_attempt_at > sent.created_at + timedelta(hours=1)
    with _at(_next_local(12) + timedelta(seconds=5)):
        claimed = {d.id for d in services.deliveries_claim(limit=10)}
    assert claimed == {r.id for r in rows}


def test_it_tells_members_and_outside_contacts_in_one_dispatch(alice, sms_peer):
    reachable(alice, phone="+254700000001")
    sent = tell_outside(alice.organisation, _sms(), members=[alice])
    assert {(r.membership_id, r.channel, r.destination) for r in Delivery.objects.filter(dispatch=sent)} == {
        (None, "sms", "+254712345678"),
        (alice.pk, "inapp", ""),
        (alice.pk, "sms", ""),
    }


def test_it_keeps_an_outside_contact_it_cannot_reach_as_undeliverable_without_their_details(
    alice, no_channels, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        sent = tell_outside(alice.organisation, _sms(), _email())
    assert callbacks == []  # nothing to send, so no task
    rows = Delivery.objects.filter(dispatch=sent)
    assert sorted(rows.values_list("reference", "channel", "status", "last_error")) == [
        (BUDDY, "email", "undeliverable", "email not configured"),
        (BUDDY, "sms", "undeliverable", "sms not configured"),
    ]
    assert set(rows.values_list("destination", "message")) == {("", "")}
    assert services.deliveries_claim(limit=10) == []


def test_it_keys_each_outside_delivery_by_dispatch_reference_and_channel(alice, sms_peer, smtp_peer):
    first = tell_outside(alice.organisation, _sms(), _email(), _sms(OTHER_BUDDY, "+254733000111"))
    second = tell_outside(alice.organisation, _sms())
    keys = dict(
        ((row.dispatch_id, row.reference, row.channel), row.idempotency_key)
        for row in Delivery.objects.filter(membership__isnull=True)
    )
    assert len(keys) == 4 and len(set(keys.values())) == 4
    for (dispatch_id, reference, channel), key in keys.items():
        assert key == services._idempotency_key(dispatch_id, f"outside:{reference}", channel)
        assert str(reference).replace("-", "") not in key and "712345678" not in key
    assert keys[first.id, BUDDY, "sms"] != keys[second.id, BUDDY, "sms"]


@pytest.mark.parametrize(
    "contact",
    [
        services.Outside(reference=BUDDY, channel=Channel.PUSH, destination="+254712345678", message=TEXT),
        services.Outside(reference=BUDDY, channel=Channel.INAPP, destination="+254712345678", message=TEXT),
        _sms(phone="0712 345 678"),  # not normalised
        _sms(phone="buddy@example.org"),
        _email(address="Buddy@Example.org"),
        _email(address="not an address"),
        _sms(text=""),
    ],
)
def test_it_refuses_an_outside_contact_it_must_not_send_to_and_writes_nothing(alice, sms_peer, smtp_peer, contact):
    with pytest.raises(ValueError):
        tell_outside(alice.organisation, contact)
    assert not Dispatch.objects.exists() and not Delivery.objects.exists()


def test_it_refuses_the_same_outside_contact_twice_on_one_channel(alice, sms_peer):
    with pytest.raises(ValueError, match="one outside contact per reference and channel"):
        tell_outside(alice.organisation, _sms(), _sms(phone="+254733000111"))
    assert not Dispatch.objects.exists()


def test_it_stores_an_outside_contacts_destination_and_message_encrypted(alice, sms_peer, smtp_peer):
    tell_outside(alice.organisation, _sms(), _email())
    raw = " ".join(_raw_column("notify_delivery", "destination") + _raw_column("notify_delivery", "message"))
    for plain in ("712345678", "buddy@example.org", "example.org", "checked in", "one-time-token"):
        assert plain not in raw
    # Two rows with one text: each encrypted on its own, so no one can tell they say the same.
    assert len(set(_raw_column("notify_delivery", "message"))) == 2


def test_it_deletes_dispatches_and_every_delivery_of_what_is_purged(alice, bob, sms_peer):
    plan, other_plan = uuid.uuid4(), uuid.uuid4()
    tell_outside(alice.organisation, _sms(), members=[bob], target_id=plan)
    tell_outside(alice.organisation, _sms(), target_id=plan)
    kept = tell_outside(alice.organisation, _sms(), members=[bob], target_id=other_plan)
    assert services.dispatches_delete(target_ids=[plan]) == 2
    assert list(Dispatch.objects.values_list("id", flat=True)) == [kept.id]
    assert set(Delivery.objects.values_list("dispatch_id", flat=True)) == {kept.id}
    assert Delivery.objects.count() == 2  # bob's inbox entry and the SMS of the plan that stays
    assert services.dispatches_delete(target_ids=[]) == 0
    assert services.dispatches_delete(target_ids=[uuid.uuid4()]) == 0


def test_it_lists_who_was_told_of_the_given_dispatches(alice, bob, sms_peer, django_assert_num_queries):
    with clock.travel(timedelta(minutes=-5)):
        due = tell_outside(alice.organisation, members=[alice], topic=Topic.CHECKIN_DUE)
    alerted = tell_outside(alice.organisation, _sms(), members=[bob])
    tell_outside(alice.organisation, _sms(OTHER_BUDDY))  # not asked for
    with django_assert_num_queries(1):
        rows = [
            (row.dispatch_id, row.membership.account.pseudonym if row.membership else row.reference, row.channel)
            for row in selectors.deliveries_of(dispatch_ids=[due.id, alerted.id])
        ]
    assert rows[0] == (due.id, "alice", "inapp")
    assert sorted(rows[1:], key=str) == sorted([(alerted.id, "bob", "inapp"), (alerted.id, BUDDY, "sms")], key=str)


def test_it_sends_outside_deliveries_and_retries_them_like_any_other(alice, carol, settings, sms_peer):
    settings.DELIVERY_MAX_ATTEMPTS = 1
    sms_peer.answer = 503
    tell_outside(alice.organisation, _sms())
    assert services.deliveries_send_due() == 1
    dead = Delivery.objects.get()
    assert (dead.status, dead.last_error) == ("dead", "sms: HTTP 503")
    services.delivery_retry(actor=carol, delivery=dead)
    sms_peer.answer = 200
    assert services.deliveries_send_due() == 1
    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert [json.loads(r["body"])["to"] for r in sms_peer.received()] == ["+254712345678"] * 2
