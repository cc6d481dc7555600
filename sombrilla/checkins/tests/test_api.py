"""The check-ins API at /api/v1: buddies, settings, plans, check-in with a PIN, extend, SOS, responders and the
duty rota, with bearer tokens. The endpoints call the same services and selectors as the pages, so these tests
are about what the API adds: the JSON contract, who may call what (404 for what is not the caller's to see),
that a duress check-in answers exactly as a safe one, and that a refusal is a clear 4xx, never a server error."""

from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client

from sombrilla.accounts import services as account_services
from sombrilla.alerts.tests.factories import PHONE, PHONE_E164, make_alert, make_areas
from sombrilla.checkins import services
from sombrilla.checkins.models import Buddy, DutySlot, Plan, SafetySettings, Step
from sombrilla.checkins.tests.factories import lapse, make_plan, member_buddy, outside_buddy
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.notify.models import Delivery, Dispatch, Topic

JSON = "application/json"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
NOT_FOUND = {"detail": "Not Found"}
ONLY_MEMBERS = {"detail": "Only members of an organisation can do this."}
ONLY_STAFF = {"detail": "Only staff can do this."}
WRONG_PIN = {"detail": "That PIN is not right."}
CLOSED = {"detail": "This plan is already closed."}


class Api:
    """Calls the API with `membership`'s bearer token (None: anonymous). Server errors come back as 500
    answers instead of exceptions, so every call can be checked for never being one."""

    def __init__(self, membership=None):
        headers = {}
        if membership is not None:
            _token, raw = account_services.api_token_create(account=membership.account, label="test")
            headers["Authorization"] = f"Bearer {raw}"
        self.client = Client(raise_request_exception=False, headers=headers)

    def __call__(self, method: str, path: str, body=None):
        url = f"/api/v1/{path}"
        if method == "get":
            response = self.client.get(url)
        else:
            response = getattr(self.client, method)(url, body if body is not None else {}, content_type=JSON)
        assert response.status_code < 500, response.content
        return response


def _answer(response) -> tuple:
    return response.status_code, response.json()


def _field_named(response, field: str) -> bool:
    """A 422 names the field that is wrong, so a client can show the message beside it."""
    assert response.status_code == 422, response.content
    return any(field in error["loc"] for error in response.json()["detail"])


def _plan_body(**overrides) -> dict:
    body = {"minutes": 60, "place": "Hotel Azul, room 12", "identifiers": [{"kind": "phone", "value": PHONE}]}
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def _escalated(member, buddy_member):
    """A plan of `member`'s that lapsed: `buddy_member` (an accepted buddy) and the duty staff were told."""
    member_buddy(member, buddy_member)
    plan = make_plan(member, note="Blue car, says his name is Tony")
    lapse(plan, 60 + 15 + 1)
    lapse(plan, 60 + 15 + 15 + 2)
    assert plan.status == Plan.Status.ESCALATED
    return plan


# Buddies ----------------------------------------------------------------------------------------------------


def test_it_adds_a_member_buddy_who_counts_once_they_accept(alice, erin):
    response = Api(alice)("post", "checkins/buddies", {"kind": "member", "pseudonym": "ERIN", "name": "E"})
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "kind": "member",
        "name": "E",
        "pseudonym": "erin",
        "contact_hint": None,
        "known_as": "",
        "language": "",
        "status": "invited",
        "created_at": body["created_at"],
        "answered_at": None,
    }
    erin_api = Api(erin)
    requests = erin_api("get", "checkins/buddy-requests").json()
    assert [(r["id"], r["member"], r["status"]) for r in requests] == [(body["id"], "alice", "invited")]
    assert "E" not in {value for request in requests for value in request.values()}  # alice's name for erin
    answer = erin_api("post", f"checkins/buddies/{body['id']}/answer", {"accept": True})
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    assert [b["status"] for b in Api(alice)("get", "checkins/buddies").json()] == ["accepted"]
    # Twice is once too many, and the member who asked cannot answer for the one asked.
    assert _answer(erin_api("post", f"checkins/buddies/{body['id']}/answer", {"accept": False})) == (
        400,
        {"detail": "You have already answered this request."},
    )
    assert _answer(Api(alice)("post", f"checkins/buddies/{body['id']}/answer", {"accept": True})) == (
        400,
        {"detail": "This request was not sent to you."},
    )


