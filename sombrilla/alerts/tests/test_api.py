"""The alerts API at /api/v1: reports, moderation, police alerts, the feed, followed areas and screening, with
bearer tokens (and the browser session with its CSRF token). Each operation calls the same services and
selectors as the pages, so these tests are about what the API adds: the JSON contract, who may call what,
and that a refusal is a clear 4xx, never a server error."""

import json
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.test import Client

from sombrilla.accounts import services as account_services
from sombrilla.alerts import services
from sombrilla.alerts.models import Alert, AreaFollow, Identifier, PoliceAlert, Report, ScreeningCount
from sombrilla.alerts.tests.factories import PHONE, PHONE_E164, make_alert, make_report
from sombrilla.conftest import log_in
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.notify.models import Channel, Delivery, Dispatch, Topic

JSON = "application/json"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
NOT_FOUND = {"detail": "Not Found"}
ONLY_MEMBERS = {"detail": "Only members of an organisation can do this."}


def _api(membership=None) -> Client:
    """A client that sends `membership`'s bearer token with every request (none: an anonymous caller).
    Server errors come back as 500 answers, so a test can say it never gets one."""
    if membership is None:
        return Client(raise_request_exception=False)
    _token, raw = account_services.api_token_create(account=membership.account, label="test")
    return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})


def _post(client, path, body=None):
    return client.post(f"/api/v1/{path}", body if body is not None else {}, content_type=JSON)


def _put(client, path, body):
    return client.put(f"/api/v1/{path}", body, content_type=JSON)


def _get(client, path):
    return client.get(f"/api/v1/{path}")


def _report_body(area, **overrides) -> dict:
    body = {
        "occurred_on": (clock.now().date() - timedelta(days=2)).isoformat(),
        "occurred_approximate": True,
        "area_id": str(area.pk),
        "categories": ["threats", "robbery"],
        "account": "He took my phone and said he knows where I live.",
        "identifiers": [
            {"kind": "phone", "value": PHONE},
            {"kind": "handle", "value": "@Big_Tony", "platform": "Telegram"},
            {"kind": "plate", "value": "kda-123a"},
        ],
        "person_description": "Tall, grey beard",
        "vehicle_description": "White Probox",
        "consent_alert": True,
        "consent_referral": True,
        "consent_statistics": False,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def _follow(membership, *areas) -> None:
    services.area_follow_set(actor=membership, areas=list(areas))


def _field_named(response, field: str) -> bool:
    """A 422 names the field that is wrong, so a client can show the message beside it."""
    return any(error["loc"][-1] == field or field in error["loc"] for error in response.json()["detail"])


# Reports ---------------------------------------------------------------------------------------------------


def test_it_saves_a_report_with_the_consents_given(alice, areas):
    response = _post(_api(alice), "reports", _report_body(areas["nairobi"]))
    assert response.status_code == 201
    body = response.json()
    report = Report.objects.get()
    assert body == {
        "id": str(report.pk),
        "status": "pending",
        "occurred_on": (clock.now().date() - timedelta(days=2)).isoformat(),
        "area": "Nairobi",
        "categories": ["robbery", "threats"],  # in the list's order, whatever order they came in
        "consent_alert": True,
        "consent_referral": True,
        "consent_statistics": False,
        "rejection_reason": "",
        "created_at": body["created_at"],
    }
    assert (report.reporter, report.area, report.occurred_approximate) == (alice, areas["nairobi"], True)
    assert (report.consent_alert, report.consent_referral, report.consent_statistics) == (True, True, False)
    assert (report.person_description, report.vehicle_description) == ("Tall, grey beard", "White Probox")
    # The hour the report arrived, never the minute.
    assert report.created_at.minute == report.created_at.second == 0


def test_it_normalises_identifiers_so_a_local_phone_number_matches_at_screening(alice, frank, areas):
    assert _post(_api(alice), "reports", _report_body(areas["nairobi"])).status_code == 201
    kept = {(i.kind, i.value, i.platform) for i in Identifier.objects.all()}
    assert kept == {("phone", PHONE_E164, ""), ("handle", "big_tony", "Telegram"), ("plate", "KDA123A", "")}
    # Typed in the international form by someone else, it is the same client.
    answer = _post(_api(frank), "screening", {"kind": "phone", "value": PHONE_E164})
    assert answer.status_code == 200
    assert answer.json()["reports"] == 1


def test_it_keeps_a_phone_number_it_cannot_read_as_a_handle(alice, frank, areas):
    body = _report_body(areas["nairobi"], identifiers=[{"kind": "phone", "value": "Tony's Work Line"}])
    assert _post(_api(alice), "reports", body).status_code == 201
    identifier = Identifier.objects.get()
    assert (identifier.kind, identifier.value) == ("handle", "tony'sworkline")
    answer = _post(_api(frank), "screening", {"kind": "handle", "value": "@tony's work line"}).json()
    assert (answer["kind"], answer["reports"]) == ("handle", 1)


def test_it_lists_only_the_members_own_reports_newest_first(alice, erin, areas):
    client = _api(alice)
    first = _post(client, "reports", _report_body(areas["nairobi"])).json()
    make_report(erin, areas["nairobi"])
    with clock.travel(timedelta(hours=2)):
        second = _post(client, "reports", _report_body(areas["westlands"])).json()
        response = _get(client, "reports")
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 2
    assert [item["id"] for item in page["items"]] == [second["id"], first["id"]]
    assert _get(client, "reports?limit=1&offset=1").json()["items"] == [first]


def test_it_returns_the_first_report_when_a_submission_is_retried(alice, erin, areas):
    client = _api(alice)
    body = _report_body(areas["nairobi"], submission_key="form-4f1c2a")
    first, again = _post(client, "reports", body), _post(client, "reports", body)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Report.objects.count() == 1
    # The key belongs to one member's submission: someone else's form with the same key is their own report.
    assert _post(_api(erin), "reports", body).json()["id"] != first.json()["id"]
    assert _post(client, "reports", {**body, "submission_key": "form-9e8d7c"}).json()["id"] != first.json()["id"]
    assert Report.objects.count() == 3


def test_it_answers_404_for_an_area_of_another_organisation_or_none_at_all(alice, areas, areas_b):
    client = _api(alice)
    for area_id in (str(areas_b["nairobi"].pk), UNKNOWN_ID):
        response = _post(client, "reports", _report_body(areas["nairobi"], area_id=area_id))
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert not Report.objects.exists()


TOO_BIG = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)


