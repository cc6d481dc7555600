"""The notification API: the same services as the pages, so the same answers and the same all-or-nothing saves.

Bearer tokens throughout (the browser session with its CSRF token where the first tests and the inbox test say
so); real peers (SMTP, an SMS gateway, a push service that decrypts like a browser) where a message leaves the
site."""

import json
from datetime import time, timedelta

import pytest
from django.conf import settings
from django.test import Client

from sombrilla.accounts import services as account_services
from sombrilla.conftest import log_in
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.notify import channels, services
from sombrilla.notify.models import Channel, Contact, Delivery, Dispatch, Preference, PushSubscription, Topic
from sombrilla.notify.tests.factories import dispatch, outgoing, outside_dead_letter, page_objects, reachable

JSON = "application/json"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
NOT_FOUND = {"detail": "Not Found"}
ONLY_MEMBERS = {"detail": "Only members of an organisation can do this."}
ONLY_STAFF = {"detail": "Only staff can do this."}
UNUSABLE = {"detail": "This browser's push subscription could not be used."}


def _put(client, path: str, body: dict):
    return client.put(path, json.dumps(body), content_type="application/json")


def _post(client, path: str, body: dict | None = None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def _get(client, path: str):
    return client.get(path)


def _api(membership=None) -> Client:
    """A client that sends `membership`'s bearer token with every request (none: an anonymous caller)."""
    if membership is None:
        return Client(raise_request_exception=False)
    _token, raw = account_services.api_token_create(account=membership.account, label="test")
    return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})


# First checks, with the browser session -------------------------------------------------------------------


def test_it_saves_and_returns_preferences(alice, smtp_peer, sms_peer):
    client = log_in(Client(), alice)
    body = {
        "channels": ["email", "sms"],
        "discreet": False,
        "quiet_start": "22:00:00",
        "quiet_end": "06:00:00",
        "timezone": "Africa/Nairobi",
        "email_contact": "Alice@Example.org",
        "sms_contact": "0712 345 678",
    }
    response = _put(client, "/api/v1/notifications/preferences", body)
    assert response.status_code == 200
    saved = client.get("/api/v1/notifications/preferences").json()
    assert saved == response.json()
    assert saved["channels"] == ["email", "sms"] and saved["available"] == ["email", "sms"]
    assert (saved["email_contact"], saved["sms_contact"]) == ("alice@example.org", "+254712345678")
    assert (saved["quiet_start"], saved["quiet_end"], saved["discreet"]) == ("22:00:00", "06:00:00", False)
    assert saved["push_key"] == ""  # push is not configured here


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"timezone": "America"}, "Choose a time zone from the list."),
        ({"quiet_end": None}, "Quiet hours need both a start and an end."),
        ({"sms_contact": "call me"}, "That does not look like a phone number. Include the country code, e.g. +254…"),
    ],
)
def test_it_refuses_a_bad_preference_and_saves_none_of_it(alice, smtp_peer, sms_peer, change, detail):
    body = {
        "channels": ["email"],
        "quiet_start": "22:00:00",
        "quiet_end": "06:00:00",
        "timezone": "UTC",
        "email_contact": "alice@example.org",
        **change,
    }
    response = _put(log_in(Client(), alice), "/api/v1/notifications/preferences", body)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert not Contact.objects.exists()


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:6379/", "https://evil.example/"])
def test_it_refuses_push_endpoints_outside_the_allow_list(alice, push_peer, endpoint):
    body = {**push_peer.subscription().as_form(), "endpoint": endpoint}
    response = _post(log_in(Client(), alice), "/api/v1/notifications/push-subscriptions", body)
    assert response.status_code == 400
    assert response.json() == {"detail": "This browser's push subscription could not be used."}
    assert not PushSubscription.objects.exists()


