"""The check-in pages with Django's test client: every page for the right people and a 404 for everyone else,
forms that keep what was typed, hostile input, the duress check-in that must look exactly like a safe one,
SOS with and without a location, responders, staff, and the outside contact's one-time link."""

import itertools
import json
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from sombrilla.alerts.tests.factories import PHONE, PHONE_E164, make_areas, make_report
from sombrilla.checkins import services
from sombrilla.checkins.models import Buddy, DutySlot, Plan, Responder, Step
from sombrilla.checkins.tests.factories import lapse, make_plan, member_buddy, outside_buddy
from sombrilla.conftest import input_value, log_in, page_shows, page_text
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.core.tests.browser_pages import checkins_objects, session_cookie
from sombrilla.core.tests.test_bad_input import HOSTILE, MUST_BE_REFUSED, UNESCAPED
from sombrilla.notify.models import Channel, Delivery
from sombrilla.notify.services import preference_update

# Past a 60-minute plan's end and the default 15-minute grace: the buddies are alerted.
ESCALATES = 60 + 16


def _client(membership=None, **options) -> Client:
    client = Client(raise_request_exception=False, **options)
    return log_in(client, membership) if membership is not None else client


def _textarea(response, name: str) -> str | None:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page_text(response), re.S)
    return match.group(1) if match else None


def _main(response) -> str:
    """The page without the shared shell (nav, footer), which names the logged-in person."""
    return page_text(response).split('<main id="main">', 1)[1].split("</main>", 1)[0]


def _escalated(member, buddy_member, **plan_fields) -> Plan:
    member_buddy(member, buddy_member)
    plan = make_plan(member, **plan_fields)
    lapse(plan, ESCALATES)
    assert plan.status == Plan.Status.ESCALATED
    return plan


def _link_token(plan: Plan) -> str:
    """The one-time token, as the outside contact's SMS carries it (only its hash is stored)."""
    message = Delivery.objects.get(dispatch__target_id=plan.pk, channel=Channel.SMS).message
    return re.search(r"/c/([^/]+)/", message).group(1)


def _pins(member, pin="1234", duress="9999"):
    services.safety_settings_update(membership=member, grace_minutes=15, pin=pin, duress_pin=duress)


# Who may reach what ------------------------------------------------------------------------------------


# Every page a member opens for themselves, and the staff's; "{plan}" is the member's own plan.
OWN_PAGES = ("/checkins/", "/checkins/new/", "/checkins/plans/{plan}/", "/checkins/buddies/", "/checkins/settings/")
STAFF_PAGES = ("/staff/checkins/", "/staff/duty/")


def test_it_shows_the_member_every_own_page(alice):
    plan = make_plan(alice)
    client = _client(alice)
    for path in (page.format(plan=plan.pk) for page in OWN_PAGES):
        response = client.get(path)
        assert response.status_code == 200, path
        for markup in UNESCAPED:
            assert markup not in page_text(response)


def test_it_answers_404_for_another_members_plan_and_changes_nothing(alice, erin):
    plan = make_plan(alice)
    client = _client(erin)
    base = f"/checkins/plans/{plan.pk}/"
    assert client.get(base).status_code == 404
    assert client.get(f"/checkins/alerts/{plan.pk}/").status_code == 404  # not alerted: not a responder
    for path, data in (
        ("check-in/", {}),
        ("extend/", {"minutes": "15"}),
        ("close/", {"outcome": "safe"}),
        ("report/", {}),
    ):
        assert client.post(base + path, data).status_code == 404, path
    assert client.post("/checkins/sos/", {"plan": str(plan.pk)}).status_code == 404
    assert client.post(f"/checkins/alerts/{plan.pk}/respond/").status_code == 404
    plan.refresh_from_db()
    assert (plan.status, plan.ends_at - plan.starts_at) == (Plan.Status.ACTIVE, timedelta(minutes=60))
    assert not Plan.objects.filter(membership=erin).exists()


def test_it_answers_404_to_another_organisation(alice, erin, dana, mallory, olga):
    plan = _escalated(alice, erin)
    slot = services.duty_slot_add(actor=dana, membership=dana, weekday=0, start=time(9), end=time(17))
    for person in (mallory, olga):
        client = _client(person)
        for path in (f"/checkins/plans/{plan.pk}/", f"/checkins/alerts/{plan.pk}/"):
            assert client.get(path).status_code == 404, path
        assert client.post(f"/checkins/plans/{plan.pk}/close/", {"outcome": "safe"}).status_code == 404
        assert client.post(f"/checkins/alerts/{plan.pk}/respond/").status_code == 404
    staff_b = _client(mallory)
    assert "alice" not in _main(staff_b.get("/staff/checkins/"))
    assert "dana" not in _main(staff_b.get("/staff/duty/"))
    assert staff_b.post(f"/staff/duty/{slot.pk}/remove/").status_code == 404
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ESCALATED and DutySlot.objects.filter(pk=slot.pk).exists()
    assert not AuditEntry.objects.filter(actor=mallory, target_id=plan.pk).exists()


def test_it_keeps_analysts_out_of_every_check_in_page(nina, alice, erin):
    plan = _escalated(alice, erin)
    client = _client(nina)
    for path in (page.format(plan=plan.pk) for page in (*OWN_PAGES, "/checkins/alerts/{plan}/", *STAFF_PAGES)):
        assert client.get(path).status_code == 404, path
    assert client.post("/checkins/sos/").status_code == 404
    assert not Plan.objects.filter(membership=nina).exists()


