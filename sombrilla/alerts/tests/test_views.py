"""The alert pages with Django's test client: every page, forms that keep what was typed, hostile input,
and people from outside the organisation or the role getting 404s."""

import itertools
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils.html import escape

from sombrilla.alerts import services
from sombrilla.alerts.models import Alert, AreaFollow, PoliceAlert, Report, ScreeningCount
from sombrilla.alerts.tests.factories import PHONE_E164, make_alert, make_report
from sombrilla.conftest import input_value, log_in, page_shows, page_text
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.core.tests.test_bad_input import HOSTILE, MUST_BE_REFUSED, UNESCAPED


def _client(membership=None) -> Client:
    client = Client(raise_request_exception=False)
    return log_in(client, membership) if membership is not None else client


def _textarea(response, name: str) -> str | None:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page_text(response), re.S)
    return match.group(1) if match else None


def _checked(response, name: str) -> set[str]:
    """Values of the ticked boxes called `name` ("on" for a lone checkbox, which has no value attribute)."""
    values = set()
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page_text(response)):
        if " checked" in tag:
            value = re.search(r'value="([^"]*)"', tag)
            values.add(value.group(1) if value else "on")
    return values


def _report_data(where, **overrides) -> dict:
    data = {
        "submission_key": "key-" + "x" * 20,
        "occurred_on": (date.today() - timedelta(days=2)).isoformat(),
        "occurred_approximate": "on",
        "area": str(where.pk),
        "categories": ["robbery", "threats"],
        "account": "He took my phone and said he knows where I live.",
        "phone": "0712 345 678",
        "handle": "@big_tony",
        "platform": "Telegram",
        "email": "Tony@Example.org",
        "plate": "KDA 123A",
        "name_used": "Tony",
        "person_description": "Tall, grey beard",
        "vehicle_description": "White Probox",
        "consent_alert": "on",
        "consent_statistics": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# Reporting ------------------------------------------------------------------------------------------------


def test_it_shows_the_report_form_with_consents_preset(alice, areas):
    response = _client(alice).get("/reports/new/")
    assert response.status_code == 200
    assert _checked(response, "consent_alert") == {"on"}
    assert _checked(response, "consent_statistics") == {"on"}
    assert _checked(response, "consent_referral") == set()  # lawyers or police: no, unless she says so
    assert len(input_value(response, "submission_key")) >= 24
    assert "Nairobi" in page_text(response)


def test_it_saves_a_report_and_shows_it_among_my_reports(alice, areas):
    client = _client(alice)
    response = client.post("/reports/new/", _report_data(areas["westlands"]))
    assert response.status_code == 302 and response["Location"] == "/reports/"
    report = Report.objects.get()
    assert (report.reporter, report.area, report.occurred_approximate) == (alice, areas["westlands"], True)
    assert (report.consent_alert, report.consent_referral, report.consent_statistics) == (True, False, True)
    assert {(i.kind, i.value) for i in report.identifiers.all()} == {
        ("phone", PHONE_E164),
        ("handle", "big_tony"),
        ("email", "tony@example.org"),
        ("plate", "KDA123A"),
        ("name", "tony"),
    }
    page = client.get("/reports/")
    assert "Robbery or theft, threats, blackmail or outing" in page_text(page)
    assert page_shows(page, "waiting for a moderator")


def test_it_makes_one_report_when_the_same_form_is_sent_twice(alice, areas):
    client = _client(alice)
    data = _report_data(areas["westlands"])
    assert client.post("/reports/new/", data).status_code == 302
    assert client.post("/reports/new/", data).status_code == 302
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"categories": None}, "This field is required."),
        ({"account": ""}, "This field is required."),
        ({"occurred_on": "next tuesday"}, "Enter a valid date."),
        ({"occurred_on": (date.today() + timedelta(days=3)).isoformat()}, "The date cannot be in the future."),
        ({"area": "00000000-0000-4000-8000-000000000000"}, "Select a valid choice."),
        ({"categories": ["arson"]}, "Select a valid choice. arson is not one of the available choices."),
        ({"plate": "K" * 21}, "Ensure this value has at most 20 characters (it has 21)."),
    ],
)
def test_it_keeps_everything_typed_when_a_report_fails(alice, areas, overrides, message):
    sent = _report_data(areas["westlands"], consent_referral="on", **overrides)
    response = _client(alice).post("/reports/new/", sent)
    assert response.status_code == 400
    assert page_shows(response, message)
    for name in ("submission_key", "occurred_on", "phone", "handle", "platform", "email", "plate", "name_used"):
        assert input_value(response, name) == sent.get(name, ""), name
    for name in ("account", "person_description", "vehicle_description"):
        assert _textarea(response, name) == escape(sent[name]), name
    assert _checked(response, "consent_alert") == _checked(response, "consent_referral") == {"on"}
    assert _checked(response, "consent_statistics") == {"on"}
    assert _checked(response, "occurred_approximate") == {"on"}
    assert _checked(response, "categories") == (
        {c for c in sent["categories"] if c != "arson"} if "categories" in sent else set()
    )
    if overrides.get("area", "").startswith("0000"):
        assert "selected" not in re.search(r'<select name="area".*?</select>', page_text(response), re.S).group(0)
    else:
        assert f'value="{areas["westlands"].pk}" selected' in page_text(response)
    assert not Report.objects.exists()