def test_it_subscribes_and_unsubscribes_a_browser(alice, push_peer):
    client = log_in(Client(), alice)
    browser = push_peer.subscription()
    assert _post(client, "/api/v1/notifications/push-subscriptions", browser.as_form()).status_code == 201
    assert PushSubscription.objects.get().membership == alice
    response = _post(client, "/api/v1/notifications/push-subscriptions/remove", {"endpoint": browser.endpoint})
    assert response.status_code == 204
    assert not PushSubscription.objects.exists()


def test_it_lists_the_inbox_and_marks_it_read(alice, bob):
    dispatch(alice.organisation, alice, topic=Topic.POLICE_ALERT, url="/alerts/police/1/")
    dispatch(alice.organisation, bob, topic=Topic.ALERT)
    client = log_in(Client(), alice)
    entries = client.get("/api/v1/inbox").json()["items"]
    assert [(e["topic"], e["title"], e["url"], e["read"]) for e in entries] == [
        ("police_alert", "Police activity reported", "/alerts/police/1/", False)
    ]
    assert _post(client, "/api/v1/inbox/read", {"ids": [entries[0]["id"]]}).json() == {"marked": 1}
    assert client.get("/api/v1/inbox").json()["items"][0]["read"] is True
    assert Delivery.objects.filter(membership=bob, read_at__isnull=True).count() == 1


def test_it_shows_staff_dead_letters_without_naming_anyone_and_retries_them(people):
    delivery_id = str(page_objects(people)["delivery_id"])
    carol, mallory = log_in(Client(), people["carol"]), log_in(Client(), people["mallory"])
    dead = carol.get("/api/v1/staff/deliveries/dead").json()["items"]
    assert [(d["id"], d["channel"], d["attempts"], d["last_error"]) for d in dead] == [
        (delivery_id, "sms", 8, "sms: HTTP 503")
    ]
    assert set(dead[0]) == {"id", "topic", "channel", "attempts", "last_error", "created_at"}
    assert mallory.get("/api/v1/staff/deliveries/dead").json()["items"] == []
    assert _post(mallory, f"/api/v1/staff/deliveries/{delivery_id}/retry").status_code == 404
    assert _post(log_in(Client(), people["alice"]), f"/api/v1/staff/deliveries/{delivery_id}/retry").status_code == 403
    assert Delivery.objects.get(pk=delivery_id).status == Delivery.Status.DEAD
    assert _post(carol, f"/api/v1/staff/deliveries/{delivery_id}/retry").status_code == 204
    assert Delivery.objects.get(pk=delivery_id).status == Delivery.Status.PENDING
    assert AuditEntry.objects.filter(action=AuditAction.DELIVERY_RETRIED, target_id=delivery_id).count() == 1


def _field_named(response, field: str) -> bool:
    return any(field in error["loc"] for error in response.json()["detail"])


# Preferences ----------------------------------------------------------------------------------------------


def test_it_shows_the_default_preferences_and_only_the_channels_the_site_can_use(alice, no_channels, smtp_peer):
    response = _get(_api(alice), "/api/v1/notifications/preferences")
    assert response.status_code == 200
    assert response.json() == {
        "channels": ["push"],
        "available": ["email"],
        "discreet": True,
        "quiet_start": None,
        "quiet_end": None,
        "timezone": "UTC",
        "email_contact": "",
        "sms_contact": "",
        "push_key": "",
    }


def test_it_gives_the_key_browsers_subscribe_with_when_push_is_on(alice, push_peer):
    body = _get(_api(alice), "/api/v1/notifications/preferences").json()
    assert "push" in body["available"]
    assert body["push_key"] == channels.vapid_public_key() != ""