TOMORROW = "<tomorrow>"
MISSING = "<missing>"


@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        # Refused by the service, with its reason.
        ({"account": "   \n "}, 400, "Please say what happened."),
        ({"occurred_on": TOMORROW}, 400, "The date cannot be in the future."),
        # Refused by the schema, naming the field.
        ({"account": ""}, 422, "account"),
        ({"account": MISSING}, 422, "account"),
        ({"account": "x" * 10001}, 422, "account"),
        ({"categories": []}, 422, "categories"),
        ({"categories": ["murder"]}, 422, "categories"),
        ({"categories": "robbery"}, 422, "categories"),
        ({"account": "He hit me\x00"}, 422, "account"),
        ({"identifiers": [{"kind": "phone", "value": "0712\x00345678"}]}, 422, "value"),
        ({"identifiers": [{"kind": "fax", "value": "0712345678"}]}, 422, "kind"),
        ({"identifiers": [{"kind": "phone", "value": ""}]}, 422, "value"),
        ({"identifiers": "0712345678"}, 422, "identifiers"),
        ({"consent_alert": "maybe"}, 422, "consent_alert"),
        ({"consent_statistics": MISSING}, 422, "consent_statistics"),
        ({"area_id": "Nairobi"}, 422, "area_id"),
        ({"area_id": 12}, 422, "area_id"),
        ({"occurred_on": "last Tuesday"}, 422, "occurred_on"),
        ({"occurred_on": "2025-02-30"}, 422, "occurred_on"),
        ({"submission_key": "k" * 65}, 422, "submission_key"),
    ],
)
def test_it_refuses_a_report_it_cannot_keep_with_a_clear_reason(alice, areas, change, status, expected):
    body = _report_body(areas["nairobi"])
    for key, value in change.items():
        if value == MISSING:
            del body[key]
        elif value == TOMORROW:
            body[key] = (clock.now().date() + timedelta(days=1)).isoformat()
        else:
            body[key] = value
    response = _post(_api(alice), "reports", body)
    assert response.status_code == status, response.content
    if status == 400:
        assert response.json() == {"detail": expected}
    else:
        assert _field_named(response, expected), response.json()
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("content", "status"),
    [
        ("not json at all", 400),
        ("[1, 2, 3]", 400),
        ('"a report"', 400),
        ("", 400),
        ('{"account": "' + TOO_BIG + '"}', 413),
    ],
)
def test_it_answers_a_body_that_is_not_a_report_with_json_never_a_server_error(alice, areas, content, status):
    response = _api(alice).post("/api/v1/reports", content, content_type=JSON)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith(JSON)
    assert response.json()["detail"]
    if status == 413:
        assert (response.status_code, response.json()) == (413, {"detail": "This request is too large."})
    assert not Report.objects.exists()


