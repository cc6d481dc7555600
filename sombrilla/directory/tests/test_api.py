"""The directory API at /api/v1 with bearer tokens. The endpoints call the same services and selectors as the
pages, so these tests are about what the API adds: the JSON contract, filters in the query, notes without their
authors, the audited reading of a request, and that every refusal is a clear 4xx, never a server error."""

import itertools

import pytest
from django.test import Client

from sombrilla.accounts import services as account_services
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.core.tests.test_bad_input import HOSTILE, MUST_BE_REFUSED
from sombrilla.directory import services
from sombrilla.directory.models import Cost, Rating, Referral, ServiceKind
from sombrilla.directory.tests.factories import make_service
from sombrilla.notify.models import Delivery, Topic

pytestmark = pytest.mark.django_db
JSON = "application/json"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
NOT_FOUND = {"detail": "Not Found"}


class Api:
    """Calls the API with `membership`'s bearer token. Server errors come back as 500 answers instead of
    exceptions, so every call can be checked for never being one."""

    def __init__(self, membership):
        _token, raw = account_services.api_token_create(account=membership.account, label="test")
        self.client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})

    def __call__(self, method: str, path: str, body=None, **query):
        url = f"/api/v1/{path}"
        if method == "get":
            response = self.client.get(url, query)
        else:
            response = getattr(self.client, method)(url, body if body is not None else {}, content_type=JSON)
        assert response.status_code < 500, response.content
        return response


def _field_named(response, field: str) -> bool:
    assert response.status_code == 422, response.content
    return any(field in error["loc"] for error in response.json()["detail"])


def test_it_lists_services_with_their_stars_and_filters_them(alice, bob, carol, areas):
    clinic = make_service(carol, area=areas["westlands"])
    make_service(carol, name="Rights Desk", kind=ServiceKind.LEGAL_AID, area=areas["mombasa"], cost=Cost.PAID)
    services.rating_save(actor=bob, service=clinic, stars=4)
    services.rating_save(actor=carol, service=clinic, stars=3)
    api = Api(alice)
    every = api("get", "services").json()
    assert every["count"] == 2
    first = every["items"][0]
    assert (first["name"], first["area"], first["stars_average"], first["stars_count"]) == (
        "Rights Desk",
        "Mombasa",
        None,
        0,
    )
    assert every["items"][1]["stars_average"] == 3.5
    by_area = api("get", "services", area_id=str(areas["nairobi"].pk)).json()["items"]
    assert [s["name"] for s in by_area] == ["Westlands Community Clinic"]
    free = api("get", "services", free="true", anonymous="true", language="KISWAHILI").json()["items"]
    assert [s["name"] for s in free] == ["Westlands Community Clinic"]
    assert [s["name"] for s in api("get", "services", kind="legal_aid").json()["items"]] == ["Rights Desk"]


def test_it_refuses_bad_filters_with_a_422_naming_the_filter(alice, clinic):
    api = Api(alice)
    assert _field_named(api("get", "services", kind="bakery"), "kind")
    assert _field_named(api("get", "services", area_id="nowhere"), "area_id")
    assert _field_named(api("get", "services", language="x" * 61), "language")
    assert _field_named(api("get", "services", language="ab\x00cd"), "language")
    assert _field_named(api("get", "services", limit="0"), "limit")


def test_a_service_comes_with_published_notes_without_authors_and_the_callers_own_rating(alice, bob, erin, clinic):
    rating = services.rating_save(actor=alice, service=clinic, stars=5, note="Kind nurses.")
    services.rating_moderate(actor=bob, rating=rating, publish=True)
    services.rating_save(actor=erin, service=clinic, stars=1, note="Waiting for a moderator.")
    found = Api(erin)("get", f"services/{clinic.pk}").json()
    assert found["stars_average"] == 5.0 and found["stars_count"] == 1
    assert [set(note) for note in found["notes"]] == [{"stars", "note", "created_at"}]
    assert found["notes"][0]["note"] == "Kind nurses."
    assert "alice" not in str(found)
    assert (found["own_rating"]["stars"], found["own_rating"]["status"]) == (1, "pending")
    assert Api(bob)("get", f"services/{clinic.pk}").json()["own_rating"] is None