def test_it_adds_an_outside_buddy_and_never_answers_with_the_whole_contact(alice):
    api = Api(alice)
    sms = api("post", "checkins/buddies", {"kind": "sms", "contact": "0700 111 222", "name": "Sis", "known_as": "Rosa"})
    email = api("post", "checkins/buddies", {"kind": "email", "contact": "Rosa.M@Example.org", "name": "Rosa"})
    assert (sms.status_code, email.status_code) == (201, 201)
    assert (sms.json()["status"], sms.json()["contact_hint"], sms.json()["known_as"]) == ("accepted", "…222", "Rosa")
    assert email.json()["contact_hint"] == "r…@….org"
    listed = api("get", "checkins/buddies")
    assert [b["name"] for b in listed.json()] == ["Sis", "Rosa"]
    for whole in ("700111222", "+254700111222", "rosa.m@example.org"):
        assert whole not in (sms.content + email.content + listed.content).decode()
    assert Buddy.objects.get(kind=Buddy.Kind.SMS).contact == "+254700111222"  # kept whole, to be able to send


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"kind": "member", "pseudonym": "nobody-here"}, 400, "No member of your organisation has that name."),
        # Another organisation's member gets the very same answer as a name that exists nowhere.
        ({"kind": "member", "pseudonym": "olga"}, 400, "No member of your organisation has that name."),
        ({"kind": "member", "pseudonym": "alice"}, 400, "You cannot be your own buddy."),
        ({"kind": "sms", "contact": "call me", "name": "Sis"}, 400, "That does not look like a phone number."),
        (
            {"kind": "email", "contact": "rosa at home", "name": "Rosa"},
            400,
            "That does not look like an email address.",
        ),
        ({"kind": "sms", "contact": "+254700111222", "name": "  "}, 400, "Give this buddy a name you will recognise."),
        ({"kind": "pigeon", "contact": "+254700111222", "name": "Sis"}, 400, "Choose how to reach this buddy"),
        ({"kind": 3, "contact": "+254700111222", "name": "Sis"}, 422, "kind"),
        ({"contact": "+254700111222", "name": "Sis"}, 422, "kind"),
        ({"kind": "sms", "contact": "+254700111222", "name": "S" * 81}, 422, "name"),
        ({"kind": "sms", "contact": "+" + "2" * 254, "name": "Sis"}, 422, "contact"),
        ({"kind": "member", "pseudonym": ["erin"]}, 422, "pseudonym"),
        ({"kind": "member", "pseudonym": "erin", "phone": "+254700111222"}, 422, "phone"),
        ({"kind": "sms", "contact": "+254700\x00111222", "name": "Sis"}, 422, "contact"),
    ],
)
def test_it_refuses_a_buddy_it_cannot_add_with_a_clear_reason(alice, olga, body, status, expected):
    response = Api(alice)("post", "checkins/buddies", body)
    if status == 400:
        assert response.status_code == 400 and response.json()["detail"].startswith(expected), response.json()
    else:
        assert _field_named(response, expected), response.json()
    assert not Buddy.objects.exists()


def test_it_stops_at_five_buddies(alice):
    api = Api(alice)
    for number in range(5):
        body = {"kind": "sms", "contact": f"+25470011122{number}", "name": f"Friend {number}"}
        assert api("post", "checkins/buddies", body).status_code == 201
    refused = api("post", "checkins/buddies", {"kind": "sms", "contact": "+254700111229", "name": "One more"})
    assert _answer(refused) == (400, {"detail": "You can name up to 5 buddies."})


def test_it_lets_either_side_end_a_buddy_and_nobody_else(alice, erin, frank, carol, mallory):
    buddy = member_buddy(alice, erin)
    for outsider in (frank, carol, mallory):
        assert _answer(Api(outsider)("post", f"checkins/buddies/{buddy.pk}/remove")) == (404, NOT_FOUND)
        assert _answer(Api(outsider)("post", f"checkins/buddies/{buddy.pk}/answer", {"accept": True})) == (
            404,
            NOT_FOUND,
        )
    assert Api(erin)("post", f"checkins/buddies/{buddy.pk}/remove").status_code == 204
    assert not Buddy.objects.exists()
    own = outside_buddy(alice)
    assert Api(alice)("post", f"checkins/buddies/{own.pk}/remove").status_code == 204
    assert _answer(Api(alice)("post", f"checkins/buddies/{own.pk}/remove")) == (404, NOT_FOUND)


# Settings ---------------------------------------------------------------------------------------------------