def test_it_keeps_consent_choices_exactly_as_given(alice, areas):
    data = _report_data(areas["westlands"], consent_alert=None, consent_statistics=None, consent_referral="on")
    _client(alice).post("/reports/new/", data)
    report = Report.objects.get()
    assert (report.consent_alert, report.consent_referral, report.consent_statistics) == (False, True, False)


def test_it_sends_a_trusted_moderator_straight_to_publishing_their_report(bob, carol, areas):
    _client(carol).post(f"/staff/members/{bob.pk}/", {"action": "trust"})
    response = _client(bob).post("/reports/new/", _report_data(areas["westlands"]))
    report = Report.objects.get()
    assert response["Location"] == f"/moderation/reports/{report.pk}/"
    published = _client(bob).post(
        response["Location"],
        {"action": "publish", "text": "Robs workers.", "areas": [str(areas["nairobi"].pk)], "categories": ["robbery"]},
    )
    assert published.status_code == 302
    assert Alert.objects.get().reports.get() == report


def test_it_explains_that_areas_are_missing_instead_of_a_form(alice):
    response = _client(alice).get("/reports/new/")
    assert response.status_code == 200
    assert page_shows(response, "Your organisation has not set up any areas yet. Ask a staff member.")
    assert 'name="account"' not in page_text(response)


# Hostile input ------------------------------------------------------------------------------------------------

FORMS = [
    ("report", "/reports/new/", "alice", None, ("account", "phone", "handle", "email", "plate", "occurred_on", "area")),
    ("police", "/police/new/", "alice", {"kind": "raid", "minutes_ago": "0"}, ("note", "kind", "minutes_ago", "area")),
    ("check", "/check/", "alice", {"kind": "phone", "value": "0712345678"}, ("kind", "value")),
    ("follow", "/alerts/areas/", "alice", {}, ("areas",)),
    (
        "publish",
        "/moderation/reports/{report}/",
        "bob",
        {"action": "publish", "text": "x"},
        ("text", "areas", "categories", "action"),
    ),
    ("reject", "/moderation/reports/{report}/", "bob", {"action": "reject", "reason": "x"}, ("reason",)),
    ("attach", "/moderation/reports/{report}/", "bob", {"action": "attach"}, ("alert",)),
    ("police-reject", "/moderation/police/{police}/", "bob", {"action": "reject"}, ("reason", "action")),
]