def test_it_accepts_a_report_from_the_browser_session_only_with_the_csrf_token(alice, areas):
    client = log_in(Client(enforce_csrf_checks=True), alice)
    client.get("/account/")  # a page with a form sets the CSRF cookie
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    body = _report_body(areas["nairobi"])
    refused = client.post("/api/v1/reports", body, content_type=JSON)
    assert refused.status_code == 403
    assert not Report.objects.exists()
    accepted = client.post("/api/v1/reports", body, content_type=JSON, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201
    assert Report.objects.get().reporter == alice
    assert [item["id"] for item in client.get("/api/v1/reports").json()["items"]] == [accepted.json()["id"]]


# Moderation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["bob", "carol", "dana"])
def test_it_shows_moderators_and_staff_the_queue_and_the_report_but_not_who_wrote_it(people, bob, carol, areas, person):
    alice = people["alice"]
    alert = make_alert(bob, carol, areas["westlands"])
    report = make_report(alice, areas["nairobi"], plate="KDA 123A", person_description="Scar on the chin")
    client = _api(people[person])
    queue = _get(client, "moderation/reports")
    assert queue.status_code == 200
    assert [(item["id"], item["match_count"]) for item in queue.json()] == [(str(report.pk), 1)]
    response = _get(client, f"moderation/reports/{report.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["account"] == "He refused to pay and threatened to tell my family."
    assert body["person_description"] == "Scar on the chin"
    assert {(i["kind"], i["value"]) for i in body["identifiers"]} == {("phone", PHONE_E164), ("plate", "KDA123A")}
    assert body["matches"] == [{"alert_id": str(alert.pk), "kinds": ["phone number"]}]
    text = response.content.decode()
    for reporter in ("alice", str(alice.pk), str(alice.account.pk), report.chain_hash):
        assert reporter not in text


def test_it_audits_every_reading_of_a_report(bob, alice, areas):
    report = make_report(alice, areas["nairobi"])
    client = _api(bob)
    _get(client, f"moderation/reports/{report.pk}")
    _get(client, f"moderation/reports/{report.pk}")
    entries = AuditEntry.objects.filter(action=AuditAction.REPORT_VIEWED)
    assert [(e.actor, e.target_type, e.target_id) for e in entries] == [(bob, "report", report.pk)] * 2
    _get(client, "moderation/reports")
    assert entries.count() == 2  # the queue shows no account, so reading it is not a reading of a report


def test_it_keeps_members_and_other_organisations_out_of_moderation(alice, erin, mallory, areas):
    report = make_report(erin, areas["nairobi"])
    police = services.police_alert_create(actor=erin, area=areas["nairobi"], kind="raid", minutes_ago=0)
    for person in (alice, mallory):
        client = _api(person)
        assert _get(client, f"moderation/reports/{report.pk}").status_code == 404
        for action, body in (
            ("publish", {"text": "x", "area_ids": [str(areas["nairobi"].pk)]}),
            ("reject", {"reason": "x"}),
            ("record", {}),
            ("attach", {"alert_id": UNKNOWN_ID}),
        ):
            response = _post(client, f"moderation/reports/{report.pk}/{action}", body)
            assert (response.status_code, response.json()) == (404, NOT_FOUND), (person, action)
        assert _post(client, f"moderation/police-alerts/{police.pk}/approve").status_code == 404
        assert _post(client, f"moderation/police-alerts/{police.pk}/reject", {}).status_code == 404
    # A member has no queue at all; staff of another organisation see their own, which holds nothing of A's.
    assert _get(_api(alice), "moderation/reports").status_code == 404
    assert _get(_api(alice), "moderation/police-alerts").status_code == 404
    assert _get(_api(mallory), "moderation/reports").json() == []
    assert _get(_api(mallory), "moderation/police-alerts").json() == []
    report.refresh_from_db()
    police.refresh_from_db()
    assert (report.status, police.status) == ("pending", "pending")
    assert not AuditEntry.objects.filter(action=AuditAction.REPORT_VIEWED).exists()


def test_it_refuses_analysts_every_alert_operation_alike_whether_the_report_exists_or_not(nina, alice, areas):
    report = make_report(alice, areas["nairobi"])
    client = _api(nina)
    for path in (f"moderation/reports/{report.pk}", f"moderation/reports/{UNKNOWN_ID}"):
        assert (_get(client, path).status_code, _get(client, path).json()) == (403, ONLY_MEMBERS)
    for path in ("moderation/reports", "moderation/police-alerts", "alerts", "areas", "reports"):
        response = _get(client, path)
        assert (response.status_code, response.json()) == (403, ONLY_MEMBERS), path
    response = _post(client, f"moderation/reports/{report.pk}/reject", {"reason": "x"})
    assert (response.status_code, response.json()) == (403, ONLY_MEMBERS)
    assert Report.objects.get().status == "pending"
    assert not AuditEntry.objects.filter(actor=nina).exists()


def test_it_publishes_an_alert_and_writes_its_notifications_for_followers_only(bob, alice, erin, frank, areas):
    _follow(frank, areas["westlands"])  # a district of Nairobi: an alert for the city concerns it
    _follow(erin, areas["mombasa"])
    report = make_report(alice, areas["nairobi"])
    response = _post(
        _api(bob),
        f"moderation/reports/{report.pk}/publish",
        {"text": "Refuses to pay, then threatens.", "area_ids": [str(areas["nairobi"].pk)]},
    )
    assert response.status_code == 201
    alert = Alert.objects.get()
    body = response.json()
    assert (body["id"], body["text"], body["areas"], body["report_count"]) == (
        str(alert.pk),
        "Refuses to pay, then threatens.",
        ["Nairobi"],
        1,
    )
    assert body["categories"] == ["non_payment", "threats"]  # the report's, as none were given
    assert body["occurred_month"] == report.occurred_on.strftime("%Y-%m")
    report.refresh_from_db()
    assert (report.status, report.alert) == ("published", alert)
    dispatch = Dispatch.objects.get()
    assert (dispatch.topic, dispatch.target_id, dispatch.url) == (Topic.ALERT, alert.pk, f"/alerts/{alert.pk}/")
    recipients = set(Delivery.objects.filter(dispatch=dispatch).values_list("membership", "channel"))
    assert (frank.pk, Channel.INAPP) in recipients
    assert not {membership for membership, _channel in recipients} & {erin.pk, alice.pk, bob.pk}


def test_it_publishes_nothing_when_its_notifications_cannot_be_written(bob, alice, frank, areas, monkeypatch):
    _follow(frank, areas["nairobi"])
    report = make_report(alice, areas["nairobi"])

    def outbox_down(**kwargs):
        raise RuntimeError("the outbox is unavailable")

    monkeypatch.setattr(services, "dispatch_create", outbox_down)
    response = _post(
        _api(bob), f"moderation/reports/{report.pk}/publish", {"text": "x", "area_ids": [str(areas["nairobi"].pk)]}
    )
    assert response.status_code == 500
    # One transaction: an alert no follower was told about would never be announced.
    assert not Alert.objects.exists()
    assert Report.objects.get().status == "pending"
    assert not AuditEntry.objects.filter(action=AuditAction.ALERT_PUBLISHED).exists()


def test_it_refuses_to_publish_a_report_whose_author_did_not_agree_to_an_alert(bob, alice, frank, areas):
    _follow(frank, areas["nairobi"])
    report = make_report(alice, areas["nairobi"], consent_alert=False)
    response = _post(
        _api(bob), f"moderation/reports/{report.pk}/publish", {"text": "x", "area_ids": [str(areas["nairobi"].pk)]}
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "The person who reported did not agree to an alert for peers."}
    assert not Alert.objects.exists()
    assert not Dispatch.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        ({"text": "   "}, 400, "Write the text of the alert."),
        ({"text": ""}, 422, "text"),
        ({"area_ids": []}, 422, "area_ids"),
        ({"area_ids": [UNKNOWN_ID]}, 404, None),
        ({"categories": []}, 400, "Choose at least one category from the list."),
        ({"categories": ["gossip"]}, 422, "categories"),
        ({"text": "a\x00b"}, 422, "text"),
    ],
)
def test_it_refuses_an_alert_it_cannot_publish_and_leaves_the_report_waiting(
    bob, alice, areas, change, status, expected
):
    report = make_report(alice, areas["nairobi"])
    body = {"text": "Refuses to pay.", "area_ids": [str(areas["nairobi"].pk)], **change}
    response = _post(_api(bob), f"moderation/reports/{report.pk}/publish", body)
    assert response.status_code == status, response.content
    if status == 400:
        assert response.json() == {"detail": expected}
    elif status == 422:
        assert _field_named(response, expected), response.json()
    assert not Alert.objects.exists()
    assert Report.objects.get().status == "pending"