def test_it_saves_settings_and_never_answers_with_a_pin_or_its_hash(alice):
    api = Api(alice)
    assert _answer(api("get", "checkins/settings")) == (
        200,
        {"grace_minutes": 15, "has_pin": False, "has_duress_pin": False},
    )
    response = api("put", "checkins/settings", {"grace_minutes": 20, "pin": "2468", "duress_pin": "1357"})
    assert _answer(response) == (200, {"grace_minutes": 20, "has_pin": True, "has_duress_pin": True})
    saved = SafetySettings.objects.get(membership=alice)
    for secret in ("2468", "1357", saved.pin_hash, saved.duress_pin_hash):
        assert secret not in response.content.decode() + api("get", "checkins/settings").content.decode()
    # Empty PINs keep the old ones; removing clears both.
    assert api("put", "checkins/settings", {"grace_minutes": 30}).json()["has_duress_pin"] is True
    assert _answer(api("put", "checkins/settings", {"grace_minutes": 30, "remove_pins": True})) == (
        200,
        {"grace_minutes": 30, "has_pin": False, "has_duress_pin": False},
    )


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"grace_minutes": 15, "pin": "12"}, 400, "A PIN is 4 to 8 digits."),
        ({"grace_minutes": 15, "pin": "12ab"}, 400, "A PIN is 4 to 8 digits."),
        (
            {"grace_minutes": 15, "pin": "5555", "duress_pin": "5555"},
            400,
            "The duress PIN must differ from your check-in PIN.",
        ),
        ({"grace_minutes": 15, "duress_pin": "5555"}, 400, "Set a check-in PIN before a duress PIN."),
        ({"grace_minutes": 4}, 422, "grace_minutes"),
        ({"grace_minutes": 10**12}, 422, "grace_minutes"),
        ({"grace_minutes": "soon"}, 422, "grace_minutes"),
        ({}, 422, "grace_minutes"),
        ({"grace_minutes": 15, "pin": "1" * 17}, 422, "pin"),
        ({"grace_minutes": 15, "pin": 1234}, 422, "pin"),
        ({"grace_minutes": 15, "duress": "9999"}, 422, "duress"),
    ],
)
def test_it_refuses_settings_it_cannot_keep_with_a_clear_reason(alice, body, status, expected):
    response = Api(alice)("put", "checkins/settings", body)
    if status == 400:
        assert _answer(response) == (400, {"detail": expected})
    else:
        assert _field_named(response, expected), response.json()
    assert not SafetySettings.objects.filter(membership=alice).exclude(grace_minutes=15).exists()
    assert not SafetySettings.objects.exclude(pin_hash="").exists()


# Plans ------------------------------------------------------------------------------------------------------


def test_it_creates_a_plan_and_warns_about_a_client_with_published_alerts(alice, bob, carol, org_a):
    make_alert(bob, carol, make_areas(org_a)["nairobi"], categories=["robbery"])
    response = Api(alice)("post", "checkins/plans", _plan_body(note="Says his name is Tony"))
    assert response.status_code == 201
    body = response.json()
    plan = Plan.objects.get()
    assert body["id"] == str(plan.pk) and plan.membership == alice
    assert (body["status"], body["place"], body["note"]) == ("active", "Hotel Azul, room 12", "Says his name is Tony")
    assert body["identifiers"] == [{"kind": "phone", "value": PHONE_E164}]
    assert body["warnings"] == [{"kind": "phone", "reports": 1, "confirmed": True, "categories": ["robbery or theft"]}]
    assert datetime.fromisoformat(body["ends_at"]) - datetime.fromisoformat(body["starts_at"]) == timedelta(hours=1)
    assert body["grace_minutes"] == 15 and body["checked_in_at"] is None and body["outcome"] == ""
    # A client nobody reported: no warning, and the plan still goes ahead.
    other = Api(alice)("post", "checkins/plans", _plan_body(identifiers=[{"kind": "plate", "value": "KXX 999Z"}]))
    assert (other.status_code, other.json()["warnings"]) == (201, [])


def test_it_takes_a_start_and_an_end_or_a_start_and_how_long(alice):
    starts = (clock.now() + timedelta(hours=1)).replace(microsecond=0)
    api = Api(alice)
    by_end = api(
        "post",
        "checkins/plans",
        {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()},
    )
    by_minutes = api("post", "checkins/plans", {"starts_at": starts.isoformat(), "minutes": 120})
    assert by_end.status_code == by_minutes.status_code == 201
    for response in (by_end, by_minutes):
        assert datetime.fromisoformat(response.json()["starts_at"]) == starts
        assert datetime.fromisoformat(response.json()["ends_at"]) == starts + timedelta(hours=2)


PAST = "<an hour ago>"
FAR = "9999-12-31T23:30:00+00:00"


@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        # Refused by the service, with its reason.
        ({"minutes": None, "ends_at": PAST}, 400, "The expected end must be in the future."),
        ({"minutes": None, "ends_at": "2099-01-01T10:00:00Z"}, 400, "A plan can last up to 24 hours."),
        ({"minutes": 60, "starts_at": "9999-12-31T10:00:00-14:00"}, 400, "A plan can last up to 24 hours."),
        (
            {"identifiers": [{"kind": "name", "value": "Tony"}]},
            400,
            "Choose what you are checking: a phone number, handle, email or plate.",
        ),
        # Refused by the schema, naming the field.
        ({"minutes": None}, 422, "body"),
        ({"ends_at": "2099-01-01T10:00:00Z"}, 422, "body"),
        ({"minutes": 60, "starts_at": FAR}, 422, "body"),
        ({"minutes": None, "ends_at": "2030-01-01T10:00:00"}, 422, "ends_at"),  # no time zone: whose 10:00?
        ({"minutes": 0}, 422, "minutes"),
        ({"minutes": 24 * 60 + 1}, 422, "minutes"),
        ({"minutes": 10**30}, 422, "minutes"),
        ({"minutes": "an hour"}, 422, "minutes"),
        ({"starts_at": "tonight"}, 422, "starts_at"),
        ({"place": "x" * 501}, 422, "place"),
        ({"note": "x" * 1001}, 422, "note"),
        ({"note": "room\x0012"}, 422, "note"),
        ({"identifiers": [{"kind": "phone", "value": PHONE}] * 5}, 422, "identifiers"),
        ({"identifiers": [{"kind": "fax", "value": PHONE}]}, 422, "kind"),
        ({"identifiers": [{"kind": "phone", "value": "1" * 201}]}, 422, "value"),
        ({"identifiers": PHONE}, 422, "identifiers"),
        ({"client": "Tony"}, 422, "client"),
    ],
)
def test_it_refuses_a_plan_it_cannot_keep_with_a_clear_reason(alice, change, status, expected):
    body = _plan_body()
    for key, value in change.items():
        body[key] = (clock.now() - timedelta(hours=1)).isoformat() if value == PAST else value
    response = Api(alice)("post", "checkins/plans", {key: value for key, value in body.items() if value is not None})
    if status == 400:
        assert _answer(response) == (400, {"detail": expected})
    else:
        assert _field_named(response, expected), response.json()
    assert not Plan.objects.exists()