def test_it_keeps_members_out_of_the_staff_pages(alice, bob):
    for person in (alice, bob):
        client = _client(person)
        assert client.get("/staff/checkins/").status_code == 404
        assert client.get("/staff/duty/").status_code == 404
        assert client.post("/staff/duty/", {"membership": str(person.pk)}).status_code == 404


def test_it_sends_anonymous_visitors_to_log_in(alice):
    plan = make_plan(alice)
    for path in (page.format(plan=plan.pk) for page in (*OWN_PAGES, "/checkins/alerts/{plan}/", *STAFF_PAGES)):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path
    assert Client().post("/checkins/sos/").status_code == 302
    assert Plan.objects.count() == 1


def test_it_links_check_ins_for_members_and_the_staff_pages_for_staff(alice, carol, nina):
    alice_home = page_text(_client(alice).get("/home/"))
    assert 'href="/checkins/"' in alice_home and 'href="/staff/checkins/"' not in alice_home
    carol_home = page_text(_client(carol).get("/home/"))
    assert 'href="/staff/checkins/"' in carol_home and 'href="/staff/duty/"' in carol_home
    assert 'href="/checkins/"' not in page_text(_client(nina).get("/home/"))


# Plans ----------------------------------------------------------------------------------------------------


def _plan_data(**overrides) -> dict:
    data = {
        "minutes": "90",
        "starts_at": "",
        "place": "Hotel Azul, room 12",
        "phone": "0712 999 000",
        "handle": "@night_owl",
        "email": "",
        "plate": "KDB 456B",
        "note": "Says his name is Sam.",
    }
    data.update(overrides)
    return data


def test_it_offers_one_hour_and_no_start_by_default(alice):
    response = _client(alice).get("/checkins/new/")
    assert '<option value="60" selected>' in page_text(response)
    assert input_value(response, "starts_at") == ""
    assert 'type="datetime-local"' in page_text(response)


def test_it_makes_a_plan_from_the_form_and_shows_its_details(alice):
    client = _client(alice)
    before = clock.now()
    response = client.post("/checkins/new/", _plan_data())
    plan = Plan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/checkins/plans/{plan.pk}/"
    assert before <= plan.starts_at <= clock.now()
    assert plan.ends_at - plan.starts_at == timedelta(minutes=90)
    assert services.plan_identifiers(plan) == [
        ("phone", "+254712999000"),
        ("handle", "night_owl"),
        ("plate", "KDB456B"),
    ]
    page = client.get(response["Location"])
    assert page_shows(page, "Your plan is on. Check in here when you are safe.")
    for shown in ("Hotel Azul, room 12", "+254712999000", "night_owl", "KDB456B", "Says his name is Sam.", "active"):
        assert shown in page_text(page), shown
    assert f'href="/checkins/plans/{plan.pk}/"' in page_text(client.get("/checkins/"))


def test_it_reads_a_later_start_in_the_members_own_time_zone(alice):
    preference_update(
        membership=alice, channels=[], discreet=True, quiet_start=None, quiet_end=None, timezone="Africa/Nairobi"
    )
    nairobi = timezone.localtime(clock.now() + timedelta(hours=2), timezone=ZoneInfo("Africa/Nairobi"))
    typed = nairobi.strftime("%Y-%m-%dT%H:%M")
    client = _client(alice)
    response = client.post("/checkins/new/", _plan_data(starts_at=typed, minutes="60"))
    assert response.status_code == 302
    plan = Plan.objects.get()
    assert plan.starts_at == nairobi.replace(second=0, microsecond=0)
    assert plan.ends_at - plan.starts_at == timedelta(hours=1)
    assert nairobi.strftime("%H:%M") in page_text(client.get(response["Location"]))
    assert page_shows(client.get("/checkins/new/"), "Times are in Africa/Nairobi time.")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"minutes": "7"}, "Select a valid choice. 7 is not one of the available choices."),
        ({"starts_at": "after dinner"}, "Enter a valid date/time."),
        ({"starts_at": "2020-01-01T10:00"}, "The expected end must be in the future."),
        ({"plate": "K" * 21}, "Ensure this value has at most 20 characters (it has 21)."),
    ],
)
def test_it_keeps_everything_typed_when_a_plan_fails(alice, overrides, message):
    sent = _plan_data(email="sam@example.org", **overrides)
    response = _client(alice).post("/checkins/new/", sent)
    assert response.status_code == 400
    assert page_shows(response, message)
    for name in ("starts_at", "place", "phone", "handle", "email", "plate"):
        assert input_value(response, name) == sent[name], name
    assert _textarea(response, "note") == escape(sent["note"])
    assert not Plan.objects.exists()


def test_it_warns_at_once_when_the_client_matches_reports_and_keeps_the_number_out_of_the_session(alice, frank):
    make_report(frank, make_areas(alice.organisation)["nairobi"])
    client = _client(alice)
    response = client.post("/checkins/new/", _plan_data(phone=PHONE))
    assert response.status_code == 302
    for kept in (json.dumps(dict(client.session.items())), response["Location"]):
        assert PHONE_E164 not in kept and "712345678" not in kept
    page = client.get(response["Location"])
    assert page_shows(page, "Phone number: this client matches 1 report")
    assert "(unverified)" in page_text(page) and "threats, blackmail or outing" in page_text(page)
    assert "this client matches" not in page_text(client.get(response["Location"]))  # said once, prominently


def test_it_hints_at_adding_a_buddy_until_there_is_one(alice):
    client = _client(alice)
    assert page_shows(client.get("/checkins/"), "You have no buddy yet: nobody would be alerted.")
    outside_buddy(alice)
    assert not page_shows(client.get("/checkins/"), "You have no buddy yet")