def test_it_attaches_a_report_to_an_alert_that_shares_an_identifier(bob, carol, alice, frank, areas):
    alert = make_alert(bob, carol, areas["westlands"])
    unrelated = make_alert(bob, carol, areas["westlands"], phone="+254700000003")
    report = make_report(frank, areas["nairobi"], categories=["robbery"])
    client = _api(bob)
    refused = _post(client, f"moderation/reports/{report.pk}/attach", {"alert_id": str(unrelated.pk)})
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "This report shares no identifier with that alert."},
    )
    response = _post(client, f"moderation/reports/{report.pk}/attach", {"alert_id": str(alert.pk)})
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["report_count"]) == (str(alert.pk), 2)
    assert body["categories"] == ["robbery", "non_payment", "threats"]
    report.refresh_from_db()
    assert (report.status, report.alert_id) == ("published", alert.pk)
    assert Dispatch.objects.count() == 2  # the two alerts' own; attaching tells no one again
    again = _post(client, f"moderation/reports/{report.pk}/attach", {"alert_id": str(alert.pk)})
    assert (again.status_code, again.json()) == (400, {"detail": "This report has already been dealt with."})


def test_it_rejects_with_a_reason_that_the_reporter_then_reads(bob, alice, areas):
    report = make_report(alice, areas["nairobi"])
    client = _api(bob)
    no_reason = _post(client, f"moderation/reports/{report.pk}/reject", {"reason": "  "})
    assert (no_reason.status_code, no_reason.json()) == (400, {"detail": "Say why, for the person who reported."})
    response = _post(client, f"moderation/reports/{report.pk}/reject", {"reason": "Please add what happened."})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rejection_reason"]) == (
        "rejected",
        "Please add what happened.",
    )
    [mine] = _get(_api(alice), "reports").json()["items"]
    assert (mine["id"], mine["status"], mine["rejection_reason"]) == (
        str(report.pk),
        "rejected",
        "Please add what happened.",
    )
    assert not Alert.objects.exists()