def test_it_lists_and_shows_only_the_members_own_plans(alice, erin, carol, mallory):
    own = make_plan(alice)
    theirs = make_plan(erin)
    api = Api(alice)
    page = api("get", "checkins/plans").json()
    assert (page["count"], [item["id"] for item in page["items"]]) == (1, [str(own.pk)])
    detail = api("get", f"checkins/plans/{own.pk}").json()
    assert (detail["escalation"], detail["responders"], detail["place"]) == ([], [], "Hotel Azul, room 12")
    # Another member's plan, even to staff of the same organisation, reads as one that does not exist.
    for person, plan_id in ((alice, theirs.pk), (carol, own.pk), (mallory, own.pk), (alice, UNKNOWN_ID)):
        assert _answer(Api(person)("get", f"checkins/plans/{plan_id}")) == (404, NOT_FOUND)
    for wrong in ("not-a-uuid", "1", "..%2F..%2Fadmin"):
        assert _answer(api("get", f"checkins/plans/{wrong}")) == (404, NOT_FOUND)
    assert api("get", "checkins/plans?limit=0").status_code == 422


def test_it_shows_the_member_each_step_and_who_was_told(alice, erin):
    plan = _escalated(alice, erin)
    detail = Api(alice)("get", f"checkins/plans/{plan.pk}").json()
    assert detail["status"] == "escalated"
    told = {(line["kind"], line["recipient"], line["channel"]) for line in detail["escalation"]}
    assert ("buddies", "erin", "in the app") in told
    assert {line["kind"] for line in detail["escalation"]} == {"buddies", "staff"}
    assert not AuditEntry.objects.filter(action=AuditAction.PLAN_VIEWED).exists()  # the member's own plan


# Check-in ---------------------------------------------------------------------------------------------------


def test_it_checks_in_with_the_pin_and_refuses_a_wrong_or_missing_one(alice):
    services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468")
    plan = make_plan(alice)
    api = Api(alice)
    for body in ({}, {"pin": "1111"}, {"pin": "24681"}):
        assert _answer(api("post", f"checkins/plans/{plan.pk}/check-in", body)) == (400, WRONG_PIN)
    response = api("post", f"checkins/plans/{plan.pk}/check-in", {"pin": " 2468 "})
    assert response.status_code == 200
    assert response.json()["status"] == "safe" and response.json()["checked_in_at"]
    assert _answer(api("post", f"checkins/plans/{plan.pk}/check-in", {"pin": "2468"})) == (400, CLOSED)
    assert api("post", f"checkins/plans/{plan.pk}/check-in", {"pin": 2468}).status_code == 422
    assert api("post", f"checkins/plans/{plan.pk}/check-in", {"pin": "2" * 17}).status_code == 422
    assert not Step.objects.filter(plan=plan).exclude(kind=Step.Kind.ASK).exists()


@pytest.mark.parametrize("minutes_before_check_in", [10, 61])  # before the end, and after "are you OK?"
def test_it_answers_a_duress_check_in_exactly_as_a_safe_one(alice, erin, monkeypatch, minutes_before_check_in):
    # A clock that stands still (but still travels), so both plans share every time and compare whole.
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + clock._offset)
    services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468", duress_pin="1357")
    member_buddy(alice, erin)
    safe, duress = make_plan(alice), make_plan(alice)
    lapse(safe, minutes_before_check_in)
    api = Api(alice)
    answers = {}
    with clock.travel(timedelta(minutes=minutes_before_check_in + 1)):
        for plan, pin in ((safe, "2468"), (duress, "1357")):
            checked_in = api("post", f"checkins/plans/{plan.pk}/check-in", {"pin": pin})
            assert checked_in.status_code == 200
            listed = [item for item in api("get", "checkins/plans").json()["items"] if item["id"] == str(plan.pk)]
            answers[pin] = [checked_in.json(), api("get", f"checkins/plans/{plan.pk}").json(), *listed]

    def comparable(bodies):
        # Two plans can never share an id or the instant they were made; everything else must match.
        return [{k: v for k, v in body.items() if k not in ("id", "created_at")} for body in bodies]

    assert comparable(answers["2468"]) == comparable(answers["1357"])
    assert answers["1357"][0]["status"] == "safe"
    # Behind the screen, the duress plan alerted erin and the staff at once; the safe one told nobody.
    assert set(Step.objects.filter(plan=duress).values_list("kind", "reason")) >= {
        (Step.Kind.BUDDIES, Step.Reason.DURESS),
        (Step.Kind.STAFF, Step.Reason.DURESS),
    }
    assert Delivery.objects.filter(dispatch__target_id=duress.pk, membership=erin).exists()
    assert not Step.objects.filter(plan=safe).exclude(kind=Step.Kind.ASK).exists()
    # Even once erin says she is on it, alice's own page shows nobody acting.
    Api(erin)("post", f"checkins/alerts/{duress.pk}/respond")
    assert api("get", f"checkins/plans/{duress.pk}").json()["responders"] == []


