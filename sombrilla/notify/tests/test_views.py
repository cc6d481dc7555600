"""The notification pages with Django's test client: preferences, push subscription, the inbox and its badge,
the service worker, the test-message button and the staff view of deliveries."""

import json
import re
from datetime import time

import pytest
from django.test import Client
from django.utils.html import escape

from sombrilla.conftest import input_value, log_in, page_shows, page_text
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.notify import channels, services
from sombrilla.notify.models import Channel, Contact, Delivery, Preference, PushSubscription, Topic
from sombrilla.notify.tests.factories import dispatch, outgoing, outside_dead_letter, reachable


def _checked(response, name: str) -> set[str]:
    """The values of the ticked boxes named `name` ("on" for a box without a value)."""
    ticked = set()
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page_text(response)):
        if " checked" in tag:
            value = re.search(r'value="([^"]*)"', tag)
            ticked.add(value.group(1) if value else "on")
    return ticked


def _badge(response) -> int:
    """The unread count beside Inbox in the navigation, 0 when there is no badge."""
    match = re.search(r'href="/inbox/">.*?</a>', page_text(response), re.S)
    if match is None:
        return -1
    count = re.search(r'<span class="badge">(\d+)<span class="sr">', match.group(0))
    return int(count.group(1)) if count else 0


# Preferences ----------------------------------------------------------------------------------------

GOOD = {
    "channels": ["email", "sms"],
    "quiet_start": "22:00",
    "quiet_end": "06:30",
    "timezone": "Africa/Nairobi",
    "email_contact": "Alice@Example.org",
    "sms_contact": "0712 345 678",
}


def test_it_offers_only_the_channels_the_site_can_use(alice, no_channels, smtp_peer):
    response = log_in(Client(), alice).get("/notifications/")
    assert response.status_code == 200
    assert re.findall(r'name="channels" value="([^"]+)"', page_text(response)) == ["email"]
    assert input_value(response, "email_contact") == ""
    assert input_value(response, "sms_contact") is None
    assert 'id="push"' not in page_text(response)


def test_it_gives_the_page_the_key_browsers_subscribe_with(alice, push_peer):
    response = log_in(Client(), alice).get("/notifications/")
    assert f'data-key="{channels.vapid_public_key()}"' in page_text(response)
    assert _checked(response, "discreet") == {"on"}  # discreet is the default


def test_it_saves_channels_quiet_hours_and_contacts(alice, smtp_peer, sms_peer, push_peer):
    client = log_in(Client(), alice)
    response = client.post("/notifications/", GOOD)
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    preference = Preference.objects.get(membership=alice)
    assert preference.channels == ["email", "sms"]
    assert preference.discreet is False  # the box was not ticked
    assert (preference.quiet_start, preference.quiet_end, preference.timezone) == (
        time(22),
        time(6, 30),
        "Africa/Nairobi",
    )
    assert {c.channel: c.contact for c in Contact.objects.filter(membership=alice)} == {
        "email": "alice@example.org",
        "sms": "+254712345678",
    }
    page = client.get("/notifications/")
    assert page_shows(page, "Your notification settings are saved.")
    assert _checked(page, "channels") == {"email", "sms"}
    assert input_value(page, "email_contact") == "alice@example.org"
    assert input_value(page, "timezone") == "Africa/Nairobi"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Choose a time zone from the list."),
        ({"timezone": "America"}, "Choose a time zone from the list."),
        ({"timezone": "../../../etc/passwd"}, "Choose a time zone from the list."),
        ({"timezone": ""}, "This field is required."),
        ({"timezone": "x" * 65}, "Ensure this value has at most 64 characters (it has 65)."),
        ({"timezone": "Africa/Nairobi\x00"}, "Null characters are not allowed."),
        ({"quiet_end": ""}, "Quiet hours need both a start and an end."),
        ({"quiet_start": ""}, "Quiet hours need both a start and an end."),
        ({"quiet_end": "22:00"}, "Quiet hours need a different start and end."),
        ({"quiet_start": "25:99"}, "Enter a valid time."),
        ({"email_contact": "alice@"}, "That does not look like an email address."),
        ({"email_contact": "x" * 255}, "Ensure this value has at most 254 characters (it has 255)."),
        ({"sms_contact": "call me"}, "That does not look like a phone number. Include the country code, e.g. +254…"),
        (
            {"channels": ["carrier-pigeon"]},
            "Select a valid choice. carrier-pigeon is not one of the available choices.",
        ),
    ],
)
def test_it_explains_a_refused_form_keeps_what_was_typed_and_saves_nothing(alice, smtp_peer, sms_peer, change, message):
    typed = {**GOOD, **change}
    response = log_in(Client(), alice).post("/notifications/", typed)
    assert response.status_code == 400
    assert page_shows(response, message)
    for field in ("timezone", "quiet_start", "quiet_end", "email_contact", "sms_contact"):
        if "\x00" not in typed[field]:
            assert input_value(response, field) == escape(typed[field]), field
    assert _checked(response, "channels") == set(typed["channels"]) & {"email", "sms"}
    # All or nothing: a refused time zone must not leave the new email address saved.
    assert not Contact.objects.filter(membership=alice).exists()
    assert services.preference_get(membership=alice).discreet is True


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"channels": "email", "timezone": ["UTC", "Europe/Madrid"]},
        {"timezone": "UTC", "quiet_start": "\x00", "quiet_end": "☂"},
        {"timezone": "UTC", "discreet": "maybe", "channels": ["email", "email", "push"]},
    ],
)
def test_it_never_answers_an_odd_preferences_post_with_an_error_page(alice, smtp_peer, data):
    response = log_in(Client(), alice).post("/notifications/", data)
    assert response.status_code in (302, 400)