def test_it_records_a_report_without_an_alert_once(bob, alice, areas):
    report = make_report(alice, areas["nairobi"], consent_alert=False)
    client = _api(bob)
    response = _post(client, f"moderation/reports/{report.pk}/record")
    assert (response.status_code, response.json()["status"]) == (200, "recorded")
    assert not Alert.objects.exists() and not Dispatch.objects.exists()
    again = _post(client, f"moderation/reports/{report.pk}/record")
    assert (again.status_code, again.json()) == (400, {"detail": "This report has already been dealt with."})
    assert _get(client, "moderation/reports").json() == []


def test_it_asks_another_moderator_to_decide_on_a_moderators_own_report(bob, carol, areas):
    report = make_report(bob, areas["nairobi"])
    response = _post(_api(bob), f"moderation/reports/{report.pk}/reject", {"reason": "x"})
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Another moderator must decide on your own report."},
    )
    assert _post(_api(carol), f"moderation/reports/{report.pk}/record").status_code == 200


# Police alerts ---------------------------------------------------------------------------------------------


def _police_body(area, **overrides) -> dict:
    return {"area_id": str(area.pk), "kind": "checkpoint", "minutes_ago": 20, "note": "Two vans", **overrides}


def test_it_puts_a_trusted_members_police_alert_out_at_once_with_the_rights_link(alice, frank, org_a, areas):
    org_a.rights_url = "https://rights.example/know-your-rights"
    org_a.save()
    alice.trusted = True
    alice.save()
    _follow(frank, areas["nairobi"])
    response = _post(_api(alice), "police-alerts", _police_body(areas["westlands"]))
    assert response.status_code == 201
    body = response.json()
    police = PoliceAlert.objects.get()
    assert (body["id"], body["status"], body["kind"], body["kind_label"]) == (
        str(police.pk),
        "published",
        "checkpoint",
        "checkpoint",
    )
    assert (body["area"], body["note"], body["rights_url"]) == (
        "Westlands",
        "Two vans",
        "https://rights.example/know-your-rights",
    )
    feed = _get(_api(frank), "alerts").json()
    assert [item["id"] for item in feed["police_alerts"]] == [str(police.pk)]
    assert feed["police_alerts"][0]["rights_url"] == "https://rights.example/know-your-rights"
    detail = _get(_api(frank), f"police-alerts/{police.pk}")
    assert (detail.status_code, detail.json()["kind_label"]) == (200, "checkpoint")
    assert Dispatch.objects.get().topic == Topic.POLICE_ALERT
    assert Delivery.objects.filter(membership=frank).exists()


def test_it_holds_an_untrusted_members_police_alert_until_a_moderator_decides(alice, bob, frank, areas):
    _follow(frank, areas["nairobi"])
    first = _post(_api(alice), "police-alerts", _police_body(areas["nairobi"], kind="raid")).json()
    second = _post(_api(alice), "police-alerts", _police_body(areas["nairobi"], kind="patrol")).json()
    assert first["status"] == second["status"] == "pending"
    assert _get(_api(frank), "alerts").json()["police_alerts"] == []
    assert _get(_api(frank), f"police-alerts/{first['id']}").status_code == 404
    assert not Dispatch.objects.exists()

    moderator = _api(bob)
    assert [item["id"] for item in _get(moderator, "moderation/police-alerts").json()] == [first["id"], second["id"]]
    approved = _post(moderator, f"moderation/police-alerts/{first['id']}/approve")
    assert (approved.status_code, approved.json()["status"]) == (200, "published")
    rejected = _post(moderator, f"moderation/police-alerts/{second['id']}/reject", {"reason": "Seen twice"})
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    again = _post(moderator, f"moderation/police-alerts/{first['id']}/approve")
    assert (again.status_code, again.json()) == (400, {"detail": "This police alert has already been dealt with."})

    assert [item["id"] for item in _get(_api(frank), "alerts").json()["police_alerts"]] == [first["id"]]
    assert _get(_api(frank), f"police-alerts/{second['id']}").status_code == 404
    assert _get(moderator, "moderation/police-alerts").json() == []


