"""Who may reach what: one role matrix over every page and API operation, a guard that keeps the matrix
complete, cross-organisation isolation, two-factor enforcement, suspension, sessions and their timeouts."""

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import Http404
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import UUIDConverter

from sombrilla.accounts import selectors, services
from sombrilla.accounts.access import PUBLIC_VIEWS, TWO_FACTOR_EXEMPT
from sombrilla.accounts.models import Account, Invitation, Membership, Role
from sombrilla.api import api
from sombrilla.conftest import PASSPHRASE, log_in, totp_now
from sombrilla.core import clock
from sombrilla.core.models import AuditEntry

ROLES = ("anonymous", "alice", "bob", "carol", "dana", "nina", "mallory")
# Outcomes: a status code, or "→<path>" for a redirect to that path (query string ignored).
LOGIN = "→/login/"
HOME = "→/home/"
TWO_FACTOR = "→/account/two-factor/"
FRONT = "→/"
INVITATIONS = "→/invitations/"
ALICE_RECORD = "→/staff/members/{alice}/"
AREAS = "→/staff/areas/"
ORG_SETTINGS = "→/staff/organisation/"
# Excluded from the matrix on purpose: Django's admin (operators only, own login and two-factor) and the
# public OpenAPI document (sombrilla/accounts/tests/test_openapi.py).
NOT_IN_MATRIX = ("admin:", "api-1.0.0:openapi-json")


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: str
    expect: tuple
    data: Any = None
    api: bool = False
    body: Any = field(default=None, compare=False)


def page(name, method, path, *expect, data=None):
    assert len(expect) == len(ROLES), name
    return Row(name, method, path, expect, data=data)


def api_op(name, method, path, *expect, body=None):
    assert len(expect) == len(ROLES), name
    return Row(f"api-1.0.0:{name}", method, f"/api/v1/{path}", expect, api=True, body=body)


def _own_credentials(membership):
    """The role's own pseudonym, passphrase and two-factor code; the anonymous row uses an unknown name."""
    if membership is None:
        return {"pseudonym": "nobody-here", "passphrase": PASSPHRASE}
    body = {"pseudonym": membership.account.pseudonym, "passphrase": PASSPHRASE}
    if membership.needs_two_factor:
        body["otp"] = totp_now(membership)
    return body


def _credentials_without_otp(membership):
    body = _own_credentials(membership)
    body.pop("otp", None)
    return body


NOTE = {"action": "note", "note": "matrix note"}
SUSPEND = {"action": "suspend"}
MAKE_MODERATOR = {"action": "role", "role": Role.MODERATOR}
ORGANISATION_FORM = {
    "name": "Collective A",
    "vouch_quota": 2,
    "invitation_days": 14,
    "default_country": "KE",
    "shares_with_network": "on",
}