# Checking in, and the duress PIN ----------------------------------------------------------------------------


def test_it_checks_in_safe(alice):
    plan = make_plan(alice)
    client = _client(alice)
    response = client.post(f"/checkins/plans/{plan.pk}/check-in/")
    assert response.status_code == 302 and response["Location"] == f"/checkins/plans/{plan.pk}/"
    page = client.get(response["Location"])
    assert page_shows(page, "You checked in. Stay safe.") and "checked in safe" in page_text(page)
    assert f'action="/checkins/plans/{plan.pk}/check-in/"' not in page_text(page)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SAFE


def test_it_asks_for_a_pin_only_when_one_is_set_and_never_shows_it_back(alice):
    plan = make_plan(alice)
    client = _client(alice)
    assert 'name="pin"' not in page_text(client.get(f"/checkins/plans/{plan.pk}/"))
    _pins(alice)
    response = client.get(f"/checkins/plans/{plan.pk}/")
    pin = re.search(r'<input[^>]*name="pin"[^>]*>', page_text(response)).group(0)
    assert 'type="password"' in pin and 'inputmode="numeric"' in pin and 'autocomplete="off"' in pin
    refused = client.post(f"/checkins/plans/{plan.pk}/check-in/", {"pin": "4321"})
    assert input_value(refused, "pin") == ""


def test_it_refuses_a_wrong_pin_with_a_clear_message(alice):
    _pins(alice)
    plan = make_plan(alice)
    client = _client(alice)
    for pin in ("4321", "", "12ab", HOSTILE["long"]):
        response = client.post(f"/checkins/plans/{plan.pk}/check-in/", {"pin": pin})
        assert response.status_code == 400, pin
        assert page_shows(response, "That PIN is not right."), pin
    plan.refresh_from_db()
    assert plan.checked_in_at is None
    assert client.post(f"/checkins/plans/{plan.pk}/check-in/", {"pin": "1234"}).status_code == 302


def _normalised(text: str, plan: Plan) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', text)
    return text.replace(str(plan.pk), "PLAN")


def test_it_shows_a_duress_check_in_exactly_like_a_safe_one(monkeypatch, alice, erin):
    """Whoever stands over the member's phone must not be able to tell: the same answer, the same page, the
    same list of plans, and nobody shown acting on it; meanwhile the buddies are alerted."""
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 2, 20, 0, tzinfo=UTC))
    member_buddy(alice, erin)
    _pins(alice)
    safe, duress = make_plan(alice), make_plan(alice)
    lapse(safe, 61)
    lapse(duress, 61)  # both were asked "are you OK?", so both pages list that step
    client = _client(alice)
    answers, pages = [], []
    with clock.travel(timedelta(minutes=62)):
        for plan, pin in ((safe, "1234"), (duress, "9999")):
            answer = client.post(f"/checkins/plans/{plan.pk}/check-in/", {"pin": pin})
            page = client.get(answer["Location"])
            answers.append((answer.status_code, _normalised(answer["Location"], plan), answer.content))
            # The flash message itself; its signature carries the second it was signed in.
            answers[-1] += (answer.cookies["messages"].value.split(":")[0],)
            pages.append(_normalised(page_text(page), plan))
    assert answers[0] == answers[1]
    assert pages[0] == pages[1]
    assert "You checked in. Stay safe." in pages[1] and "checked in safe" in pages[1]
    safe.refresh_from_db()
    duress.refresh_from_db()
    assert (safe.status, duress.status) == (Plan.Status.SAFE, Plan.Status.ESCALATED)
    assert duress.steps.filter(kind=Step.Kind.BUDDIES, reason=Step.Reason.DURESS).exists()
    # erin acts on it; alice's screen still shows a quiet, safe check-in.
    assert _client(erin).post(f"/checkins/alerts/{duress.pk}/respond/").status_code == 302
    with clock.travel(timedelta(minutes=63)):
        again = [_normalised(page_text(client.get(f"/checkins/plans/{p.pk}/")), p) for p in (safe, duress)]
        listing = page_text(client.get("/checkins/"))
    assert again[0] == again[1] and "erin" not in again[1]
    assert listing.count("checked in safe") == 2 and "alert raised" not in listing


# Extending, SOS, closing, reporting ---------------------------------------------------------------------------