def test_it_lets_a_police_alert_expire_by_itself(alice, frank, org_a, areas):
    alice.trusted = True
    alice.save()
    _follow(frank, areas["nairobi"])
    police = _post(_api(alice), "police-alerts", _police_body(areas["nairobi"], minutes_ago=0)).json()
    client = _api(frank)
    hours = org_a.police_alert_hours
    with clock.travel(timedelta(hours=hours, seconds=-5)):
        assert [item["id"] for item in _get(client, "alerts").json()["police_alerts"]] == [police["id"]]
        assert _get(client, f"police-alerts/{police['id']}").status_code == 200
    with clock.travel(timedelta(hours=hours, seconds=5)):
        assert _get(client, "alerts").json()["police_alerts"] == []
        assert _get(client, f"police-alerts/{police['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        ({"minutes_ago": 24 * 60}, 400, "That is too long ago to warn others: police alerts stay up for 24 hours."),
        ({"minutes_ago": -1}, 422, "minutes_ago"),
        ({"minutes_ago": 7 * 24 * 60 + 1}, 422, "minutes_ago"),
        ({"minutes_ago": "soon"}, 422, "minutes_ago"),
        ({"kind": "helicopter"}, 422, "kind"),
        ({"note": "x" * 501}, 422, "note"),
        ({"note": "van\x00"}, 422, "note"),
        ({"area_id": UNKNOWN_ID}, 404, None),
    ],
)
def test_it_refuses_a_police_alert_it_cannot_use_with_a_clear_reason(alice, areas, change, status, expected):
    response = _post(_api(alice), "police-alerts", _police_body(areas["nairobi"], **change))
    assert response.status_code == status, response.content
    if status == 400:
        assert response.json() == {"detail": expected}
    elif status == 422:
        assert _field_named(response, expected), response.json()
    assert not PoliceAlert.objects.exists()


# The feed and followed areas -------------------------------------------------------------------------------


def test_it_says_the_member_follows_nothing_until_areas_are_chosen(alice, bob, carol, areas):
    make_alert(bob, carol, areas["nairobi"])
    client = _api(alice)
    assert _get(client, "alerts").json() == {"follows_nothing": True, "alerts": [], "police_alerts": []}
    listed = _get(client, "areas").json()
    # Each area after its parent, siblings by name.
    assert [(a["name"], a["kind"], a["followed"]) for a in listed] == [
        ("Kenya", "country", False),
        ("Mombasa", "city", False),
        ("Nairobi", "city", False),
        ("Westlands", "district", False),
    ]
    assert [a["parent_id"] for a in listed] == [
        None,
        str(areas["kenya"].pk),
        str(areas["kenya"].pk),
        str(areas["nairobi"].pk),
    ]
    response = _put(client, "areas/followed", {"area_ids": [str(areas["westlands"].pk)]})
    assert response.status_code == 200
    assert [a["name"] for a in response.json() if a["followed"]] == ["Westlands"]
    feed = _get(client, "alerts").json()
    assert feed["follows_nothing"] is False
    assert len(feed["alerts"]) == 1  # an alert for the whole city concerns its district
    assert _put(client, "areas/followed", {"area_ids": []}).status_code == 200
    assert _get(client, "alerts").json()["follows_nothing"] is True


def test_it_lists_alerts_newest_first_with_hints_that_never_hold_a_whole_identifier(
    alice, bob, carol, frank, erin, areas
):
    _follow(alice, areas["nairobi"])
    older = make_alert(
        bob, carol, areas["westlands"], text="Robs after the meeting.", plate="KDA 123A", handle="@big_tony"
    )
    with clock.travel(timedelta(hours=1)):
        newer = make_alert(bob, erin, areas["nairobi"], text="Refuses condoms.", phone="+254700000003")
        make_alert(bob, carol, areas["mombasa"], text="Mombasa client.", phone="+254700000004")
        services.report_attach(actor=bob, report=make_report(frank, areas["nairobi"]), alert=older)
        response = _get(_api(alice), "alerts")
    assert response.status_code == 200
    alerts = response.json()["alerts"]
    assert [(a["id"], a["text"], a["report_count"]) for a in alerts] == [
        (str(newer.pk), "Refuses condoms.", 1),
        (str(older.pk), "Robs after the meeting.", 2),
    ]
    assert sorted((h["kind"], h["hint"]) for h in alerts[1]["hints"]) == [
        ("online handle", "@bi…"),
        ("phone number", "…678"),
        ("vehicle plate", "…23A"),
    ]
    assert alerts[0]["hints"] == [{"kind": "phone number", "hint": "…003"}]
    text = response.content.decode()
    for whole in (PHONE_E164, "712345678", "700000003", "KDA123A", "KDA 123A", "big_tony", "alice", "erin", "carol"):
        assert whole not in text, whole
    detail = _get(_api(alice), f"alerts/{older.pk}").json()
    assert (detail["report_count"], len(detail["hints"])) == (2, 3)