def test_it_alerts_in_silence_after_too_many_wrong_pins_while_still_saying_wrong_pin(alice, erin):
    services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468")
    member_buddy(alice, erin)
    plan = make_plan(alice)
    api = Api(alice)
    for _attempt in range(services.MAX_WRONG_PINS):
        assert _answer(api("post", f"checkins/plans/{plan.pk}/check-in", {"pin": "0000"})) == (400, WRONG_PIN)
    assert api("get", f"checkins/plans/{plan.pk}").json()["status"] == "active"
    assert Api(erin)("get", f"checkins/alerts/{plan.pk}").json()["silent"] is True


# Extend, SOS, close -----------------------------------------------------------------------------------------


def test_it_extends_a_plan_by_15_30_or_60_minutes(alice):
    plan = make_plan(alice)
    api = Api(alice)
    ends_at = plan.ends_at
    response = api("post", f"checkins/plans/{plan.pk}/extend", {"minutes": 30})
    assert response.status_code == 200
    plan.refresh_from_db()
    assert plan.ends_at == ends_at + timedelta(minutes=30)
    assert abs(datetime.fromisoformat(response.json()["ends_at"]) - plan.ends_at) < timedelta(milliseconds=1)
    assert _answer(api("post", f"checkins/plans/{plan.pk}/extend", {"minutes": 20})) == (
        400,
        {"detail": "Extend by 15, 30 or 60 minutes."},
    )
    assert api("post", f"checkins/plans/{plan.pk}/extend", {"minutes": 10**40}).status_code == 400
    assert _field_named(api("post", f"checkins/plans/{plan.pk}/extend", {"minutes": "half an hour"}), "minutes")
    assert _field_named(api("post", f"checkins/plans/{plan.pk}/extend", {}), "minutes")
    plan.refresh_from_db()
    assert plan.ends_at == ends_at + timedelta(minutes=30)


def test_it_refuses_to_extend_a_plan_that_already_alerted_or_closed(alice, erin):
    plan = _escalated(alice, erin)
    assert _answer(Api(alice)("post", f"checkins/plans/{plan.pk}/extend", {"minutes": 15})) == (
        400,
        {"detail": "Your buddies have already been alerted: check in or send an SOS instead."},
    )
    services.plan_close(actor=alice, plan=plan, outcome=Plan.Outcome.SAFE)
    assert _answer(Api(alice)("post", f"checkins/plans/{plan.pk}/extend", {"minutes": 15})) == (400, CLOSED)
    assert _answer(Api(alice)("post", f"checkins/plans/{plan.pk}/check-in")) == (400, CLOSED)


def test_it_raises_an_sos_without_a_plan_at_once_with_the_location(alice, erin, carol):
    member_buddy(alice, erin)
    location = {"lat": -1.2921, "lon": 36.8219, "accuracy": 25}
    response = Api(alice)("post", "checkins/sos", {"location": location, "note": "Back room"})
    assert response.status_code == 200
    plan = Plan.objects.get()
    assert (response.json()["id"], response.json()["status"], response.json()["note"]) == (
        str(plan.pk),
        "escalated",
        "Back room",
    )
    topics = set(Dispatch.objects.filter(target_id=plan.pk).values_list("topic", flat=True))
    assert topics == {Topic.CHECKIN_SOS}
    for responder in (erin, carol):
        alert = Api(responder)("get", f"checkins/alerts/{plan.pk}").json()
        assert alert["location"] == {"lat": -1.2921, "lon": 36.8219, "accuracy": 25}
        assert alert["member"] == "alice" and alert["silent"] is False
    # The member's own answers never carry the location back.
    assert "36.8219" not in Api(alice)("get", f"checkins/plans/{plan.pk}").content.decode()