def test_a_member_puts_and_deletes_their_own_rating(alice, clinic):
    api = Api(alice)
    saved = api("put", f"services/{clinic.pk}/rating", {"stars": 4, "note": "Good."})
    assert saved.status_code == 200
    assert (saved.json()["stars"], saved.json()["status"]) == (4, "pending")
    assert api("put", f"services/{clinic.pk}/rating", {"stars": 5}).json()["status"] == "published"
    assert Rating.objects.count() == 1
    assert api("delete", f"services/{clinic.pk}/rating").status_code == 204
    assert api("delete", f"services/{clinic.pk}/rating").json() == NOT_FOUND


def test_a_bad_rating_is_refused_with_the_field_named(alice, clinic):
    api = Api(alice)
    assert _field_named(api("put", f"services/{clinic.pk}/rating", {"stars": 6}), "stars")
    assert _field_named(api("put", f"services/{clinic.pk}/rating", {"stars": 3, "note": "x" * 501}), "note")
    assert _field_named(api("put", f"services/{clinic.pk}/rating", {"stars": 3, "stras": 3}), "stras")
    assert api("put", f"services/{UNKNOWN_ID}/rating", {"stars": 3}).json() == NOT_FOUND
    assert not Rating.objects.exists()


def test_a_member_asks_for_a_referral_and_lists_only_their_own(alice, erin, clinic, olga, mallory):
    api = Api(alice)
    made = api("post", "referrals", {"service_id": str(clinic.pk), "message": "Tomorrow?"})
    assert made.status_code == 201
    assert (made.json()["service"], made.json()["kind"], made.json()["status"]) == (
        "Westlands Community Clinic",
        "hiv_testing",
        "open",
    )
    assert api("post", "referrals", {"kind": "shelter"}).status_code == 201
    assert api("post", "referrals", {}).json() == {"detail": "Choose what you need help with."}
    assert _field_named(api("post", "referrals", {"kind": "a bed"}), "kind")
    services.referral_request(actor=erin, kind=ServiceKind.OTHER)
    assert [r["kind"] for r in api("get", "referrals").json()["items"]] == ["shelter", "hiv_testing"]
    # Another organisation's service is not one its members can name.
    theirs = make_service(mallory, name="Elsewhere")
    assert api("post", "referrals", {"service_id": str(theirs.pk)}).json() == NOT_FOUND
    assert Api(olga)("post", "referrals", {"service_id": str(clinic.pk)}).json() == NOT_FOUND


def test_staff_list_requests_without_messages_read_one_audited_and_answer_it(alice, bob, carol, clinic, mallory):
    referral = services.referral_request(actor=alice, service=clinic, message="Someone to come with me.")
    staff = Api(carol)
    queue = staff("get", "staff/referrals").json()["items"]
    assert [(r["member"], r["service"], r["status"]) for r in queue] == [
        ("alice", "Westlands Community Clinic", "open")
    ]
    assert "message" not in queue[0] and "answer" not in queue[0]
    assert AuditEntry.objects.filter(action=AuditAction.REFERRAL_QUEUE_VIEWED, actor=carol).count() == 1
    assert staff("get", "staff/referrals", status="closed").json()["items"] == []
    assert _field_named(staff("get", "staff/referrals", status="lost"), "status")
    read = staff("get", f"staff/referrals/{referral.pk}").json()
    assert read["message"] == "Someone to come with me."
    assert list(AuditEntry.objects.filter(action=AuditAction.REFERRAL_VIEWED).values_list("actor", "target_id")) == [
        (carol.pk, referral.pk)
    ]
    answered = staff("post", f"staff/referrals/{referral.pk}/answer", {"answer": "Grace meets you at 10."})
    assert answered.status_code == 200
    assert (answered.json()["status"], answered.json()["answer"]) == ("answered", "Grace meets you at 10.")
    assert list(Delivery.objects.values_list("membership", "dispatch__topic")) == [(alice.pk, Topic.REFERRAL_ANSWERED)]
    assert _field_named(staff("post", f"staff/referrals/{referral.pk}/answer", {"answer": ""}), "answer")
    assert Api(alice)("get", "referrals").json()["items"][0]["answer"] == "Grace meets you at 10."
    for outsider in (Api(mallory), Api(bob)):
        assert outsider("get", f"staff/referrals/{referral.pk}").status_code in (403, 404)
        assert outsider("post", f"staff/referrals/{referral.pk}/answer", {"answer": "Hi"}).status_code in (403, 404)
    assert Api(mallory)("get", f"staff/referrals/{referral.pk}").json() == NOT_FOUND