def test_it_never_shows_another_organisations_alerts(alice, olga, mallory, areas, areas_b):
    _follow(alice, areas["kenya"])
    mallory.trusted = True
    mallory.save()
    theirs = make_alert(mallory, olga, areas_b["nairobi"], text="Organisation B's alert.")
    theirs_police = services.police_alert_create(actor=mallory, area=areas_b["nairobi"], kind="raid", minutes_ago=0)
    assert theirs_police.status == "published"
    client = _api(alice)
    feed = _get(client, "alerts").json()
    assert feed["alerts"] == [] and feed["police_alerts"] == []
    assert _get(client, f"alerts/{theirs.pk}").status_code == 404
    assert _get(client, f"police-alerts/{theirs_police.pk}").status_code == 404
    response = _put(client, "areas/followed", {"area_ids": [str(areas_b["nairobi"].pk)]})
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert set(AreaFollow.objects.filter(membership=alice).values_list("area", flat=True)) == {areas["kenya"].pk}
    assert "Organisation B" not in _get(client, "areas").content.decode()


def test_it_refuses_a_malformed_area_list_with_the_field_named(alice, areas):
    for body in ({"area_ids": "all"}, {"area_ids": ["Nairobi"]}, {}):
        response = _put(_api(alice), "areas/followed", body)
        assert response.status_code == 422 and _field_named(response, "area_ids"), body
    assert not AreaFollow.objects.exists()


def test_it_answers_a_malformed_or_unknown_id_with_the_same_json_404(alice, bob, areas):
    report = make_report(alice, areas["nairobi"])
    cases = [
        (alice, "get", "alerts/{}"),
        (alice, "get", "police-alerts/{}"),
        (bob, "get", "moderation/reports/{}"),
        (bob, "post", "moderation/reports/{}/record"),
        (bob, "post", "moderation/police-alerts/{}/approve"),
    ]
    for person, method, path in cases:
        client = _api(person)
        for wrong in ("not-a-uuid", "1", "..%2F..%2Fadmin", UNKNOWN_ID):
            url = "/api/v1/" + path.format(wrong)
            response = client.get(url) if method == "get" else client.post(url, {}, content_type=JSON)
            assert (response.status_code, response["Content-Type"]) == (404, "application/json; charset=utf-8"), url
            assert response.json() == NOT_FOUND, url
    assert Report.objects.get(pk=report.pk).status == "pending"


def test_it_keeps_the_sites_own_404_page_outside_the_api(alice):
    response = log_in(Client(), alice).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# Screening -------------------------------------------------------------------------------------------------


def test_it_answers_a_check_with_counts_and_nothing_about_who_reported(alice, erin, frank, bob, areas):
    make_report(alice, areas["nairobi"], occurred_on=date(2025, 1, 20), categories=["robbery"])
    client = _api(bob)

    def check() -> dict:
        response = _post(client, "screening", {"kind": "phone", "value": "+254 712 345 678"})
        assert response.status_code == 200
        return response.json()

    assert check() == {
        "kind": "phone",
        "hint": "…678",
        "reports": 1,
        "confirmed": False,
        "latest_month": "2025-01",
        "categories": ["robbery or theft"],
        "left_today": 29,
    }
    # A second report from alice's own invitation chain does not confirm it; one from another chain does.
    make_report(erin, areas["nairobi"], occurred_on=date(2025, 3, 2), categories=["condom"])
    assert (check()["reports"], check()["confirmed"]) == (2, False)
    make_report(frank, areas["mombasa"], occurred_on=date(2025, 2, 2))
    answer = check()
    assert (answer["reports"], answer["confirmed"], answer["latest_month"]) == (3, True, "2025-03")
    assert answer["categories"] == [
        "robbery or theft",
        "non-payment",
        "condom refused or removed",
        "threats, blackmail or outing",
    ]
    text = json.dumps(answer)
    for about_someone in ("alice", "erin", "frank", str(alice.pk), "Nairobi", "Mombasa", "2025-03-02", PHONE_E164):
        assert about_someone not in text, about_someone


def test_it_says_no_reports_for_an_identifier_nobody_reported(alice):
    answer = _post(_api(alice), "screening", {"kind": "plate", "value": "kda 999z"}).json()
    assert answer == {
        "kind": "plate",
        "hint": "…99Z",
        "reports": 0,
        "confirmed": False,
        "latest_month": None,
        "categories": [],
        "left_today": 29,
    }