def test_it_raises_an_sos_on_the_members_own_plan_only(alice, erin):
    member_buddy(alice, erin)
    plan = make_plan(alice)
    theirs = make_plan(erin)
    assert _answer(Api(alice)("post", "checkins/sos", {"plan_id": str(theirs.pk)})) == (404, NOT_FOUND)
    assert Api(alice)("post", "checkins/sos", {"plan_id": str(plan.pk)}).json()["status"] == "escalated"
    theirs.refresh_from_db()
    assert theirs.status == Plan.Status.ACTIVE and Plan.objects.count() == 2
    # An SOS is never refused for a plan closed in the meantime: as on the page, it goes out on a new one.
    services.plan_close(actor=alice, plan=plan, outcome=Plan.Outcome.OTHER)
    again = Api(alice)("post", "checkins/sos", {"plan_id": str(plan.pk)})
    assert again.status_code == 200 and again.json()["id"] != str(plan.pk) and again.json()["status"] == "escalated"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"location": {"lat": 91, "lon": 36.8}}, "lat"),
        ({"location": {"lat": -1.2, "lon": -181}}, "lon"),
        ({"location": {"lat": "north", "lon": 36.8}}, "lat"),
        ({"location": {"lat": -1.2}}, "lon"),
        ({"location": {"lat": float("nan"), "lon": 36.8}}, "lat"),
        ({"location": {"lat": -1.2, "lon": float("inf")}}, "lon"),
        ({"location": {"lat": -1.2, "lon": 36.8, "accuracy": -1}}, "accuracy"),
        ({"location": {"lat": -1.2, "lon": 36.8, "altitude": 1700}}, "altitude"),
        ({"location": "the hotel by the market"}, "location"),
        ({"plan_id": "my plan"}, "plan_id"),
        ({"note": "x" * 1001}, "note"),
        ({"where": "here"}, "where"),
    ],
)
def test_it_refuses_an_sos_it_cannot_read_and_says_which_part(alice, erin, body, expected):
    member_buddy(alice, erin)
    response = Api(alice)("post", "checkins/sos", body)
    assert _field_named(response, expected), response.json()
    assert not Plan.objects.exists() and not Dispatch.objects.filter(topic=Topic.CHECKIN_SOS).exists()


def test_it_lets_the_member_close_their_plan_with_an_outcome(alice):
    plan = make_plan(alice)
    api = Api(alice)
    assert _field_named(api("post", f"checkins/plans/{plan.pk}/close", {"outcome": "fine"}), "outcome")
    assert _field_named(api("post", f"checkins/plans/{plan.pk}/close", {}), "outcome")
    response = api("post", f"checkins/plans/{plan.pk}/close", {"outcome": "safe", "note": "All fine"})
    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "closed_at"} == {
        "id": str(plan.pk),
        "status": "closed",
        "outcome": "safe",
    }
    assert _answer(api("post", f"checkins/plans/{plan.pk}/close", {"outcome": "safe"})) == (400, CLOSED)


def test_it_lets_staff_close_an_alert_and_tell_everyone_it_is_over(alice, erin, frank, carol, mallory):
    plan = _escalated(alice, erin)
    body = {"outcome": "incident", "note": "Found her, safe now"}
    assert _answer(Api(erin)("post", f"checkins/plans/{plan.pk}/close", body)) == (
        400,
        {"detail": "Only the member or staff can close this plan."},
    )
    for outsider in (frank, mallory):
        assert _answer(Api(outsider)("post", f"checkins/plans/{plan.pk}/close", body)) == (404, NOT_FOUND)
    response = Api(carol)("post", f"checkins/plans/{plan.pk}/close", body)
    assert (response.status_code, response.json()["status"], response.json()["outcome"]) == (200, "closed", "incident")
    assert Step.objects.filter(plan=plan, kind=Step.Kind.STOOD_DOWN).exists()
    assert AuditEntry.objects.filter(actor=carol, action=AuditAction.PLAN_CLOSED, target_id=plan.pk).exists()
    # Staff close alerts, not a member's plan that alerted nobody.
    quiet = make_plan(alice)
    assert _answer(Api(carol)("post", f"checkins/plans/{quiet.pk}/close", body)) == (404, NOT_FOUND)


# Responders and staff ---------------------------------------------------------------------------------------


def test_it_shows_an_alert_to_the_buddies_told_and_to_staff_and_audits_each_view(alice, erin, frank, carol, mallory):
    plan = _escalated(alice, erin)
    for person in (erin, carol):
        response = Api(person)("get", f"checkins/alerts/{plan.pk}")
        assert response.status_code == 200
        alert = response.json()
        assert (alert["member"], alert["status"], alert["place"]) == ("alice", "escalated", "Hotel Azul, room 12")
        assert alert["note"] == "Blue car, says his name is Tony" and alert["location"] is None
        assert {(line["kind"], line["recipient"]) for line in alert["escalation"]} >= {("buddies", "erin")}
    viewed = AuditEntry.objects.filter(action=AuditAction.PLAN_VIEWED, target_id=plan.pk)
    assert sorted(viewed.values_list("actor__account__pseudonym", flat=True)) == ["carol", "erin"]
    # The member herself (her own page is the plan's), a member who was not told, another organisation.
    for person in (alice, frank, mallory):
        assert _answer(Api(person)("get", f"checkins/alerts/{plan.pk}")) == (404, NOT_FOUND)
    assert viewed.count() == 2