@pytest.mark.parametrize("case", FORMS, ids=lambda case: case[0])
def test_it_answers_hostile_input_with_a_message_never_a_server_error(people, areas, case):
    name, path, who, base, fields = case
    alice = people["alice"]
    report = make_report(alice, areas["nairobi"])
    police = services.police_alert_create(actor=alice, area=areas["nairobi"], kind="raid", minutes_ago=0)
    base = _report_data(areas["westlands"], submission_key="") if base is None else base
    if "area" in fields and "area" not in base:
        base = {**base, "area": str(areas["nairobi"].pk)}
    client = _client(people[who])
    for (kind, value), field in itertools.product(HOSTILE.items(), fields):
        response = client.post(path.format(report=report.pk, police=police.pk), {**base, field: value})
        context = f"{name}.{field}={kind}"
        assert response.status_code < 500, context
        body = page_text(response)
        for markup in UNESCAPED:
            assert markup not in body, context
        if kind in MUST_BE_REFUSED:
            assert 400 <= response.status_code < 500, context
            assert 'class="errorlist' in body or 'class="msg error"' in body, context
    report.refresh_from_db()
    police.refresh_from_db()
    assert report.status == Report.Status.PENDING or name == "reject"
    assert police.status == PoliceAlert.Status.PENDING or name == "police-reject"


@pytest.mark.parametrize(
    "path",
    [
        "/alerts/not-a-uuid/",
        "/alerts/00000000-0000-4000-8000-000000000000/",
        "/alerts/police/00000000-0000-4000-8000-000000000000/",
        "/moderation/reports/00000000-0000-4000-8000-000000000000/",
        "/moderation/reports/%3Cscript%3E/",
        "/moderation/reports/00000000-0000-4000-8000-000000000000/referral/",
    ],
)
def test_it_answers_a_malformed_or_unknown_id_with_404(carol, path):
    assert _client(carol).get(path).status_code == 404