def test_it_extends_by_15_30_or_60_minutes_only(alice):
    plan = make_plan(alice)
    client = _client(alice)
    page = page_text(client.get(f"/checkins/plans/{plan.pk}/"))
    assert all(f'name="minutes" value="{minutes}"' in page for minutes in (15, 30, 60))
    ends = plan.ends_at
    response = client.post(f"/checkins/plans/{plan.pk}/extend/", {"minutes": "30"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.ends_at == ends + timedelta(minutes=30)
    assert page_shows(client.get(response["Location"]), "Extended. Check in by ")
    for minutes in ("45", "", "-15"):
        refused = client.post(f"/checkins/plans/{plan.pk}/extend/", {"minutes": minutes})
        assert refused.status_code == 400 and page_shows(refused, "Extend by 15, 30 or 60 minutes.")


def test_it_refuses_to_extend_once_the_buddies_are_alerted(alice, erin):
    plan = _escalated(alice, erin)
    response = _client(alice).post(f"/checkins/plans/{plan.pk}/extend/", {"minutes": "15"})
    assert response.status_code == 400
    assert page_shows(response, "Your buddies have already been alerted: check in or send an SOS instead.")


def test_it_sends_an_sos_from_the_home_page_without_a_plan(alice, erin, carol):
    member_buddy(alice, erin)
    client = _client(alice)
    home = page_text(client.get("/checkins/"))
    assert 'action="/checkins/sos/"' in home and 'name="add_location"' in home
    response = client.post("/checkins/sos/")
    plan = Plan.objects.get()
    assert response["Location"] == f"/checkins/plans/{plan.pk}/"
    assert plan.status == Plan.Status.ESCALATED and plan.location == ""
    assert {step.kind for step in plan.steps.all()} == {Step.Kind.BUDDIES, Step.Kind.STAFF}
    assert Delivery.objects.filter(dispatch__target_id=plan.pk, membership=erin).exists()
    page = client.get(response["Location"])
    assert page_shows(page, "SOS sent. Your buddies and the duty staff are being alerted now.")
    assert "alert raised" in page_text(page) and "erin" in page_text(page)  # the record shows who was told


def test_it_sends_the_location_with_an_sos_when_the_browser_gives_one(alice, erin, carol):
    plan = make_plan(alice)
    member_buddy(alice, erin)
    response = _client(alice).post(
        "/checkins/sos/", {"plan": str(plan.pk), "lat": "-1.2921", "lon": "36.8219", "accuracy": "35.4"}
    )
    assert response["Location"] == f"/checkins/plans/{plan.pk}/"
    plan.refresh_from_db()
    assert json.loads(plan.location) == {"lat": -1.2921, "lon": 36.8219, "accuracy": 35}
    link = 'href="https://www.openstreetmap.org/?mlat=-1.2921&amp;mlon=36.8219#map=17/-1.2921/36.8219"'
    assert link in page_text(_client(alice).get(response["Location"]))
    assert link in page_text(_client(carol).get(f"/checkins/alerts/{plan.pk}/"))
    assert "<iframe" not in page_text(_client(carol).get(f"/checkins/alerts/{plan.pk}/"))


@pytest.mark.parametrize(
    "location",
    [
        {"lat": "200", "lon": "36.8"},
        {"lat": "abc", "lon": "36.8"},
        {"lat": "-1.29"},
        {"lat": "nan", "lon": "inf"},
        {"lat": "-1.29", "lon": "36.8", "accuracy": "-5"},
        {"lat": HOSTILE["script"], "lon": HOSTILE["long"]},
    ],
)
def test_it_sends_the_sos_anyway_when_the_location_cannot_be_read_and_says_so(alice, location):
    client = _client(alice)
    response = client.post("/checkins/sos/", location)
    plan = Plan.objects.get()
    assert response.status_code == 302 and plan.status == Plan.Status.ESCALATED and plan.location == ""
    page = client.get(response["Location"])
    assert page_shows(page, "SOS sent.")
    assert page_shows(page, "Your location could not be read on this device, so it was not sent.")


def test_it_sends_an_sos_from_a_closed_plans_page_on_a_new_plan(alice):
    plan = make_plan(alice)
    services.plan_sos(actor=alice, plan=plan)
    services.plan_close(actor=alice, plan=plan, outcome=Plan.Outcome.SAFE)
    response = _client(alice).post("/checkins/sos/", {"plan": str(plan.pk)})
    fresh = Plan.objects.exclude(pk=plan.pk).get()
    assert response["Location"] == f"/checkins/plans/{fresh.pk}/" and fresh.status == Plan.Status.ESCALATED


def test_it_answers_a_malformed_plan_id_in_an_sos_with_404(alice):
    for value in ("not-a-uuid", HOSTILE["sql"], "00000000-0000-4000-8000-000000000000"):
        assert _client(alice).post("/checkins/sos/", {"plan": value}).status_code == 404
    assert not Plan.objects.exists()


def test_it_lets_the_member_close_an_alert_with_an_outcome(alice, erin):
    plan = _escalated(alice, erin)
    client = _client(alice)
    page = page_text(client.get(f"/checkins/plans/{plan.pk}/"))
    assert 'name="outcome"' in page and "Your buddies have been alerted." in page
    refused = client.post(f"/checkins/plans/{plan.pk}/close/", {"outcome": "fine", "note": "He left early."})
    assert refused.status_code == 400 and page_shows(refused, "Select a valid choice.")
    assert _textarea(refused, "note") == "He left early."
    response = client.post(f"/checkins/plans/{plan.pk}/close/", {"outcome": "incident", "note": "He left early."})
    assert response.status_code == 302 and response["Location"] == f"/checkins/plans/{plan.pk}/"
    plan.refresh_from_db()
    assert (plan.status, plan.outcome, plan.outcome_note) == (Plan.Status.CLOSED, "incident", "He left early.")
    closed = client.get(response["Location"])
    assert page_shows(closed, "How it ended: something happened")
    again = client.post(f"/checkins/plans/{plan.pk}/close/", {"outcome": "safe"})
    assert again.status_code == 400 and page_shows(again, "This plan is already closed.")


def test_it_lets_staff_close_an_alert_and_audits_it_but_not_a_buddy(alice, erin, carol):
    plan = _escalated(alice, erin)
    assert _client(erin).post(f"/checkins/plans/{plan.pk}/close/", {"outcome": "safe"}).status_code == 404
    client = _client(carol)
    assert f'action="/checkins/plans/{plan.pk}/close/"' in page_text(client.get(f"/checkins/alerts/{plan.pk}/"))
    refused = client.post(f"/checkins/plans/{plan.pk}/close/", {"outcome": "", "note": "Called her."})
    assert refused.status_code == 400 and _textarea(refused, "note") == "Called her."
    response = client.post(f"/checkins/plans/{plan.pk}/close/", {"outcome": "safe", "note": "Called her."})
    assert response["Location"] == f"/checkins/alerts/{plan.pk}/"
    plan.refresh_from_db()
    assert plan.status == Plan.Status.CLOSED and plan.closed_by == carol
    assert AuditEntry.objects.filter(action=AuditAction.PLAN_CLOSED, actor=carol, target_id=plan.pk).exists()


def test_it_fills_in_an_incident_report_from_the_plan_without_saving_anything(alice, erin):
    from sombrilla.alerts.models import Report

    make_areas(alice.organisation)
    plan = _escalated(alice, erin, identifiers=[("phone", PHONE), ("plate", "KDA 123A")])
    services.plan_close(actor=alice, plan=plan, outcome=Plan.Outcome.INCIDENT, note="He would not pay.")
    client = _client(alice)
    assert client.get(f"/checkins/plans/{plan.pk}/report/").status_code == 405
    response = client.post(f"/checkins/plans/{plan.pk}/report/")
    assert response.status_code == 200
    assert 'action="/reports/new/"' in page_text(response)
    assert input_value(response, "phone") == PHONE_E164 and input_value(response, "plate") == "KDA123A"
    assert _textarea(response, "account") == "He would not pay."
    assert input_value(response, "occurred_on") == "" and len(input_value(response, "submission_key")) >= 24
    assert not Report.objects.exists()


# Buddies ----------------------------------------------------------------------------------------------------


def test_it_asks_a_member_to_be_a_buddy_and_they_accept(alice, erin):
    client = _client(alice)
    response = client.post("/checkins/buddies/", {"action": "member", "pseudonym": "Erin"})
    assert response.status_code == 302
    buddy = Buddy.objects.get()
    assert (buddy.buddy, buddy.status) == (erin, Buddy.Status.INVITED)
    assert "waiting for an answer" in page_text(client.get("/checkins/buddies/"))
    erin_client = _client(erin)
    request = page_text(erin_client.get("/checkins/buddies/"))
    assert "alice" in request and f'action="/checkins/buddies/{buddy.pk}/answer/"' in request
    assert erin_client.post(f"/checkins/buddies/{buddy.pk}/answer/", {"answer": "accept"}).status_code == 302
    buddy.refresh_from_db()
    assert buddy.status == Buddy.Status.ACCEPTED
    assert "accepted" in page_text(client.get("/checkins/buddies/"))
    again = erin_client.post(f"/checkins/buddies/{buddy.pk}/answer/", {"answer": "decline"}, follow=True)
    assert page_shows(again, "You have already answered this request.")


def test_it_lets_the_asked_member_decline(alice, erin):
    buddy = services.buddy_add_member(actor=alice, pseudonym="erin")
    client = _client(erin)
    bogus = client.post(f"/checkins/buddies/{buddy.pk}/answer/", {"answer": HOSTILE["sql"]}, follow=True)
    assert page_shows(bogus, "Please check the form.")
    client.post(f"/checkins/buddies/{buddy.pk}/answer/", {"answer": "decline"})
    buddy.refresh_from_db()
    assert buddy.status == Buddy.Status.DECLINED
    assert "declined" in page_text(_client(alice).get("/checkins/buddies/"))


@pytest.mark.parametrize("pseudonym", ["nobody", "mallory", "alice"])
def test_it_refuses_a_member_buddy_it_cannot_add_and_keeps_the_name(alice, mallory, pseudonym):
    response = _client(alice).post("/checkins/buddies/", {"action": "member", "pseudonym": pseudonym})
    assert response.status_code == 400
    message = (
        "You cannot be your own buddy." if pseudonym == "alice" else "No member of your organisation has that name."
    )
    assert page_shows(response, message)
    assert input_value(response, "pseudonym") == pseudonym
    assert not Buddy.objects.exists()


def test_it_adds_an_outside_buddy_and_keeps_what_was_typed_when_refused(alice):
    client = _client(alice)
    data = {
        "action": "outside",
        "name": "Sis",
        "kind": "sms",
        "contact": "0712 111 222",
        "known_as": "Rosa",
        "language": "es",
    }
    refused = client.post("/checkins/buddies/", {**data, "contact": "call me"})
    assert refused.status_code == 400
    assert page_shows(refused, "That does not look like a phone number. Include the country code, e.g. +254…")
    assert (input_value(refused, "name"), input_value(refused, "contact")) == ("Sis", "call me")
    assert 'value="es" selected' in page_text(refused)
    assert client.post("/checkins/buddies/", data).status_code == 302
    buddy = Buddy.objects.get()
    assert (buddy.kind, buddy.contact, buddy.known_as, buddy.language) == ("sms", "+254712111222", "Rosa", "es")
    page = page_text(client.get("/checkins/buddies/"))
    assert "Sis" in page and "+254712111222" not in page  # the number is not shown back on every visit


def test_it_removes_a_buddy_from_either_side_and_nobody_else(alice, erin, frank):
    first = member_buddy(alice, erin)
    second = outside_buddy(alice)
    assert _client(frank).post(f"/checkins/buddies/{second.pk}/remove/").status_code == 404
    assert _client(alice).post(f"/checkins/buddies/{second.pk}/remove/").status_code == 302
    erin_page = page_text(_client(erin).get("/checkins/buddies/"))
    assert "Stop looking out for them" in erin_page
    assert _client(erin).post(f"/checkins/buddies/{first.pk}/remove/").status_code == 302
    assert not Buddy.objects.exists()


# PINs and waiting time --------------------------------------------------------------------------------------


def test_it_saves_pins_and_explains_the_duress_pin(alice):
    client = _client(alice)
    page = client.get("/checkins/settings/")
    assert page_shows(page, "You have no check-in PIN: anyone holding your phone can check in for you.")
    assert "looks like a safe check-in, but alerts your buddies" in page_text(page)
    assert input_value(page, "grace_minutes") == "15"
    response = client.post("/checkins/settings/", {"grace_minutes": "30", "pin": "2468", "duress_pin": "1357"})
    assert response.status_code == 302
    own = services.safety_settings_get(membership=alice)
    assert own.grace_minutes == 30 and own.pin_hash and own.duress_pin_hash and "2468" not in own.pin_hash
    page = client.get("/checkins/settings/")
    assert page_shows(page, "You have a check-in PIN") and page_shows(page, "You have a duress PIN.")
    assert input_value(page, "pin") == "" and input_value(page, "grace_minutes") == "30"
    client.post("/checkins/settings/", {"grace_minutes": "30", "remove_pins": "on"})
    own.refresh_from_db()
    assert own.pin_hash == own.duress_pin_hash == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"duress_pin": "1357"}, "Set a check-in PIN before a duress PIN."),
        ({"pin": "1357", "duress_pin": "1357"}, "The duress PIN must differ from your check-in PIN."),
        ({"pin": "12ab"}, "A PIN is 4 to 8 digits."),
        ({"pin": "123"}, "A PIN is 4 to 8 digits."),
        ({"grace_minutes": "3"}, "The wait before your buddies are alerted is 5 to 120 minutes."),
        ({"grace_minutes": "soon"}, "Enter a whole number."),
    ],
)
def test_it_refuses_bad_pins_with_a_clear_message_and_keeps_the_wait(alice, data, message):
    response = _client(alice).post("/checkins/settings/", {"grace_minutes": "45", **data})
    assert response.status_code == 400
    assert page_shows(response, message)
    assert input_value(response, "grace_minutes") == data.get("grace_minutes", "45")
    assert input_value(response, "pin") == ""
    assert services.safety_settings_get(membership=alice).grace_minutes == 15