def test_it_saves_channels_quiet_hours_and_normalised_contacts(alice, smtp_peer, sms_peer):
    response = _put(
        _api(alice),
        "/api/v1/notifications/preferences",
        {
            "channels": ["sms", "email"],
            "discreet": False,
            "quiet_start": "22:00",
            "quiet_end": "06:30",
            "timezone": "Africa/Nairobi",
            "email_contact": " Alice@Example.org ",
            "sms_contact": "0712 345 678",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["channels"], body["discreet"], body["timezone"]) == (["email", "sms"], False, "Africa/Nairobi")
    assert (body["quiet_start"], body["quiet_end"]) == ("22:00:00", "06:30:00")
    assert (body["email_contact"], body["sms_contact"]) == ("alice@example.org", "+254712345678")
    preference = Preference.objects.get(membership=alice)
    assert (preference.quiet_start, preference.quiet_end) == (time(22, 0), time(6, 30))
    assert dict(Contact.objects.filter(membership=alice).values_list("channel", "contact")) == {
        "email": "alice@example.org",
        "sms": "+254712345678",
    }


def test_it_keeps_omitted_contacts_and_removes_empty_ones(alice, smtp_peer, sms_peer):
    reachable(alice, email="alice@example.org", phone="+254712345678")
    client = _api(alice)
    kept = _put(client, "/api/v1/notifications/preferences", {"channels": ["email", "sms"]}).json()
    assert (kept["email_contact"], kept["sms_contact"]) == ("alice@example.org", "+254712345678")
    removed = _put(client, "/api/v1/notifications/preferences", {"channels": ["sms"], "email_contact": ""}).json()
    assert (removed["email_contact"], removed["sms_contact"]) == ("", "+254712345678")
    assert list(Contact.objects.filter(membership=alice).values_list("channel", flat=True)) == ["sms"]


@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, 400, "Choose a time zone from the list."),
        ({"timezone": "America"}, 400, "Choose a time zone from the list."),
        ({"timezone": "../../etc/passwd"}, 400, "Choose a time zone from the list."),
        ({"quiet_end": None}, 400, "Quiet hours need both a start and an end."),
        ({"quiet_end": "22:00"}, 400, "Quiet hours need a different start and end."),
        ({"channels": ["push"]}, 400, "This site cannot send notifications that way."),
        ({"email_contact": "alice at example"}, 400, "That does not look like an email address."),
        ({"sms_contact": "12"}, 400, "That does not look like a phone number. Include the country code, e.g. +254…"),
        ({"channels": ["fax"]}, 422, "channels"),
        ({"channels": "email"}, 422, "channels"),
        ({"quiet_start": "25:00"}, 422, "quiet_start"),
        ({"quiet_start": "22:00+03:00"}, 422, "quiet_start"),
        ({"quiet_end": 0}, 422, "quiet_end"),
        ({"discreet": "sometimes"}, 422, "discreet"),
        ({"email_contact": "a@example.org\x00"}, 422, "email_contact"),
        ({"timezone": "x" * 65}, 422, "timezone"),
    ],
)
def test_it_refuses_preferences_it_cannot_keep_and_saves_nothing(alice, smtp_peer, change, status, expected):
    body = {
        "channels": ["email"],
        "quiet_start": "22:00",
        "quiet_end": "06:00",
        "timezone": "Africa/Nairobi",
        "email_contact": "alice@example.org",
        **change,
    }
    response = _put(_api(alice), "/api/v1/notifications/preferences", body)
    assert response.status_code == status, response.content
    if status == 400:
        assert response.json() == {"detail": expected}
    else:
        assert _field_named(response, expected), response.json()
    # All or nothing: a refused time zone does not leave the new email address saved.
    assert not Contact.objects.exists()
    assert not Preference.objects.filter(membership=alice).exclude(channels=["push"]).exists()