# fmt: off
#                                                    anonymous alice bob carol dana nina mallory
MATRIX = [
    page("accounts:front", "GET", "/",                       200, HOME, HOME, HOME, HOME, HOME, HOME),
    page("accounts:organisation", "GET", "/o/org-a/",        200, 200, 200, 200, 200, 200, 200),
    page("accounts:join", "GET", "/join/",                   200, HOME, HOME, HOME, HOME, HOME, HOME),
    page("accounts:login", "GET", "/login/",                 200, HOME, HOME, HOME, HOME, HOME, HOME),
    page("accounts:recover", "GET", "/recover/",             200, 200, 200, 200, 200, 200, 200),
    page("accounts:logout", "GET", "/logout/",               200, 200, 200, 200, 200, 200, 200),
    page("accounts:logout", "POST", "/logout/",              LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    page("accounts:home", "GET", "/home/",                   LOGIN, 200, 200, 200, 200, 200, 200),
    page("accounts:settings", "GET", "/account/",            LOGIN, 200, 200, 200, 200, 200, 200),
    page("accounts:pseudonym", "GET", "/account/pseudonym/", LOGIN, 405, 405, 405, 405, 405, 405),
    page("accounts:pseudonym", "POST", "/account/pseudonym/", LOGIN, 400, 400, 400, 400, 400, 400, data={}),
    page("accounts:passphrase", "POST", "/account/passphrase/", LOGIN, 400, 400, 400, 400, 400, 400, data={}),
    page("accounts:recovery_codes", "GET", "/account/recovery-codes/", LOGIN, 405, 405, 405, 405, 405, 405),
    page("accounts:recovery_codes", "POST", "/account/recovery-codes/", LOGIN, 200, 200, 200, 200, 200, 200),
    page("accounts:logout_everywhere", "GET", "/account/logout-everywhere/",
         LOGIN, 405, 405, 405, 405, 405, 405),
    page("accounts:logout_everywhere", "POST", "/account/logout-everywhere/",
         LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    page("accounts:export", "GET", "/account/export/",       LOGIN, 200, 200, 200, 200, 200, 200),
    page("accounts:delete", "GET", "/account/delete/",       LOGIN, 200, 200, 200, 200, 200, 200),
    page("accounts:delete", "POST", "/account/delete/",      LOGIN, 400, 400, 400, 400, 400, 400,
         data={"passphrase": "not-the-right-passphrase"}),
    page("accounts:two_factor", "GET", "/account/two-factor/", LOGIN, HOME, HOME, 200, 200, 200, 200),
    page("accounts:invitations", "GET", "/invitations/",     LOGIN, 200, 200, 200, 200, 404, 200),
    page("accounts:invitations", "POST", "/invitations/",    LOGIN, 200, 200, 200, 200, 404, 200,
         data={"role": Role.MEMBER, "note": "matrix"}),
    # carol's invitation: only staff of org A may revoke it; a member may revoke only their own.
    page("accounts:invitation_revoke", "GET", "/invitations/{invitation}/revoke/",
         LOGIN, 405, 405, 405, 405, 404, 405),
    page("accounts:invitation_revoke", "POST", "/invitations/{invitation}/revoke/",
         LOGIN, 404, 404, INVITATIONS, INVITATIONS, 404, 404),
    page("accounts:invitation_revoke", "POST", "/invitations/{alice_invitation}/revoke/",
         LOGIN, INVITATIONS, 404, INVITATIONS, INVITATIONS, 404, 404),
    page("accounts:members", "GET", "/staff/members/",       LOGIN, 404, 404, 200, 200, 404, 200),
    page("accounts:member", "GET", "/staff/members/{alice}/", LOGIN, 404, 404, 200, 200, 404, 404),
    page("accounts:member", "POST", "/staff/members/{alice}/", LOGIN, 404, 404, ALICE_RECORD, ALICE_RECORD,
         404, 404, data=NOTE),
    page("accounts:member", "POST", "/staff/members/{alice}/", LOGIN, 404, 404, ALICE_RECORD, ALICE_RECORD,
         404, 404, data=SUSPEND),
    page("accounts:member", "POST", "/staff/members/{alice}/", LOGIN, 404, 404, ALICE_RECORD, ALICE_RECORD,
         404, 404, data=MAKE_MODERATOR),
    page("accounts:vouching", "GET", "/staff/vouching/",     LOGIN, 404, 404, 200, 200, 404, 200),
    page("accounts:areas", "GET", "/staff/areas/",           LOGIN, 404, 404, 200, 200, 404, 200),
    page("accounts:areas", "POST", "/staff/areas/",          LOGIN, 404, 404, AREAS, AREAS, 404, AREAS,
         data={"name": "Kenya", "kind": "country", "parent": ""}),
    page("accounts:organisation_settings", "GET", "/staff/organisation/", LOGIN, 404, 404, 404, 200, 404, 404),
    page("accounts:organisation_settings", "POST", "/staff/organisation/",
         LOGIN, 404, 404, 404, ORG_SETTINGS, 404, 404, data=ORGANISATION_FORM),
    page("accounts:audit", "GET", "/staff/audit/",           LOGIN, 404, 404, 404, 200, 404, 404),
    page("set_language", "GET", "/language/",                405, 405, 405, 405, 405, 405, 405),
    page("set_language", "POST", "/language/",               FRONT, FRONT, FRONT, FRONT, FRONT, FRONT, FRONT,
         data={"language": "es"}),
    # The API: 401 without a usable session or token, never a redirect to an HTML login page.
    page("api-1.0.0:api-root", "GET", "/api/v1/",            404, 404, 404, 404, 404, 404, 404),
    api_op("token_create", "POST", "auth/token",             401, 201, 201, 201, 201, 201, 201,
           body=_own_credentials),
    api_op("token_create", "POST", "auth/token",             401, 201, 201, 401, 401, 401, 401,
           body=_credentials_without_otp),
    api_op("me", "GET", "me",                                401, 200, 200, 200, 200, 200, 200),
    api_op("me_language", "PUT", "me/language",              401, 200, 200, 200, 200, 200, 200,
           body=lambda _m: {"language": "es"}),
    api_op("me_export", "GET", "me/export",                  401, 200, 200, 200, 200, 200, 200),
    api_op("me_logout_everywhere", "POST", "me/logout-everywhere", 401, 204, 204, 204, 204, 204, 204),
    api_op("me_delete", "POST", "me/delete",                 401, 204, 204, 204, 204, 204, 204,
           body=lambda _m: {"passphrase": PASSPHRASE}),
]
# fmt: on


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Access rules do not depend on the hasher; Argon2 for seven people in each of ~350 cases takes minutes.
    Autouse, so it is in place before the people fixtures hash their passphrases."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _row_id(row: Row) -> str:
    detail = f"-{row.data['action']}" if isinstance(row.data, dict) and "action" in row.data else ""
    return f"{row.name}-{row.method}-{row.path}{detail}"


@pytest.fixture
def org_a_objects(people):
    """The objects of organisation A that rows address by UUID."""
    invitation, _code = services.invitation_issue(actor=people["carol"], note="for the night shift")
    alice_invitation, _code = services.invitation_issue(actor=people["alice"])
    return {"alice": people["alice"].pk, "invitation": invitation.pk, "alice_invitation": alice_invitation.pk}


def _outcome(response):
    if response.status_code in (301, 302, 303):
        return "→" + urlsplit(response["Location"]).path
    return response.status_code


def _send(client, method, path, *, data=None, body=None):
    if body is not None:
        return getattr(client, method.lower())(path, data=json.dumps(body), content_type="application/json")
    if method == "GET":
        return client.get(path)
    return getattr(client, method.lower())(path, data or {})


@pytest.mark.parametrize("row", MATRIX, ids=_row_id)
@pytest.mark.parametrize("role", ROLES)
def test_it_gives_each_role_exactly_the_outcome_in_the_matrix(row, role, people, org_a_objects):
    membership = people.get(role)
    client = Client()
    if membership is not None:
        log_in(client, membership)
    path = row.path.format(**org_a_objects)
    body = row.body(membership) if row.body else None
    if row.api and body is None and row.method != "GET":
        body = {}
    expected = row.expect[ROLES.index(role)]
    if isinstance(expected, str):
        expected = expected.format(**org_a_objects)
    assert _outcome(_send(client, row.method, path, data=row.data, body=body)) == expected


def _url_names(resolver=None, namespace=""):
    """Every named pattern in the URLconf, with its namespace, and how many patterns have no name."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}:{pattern.name}" if namespace else str(pattern.name)), pattern


def test_it_covers_every_url_of_the_project_in_the_matrix():
    """A new page or API path cannot be added without deciding, in the matrix, who may reach it."""
    covered = {row.name for row in MATRIX}
    names = {name for name, _pattern in _url_names() if not name.startswith(NOT_IN_MATRIX)}
    assert "accounts:home" in names and "api-1.0.0:me" in names  # the walk itself works
    assert not {name for name in names if name.endswith(":None") or name == "None"}, "unnamed URL patterns"
    assert names - covered == set(), "URL patterns missing from the role matrix"
    assert covered - names == set(), "matrix rows for URLs that no longer exist"


def test_it_covers_every_api_operation_and_method_in_the_matrix():
    """Two methods on one API path share a URL name, so the API is also checked operation by operation."""
    operations = {
        (method.upper(), path) for path, methods in api.get_openapi_schema()["paths"].items() for method in methods
    }
    covered = {(row.method, row.path) for row in MATRIX if row.api}
    assert operations - covered == set(), "API operations missing from the role matrix"
    # An operation addressing an object by id would need rows proving other organisations get a 404.
    assert not [path for _method, path in operations if "{" in path], "add cross-organisation rows first"


def test_it_answers_anonymous_visitors_only_on_public_views():
    """Every page that answers anonymous visitors with a page is one of the deliberate PUBLIC_VIEWS, and every
    public view is in the matrix with an anonymous outcome other than the login redirect."""
    for row in MATRIX:
        if not row.api and row.expect[0] == 200:
            assert row.name in PUBLIC_VIEWS, row.name
    anonymous = {row.name for row in MATRIX if row.expect[0] != LOGIN}
    assert PUBLIC_VIEWS - {"api-1.0.0:openapi-json"} <= anonymous


# Organisations are sealed from each other -----------------------------------------------------------


def test_it_lets_staff_of_another_organisation_change_nothing_in_org_a(people, org_a_objects):
    mallory, alice = people["mallory"], people["alice"]
    services.membership_set_note(actor=people["carol"], membership=alice, note="original note")
    client = log_in(Client(), mallory)
    record = f"/staff/members/{alice.pk}/"
    assert client.get(record).status_code == 404
    for data in (SUSPEND, NOTE, MAKE_MODERATOR, {"action": "restore"}):
        assert client.post(record, data).status_code == 404, data
    assert client.post(f"/invitations/{org_a_objects['invitation']}/revoke/").status_code == 404
    # Nothing changed and nothing of org A was even read: no audit entry by mallory in org A.
    alice.refresh_from_db()
    assert (alice.suspended_at, alice.role, alice.staff_note) == (None, Role.MEMBER, "original note")
    assert Invitation.objects.get(pk=org_a_objects["invitation"]).status == Invitation.Status.OPEN
    assert not AuditEntry.objects.filter(actor=mallory, organisation=alice.organisation).exists()
    assert not AuditEntry.objects.filter(actor=mallory, target_id=alice.pk).exists()
    # Her own lists show only organisation B.
    members_page = client.get("/staff/members/").content.decode()
    assert "alice" not in members_page and "carol" not in members_page
    assert "night shift" not in client.get("/invitations/").content.decode()


def test_it_gives_another_organisations_staff_nothing_of_org_a_through_the_api(people, org_a_objects):
    mallory = people["mallory"]
    client = log_in(Client(), mallory)
    export = json.dumps(client.get("/api/v1/me/export").json())
    me = client.get("/api/v1/me").json()
    assert me["membership"]["organisation"] == "Collective B"
    for leaked in ("alice", "carol", "Collective A", "night shift", str(people["alice"].pk)):
        assert leaked not in export
    # A bearer token is just as scoped as the session.
    token = client.post(
        "/api/v1/auth/token", json.dumps(_own_credentials(mallory)), content_type="application/json"
    ).json()["token"]
    export = Client().get("/api/v1/me/export", headers={"Authorization": f"Bearer {token}"}).json()
    assert export["membership"]["organisation"] == "Collective B"


@pytest.mark.parametrize("person", ["carol", "dana"])
def test_it_answers_org_b_uuids_with_404_to_org_a_staff(people, person):
    mallory = people["mallory"]
    invitation, _code = services.invitation_issue(actor=mallory, note="org b note")
    client = log_in(Client(), people[person])
    assert client.get(f"/staff/members/{mallory.pk}/").status_code == 404
    for data in (SUSPEND, NOTE, MAKE_MODERATOR):
        assert client.post(f"/staff/members/{mallory.pk}/", data).status_code == 404
    assert client.post(f"/invitations/{invitation.pk}/revoke/").status_code == 404
    # The same answer as for an id that exists nowhere, so a 404 reveals nothing.
    assert client.get("/staff/members/00000000-0000-4000-8000-000000000000/").status_code == 404
    mallory.refresh_from_db()
    invitation.refresh_from_db()
    assert mallory.suspended_at is None and mallory.role == Role.STAFF and mallory.staff_note == ""
    assert invitation.status == Invitation.Status.OPEN


def test_it_refuses_cross_organisation_changes_in_the_services_too(people):
    """The views are not the only guard: the services check the organisation themselves."""
    mallory, alice = people["mallory"], people["alice"]
    invitation, _code = services.invitation_issue(actor=people["carol"])
    for action in (
        lambda: services.membership_suspend(actor=mallory, membership=alice),
        lambda: services.membership_set_role(actor=mallory, membership=alice, role=Role.MODERATOR),
        lambda: services.membership_set_note(actor=mallory, membership=alice, note="x"),
        lambda: services.membership_restore(actor=mallory, membership=alice),
    ):
        with pytest.raises(services.PermissionDenied):
            action()
    # Revoking checks only staff role or issuer, so the organisation check is the selector's job.
    with pytest.raises(Http404):
        selectors.invitation_get_for_member(actor=mallory, invitation_id=invitation.pk)


# Two-factor --------------------------------------------------------------------------------------


def _unverified(membership) -> Client:
    client = Client()
    client.force_login(membership.account, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("person", ["carol", "dana", "nina"])
def test_it_sends_staff_admins_and_analysts_to_two_factor_before_any_other_page(people, org_a_objects, person):
    client = _unverified(people[person])
    checked = 0
    for row in MATRIX:
        if row.api or row.name in TWO_FACTOR_EXEMPT or row.name == "api-1.0.0:api-root":
            continue
        path = row.path.format(**org_a_objects)
        response = _send(client, row.method, path, data=row.data)
        assert _outcome(response) == TWO_FACTOR, (row.method, path)
        checked += 1
    assert checked > 20
    # Nothing a POST asked for happened before two-factor.
    alice = Membership.objects.get(pk=org_a_objects["alice"])
    assert alice.suspended_at is None and alice.staff_note == "" and alice.role == Role.MEMBER
    assert Invitation.objects.get(pk=org_a_objects["invitation"]).status == Invitation.Status.OPEN
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/account/two-factor/").status_code == 200


def test_it_lets_staff_through_after_the_right_code(carol):
    client = _unverified(carol)
    assert _outcome(client.get("/staff/members/")) == TWO_FACTOR
    response = client.post("/account/two-factor/", {"token": totp_now(carol)})
    assert _outcome(response) == HOME
    assert client.get("/staff/members/").status_code == 200


def test_it_does_not_send_members_or_moderators_to_two_factor(alice, bob):
    for membership in (alice, bob):
        assert _unverified(membership).get("/home/").status_code == 200


# Suspension, logout, sessions -----------------------------------------------------------------------


def _login(client, pseudonym, passphrase=PASSPHRASE, **extra):
    return client.post("/login/", {"pseudonym": pseudonym, "passphrase": passphrase}, **extra)


def _form_errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def test_it_logs_a_suspended_member_out_on_the_next_request_and_refuses_their_login(alice, carol):
    client = Client()
    assert _outcome(_login(client, "alice")) == HOME
    assert client.get("/home/").status_code == 200
    services.membership_suspend(actor=carol, membership=alice)
    assert _outcome(client.get("/home/")) == LOGIN
    assert client.get("/api/v1/me").status_code == 401
    suspended = _login(Client(), "alice")
    wrong = _login(Client(), "alice", "not-the-passphrase-at-all")
    unknown = _login(Client(), "nobody-at-all", PASSPHRASE)
    assert suspended.status_code == wrong.status_code == unknown.status_code == 200
    assert _form_errors(suspended) == _form_errors(wrong) == _form_errors(unknown) != []


def test_it_logs_out_a_suspended_member_even_if_the_session_hash_still_matches(alice):
    """Suspension rotates the session salt; the middleware's own check is the second lock on the door."""
    client = log_in(Client(), alice)
    assert client.get("/home/").status_code == 200
    Membership.objects.filter(pk=alice.pk).update(suspended_at=clock.now())
    assert _outcome(client.get("/home/")) == LOGIN
    assert "_auth_user_id" not in client.session


def test_it_ends_every_other_session_when_logging_out_everywhere(alice):
    phone, laptop = Client(), Client()
    assert _outcome(_login(phone, "alice")) == HOME
    assert _outcome(_login(laptop, "alice")) == HOME
    token = laptop.post(
        "/api/v1/auth/token", json.dumps(_own_credentials(alice)), content_type="application/json"
    ).json()["token"]
    assert laptop.get("/home/").status_code == 200
    response = phone.post("/account/logout-everywhere/")
    assert _outcome(response) == LOGIN
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert _outcome(laptop.get("/home/")) == LOGIN
    assert _outcome(phone.get("/home/")) == LOGIN
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_it_answers_logout_with_clear_site_data_and_ends_the_session(alice):
    client = Client()
    _login(client, "alice")
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post("/logout/")
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert not Session.objects.filter(session_key=session_key).exists()
    assert _outcome(client.get("/home/")) == LOGIN


def test_it_changes_the_session_id_at_login(alice):
    """Session fixation: an id planted before login must not be the one that is logged in."""
    client = Client()
    session = client.session
    session["planted"] = True
    session.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert _outcome(_login(client, "alice")) == HOME
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    # The old id, replayed by whoever planted it, is not logged in.
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = before
    assert _outcome(attacker.get("/home/")) == LOGIN


def _at(seconds: float):
    return clock.travel(timedelta(seconds=seconds))


@pytest.mark.parametrize(
    ("person", "idle_setting"),
    [
        ("alice", "SESSION_IDLE_SECONDS"),
        ("carol", "STAFF_SESSION_IDLE_SECONDS"),
        ("nina", "STAFF_SESSION_IDLE_SECONDS"),
    ],
)
def test_it_ends_an_idle_session(people, person, idle_setting):
    idle = getattr(settings, idle_setting)
    client = log_in(Client(), people[person])
    assert client.get("/home/").status_code == 200
    with _at(idle - 90):
        assert client.get("/home/").status_code == 200  # activity keeps the session alive
    with _at(2 * idle - 180):
        assert client.get("/home/").status_code == 200
    with _at(3 * idle):
        assert _outcome(client.get("/home/")) == LOGIN
    assert _outcome(client.get("/home/")) == LOGIN  # and it stays ended when time comes back


@pytest.mark.parametrize(
    ("person", "idle_setting", "absolute_setting"),
    [
        ("alice", "SESSION_IDLE_SECONDS", "SESSION_ABSOLUTE_SECONDS"),
        ("dana", "STAFF_SESSION_IDLE_SECONDS", "STAFF_SESSION_ABSOLUTE_SECONDS"),
    ],
)
def test_it_ends_a_session_after_the_absolute_limit_however_active(people, person, idle_setting, absolute_setting):
    idle, absolute = getattr(settings, idle_setting), getattr(settings, absolute_setting)
    assert absolute > idle
    client = log_in(Client(), people[person])
    assert client.get("/home/").status_code == 200
    step = idle - 90
    elapsed = step
    while elapsed < absolute - 60:
        with _at(elapsed):
            assert client.get("/home/").status_code == 200, elapsed
        elapsed += step
    with _at(absolute + 60):
        assert _outcome(client.get("/home/")) == LOGIN
    assert "_auth_user_id" not in client.session


def test_it_uses_uuids_for_every_object_in_urls():
    """Sequential ids in URLs would tell anyone how many members an organisation has and let them guess."""
    for name, pattern in _url_names():
        if name.startswith("admin:"):
            continue
        converters = pattern.pattern.converters
        for parameter, converter in converters.items():
            assert isinstance(converter, UUIDConverter) or (name, parameter) == ("accounts:organisation", "slug"), (
                name,
                parameter,
            )
    for model in (Account, Membership, Invitation, AuditEntry):
        assert model._meta.pk.get_internal_type() == "UUIDField", model


def test_it_links_member_records_by_uuid(carol, alice):
    page_text = log_in(Client(), carol).get("/staff/members/").content.decode()
    links = re.findall(r'href="/staff/members/([^"/]+)/"', page_text)
    assert str(alice.pk) in links
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", link) for link in links)