def test_it_shows_a_plan_to_nobody_else_before_it_alerts(alice, erin, carol):
    member_buddy(alice, erin)
    plan = make_plan(alice)
    for person in (erin, carol):
        assert _answer(Api(person)("get", f"checkins/alerts/{plan.pk}")) == (404, NOT_FOUND)
        assert _answer(Api(person)("post", f"checkins/alerts/{plan.pk}/respond")) == (404, NOT_FOUND)
    assert not AuditEntry.objects.filter(action=AuditAction.PLAN_VIEWED).exists()


def test_it_records_whoever_is_on_it_once_so_the_others_see(alice, erin, frank, carol):
    plan = _escalated(alice, erin)
    assert _answer(Api(erin)("post", f"checkins/alerts/{plan.pk}/respond")) == (200, {"responders": ["erin"]})
    assert _answer(Api(erin)("post", f"checkins/alerts/{plan.pk}/respond")) == (200, {"responders": ["erin"]})
    assert _answer(Api(carol)("post", f"checkins/alerts/{plan.pk}/respond")) == (
        200,
        {"responders": ["erin", "carol"]},
    )
    assert _answer(Api(frank)("post", f"checkins/alerts/{plan.pk}/respond")) == (404, NOT_FOUND)
    assert Api(alice)("get", f"checkins/plans/{plan.pk}").json()["responders"] == ["erin", "carol"]
    assert Api(carol)("get", "staff/checkins").json()["items"][0]["responders"] == ["erin", "carol"]
    services.plan_close(actor=alice, plan=plan, outcome=Plan.Outcome.SAFE)
    # Once closed, the plan's details are the member's and staff's only: an alerted buddy no longer sees it.
    assert _answer(Api(erin)("post", f"checkins/alerts/{plan.pk}/respond")) == (404, NOT_FOUND)
    assert _answer(Api(carol)("post", f"checkins/alerts/{plan.pk}/respond")) == (
        400,
        {"detail": "This alert is not open to you."},
    )


def test_it_lists_open_alerts_for_staff_of_the_organisation_only(alice, erin, carol, mallory):
    plan = _escalated(alice, erin)
    make_plan(alice)  # active: not an alert
    page = Api(carol)("get", "staff/checkins").json()
    assert page["count"] == 1
    item = page["items"][0]
    assert (item["id"], item["member"], item["silent"], item["status"]) == (str(plan.pk), "alice", False, "escalated")
    assert "place" not in item and "note" not in item  # details are read one at a time, each view audited
    assert Api(mallory)("get", "staff/checkins").json() == {"items": [], "count": 0}
    assert _answer(Api(erin)("get", "staff/checkins")) == (403, ONLY_STAFF)


def test_it_keeps_a_duty_rota_of_staff(carol, dana, alice, mallory):
    api = Api(carol)
    mine = api("post", "staff/duty", {"weekday": 4, "start": "22:00", "end": "06:00"})
    assert mine.status_code == 201
    assert {k: v for k, v in mine.json().items() if k != "id"} == {
        "membership_id": str(carol.pk),
        "pseudonym": "carol",
        "weekday": 4,
        "start": "22:00:00",
        "end": "06:00:00",
    }
    danas = api("post", "staff/duty", {"membership_id": str(dana.pk), "weekday": 0, "start": "08:00", "end": "16:00"})
    assert danas.status_code == 201
    assert [slot["pseudonym"] for slot in Api(dana)("get", "staff/duty").json()] == ["dana", "carol"]
    assert AuditEntry.objects.filter(action=AuditAction.DUTY_ROTA_CHANGED).count() == 2
    # Staff of another organisation cannot see, fill or empty organisation A's rota.
    assert Api(mallory)("get", "staff/duty").json() == []
    refused = Api(mallory)(
        "post", "staff/duty", {"membership_id": str(carol.pk), "weekday": 0, "start": "08:00", "end": "09:00"}
    )
    assert _answer(refused) == (404, NOT_FOUND)
    assert _answer(Api(mallory)("post", f"staff/duty/{mine.json()['id']}/remove")) == (404, NOT_FOUND)
    assert _answer(Api(alice)("post", f"staff/duty/{mine.json()['id']}/remove")) == (403, ONLY_STAFF)
    assert api("post", f"staff/duty/{mine.json()['id']}/remove").status_code == 204
    assert list(DutySlot.objects.values_list("membership", flat=True)) == [dana.pk]


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"membership_id": "<alice>", "weekday": 0, "start": "08:00", "end": "16:00"},
            400,
            "Only staff of the organisation can be on duty.",
        ),
        ({"weekday": 0, "start": "08:00", "end": "08:00"}, 400, "A shift needs a different start and end."),
        ({"weekday": 7, "start": "08:00", "end": "16:00"}, 422, "weekday"),
        ({"weekday": "Monday", "start": "08:00", "end": "16:00"}, 422, "weekday"),
        ({"weekday": 0, "start": "25:00", "end": "16:00"}, 422, "start"),
        ({"weekday": 0, "start": "08:00", "end": "16:00+03:00"}, 422, "end"),
        ({"weekday": 0, "start": "08:00"}, 422, "end"),
        ({"membership_id": "carol", "weekday": 0, "start": "08:00", "end": "16:00"}, 422, "membership_id"),
        ({"weekday": 0, "start": "08:00", "end": "16:00", "timezone": "UTC"}, 422, "timezone"),
    ],
)
def test_it_refuses_a_shift_it_cannot_keep_with_a_clear_reason(carol, alice, body, status, expected):
    if body.get("membership_id") == "<alice>":
        body = {**body, "membership_id": str(alice.pk)}
    response = Api(carol)("post", "staff/duty", body)
    if status == 400:
        assert _answer(response) == (400, {"detail": expected})
    else:
        assert _field_named(response, expected), response.json()
    assert not DutySlot.objects.exists()