# Responders ---------------------------------------------------------------------------------------------------


def test_it_shows_the_alert_to_an_alerted_buddy_and_audits_every_view(alice, erin, frank):
    member_buddy(alice, erin)
    plan = make_plan(alice, identifiers=[("plate", "KDA 123A")], note="Blue door")
    client = _client(erin)
    assert client.get(f"/checkins/alerts/{plan.pk}/").status_code == 404  # nothing has happened yet
    lapse(plan, ESCALATES)
    response = client.get(f"/checkins/alerts/{plan.pk}/")
    assert response.status_code == 200
    for shown in ("alice", "Hotel Azul, room 12", "KDA123A", "Blue door", "I'm on it", "Who was told"):
        assert shown in page_text(response), shown
    client.get(f"/checkins/alerts/{plan.pk}/")
    assert AuditEntry.objects.filter(action=AuditAction.PLAN_VIEWED, actor=erin, target_id=plan.pk).count() == 2
    assert 'name="outcome"' not in page_text(response)  # closing is for the member and staff
    assert _client(frank).get(f"/checkins/alerts/{plan.pk}/").status_code == 404


def test_it_records_who_is_on_it_once_and_shows_them_to_the_member(alice, erin, carol):
    plan = _escalated(alice, erin)
    client = _client(erin)
    assert client.post(f"/checkins/alerts/{plan.pk}/respond/").status_code == 302
    assert client.post(f"/checkins/alerts/{plan.pk}/respond/").status_code == 302
    assert Responder.objects.filter(plan=plan).count() == 1
    assert page_shows(client.get(f"/checkins/alerts/{plan.pk}/"), "Thank you. The others can see that you are on it.")
    assert "On it" in page_text(_client(alice).get(f"/checkins/plans/{plan.pk}/"))
    assert "erin" in _main(_client(carol).get(f"/checkins/alerts/{plan.pk}/"))
    services.plan_close(actor=alice, plan=plan, outcome=Plan.Outcome.SAFE)
    # Closed: the buddy no longer sees the plan; staff still do, and are told the alert is over.
    assert client.post(f"/checkins/alerts/{plan.pk}/respond/").status_code == 404
    late = _client(carol).post(f"/checkins/alerts/{plan.pk}/respond/", follow=True)
    assert page_shows(late, "This alert is not open to you.")