def test_the_member_or_staff_close_a_request(alice, erin, carol, clinic):
    own = services.referral_request(actor=alice, kind=ServiceKind.OTHER)
    assert Api(erin)("post", f"referrals/{own.pk}/close").json() == NOT_FOUND
    assert Api(alice)("post", f"referrals/{own.pk}/close").json()["status"] == "closed"
    assert Api(alice)("post", f"referrals/{own.pk}/close").json() == {"detail": "This request is already closed."}
    other = services.referral_request(actor=alice, kind=ServiceKind.OTHER)
    assert Api(carol)("post", f"referrals/{other.pk}/close").json()["status"] == "closed"
    assert Referral.objects.filter(status="closed").count() == 2


def test_moderators_list_notes_with_authors_and_decide_on_them(alice, bob, clinic):
    rating = services.rating_save(actor=alice, service=clinic, stars=2, note="Slow but kind.")
    moderator = Api(bob)
    queue = moderator("get", "staff/ratings").json()["items"]
    assert [(r["member"], r["service"], r["note"]) for r in queue] == [
        ("alice", "Westlands Community Clinic", "Slow but kind.")
    ]
    assert moderator("post", f"staff/ratings/{rating.pk}/moderate", {"action": "reject"}).json() == {
        "detail": "Say why, for the member who wrote it."
    }
    assert _field_named(moderator("post", f"staff/ratings/{rating.pk}/moderate", {"action": "hide"}), "action")
    published = moderator("post", f"staff/ratings/{rating.pk}/moderate", {"action": "publish"})
    assert published.json()["status"] == "published"
    assert Api(alice)("get", "staff/ratings").json() == NOT_FOUND
    assert Api(alice)("post", f"staff/ratings/{rating.pk}/moderate", {"action": "reject", "reason": "x"}).json() == (
        NOT_FOUND
    )


def test_analysts_are_refused_and_anonymous_callers_are_asked_to_log_in(nina, clinic):
    analyst = Api(nina)
    for method, path in (("get", "services"), ("get", f"services/{clinic.pk}"), ("get", "referrals")):
        assert analyst(method, path).status_code == 403
    assert Client().get("/api/v1/services").status_code == 401


BODIES = [
    ("put", "services/{service}/rating", {"stars": 3, "note": "fine"}),
    ("post", "referrals", {"kind": "shelter", "message": "fine"}),
    ("post", "staff/referrals/{referral}/answer", {"answer": "fine"}),
    ("post", "staff/ratings/{rating}/moderate", {"action": "reject", "reason": "fine"}),
]


@pytest.mark.parametrize(("method", "path", "body"), BODIES, ids=[path for _m, path, _b in BODIES])
def test_it_answers_hostile_fields_with_a_json_reason_never_a_server_error(people, clinic, method, path, body):
    alice = people["alice"]
    caller = Api(people["carol"] if path.startswith("staff/") else alice)
    for kind, name in itertools.product(HOSTILE, body):
        rating = services.rating_save(actor=alice, service=clinic, stars=3, note="A note.")
        referral = services.referral_request(actor=alice, kind=ServiceKind.OTHER)
        url = path.format(service=clinic.pk, rating=rating.pk, referral=referral.pk)
        response = caller(method, url, {**body, name: HOSTILE[kind]})
        context = f"{url} {name}={kind}"
        if response.status_code >= 400:
            assert response["Content-Type"].startswith(JSON) and response.json()["detail"], context
        if kind in MUST_BE_REFUSED:
            assert 400 <= response.status_code < 500, context
        Referral.objects.all().delete()