def test_it_explains_a_refused_time_with_an_offset(alice, smtp_peer):
    response = _put(
        _api(alice),
        "/api/v1/notifications/preferences",
        {"channels": [], "quiet_start": "22:00Z", "quiet_end": "06:00"},
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == "quiet_start"
    assert "Give quiet hours as a local time, without a time zone." in error["msg"]


# Push subscriptions ---------------------------------------------------------------------------------------


def test_it_subscribes_a_browser_once_and_removes_it(alice, push_peer):
    browser = push_peer.subscription()
    client = _api(alice)
    for _time in range(2):
        response = _post(client, "/api/v1/notifications/push-subscriptions", browser.as_form())
        assert response.status_code == 201
    subscription = PushSubscription.objects.get()
    assert (subscription.membership, subscription.endpoint) == (alice, browser.endpoint)
    response = _post(client, "/api/v1/notifications/push-subscriptions/remove", {"endpoint": browser.endpoint})
    assert response.status_code == 204
    assert not PushSubscription.objects.exists()


def test_it_leaves_other_members_subscriptions_alone_on_remove(alice, bob, push_peer):
    browser = push_peer.subscription()
    services.push_subscribe(membership=bob, **browser.as_form())
    response = _post(_api(alice), "/api/v1/notifications/push-subscriptions/remove", {"endpoint": browser.endpoint})
    assert response.status_code == 204
    assert PushSubscription.objects.get().membership == bob


@pytest.mark.parametrize(
    "change",
    [
        {"endpoint": "https://fcm.googleapis.com.evil.example/push/1"},
        {"endpoint": "https://evil.example/push/1"},
        {"endpoint": "http://127.0.0.1:6379/"},
        {"endpoint": "http://169.254.169.254/latest/meta-data/"},
        {"endpoint": "gopher://127.0.0.1:6379/_FLUSHALL"},
        {"endpoint": "not a url"},
        {"endpoint": ""},
        {"p256dh": "BAAA"},
        {"p256dh": "not base64 at all!"},
        {"auth": "!!"},
        {"auth": ""},
    ],
)
def test_it_refuses_a_subscription_it_could_not_or_should_not_use(alice, push_peer, change):
    response = _post(
        _api(alice), "/api/v1/notifications/push-subscriptions", {**push_peer.subscription().as_form(), **change}
    )
    assert (response.status_code, response.json()) == (400, UNUSABLE)
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"p256dh": "x" * 201}, "p256dh"),
        ({"endpoint": "https://fcm.googleapis.com/" + "x" * 1000}, "endpoint"),
        ({"auth": None}, "auth"),
        ({"endpoint": ["https://fcm.googleapis.com/a"]}, "endpoint"),
    ],
)
def test_it_refuses_a_malformed_subscription_with_the_field_named(alice, push_peer, change, field):
    response = _post(
        _api(alice), "/api/v1/notifications/push-subscriptions", {**push_peer.subscription().as_form(), **change}
    )
    assert response.status_code == 422 and _field_named(response, field), response.content
    assert not PushSubscription.objects.exists()


def test_it_allows_the_browsers_push_services_by_default(alice):
    form = {
        "endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
        "p256dh": "B" + "A" * 86,
        "auth": "A" * 22,
    }
    assert _post(_api(alice), "/api/v1/notifications/push-subscriptions", form).status_code == 201
    assert PushSubscription.objects.get().membership == alice


# The test message -----------------------------------------------------------------------------------------


def test_it_writes_a_test_message_for_every_chosen_channel(alice, bob, smtp_peer, sms_peer):
    reachable(alice, email="alice@example.org", phone="+254712345678")
    response = _post(_api(alice), "/api/v1/notifications/test")
    assert (response.status_code, response.json()) == (
        202,
        {"detail": "A test message is on its way on every channel you chose."},
    )
    sent = Dispatch.objects.get()
    assert (sent.topic, sent.urgent) == (Topic.TEST, True)
    assert set(Delivery.objects.filter(dispatch=sent).values_list("membership", "channel")) == {
        (alice.pk, Channel.INAPP),
        (alice.pk, Channel.EMAIL),
        (alice.pk, Channel.SMS),
    }


def test_it_sends_the_test_message_to_a_browser_subscribed_through_the_api(
    alice, push_peer, immediate_tasks, django_capture_on_commit_callbacks
):
    client = _api(alice)
    browser = push_peer.subscription()
    assert _post(client, "/api/v1/notifications/push-subscriptions", browser.as_form()).status_code == 201
    assert _put(client, "/api/v1/notifications/preferences", {"channels": ["push"]}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "/api/v1/notifications/test").status_code == 202
    [request] = push_peer.received()
    # The push service saw ciphertext; the browser's key opens a discreet message.
    assert request["payload"]["body"] == "New update from Sombrilla"
    assert set(outgoing().values_list("status", flat=True)) == {"sent"}