def test_it_lists_open_alerts_for_staff_the_longest_waiting_first(alice, erin, frank, carol):
    first = _escalated(alice, erin)
    with clock.travel(timedelta(minutes=5)):
        second = make_plan(frank)
        services.plan_sos(actor=frank, plan=second)
    services.plan_respond(actor=carol, plan=first)
    make_plan(erin)  # active: not an alert
    page = _main(_client(carol).get("/staff/checkins/"))
    assert page.index(f"/checkins/alerts/{first.pk}/") < page.index(f"/checkins/alerts/{second.pk}/")
    assert "erin" not in page
    assert page_shows(_client(carol).get(f"/checkins/alerts/{second.pk}/"), "frank")


# Duty rota ------------------------------------------------------------------------------------------------


def test_it_adds_and_removes_a_duty_shift(carol, dana, alice):
    client = _client(carol)
    page = page_text(client.get("/staff/duty/"))
    assert f'value="{dana.pk}"' in page and f'value="{alice.pk}"' not in page  # staff only
    response = client.post(
        "/staff/duty/", {"membership": str(dana.pk), "weekday": "4", "start": "22:00", "end": "06:00"}
    )
    assert response.status_code == 302
    slot = DutySlot.objects.get()
    assert (slot.membership, slot.weekday, slot.start.hour, slot.end.hour) == (dana, 4, 22, 6)
    listed = page_text(client.get("/staff/duty/"))
    assert "Friday" in listed and "22:00–06:00" in listed and "dana" in listed
    assert client.post(f"/staff/duty/{slot.pk}/remove/").status_code == 302
    assert not DutySlot.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DUTY_ROTA_CHANGED, actor=carol).count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end": "09:00"}, "A shift needs a different start and end."),
        ({"membership": "{alice}"}, "Select a valid choice."),
        ({"weekday": "9"}, "Select a valid choice."),
        ({"start": "25:00"}, "Enter a valid time."),
    ],
)
def test_it_refuses_a_bad_shift_with_a_message_and_keeps_it(carol, dana, alice, change, message):
    data = {"membership": str(dana.pk), "weekday": "1", "start": "09:00", "end": "17:00"}
    data.update({key: value.format(alice=alice.pk) for key, value in change.items()})
    response = _client(carol).post("/staff/duty/", data)
    assert response.status_code == 400 and page_shows(response, message)
    assert input_value(response, "start") == data["start"]
    assert not DutySlot.objects.exists()