# Push subscription ----------------------------------------------------------------------------------


def test_it_subscribes_and_unsubscribes_a_browser(alice, push_peer):
    client = log_in(Client(), alice)
    browser = push_peer.subscription()
    response = client.post("/notifications/push/", browser.as_form())
    assert response.status_code == 201
    assert response.json() == {"detail": "Notifications are on for this device."}
    assert PushSubscription.objects.get(membership=alice).endpoint == browser.endpoint
    assert "Push notifications are on for 1 device." in page_text(client.get("/notifications/"))
    response = client.post("/notifications/push/remove/", {"endpoint": browser.endpoint})
    assert response.status_code == 200
    assert response.json() == {"detail": "Notifications are off for this device."}
    assert not PushSubscription.objects.exists()


def test_it_leaves_other_members_subscriptions_alone_on_unsubscribe(alice, bob, push_peer):
    browser = push_peer.subscription()
    services.push_subscribe(membership=bob, **browser.as_form())
    response = log_in(Client(), alice).post("/notifications/push/remove/", {"endpoint": browser.endpoint})
    assert response.status_code == 200
    assert PushSubscription.objects.get().membership == bob


@pytest.mark.parametrize(
    "change",
    [
        {"endpoint": "http://127.0.0.1:6379/"},
        {"endpoint": "https://evil.example/"},
        {"endpoint": "http://169.254.169.254/latest/meta-data/"},
        {"endpoint": "gopher://127.0.0.1:6379/_FLUSHALL"},
        {"endpoint": "not a url"},
        {"endpoint": ""},
        {"p256dh": "BAAA"},
        {"p256dh": "x" * 201},
        {"auth": "!!"},
        {"auth": ""},
    ],
)
def test_it_refuses_a_push_subscription_it_could_not_or_should_not_use(alice, push_peer, change):
    data = {**push_peer.subscription().as_form(), **change}
    response = log_in(Client(), alice).post("/notifications/push/", data)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "This browser's push subscription could not be used."}
    assert not PushSubscription.objects.exists()


# Inbox ----------------------------------------------------------------------------------------------