def test_it_escapes_hostile_text_in_every_alert_page(people, areas):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    hostile = HOSTILE["script"] + HOSTILE["attribute"]
    services.area_follow_set(actor=alice, areas=[areas["nairobi"]])
    alert = make_alert(bob, carol, areas["nairobi"], text=hostile, handle=hostile[:50])
    report = make_report(alice, areas["nairobi"], account=hostile, person_description=hostile, handle=hostile[:50])
    services.report_reject(actor=bob, report=make_report(alice, areas["nairobi"]), reason=hostile)
    police = services.police_alert_create(actor=bob, area=areas["nairobi"], kind="raid", minutes_ago=0, note=hostile)
    services.police_alert_approve(actor=carol, police_alert=police)
    services.police_alert_create(actor=alice, area=areas["nairobi"], kind="raid", minutes_ago=0, note=hostile)
    for client, path in [
        (_client(alice), "/alerts/"),
        (_client(alice), f"/alerts/{alert.pk}/"),
        (_client(alice), f"/alerts/police/{police.pk}/"),
        (_client(alice), "/reports/"),
        (_client(bob), "/moderation/"),
        (_client(bob), f"/moderation/reports/{report.pk}/"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        for markup in UNESCAPED:
            assert markup not in page_text(response), path
        assert "&lt;script&gt;" in page_text(response), path


# Screening ------------------------------------------------------------------------------------------------


def test_it_answers_a_check_without_repeating_the_value_or_letting_it_be_cached(alice, frank, areas):
    make_report(frank, areas["nairobi"])
    response = _client(alice).post("/check/", {"kind": "phone", "value": "0712 345 678"})
    assert response.status_code == 200
    body = page_text(response)
    assert "unverified" in body and "1 report about this client." in body
    assert "…678" in body
    for whole in ("0712 345 678", "712345678"):
        assert whole not in body
    assert "no-store" in response["Cache-Control"]
    assert input_value(response, "value") == ""


def test_it_says_no_reports_found_without_promising_safety(alice):
    body = page_text(_client(alice).post("/check/", {"kind": "plate", "value": "KDA 999Z"}))
    assert "No reports found." in body
    assert "This does not prove the client is safe." in body


def test_it_refuses_checks_over_the_daily_limit_with_429(alice, org_a):
    org_a.screening_daily_limit = 1
    org_a.save()
    client = _client(alice)
    assert client.post("/check/", {"kind": "phone", "value": "0712345678"}).status_code == 200
    response = client.post("/check/", {"kind": "phone", "value": "0712345679"})
    assert response.status_code == 429
    assert page_shows(response, "You have used all your checks for today. Try again tomorrow.")
    assert input_value(response, "value") == "0712345679"  # kept, so it can be checked tomorrow
    assert ScreeningCount.objects.get(membership=alice).count == 1


# Feed and following ----------------------------------------------------------------------------------------


def test_it_prompts_a_member_who_follows_nothing_to_choose_areas(alice, areas):
    response = _client(alice).get("/alerts/")
    assert page_shows(response, "Choose the areas you want alerts for, and you will see them here.")
    assert 'href="/alerts/areas/"' in page_text(response)


def test_it_saves_followed_areas_and_shows_their_alerts(alice, bob, carol, areas):
    make_alert(bob, carol, areas["westlands"], text="Westlands client who robs.")
    make_alert(bob, carol, areas["mombasa"], text="Mombasa client.", phone="+254700000003")
    client = _client(alice)
    response = client.post("/alerts/areas/", {"areas": [str(areas["nairobi"].pk)]})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    assert set(AreaFollow.objects.filter(membership=alice).values_list("area", flat=True)) == {areas["nairobi"].pk}
    page = client.get("/alerts/")
    assert "Westlands client who robs." in page_text(page) and "Mombasa client." not in page_text(page)
    assert _checked(client.get("/alerts/areas/"), "areas") == {str(areas["nairobi"].pk)}


def test_it_shows_an_alert_with_hints_and_count_never_the_identifier(alice, bob, carol, areas):
    alert = make_alert(bob, carol, areas["westlands"], plate="KDA 123A", occurred_on=date(2025, 2, 17))
    body = page_text(_client(alice).get(f"/alerts/{alert.pk}/"))
    assert "…678" in body and "…23A" in body and "1 report" in body and "February 2025" in body
    for whole in (PHONE_E164, "712345678", "KDA123A", "2025-02-17", "17 February"):
        assert whole not in body


def test_it_links_a_police_alert_to_the_organisations_rights_page(alice, bob, carol, areas, org_a):
    org_a.rights_url = "https://rights.example/know-your-rights"
    org_a.save()
    police = services.police_alert_create(actor=bob, area=areas["nairobi"], kind="posing", minutes_ago=0)
    services.police_alert_approve(actor=carol, police_alert=police)
    body = page_text(_client(alice).get(f"/alerts/police/{police.pk}/"))
    assert "Officer posing as a client" in body
    assert 'href="https://rights.example/know-your-rights"' in body


def test_it_sends_a_members_police_alert_to_moderation_and_a_trusted_ones_out_at_once(alice, carol, areas):
    data = {"area": str(areas["nairobi"].pk), "kind": "raid", "minutes_ago": "30", "note": "Two vans"}
    response = _client(alice).post("/police/new/", data)
    assert response["Location"] == "/reports/"
    assert PoliceAlert.objects.get().status == PoliceAlert.Status.PENDING
    _client(carol).post(f"/staff/members/{alice.pk}/", {"action": "trust"})
    response = _client(alice).post("/police/new/", data)
    published = PoliceAlert.objects.get(status=PoliceAlert.Status.PUBLISHED)
    assert response["Location"] == f"/alerts/police/{published.pk}/"


def test_it_gives_the_police_form_a_one_time_key_that_makes_a_resent_warning_one_alert(alice, areas):
    form = _client(alice).get("/police/new/")
    key = input_value(form, "submission_key")
    assert len(key) >= 24
    assert input_value(_client(alice).get("/police/new/"), "submission_key") != key
    data = {"area": str(areas["nairobi"].pk), "kind": "raid", "minutes_ago": "0", "submission_key": key}
    first = _client(alice).post("/police/new/", data)
    again = _client(alice).post("/police/new/", data)
    assert first["Location"] == again["Location"] == "/reports/"
    assert PoliceAlert.objects.count() == 1


def test_it_hides_an_expired_alert(alice, bob, carol, areas):
    alert = make_alert(bob, carol, areas["westlands"])
    with clock.travel(timedelta(days=400)):
        assert _client(alice).get(f"/alerts/{alert.pk}/").status_code == 404


# Moderation ----------------------------------------------------------------------------------------------


def test_it_shows_the_queue_with_matches(bob, alice, carol, areas):
    make_alert(bob, carol, areas["westlands"])
    report = make_report(alice, areas["nairobi"])
    body = page_text(_client(bob).get("/moderation/"))
    assert f"/moderation/reports/{report.pk}/" in body
    assert "1 alert" in body


def test_it_audits_every_reading_of_a_report(bob, alice, areas):
    report = make_report(alice, areas["nairobi"])
    client = _client(bob)
    body = page_text(client.get(f"/moderation/reports/{report.pk}/"))
    assert "He refused to pay and threatened to tell my family." in body and PHONE_E164 in body
    assert "alice" not in body.split("<main", 1)[1]  # moderators do not learn who reported
    client.get(f"/moderation/reports/{report.pk}/")
    assert AuditEntry.objects.filter(action=AuditAction.REPORT_VIEWED, actor=bob, target_id=report.pk).count() == 2


def test_it_publishes_from_the_report_page(bob, alice, areas):
    report = make_report(alice, areas["nairobi"])
    response = _client(bob).post(
        f"/moderation/reports/{report.pk}/",
        {
            "action": "publish",
            "text": "Refuses to pay.",
            "areas": [str(areas["nairobi"].pk)],
            "categories": ["non_payment"],
        },
    )
    assert response.status_code == 302 and response["Location"] == "/moderation/"
    alert = Alert.objects.get()
    assert (alert.text, alert.categories, list(alert.areas.all())) == (
        "Refuses to pay.",
        ["non_payment"],
        [areas["nairobi"]],
    )


def test_it_keeps_the_alert_text_when_publishing_fails(bob, alice, areas):
    report = make_report(alice, areas["nairobi"])
    response = _client(bob).post(
        f"/moderation/reports/{report.pk}/", {"action": "publish", "text": "Refuses to pay.", "categories": ["robbery"]}
    )
    assert response.status_code == 400
    assert page_shows(response, "This field is required.")
    assert _textarea(response, "text") == "Refuses to pay."
    assert not Alert.objects.exists()


def test_it_offers_matching_alerts_and_attaches_to_one(bob, alice, carol, frank, areas):
    alert = make_alert(bob, carol, areas["westlands"])
    report = make_report(frank, areas["nairobi"])
    page = _client(bob).get(f"/moderation/reports/{report.pk}/")
    assert f'value="{alert.pk}"' in page_text(page) and "Matches on:" in page_text(page)
    response = _client(bob).post(f"/moderation/reports/{report.pk}/", {"action": "attach", "alert": str(alert.pk)})
    assert response.status_code == 302
    assert alert.reports.count() == 2


def test_it_refuses_to_publish_without_consent_with_a_clear_message(bob, alice, areas):
    report = make_report(alice, areas["nairobi"], consent_alert=False)
    page = _client(bob).get(f"/moderation/reports/{report.pk}/")
    assert 'value="publish"' not in page_text(page)
    response = _client(bob).post(
        f"/moderation/reports/{report.pk}/",
        {"action": "publish", "text": "x", "areas": [str(areas["nairobi"].pk)], "categories": ["robbery"]},
    )
    assert response.status_code == 400
    assert page_shows(response, "The person who reported did not agree to an alert for peers.")
    assert not Alert.objects.exists()


def test_it_rejects_and_the_reporter_sees_the_reason(bob, alice, areas):
    report = make_report(alice, areas["nairobi"])
    _client(bob).post(f"/moderation/reports/{report.pk}/", {"action": "reject", "reason": "Please add what happened."})
    assert page_shows(_client(alice).get("/reports/"), "Please add what happened.")


def test_it_refuses_an_unknown_moderation_action_with_a_message(bob, alice, areas):
    report = make_report(alice, areas["nairobi"])
    response = _client(bob).post(f"/moderation/reports/{report.pk}/", {"action": "delete-everything"})
    assert response.status_code == 400
    assert page_shows(response, "Please check the form.")


def test_it_lets_staff_download_a_referral_only_with_consent(carol, alice, areas):
    agreed = make_report(alice, areas["nairobi"], consent_referral=True)
    refused = make_report(alice, areas["nairobi"])
    response = _client(carol).get(f"/moderation/reports/{agreed.pk}/referral/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert "threatened to tell my family" in response.content.decode()
    refusal = _client(carol).get(f"/moderation/reports/{refused.pk}/referral/", follow=True)
    assert page_shows(refusal, "The person who reported did not agree to passing this on.")


def test_it_publishes_and_rejects_police_alerts_from_the_queue(bob, alice, areas):
    first = services.police_alert_create(actor=alice, area=areas["nairobi"], kind="raid", minutes_ago=0)
    second = services.police_alert_create(actor=alice, area=areas["nairobi"], kind="patrol", minutes_ago=0)
    client = _client(bob)
    assert client.post(f"/moderation/police/{first.pk}/", {"action": "approve"}).status_code == 302
    assert (
        client.post(f"/moderation/police/{second.pk}/", {"action": "reject", "reason": "Seen twice"}).status_code == 302
    )
    again = client.post(f"/moderation/police/{first.pk}/", {"action": "approve"})
    assert again.status_code == 400 and page_shows(again, "This police alert has already been dealt with.")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (PoliceAlert.Status.PUBLISHED, PoliceAlert.Status.REJECTED)


# Who may reach what ----------------------------------------------------------------------------------------


def test_it_answers_404_to_another_organisations_staff_and_changes_nothing(mallory, bob, alice, carol, areas):
    alert = make_alert(bob, carol, areas["westlands"])
    report = make_report(alice, areas["nairobi"], consent_referral=True)
    police = services.police_alert_create(actor=alice, area=areas["nairobi"], kind="raid", minutes_ago=0)
    client = _client(mallory)
    for path in (
        f"/alerts/{alert.pk}/",
        f"/moderation/reports/{report.pk}/",
        f"/moderation/reports/{report.pk}/referral/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/moderation/reports/{report.pk}/", {"action": "reject", "reason": "x"}).status_code == 404
    assert client.post(f"/moderation/police/{police.pk}/", {"action": "approve"}).status_code == 404
    assert client.post("/alerts/areas/", {"areas": [str(areas["nairobi"].pk)]}).status_code == 400
    report.refresh_from_db()
    police.refresh_from_db()
    assert report.status == Report.Status.PENDING and police.status == PoliceAlert.Status.PENDING
    assert not AuditEntry.objects.filter(actor=mallory, organisation=alice.organisation).exists()
    assert "Nairobi" not in page_text(client.get("/reports/new/"))


def test_it_keeps_analysts_out_of_every_alert_page(nina, alice, areas):
    report = make_report(alice, areas["nairobi"])
    client = _client(nina)
    for path in ("/alerts/", "/alerts/areas/", "/check/", "/reports/", "/reports/new/", "/police/new/", "/moderation/"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/moderation/reports/{report.pk}/").status_code == 404
    assert client.post("/check/", {"kind": "phone", "value": "0712345678"}).status_code == 404
    assert not ScreeningCount.objects.exists()


def test_it_keeps_members_out_of_moderation(alice, erin, areas):
    report = make_report(erin, areas["nairobi"])
    client = _client(alice)
    assert client.get("/moderation/").status_code == 404
    assert client.get(f"/moderation/reports/{report.pk}/").status_code == 404
    assert client.post(f"/moderation/reports/{report.pk}/", {"action": "reject", "reason": "x"}).status_code == 404


def test_it_sends_anonymous_visitors_to_log_in(db):
    for path in ("/alerts/", "/check/", "/reports/new/", "/moderation/"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path


def test_it_shows_the_alert_links_to_members_and_moderation_to_moderators(alice, bob, nina):
    alice_nav = page_text(_client(alice).get("/home/"))
    assert 'href="/alerts/"' in alice_nav and 'href="/reports/new/"' in alice_nav and 'href="/check/"' in alice_nav
    assert 'href="/moderation/"' not in alice_nav
    assert 'href="/moderation/"' in page_text(_client(bob).get("/home/"))
    assert 'href="/alerts/"' not in page_text(_client(nina).get("/home/"))


# Staff: trust ---------------------------------------------------------------------------------------------


def test_it_lets_staff_trust_a_member_and_audits_it(carol, alice):
    client = _client(carol)
    page = page_text(client.get(f"/staff/members/{alice.pk}/"))
    assert 'value="trust"' in page
    assert client.post(f"/staff/members/{alice.pk}/", {"action": "trust"}).status_code == 302
    alice.refresh_from_db()
    assert alice.trusted
    assert 'value="untrust"' in page_text(client.get(f"/staff/members/{alice.pk}/"))
    client.post(f"/staff/members/{alice.pk}/", {"action": "untrust"})
    alice.refresh_from_db()
    assert not alice.trusted
    assert AuditEntry.objects.filter(action=AuditAction.MEMBER_TRUST_CHANGED, target_id=alice.pk).count() == 2


def test_it_does_not_let_a_moderator_trust_anyone(bob, alice):
    assert _client(bob).post(f"/staff/members/{alice.pk}/", {"action": "trust"}).status_code == 404
    alice.refresh_from_db()
    assert not alice.trusted


def test_it_saves_the_alert_settings_of_the_organisation(dana):
    response = _client(dana).post(
        "/staff/organisation/",
        {
            "name": "Collective A",
            "vouch_quota": 2,
            "invitation_days": 14,
            "default_country": "KE",
            "screening_daily_limit": 10,
            "alert_retention_months": 6,
            "police_alert_hours": 12,
            "rights_url": "https://rights.example/",
            "checkin_staff_minutes": 15,
            "checkin_keep_hours": 24,
            "checkin_retention_days": 30,
        },
    )
    assert response.status_code == 302
    organisation = dana.organisation
    organisation.refresh_from_db()
    assert (
        organisation.screening_daily_limit,
        organisation.alert_retention_months,
        organisation.police_alert_hours,
        organisation.rights_url,
    ) == (10, 6, 12, "https://rights.example/")
    refused = _client(dana).post("/staff/organisation/", {"name": "Collective A", "alert_retention_months": 0})
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("who", "path", "data"),
    [
        ("alice", "/reports/new/", {"account": "x"}),
        ("alice", "/police/new/", {"kind": "raid"}),
        ("alice", "/check/", {"kind": "phone", "value": "0712345678"}),
        ("alice", "/alerts/areas/", {}),
        ("bob", "/moderation/", {}),
    ],
)
def test_it_refuses_an_alert_form_without_the_csrf_token(people, who, path, data):
    client = log_in(Client(enforce_csrf_checks=True, raise_request_exception=False), people[who])
    response = client.post(path, data)
    assert response.status_code == 403
    assert not ScreeningCount.objects.exists() and not Report.objects.exists()