# The outside contact's one-time link ----------------------------------------------------------------------


@pytest.fixture
def linked(alice, sms_peer):
    """An outside buddy who was sent a link when alice's plan lapsed, and the link's token."""
    outside_buddy(alice)
    plan = make_plan(alice, identifiers=[("plate", "KDA 123A")])
    lapse(plan, ESCALATES)
    return plan, _link_token(plan)


def test_it_shows_the_plan_to_the_outside_contact_without_naming_the_member_and_audits_it(linked):
    plan, token = linked
    response = Client().get(f"/c/{token}/")
    assert response.status_code == 200
    main = _main(response)
    assert "Rosa may need help" in main and "Hotel Azul, room 12" in main and "KDA123A" in main
    assert "alice" not in page_text(response) and "Collective A" not in page_text(response)
    assert response["Referrer-Policy"] == "no-referrer"
    assert '<meta name="referrer" content="no-referrer">' in page_text(response)
    assert "no-store" in response["Cache-Control"] and "noindex" in response["X-Robots-Tag"]
    viewed = AuditEntry.objects.get(action=AuditAction.PLAN_VIEWED, target_id=plan.pk)
    assert viewed.actor is None and viewed.actor_label == "outside contact: Sis"


def test_it_records_an_outside_contact_on_it_without_a_csrf_token(linked):
    plan, token = linked
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/c/{token}/")
    assert response.status_code == 200
    assert page_shows(response, "Thank you. The others can see that someone is on it.")
    assert "1 person said they are on it." in page_text(response)
    assert Responder.objects.get(plan=plan).buddy.name == "Sis"
    assert AuditEntry.objects.filter(action=AuditAction.PLAN_RESPONDED, target_id=plan.pk).count() == 1


def test_it_writes_the_link_page_in_the_contacts_language(alice, smtp_peer):
    services.buddy_add_outside(actor=alice, kind="email", contact="rosa@example.org", name="Rosa", language="ar")
    plan = make_plan(alice)
    lapse(plan, ESCALATES)
    message = Delivery.objects.get(dispatch__target_id=plan.pk, channel=Channel.EMAIL).message
    token = re.search(r"/c/([^/]+)/", message).group(1)
    body = page_text(Client().get(f"/c/{token}/"))
    assert '<html lang="ar" dir="rtl">' in body


def test_it_answers_an_expired_link_with_410(linked):
    _plan, token = linked
    with clock.travel(timedelta(minutes=ESCALATES, hours=25)):
        response = Client().get(f"/c/{token}/")
    assert response.status_code == 410
    assert page_shows(response, "This link has expired or does not exist.")


def test_it_answers_a_link_to_a_closed_alert_with_410(alice, linked):
    plan, token = linked
    services.plan_check_in(actor=alice, plan=plan)
    for response in (Client().get(f"/c/{token}/"), Client().post(f"/c/{token}/")):
        assert response.status_code == 410
        assert page_shows(response, "This alert is over. Thank you for looking out.")
    assert not Responder.objects.exists()


@pytest.mark.parametrize("token", ["x" * 32, "%3Cscript%3E", "A" * 5000])
def test_it_answers_an_unknown_link_with_the_same_410_as_an_expired_one(db, token):
    response = Client().get(f"/c/{token}/")
    assert response.status_code == 410
    assert page_shows(response, "This link has expired or does not exist.")
    assert "<script>" not in page_text(response)


# Hostile input ------------------------------------------------------------------------------------------


# Forms on a plan or a shift; those that address nothing are in sombrilla/core/tests/test_bad_input.py.
FORMS = [
    ("check-in", "/checkins/plans/{plan}/check-in/", "alice", {}, ("pin",)),
    ("extend", "/checkins/plans/{plan}/extend/", "alice", {"minutes": "15"}, ("minutes",)),
    ("sos", "/checkins/sos/", "alice", {"plan": "{plan}"}, ("lat", "lon", "accuracy")),
    ("close", "/checkins/plans/{escalated}/close/", "alice", {"outcome": "safe"}, ("outcome", "note")),
    ("staff-close", "/checkins/plans/{escalated}/close/", "carol", {"outcome": "safe"}, ("outcome", "note")),
    (
        "duty",
        "/staff/duty/",
        "carol",
        {"membership": "{dana}", "weekday": "1", "start": "09:00", "end": "17:00"},
        ("membership", "weekday", "start", "end"),
    ),
]
# An SOS is never refused: a location it cannot read is left out, and the member told (tested above).
NEVER_REFUSED = {"sos"}