# Who may call at all ----------------------------------------------------------------------------------------

# Every operation, with a body it would accept from a member, so a refusal can only be about who calls.
OPERATIONS = [
    ("get", "checkins/buddies", None),
    ("post", "checkins/buddies", {"kind": "sms", "contact": "+254700111222", "name": "Sis"}),
    ("post", "checkins/buddies/{buddy_id}/answer", {"accept": True}),
    ("post", "checkins/buddies/{buddy_id}/remove", None),
    ("get", "checkins/buddy-requests", None),
    ("get", "checkins/settings", None),
    ("put", "checkins/settings", {"grace_minutes": 20}),
    ("get", "checkins/plans", None),
    ("post", "checkins/plans", {"minutes": 60}),
    ("get", "checkins/plans/{plan_id}", None),
    ("post", "checkins/plans/{plan_id}/check-in", None),
    ("post", "checkins/plans/{plan_id}/extend", {"minutes": 15}),
    ("post", "checkins/plans/{plan_id}/close", {"outcome": "safe"}),
    ("post", "checkins/sos", None),
    ("get", "checkins/alerts/{plan_id}", None),
    ("post", "checkins/alerts/{plan_id}/respond", None),
    ("get", "staff/checkins", None),
    ("get", "staff/duty", None),
    ("post", "staff/duty", {"weekday": 0, "start": "08:00", "end": "09:00"}),
    ("post", "staff/duty/{slot_id}/remove", None),
]


def _call_every_operation(api, plan) -> list:
    ids = {"plan_id": plan.pk, "buddy_id": Buddy.objects.get().pk, "slot_id": UNKNOWN_ID}
    return [_answer(api(method, path.format(**ids), body)) for method, path, body in OPERATIONS]


def _nothing_changed(plan) -> None:
    before = (plan.status, plan.ends_at)
    plan.refresh_from_db()
    assert (plan.status, plan.ends_at) == before and Plan.objects.count() == 1
    assert Buddy.objects.get().status == Buddy.Status.ACCEPTED and not DutySlot.objects.exists()
    assert not SafetySettings.objects.exclude(grace_minutes=15).exists()
    assert not AuditEntry.objects.filter(action__in=(AuditAction.PLAN_VIEWED, AuditAction.PLAN_RESPONDED)).exists()


def test_it_answers_anonymous_callers_with_401_and_does_nothing(alice, erin):
    plan = _escalated(alice, erin)
    assert _call_every_operation(Api(), plan) == [(401, {"detail": "Unauthorized"})] * len(OPERATIONS)
    _nothing_changed(plan)


def test_it_refuses_analysts_every_check_in_operation_alike(alice, erin, nina):
    plan = _escalated(alice, erin)
    assert _call_every_operation(Api(nina), plan) == [(403, ONLY_MEMBERS)] * len(OPERATIONS)
    _nothing_changed(plan)


def test_it_refuses_a_suspended_member_even_an_sos_made_with_a_token_from_before(alice, erin, carol):
    plan = _escalated(alice, erin)
    api = Api(erin)
    account_services.membership_suspend(actor=carol, membership=erin)
    for method, path in (("get", f"checkins/alerts/{plan.pk}"), ("post", "checkins/sos"), ("get", "checkins/plans")):
        assert _answer(api(method, path)) == (401, {"detail": "Unauthorized"})
    assert Plan.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "status"),
    [
        ("not json at all", 400),
        ("[1, 2, 3]", 400),
        ('"SOS"', 400),
        ("", 400),
        ("x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), 413),
    ],
)
def test_it_answers_a_body_that_is_not_json_with_json_never_a_server_error(alice, content, status):
    for path in ("checkins/sos", "checkins/plans", "checkins/buddies"):
        response = Api(alice).client.post(f"/api/v1/{path}", content, content_type=JSON)
        assert 400 <= response.status_code < 500 and response["Content-Type"].startswith(JSON), path
        assert response.json()["detail"]
        if status == 413:
            assert _answer(response) == (413, {"detail": "This request is too large."})
    assert not Plan.objects.exists() and not Buddy.objects.exists()


def test_it_covers_every_check_in_operation_in_the_caller_tests(db):
    """An operation added to the checkins router must be added to OPERATIONS above."""
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    tagged = {
        (method, path.removeprefix("/api/v1/"))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "checkins" in operation.get("tags", [])
    }
    assert tagged == {(method, path) for method, path, _body in OPERATIONS}