# Inbox ----------------------------------------------------------------------------------------------------


def _inbox_of(alice, bob) -> list:
    """Three entries for alice an hour apart (an alert, a police alert, a test) and one for bob."""
    for hours, topic in enumerate((Topic.ALERT, Topic.POLICE_ALERT, Topic.TEST)):
        with clock.travel(timedelta(hours=hours)):
            dispatch(alice.organisation, alice, topic=topic, url=f"/alerts/{hours}/")
    dispatch(bob.organisation, bob, topic=Topic.ALERT)
    return list(Delivery.objects.filter(membership=alice).order_by("-created_at").values_list("id", flat=True))


def test_it_lists_the_members_own_inbox_newest_first_in_pages(alice, bob):
    ids = _inbox_of(alice, bob)
    client = _api(alice)
    response = _get(client, "/api/v1/inbox?limit=2")
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 3
    assert [(item["id"], item["topic"], item["read"]) for item in page["items"]] == [
        (str(ids[0]), "test", False),
        (str(ids[1]), "police_alert", False),
    ]
    assert page["items"][1]["title"] == "Police activity reported"
    assert page["items"][1]["url"] == "/alerts/1/"
    [last] = _get(client, "/api/v1/inbox?limit=2&offset=2").json()["items"]
    assert (last["id"], last["title"]) == (str(ids[2]), "New alert about a client")


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=ten", f"offset={2**70}"])
def test_it_refuses_a_page_it_cannot_give_with_the_parameter_named(alice, query):
    response = _get(_api(alice), f"/api/v1/inbox?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", query.split("=")[0]]


def test_it_marks_the_whole_inbox_read_and_no_one_elses(alice, bob):
    _inbox_of(alice, bob)
    client = _api(alice)
    assert _post(client, "/api/v1/inbox/read").json() == {"marked": 3}
    assert {item["read"] for item in _get(client, "/api/v1/inbox").json()["items"]} == {True}
    assert _post(client, "/api/v1/inbox/read").json() == {"marked": 0}
    assert Delivery.objects.get(membership=bob).read_at is None


def test_it_marks_only_the_given_entries_and_never_another_members(alice, bob):
    ids = _inbox_of(alice, bob)
    bobs = Delivery.objects.get(membership=bob).pk
    response = _post(_api(alice), "/api/v1/inbox/read", {"ids": [str(ids[0]), str(bobs), UNKNOWN_ID]})
    assert response.json() == {"marked": 1}
    assert [item["read"] for item in _get(_api(alice), "/api/v1/inbox").json()["items"]] == [True, False, False]
    assert Delivery.objects.get(pk=bobs).read_at is None
    assert _post(_api(alice), "/api/v1/inbox/read", {"ids": []}).json() == {"marked": 0}


def test_it_refuses_malformed_ids_with_the_field_named(alice, bob):
    _inbox_of(alice, bob)
    for ids in (["not-an-id"], "all", [1]):
        response = _post(_api(alice), "/api/v1/inbox/read", {"ids": ids})
        assert response.status_code == 422 and _field_named(response, "ids"), ids
    assert not Delivery.objects.filter(read_at__isnull=False).exists()


def test_it_marks_read_from_the_browser_session_only_with_the_csrf_token(alice, bob):
    _inbox_of(alice, bob)
    client = log_in(Client(enforce_csrf_checks=True), alice)
    client.get("/account/")  # a page with a form sets the CSRF cookie
    assert client.post("/api/v1/inbox/read", {}, content_type=JSON).status_code == 403
    assert not Delivery.objects.filter(read_at__isnull=False).exists()
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post("/api/v1/inbox/read", {}, content_type=JSON, headers={"X-CSRFToken": csrf})
    assert (response.status_code, response.json()) == (200, {"marked": 3})