@pytest.mark.parametrize("case", FORMS, ids=lambda case: case[0])
def test_it_answers_hostile_input_with_a_message_never_a_server_error(people, erin, case):
    name, path, who, base, fields = case
    alice = people["alice"]
    _pins(alice)  # so a hostile PIN is a wrong one, and the plan stays open for the next try
    ids = {"plan": make_plan(alice).pk, "escalated": _escalated(alice, erin).pk, "dana": people["dana"].pk}
    client = _client(people[who])
    for (kind, value), field in itertools.product(HOSTILE.items(), fields):
        data = {key: text.format(**ids) for key, text in base.items()}
        answer = client.post(path.format(**ids), {**data, field: value}, follow=name in NEVER_REFUSED)
        where = f"{name}.{field}={kind}"
        shown = page_text(answer)
        assert answer.status_code < 500 and not any(markup in shown for markup in UNESCAPED), where
        if kind in MUST_BE_REFUSED and name not in NEVER_REFUSED:
            assert 400 <= answer.status_code < 500, where
            assert 'class="errorlist' in shown or 'class="msg error"' in shown, where


def test_it_escapes_hostile_text_on_every_page_that_shows_it(alice, erin, carol, sms_peer):
    hostile = HOSTILE["script"] + HOSTILE["attribute"]
    services.buddy_add_outside(actor=alice, kind="sms", contact="+254712111222", name=hostile, known_as=hostile[:40])
    member_buddy(alice, erin)
    plan = make_plan(alice, place=hostile, note=hostile, identifiers=[("handle", hostile[:100])])
    lapse(plan, ESCALATES)
    services.plan_respond(actor=erin, plan=plan)
    pages = [
        (_client(alice), f"/checkins/plans/{plan.pk}/"),
        (_client(alice), "/checkins/buddies/"),
        (_client(erin), f"/checkins/alerts/{plan.pk}/"),
        (_client(carol), f"/checkins/alerts/{plan.pk}/"),
        (Client(), f"/c/{_link_token(plan)}/"),
    ]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        for markup in UNESCAPED:
            assert markup not in page_text(response), path
        assert "&lt;script&gt;" in page_text(response), path


@pytest.mark.parametrize(
    "path",
    [
        "/checkins/plans/not-a-uuid/",
        "/checkins/plans/00000000-0000-4000-8000-000000000000/",
        "/checkins/alerts/00000000-0000-4000-8000-000000000000/",
        "/checkins/alerts/%3Cscript%3E/",
    ],
)
def test_it_answers_a_malformed_or_unknown_id_with_404(carol, path):
    assert _client(carol).get(path).status_code == 404


@pytest.mark.parametrize(
    ("who", "path", "data"),
    [
        ("alice", "/checkins/new/", {"minutes": "60"}),
        ("alice", "/checkins/sos/", {}),
        ("alice", "/checkins/buddies/", {"action": "member", "pseudonym": "bob"}),
        ("alice", "/checkins/settings/", {"grace_minutes": "20"}),
        ("carol", "/staff/duty/", {}),
    ],
)
def test_it_refuses_a_check_in_form_without_the_csrf_token(people, who, path, data):
    client = log_in(Client(enforce_csrf_checks=True, raise_request_exception=False), people[who])
    assert client.post(path, data).status_code == 403
    assert not Plan.objects.exists() and not Buddy.objects.exists() and not DutySlot.objects.exists()


# In a real browser ------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_it_sends_the_browsers_location_with_an_sos_when_the_member_ticks_the_box(chromium, live_url, alice):
    context = chromium.new_context(geolocation={"latitude": -1.2921, "longitude": 36.8219}, permissions=["geolocation"])
    try:
        context.add_cookies([session_cookie(live_url, alice)])
        tab = context.new_page()
        tab.goto(f"{live_url}/checkins/")
        tab.get_by_label("Add my location").check()
        tab.get_by_role("button", name="SOS: I need help now").click()
        tab.wait_for_url(re.compile(r"/checkins/plans/"))
        assert "SOS sent." in tab.content()
    finally:
        context.close()
    where = json.loads(Plan.objects.get(membership=alice).location)
    assert (where["lat"], where["lon"]) == (-1.2921, 36.8219)


@pytest.mark.browser
def test_it_sends_no_location_without_javascript(chromium, live_url, alice):
    context = chromium.new_context(java_script_enabled=False)
    try:
        context.add_cookies([session_cookie(live_url, alice)])
        tab = context.new_page()
        tab.goto(f"{live_url}/checkins/")
        assert not tab.get_by_label("Add my location").is_visible()  # it would do nothing without the script
        tab.get_by_role("button", name="SOS: I need help now").click()
        tab.wait_for_url(re.compile(r"/checkins/plans/"))
    finally:
        context.close()
    plan = Plan.objects.get(membership=alice)
    assert plan.status == Plan.Status.ESCALATED and plan.location == ""


@pytest.mark.browser
def test_it_keeps_the_link_token_out_of_every_request_and_takes_the_real_form(chromium, live_url, people):
    """Under no-referrer the browser sends `Origin: null` with the form, which is why the link page does not
    use CSRF protection; and no request the page makes carries the token."""
    token = checkins_objects(people)["token"]
    context = chromium.new_context()
    requests = []
    context.on("request", lambda request: requests.append(request))
    try:
        tab = context.new_page()
        tab.goto(f"{live_url}/c/{token}/")
        tab.get_by_role("button", name="I'm on it").click()
        tab.wait_for_load_state()
        assert "Thank you. The others can see that someone is on it." in tab.content()
    finally:
        context.close()
    assert Responder.objects.filter(buddy__isnull=False).count() == 1
    for request in requests:
        assert token not in (request.headers.get("referer") or ""), request.url