def test_it_lists_the_members_own_entries_and_counts_the_unread_in_the_navigation(alice, bob, push_peer):
    reachable(alice, push=push_peer)
    dispatch(alice.organisation, alice, bob, topic=Topic.ALERT, url="/alerts/1/")
    dispatch(alice.organisation, alice, topic=Topic.POLICE_ALERT)
    dispatch(alice.organisation, bob, topic=Topic.TEST)
    client = log_in(Client(), alice)
    assert _badge(client.get("/home/")) == 2
    page = client.get("/inbox/")
    assert page.status_code == 200
    assert _badge(page) == 2
    text = page_text(page)
    assert '<a href="/alerts/1/">New alert about a client</a>' in text
    assert "Police activity reported" in text and "Test message" not in text  # bob's entry is bob's
    assert text.count('class="unread"') == 2
    response = client.post("/inbox/")
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    page = client.get("/inbox/")
    assert _badge(page) == 0 and 'class="unread"' not in page_text(page)
    assert _badge(log_in(Client(), bob).get("/home/")) == 2  # bob's stay unread


def test_it_shows_an_empty_inbox_with_a_way_to_the_settings(alice):
    page = log_in(Client(), alice).get("/inbox/")
    assert page_shows(page, "Nothing here yet. Alerts for the areas you follow will appear here.")
    assert 'href="/notifications/"' in page_text(page)
    assert _badge(page) == 0


def test_it_shows_no_inbox_to_analysts_who_cannot_open_one(nina):
    client = log_in(Client(), nina)
    assert _badge(client.get("/home/")) == -1
    assert client.get("/inbox/").status_code == 404


# Service worker -------------------------------------------------------------------------------------


def test_it_serves_the_service_worker_from_the_root_without_login(db, settings):
    settings.SITE_NAME = 'Notes "x"'
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-store" in response["Cache-Control"]  # a new version is picked up at once
    text = page_text(response)
    assert "showNotification" in text and "notificationclick" in text
    assert r"Notes \u0022x\u0022" in text  # escaped for JavaScript
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# The test button ------------------------------------------------------------------------------------