def test_it_keeps_analysts_out_of_notifications(nina, alice, bob):
    _inbox_of(alice, bob)
    client = _api(nina)
    for method, path in (
        ("get", "/api/v1/notifications/preferences"),
        ("get", "/api/v1/inbox"),
        ("post", "/api/v1/inbox/read"),
        ("post", "/api/v1/notifications/test"),
    ):
        response = _get(client, path) if method == "get" else _post(client, path)
        assert (response.status_code, response.json()) == (403, ONLY_MEMBERS), path
    assert not Delivery.objects.filter(read_at__isnull=False).exists()
    assert Dispatch.objects.filter(topic=Topic.TEST).count() == 1  # alice's, from _inbox_of


# Staff: dead letters --------------------------------------------------------------------------------------


@pytest.fixture
def dead_sms(alice, settings, sms_peer):
    """An SMS to alice that failed every attempt."""
    settings.DELIVERY_MAX_ATTEMPTS = 2
    sms_peer.answer = 503
    reachable(alice, phone="+254712345678")
    dispatch(alice.organisation, alice)
    services.deliveries_send_due()
    Delivery.objects.filter(channel=Channel.SMS).update(next_attempt_at=clock.now())
    services.deliveries_send_due()
    delivery = Delivery.objects.get(channel=Channel.SMS)
    assert delivery.status == Delivery.Status.DEAD
    return delivery


@pytest.mark.parametrize("person", ["carol", "dana"])
def test_it_lists_dead_deliveries_to_staff_without_naming_anyone(people, dead_sms, person):
    response = _get(_api(people[person]), "/api/v1/staff/deliveries/dead")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": str(dead_sms.pk),
                "topic": "alert",
                "channel": "sms",
                "attempts": 2,
                "last_error": "sms: HTTP 503",
                "created_at": response.json()["items"][0]["created_at"],
            }
        ],
        "count": 1,
    }
    for leaked in ("alice", "712345678", str(people["alice"].pk)):
        assert leaked not in response.content.decode()


def test_it_lists_and_retries_a_dead_letter_to_an_outside_contact_within_the_organisation(people, settings, sms_peer):
    dead = outside_dead_letter(people["alice"].organisation, settings, sms_peer)
    carol = _api(people["carol"])
    listed = _get(carol, "/api/v1/staff/deliveries/dead").json()
    assert [(d["id"], d["topic"], d["channel"], d["last_error"]) for d in listed["items"]] == [
        (str(dead.pk), "checkin_alert", "sms", "sms: HTTP 503")
    ]
    assert "733000111" not in json.dumps(listed)
    assert _get(_api(people["mallory"]), "/api/v1/staff/deliveries/dead").json()["count"] == 0
    assert _post(_api(people["mallory"]), f"/api/v1/staff/deliveries/{dead.pk}/retry").status_code == 404
    [entry] = _get(_api(people["alice"]), "/api/v1/inbox").json()["items"]
    assert (entry["topic"], entry["read"]) == ("checkin_alert", False)
    assert _post(carol, f"/api/v1/staff/deliveries/{dead.pk}/retry").status_code == 204
    sms_peer.answer = 200
    services.deliveries_send_due()
    assert Delivery.objects.get(pk=dead.pk).status == Delivery.Status.SENT
    assert [json.loads(r["body"])["to"] for r in sms_peer.received()] == ["+254733000111"] * 2


def test_it_shows_staff_of_another_organisation_none_of_org_as_dead_letters(mallory, dead_sms):
    assert _get(_api(mallory), "/api/v1/staff/deliveries/dead").json() == {"items": [], "count": 0}


@pytest.mark.parametrize(("person", "refusal"), [("alice", ONLY_STAFF), ("bob", ONLY_STAFF), ("nina", ONLY_MEMBERS)])
def test_it_keeps_everyone_but_staff_away_from_dead_letters(people, dead_sms, person, refusal):
    client = _api(people[person])
    listed = _get(client, "/api/v1/staff/deliveries/dead")
    assert (listed.status_code, listed.json()) == (403, refusal)
    retried = _post(client, f"/api/v1/staff/deliveries/{dead_sms.pk}/retry")
    assert (retried.status_code, retried.json()) == (403, refusal)
    assert Delivery.objects.get(pk=dead_sms.pk).status == Delivery.Status.DEAD
    assert not AuditEntry.objects.filter(action=AuditAction.DELIVERY_RETRIED).exists()