def test_it_refuses_checks_over_the_organisations_daily_limit_with_429(alice, org_a):
    org_a.screening_daily_limit = 2
    org_a.save()
    client = _api(alice)
    left = [
        _post(client, "screening", {"kind": "phone", "value": f"071234567{n}"}).json()["left_today"] for n in (1, 2)
    ]
    assert left == [1, 0]
    response = _post(client, "screening", {"kind": "phone", "value": "0712345673"})
    assert (response.status_code, response.json()) == (
        429,
        {"detail": "You have used all your checks for today. Try again tomorrow."},
    )
    assert ScreeningCount.objects.get(membership=alice).count == 2
    with clock.travel(timedelta(days=1)):
        assert _post(client, "screening", {"kind": "phone", "value": "0712345673"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"kind": "name", "value": "Tony"},
            400,
            "Choose a phone number, online handle, email address or vehicle plate.",
        ),
        ({"kind": "plate", "value": " - "}, 400, "Type what you want to check."),
        ({"kind": "fax", "value": "0712345678"}, 422, "kind"),
        ({"kind": "phone", "value": ""}, 422, "value"),
        ({"kind": "phone", "value": "0" * 201}, 422, "value"),
        ({"kind": "phone", "value": "0712\x00345678"}, 422, "value"),
        ({"kind": "phone"}, 422, "value"),
        ({"kind": "phone", "value": 712345678}, 422, "value"),
    ],
)
def test_it_refuses_a_check_it_cannot_make_without_using_one_up(alice, body, status, expected):
    response = _post(_api(alice), "screening", body)
    assert response.status_code == status, response.content
    if status == 400:
        assert response.json() == {"detail": expected}
    else:
        assert _field_named(response, expected), response.json()
    assert not ScreeningCount.objects.filter(count__gt=0).exists()


def test_it_keeps_analysts_and_organisations_that_do_not_share_from_org_as_reports(nina, mallory, alice, org_a, areas):
    make_report(alice, areas["nairobi"])
    response = _post(_api(nina), "screening", {"kind": "phone", "value": PHONE_E164})
    assert (response.status_code, response.json()) == (403, ONLY_MEMBERS)
    assert not ScreeningCount.objects.exists()
    org_a.shares_with_network = False
    org_a.save()
    answer = _post(_api(mallory), "screening", {"kind": "phone", "value": PHONE_E164})
    assert (answer.status_code, answer.json()["reports"]) == (200, 0)


# Anonymous callers -----------------------------------------------------------------------------------------

OPERATIONS = [
    ("post", "reports"),
    ("get", "reports"),
    ("get", "moderation/reports"),
    ("get", "moderation/reports/{id}"),
    ("post", "moderation/reports/{id}/publish"),
    ("post", "moderation/reports/{id}/attach"),
    ("post", "moderation/reports/{id}/reject"),
    ("post", "moderation/reports/{id}/record"),
    ("post", "police-alerts"),
    ("get", "police-alerts/{id}"),
    ("get", "moderation/police-alerts"),
    ("post", "moderation/police-alerts/{id}/approve"),
    ("post", "moderation/police-alerts/{id}/reject"),
    ("get", "alerts"),
    ("get", "alerts/{id}"),
    ("post", "screening"),
    ("get", "areas"),
    ("put", "areas/followed"),
]


@pytest.mark.parametrize("enforce_csrf", [False, True])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_it_answers_anonymous_callers_with_401_and_does_nothing(alice, areas, method, path, enforce_csrf):
    report = make_report(alice, areas["nairobi"])
    client = Client(enforce_csrf_checks=enforce_csrf, raise_request_exception=False)
    url = "/api/v1/" + path.replace("{id}", str(report.pk))
    body = {"text": "x", "area_ids": [str(areas["nairobi"].pk)], "reason": "x", "kind": "phone", "value": PHONE}
    response = getattr(client, method)(url, body, content_type=JSON) if method != "get" else client.get(url)
    assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})
    assert Report.objects.get().status == "pending"
    assert not ScreeningCount.objects.exists() and not PoliceAlert.objects.exists()


def test_it_covers_every_alerts_operation_in_the_anonymous_test(db):
    """An operation added to the alerts router must be added to OPERATIONS above."""
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    tagged = {
        (method, path.removeprefix("/api/v1/"))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "alerts" in operation.get("tags", [])
    }
    named = {(method, path) for method, path in OPERATIONS}
    normalised = {
        (method, path.replace("{report_id}", "{id}").replace("{alert_id}", "{id}").replace("{police_alert_id}", "{id}"))
        for method, path in tagged
    }
    assert normalised == named