def test_it_sends_a_test_message_on_every_chosen_channel_even_in_quiet_hours(
    alice, push_peer, smtp_peer, sms_peer, immediate_tasks, django_capture_on_commit_callbacks
):
    # Quiet all day long: a test message is urgent, or the member would wait until tomorrow to see it.
    reachable(alice, push=push_peer, email="alice@example.org", phone="+254712345678", quiet=(time(0, 0), time(23, 59)))
    client = log_in(Client(), alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/notifications/test/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert len(push_peer.received()) == len(sms_peer.received()) == len(smtp_peer.messages) == 1
    assert set(outgoing().values_list("status", flat=True)) == {"sent"}
    assert page_shows(client.get("/notifications/"), "A test message is on its way on every channel you chose.")
    assert "Test message" in page_text(client.get("/inbox/"))


def test_it_refuses_a_test_message_by_get(alice):
    assert log_in(Client(), alice).get("/notifications/test/").status_code == 405
    assert not Delivery.objects.exists()


# Staff: deliveries ----------------------------------------------------------------------------------


@pytest.fixture
def dead_sms(alice, settings, sms_peer):
    """An SMS to alice that failed every attempt."""
    settings.DELIVERY_MAX_ATTEMPTS = 2
    sms_peer.answer = 503
    reachable(alice, phone="+254712345678", email=None)
    dispatch(alice.organisation, alice)
    services.deliveries_send_due()
    Delivery.objects.filter(channel=Channel.SMS).update(next_attempt_at=Delivery.objects.get(channel="sms").created_at)
    services.deliveries_send_due()
    delivery = Delivery.objects.get(channel=Channel.SMS)
    assert delivery.status == Delivery.Status.DEAD
    return delivery


def test_it_shows_staff_the_counts_and_dead_letters_without_naming_anyone(people, dead_sms):
    page = log_in(Client(), people["carol"]).get("/staff/deliveries/")
    assert page.status_code == 200
    text = page_text(page)
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th>((?:<td>\d+</td>)+)</tr>', text))
    assert re.findall(r"\d+", rows["SMS"]) == ["0", "0", "0", "1", "0"]  # pending sending sent dead undeliverable
    assert re.findall(r"\d+", rows["in the app"]) == ["0", "0", "1", "0", "0"]
    assert "New alert about a client · SMS · 2 attempts" in text
    assert "sms: HTTP 503" in text
    assert f'action="/staff/deliveries/{dead_sms.pk}/retry/"' in text
    for leaked in ("alice", "712345678", str(people["alice"].pk)):
        assert leaked not in text


def test_it_shows_staff_of_another_organisation_nothing_of_org_a(people, dead_sms):
    text = page_text(log_in(Client(), people["mallory"]).get("/staff/deliveries/"))
    assert str(dead_sms.pk) not in text
    assert "None. Every notification was delivered or is still being tried." in text


def test_it_lets_staff_retry_a_dead_delivery_and_audits_it(people, dead_sms, sms_peer):
    client = log_in(Client(), people["carol"])
    response = client.post(f"/staff/deliveries/{dead_sms.pk}/retry/")
    assert response.status_code == 302 and response["Location"] == "/staff/deliveries/"
    dead_sms.refresh_from_db()
    assert (dead_sms.status, dead_sms.attempts) == ("pending", 0)
    entry = AuditEntry.objects.get(action=AuditAction.DELIVERY_RETRIED)
    assert (entry.actor, entry.target_id) == (people["carol"], dead_sms.pk)
    assert page_shows(client.get("/staff/deliveries/"), "The delivery will be tried again.")
    sms_peer.answer = 200
    services.deliveries_send_due()
    assert Delivery.objects.get(pk=dead_sms.pk).status == Delivery.Status.SENT
    response = client.post(f"/staff/deliveries/{dead_sms.pk}/retry/", follow=True)
    assert page_shows(response, "Only failed deliveries can be retried.")
    assert AuditEntry.objects.filter(action=AuditAction.DELIVERY_RETRIED).count() == 1


def test_it_shows_staff_a_dead_letter_to_an_outside_contact_and_members_their_inboxes(people, settings, sms_peer):
    dead = outside_dead_letter(people["alice"].organisation, settings, sms_peer)
    text = page_text(log_in(Client(), people["carol"]).get("/staff/deliveries/"))
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th>((?:<td>\d+</td>)+)</tr>', text))
    assert re.findall(r"\d+", rows["SMS"]) == ["0", "0", "0", "1", "0"]
    assert "Someone you look out for has not checked in · SMS · 1 attempt" in text
    assert f'action="/staff/deliveries/{dead.pk}/retry/"' in text
    assert "733000111" not in text and "Rosa" not in text
    assert str(dead.pk) not in page_text(log_in(Client(), people["mallory"]).get("/staff/deliveries/"))
    inbox = log_in(Client(), people["alice"]).get("/inbox/")
    assert inbox.status_code == 200 and page_text(inbox).count('class="unread"') == 1
    assert "Rosa" not in page_text(inbox)


@pytest.mark.parametrize("person", ["alice", "bob", "nina", "mallory"])
def test_it_hides_the_retry_from_everyone_but_staff_of_the_organisation(people, dead_sms, person):
    client = log_in(Client(), people[person])
    assert client.post(f"/staff/deliveries/{dead_sms.pk}/retry/").status_code == 404
    assert Delivery.objects.get(pk=dead_sms.pk).status == Delivery.Status.DEAD
    assert not AuditEntry.objects.filter(action=AuditAction.DELIVERY_RETRIED).exists()


def test_it_sends_anonymous_visitors_to_the_login_page(dead_sms):
    for method, path in (
        ("get", "/inbox/"),
        ("get", "/notifications/"),
        ("post", "/notifications/push/"),
        ("get", "/staff/deliveries/"),
        ("post", f"/staff/deliveries/{dead_sms.pk}/retry/"),
    ):
        response = getattr(Client(), method)(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path
    assert Delivery.objects.get(pk=dead_sms.pk).status == Delivery.Status.DEAD


def test_it_answers_the_push_endpoint_with_json_only(alice, push_peer):
    response = log_in(Client(), alice).post("/notifications/push/", {})
    assert response.status_code == 400
    assert json.loads(response.content)["detail"]