def test_it_retries_a_dead_delivery_and_audits_it(carol, dead_sms, sms_peer):
    client = _api(carol)
    response = _post(client, f"/api/v1/staff/deliveries/{dead_sms.pk}/retry")
    assert response.status_code == 204
    dead_sms.refresh_from_db()
    assert (dead_sms.status, dead_sms.attempts, dead_sms.last_error) == ("pending", 0, "")
    entry = AuditEntry.objects.get(action=AuditAction.DELIVERY_RETRIED)
    assert (entry.actor, entry.target_id) == (carol, dead_sms.pk)
    assert _get(client, "/api/v1/staff/deliveries/dead").json()["count"] == 0
    sms_peer.answer = 200
    services.deliveries_send_due()
    assert Delivery.objects.get(pk=dead_sms.pk).status == Delivery.Status.SENT


def test_it_refuses_to_retry_a_delivery_that_has_not_failed(carol, dead_sms):
    inbox_entry = Delivery.objects.get(channel=Channel.INAPP)
    response = _post(_api(carol), f"/api/v1/staff/deliveries/{inbox_entry.pk}/retry")
    assert (response.status_code, response.json()) == (400, {"detail": "Only failed deliveries can be retried."})
    assert Delivery.objects.get(pk=inbox_entry.pk).status == Delivery.Status.SENT
    assert not AuditEntry.objects.filter(action=AuditAction.DELIVERY_RETRIED).exists()


def test_it_answers_404_for_another_organisations_delivery_or_none_at_all(mallory, dead_sms):
    client = _api(mallory)
    for delivery_id in (dead_sms.pk, UNKNOWN_ID):
        response = _post(client, f"/api/v1/staff/deliveries/{delivery_id}/retry")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    malformed = _post(client, "/api/v1/staff/deliveries/not-a-uuid/retry")
    assert (malformed.status_code, malformed.json()) == (404, NOT_FOUND)
    assert Delivery.objects.get(pk=dead_sms.pk).status == Delivery.Status.DEAD
    assert not AuditEntry.objects.filter(action=AuditAction.DELIVERY_RETRIED).exists()


# Anonymous callers ----------------------------------------------------------------------------------------

OPERATIONS = [
    ("get", "notifications/preferences"),
    ("put", "notifications/preferences"),
    ("post", "notifications/test"),
    ("post", "notifications/push-subscriptions"),
    ("post", "notifications/push-subscriptions/remove"),
    ("get", "inbox"),
    ("post", "inbox/read"),
    ("get", "staff/deliveries/dead"),
    ("post", "staff/deliveries/{delivery_id}/retry"),
]


@pytest.mark.parametrize("enforce_csrf", [False, True])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_it_answers_anonymous_callers_with_401_and_does_nothing(dead_sms, method, path, enforce_csrf):
    client = Client(enforce_csrf_checks=enforce_csrf, raise_request_exception=False)
    url = "/api/v1/" + path.replace("{delivery_id}", str(dead_sms.pk))
    body = {"channels": [], "endpoint": "https://fcm.googleapis.com/x", "p256dh": "x", "auth": "x"}
    response = client.get(url) if method == "get" else getattr(client, method)(url, body, content_type=JSON)
    assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})
    assert Delivery.objects.get(pk=dead_sms.pk).status == Delivery.Status.DEAD
    assert not Delivery.objects.filter(read_at__isnull=False).exists()
    assert Dispatch.objects.count() == 1


def test_it_covers_every_notifications_operation_in_the_anonymous_test(db):
    """An operation added to the notifications router must be added to OPERATIONS above."""
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    tagged = {
        (method, path.removeprefix("/api/v1/"))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "notifications" in operation.get("tags", [])
    }
    assert tagged == set(OPERATIONS)
