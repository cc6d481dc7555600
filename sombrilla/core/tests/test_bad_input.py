"""Malformed, oversized and hostile input, everywhere: every form and every API operation must answer it
with a clear message (a 4xx, or the form shown again with its errors) and never a server error, and
anything hostile that is shown back must be escaped.

Clients here do not re-raise view exceptions, so a crash shows up as the 500 a member would see.
"""

import itertools
import uuid
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.test import Client

from sombrilla.accounts import services
from sombrilla.accounts.models import Account, Area, Role
from sombrilla.conftest import PASSPHRASE, log_in

HOSTILE = {
    "script": "<script>alert('x')</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "sql": "' OR 1=1 --",
    "template": "{{ 7|add:7 }}{% debug %}",
    "long": "x" * 10_000,
    # Long Unicode: a family emoji is four people held together by zero-width joiners.
    "emoji": "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466" * 300,
    "rtl-override": "\u202egpj.exe",
    "zero-width": "a\u200b\u200c\u200db\ufeff",
    "nul": "ab\x00cd",
    "blank": "   ",
}
# Inputs no field may accept: each must be refused with a message the person can act on.
MUST_BE_REFUSED = {"long", "nul"}
# Markup that, if it ever appears as-is in a page, is an injection.
UNESCAPED = ("<script>alert", "<img src=x")


@pytest.fixture(autouse=True)
def _fast_passphrase_hashing(settings):
    """These tests are about input handling, not hashing: a cheap hasher keeps hundreds of requests quick.
    (Autouse, so it is in place before the people fixtures hash their passphrases.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _client(membership=None) -> Client:
    client = Client(raise_request_exception=False)
    return log_in(client, membership) if membership is not None else client


def _unverified_client(membership) -> Client:
    """A staff member who has entered the passphrase but not yet today's two-factor code."""
    client = Client(raise_request_exception=False)
    client.force_login(membership.account, backend="sombrilla.accounts.backends.AccountBackend")
    return client


def _assert_safe(response, context: str) -> None:
    assert response.status_code < 500, f"{context}: {response.status_code}"
    if response.get("Content-Type", "").startswith("text/html"):
        body = response.content.decode()
        for markup in UNESCAPED:
            assert markup not in body, f"{context}: {markup!r} shown unescaped"


def _shows_an_error(response) -> bool:
    if 400 <= response.status_code < 500:
        return True
    body = response.content.decode()
    return 'class="errorlist' in body or 'class="msg error"' in body


# Forms --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormCase:
    name: str
    path: str  # may hold "{alice}": alice's membership id
    who: str | None  # a person from the `people` fixture, "carol-unverified", or None
    data: dict
    fields: tuple
    # Forms that refuse bad input by leaving things as they were and redirecting, e.g. the language menu.
    redirects_on_error: bool = False
    needs_code: bool = field(default=False)


FORMS = [
    FormCase(
        "join",
        "/join/",
        None,
        {"pseudonym": "newbie", "passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE},
        ("code", "pseudonym", "passphrase", "passphrase_again"),
        needs_code=True,
    ),
    FormCase("login", "/login/", None, {"pseudonym": "alice", "passphrase": PASSPHRASE}, ("pseudonym", "passphrase")),
    FormCase(
        "recover",
        "/recover/",
        None,
        {"pseudonym": "alice", "code": "AAAA-BBBB-CCCC", "passphrase": "a-new-long-passphrase"},
        ("pseudonym", "code", "passphrase"),
    ),
    FormCase(
        "language",
        "/language/",
        "alice",
        {"language": "es", "next": "/account/"},
        ("language", "next"),
        redirects_on_error=True,
    ),
    FormCase("pseudonym", "/account/pseudonym/", "alice", {"pseudonym": "alicia"}, ("pseudonym",)),
    FormCase(
        "passphrase",
        "/account/passphrase/",
        "alice",
        {"current": "not-the-passphrase", "new": "a-new-long-passphrase"},
        ("current", "new"),
    ),
    FormCase("delete", "/account/delete/", "alice", {"passphrase": "not-the-passphrase"}, ("passphrase",)),
    FormCase("invitations", "/invitations/", "carol", {"role": Role.MEMBER, "note": ""}, ("role", "note")),
    FormCase("two-factor", "/account/two-factor/", "carol-unverified", {"token": "123456"}, ("token",)),
    FormCase(
        "member-role",
        "/staff/members/{alice}/",
        "carol",
        {"action": "role", "role": Role.MODERATOR},
        ("action", "role"),
    ),
    FormCase("member-note", "/staff/members/{alice}/", "carol", {"action": "note", "note": "fine"}, ("note",)),
    FormCase(
        "areas",
        "/staff/areas/",
        "carol",
        {"name": "Kenya", "kind": "country", "parent": ""},
        ("name", "kind", "parent"),
    ),
    FormCase(
        "organisation",
        "/staff/organisation/",
        "dana",
        {
            "name": "Collective A",
            "about": "",
            "how_to_join": "",
            "quick_exit_url": "https://weather.example",
            "vouch_quota": 2,
            "invitation_days": 14,
            "default_country": "KE",
            "shares_with_network": "on",
            "screening_daily_limit": 30,
            "alert_retention_months": 12,
            "police_alert_hours": 24,
            "rights_url": "https://rights.example",
        },
        ("name", "about", "how_to_join", "quick_exit_url", "vouch_quota", "invitation_days", "default_country"),
    ),
    # Check-in forms that address no object; those on a plan or a shift are in sombrilla/checkins/tests/test_views.py.
    FormCase(
        "checkin-plan",
        "/checkins/new/",
        "alice",
        {"minutes": "60", "place": "Hotel Azul", "phone": "0712 345 678"},
        ("minutes", "starts_at", "place", "phone", "handle", "email", "plate", "note"),
    ),
    FormCase(
        "checkin-member-buddy",
        "/checkins/buddies/",
        "alice",
        {"action": "member", "pseudonym": "bob"},
        ("action", "pseudonym"),
    ),
    FormCase(
        "checkin-outside-buddy",
        "/checkins/buddies/",
        "alice",
        {"action": "outside", "name": "Sis", "kind": "sms", "contact": "+254712111222", "language": "en"},
        ("name", "kind", "contact", "known_as", "language"),
    ),
    FormCase(
        "checkin-settings",
        "/checkins/settings/",
        "alice",
        {"grace_minutes": "15"},
        ("grace_minutes", "pin", "duress_pin"),
    ),
    # M&E records forms
    # New records of four types that address no other record; every type's form, and the import, are in
    # sombrilla/monitoring/records/tests/test_views.py.
    FormCase(
        "records-member",
        "/me/records/members/new/",
        "carol",
        {"name": "Night Lights", "country": "KE", "region": "africa", "joined_on": "2023-03-15"},
        ("name", "country", "region", "joined_on", "left_on", "in_regional_network"),
    ),
    FormCase(
        "records-publication",
        "/me/records/publications/new/",
        "carol",
        {"title": "Smart Guide", "format": "smart-guide", "languages": "en fr", "published_on": "2024-03-01"},
        ("title", "format", "languages", "published_on", "theme"),
    ),
    FormCase(
        "records-training",
        "/me/records/trainings/new/",
        "carol",
        {"title": "Academy", "date": "2024-09-10", "region": "europe", "trainer_kind": "network"},
        ("title", "date", "region", "trainer_kind", "experienced_trainers"),
    ),
    FormCase(
        "records-survey",
        "/me/records/surveys/new/",
        "carol",
        {"year": "2024", "responses": "142", "programme_changes": "58", "narrative": "Members reported change."},
        ("year", "responses", "organisational_development", "law_policy_changes", "programme_changes", "narrative"),
    ),
    # M&E forms
    # The DHIS2 names form addresses no object; the form for a figure entered by hand (on an indicator) and the
    # query strings of the monitoring pages and downloads are in sombrilla/monitoring/tests/test_dashboard.py.
    FormCase(
        "me-mapping",
        "/me/mapping/",
        "carol",
        {"org_unit": "OU1", "data_set": "DS1", "codes": "dataElement,1.1.1,DE1"},
        ("org_unit", "data_set", "codes"),
    ),
    # rights forms
    # The article form addresses no object; the version, audio and filter forms are in
    # sombrilla/rights/tests/test_views.py.
    FormCase(
        "rights-article",
        "/staff/rights/new/",
        "carol",
        {"topic": "arrest", "icon": "", "position": "1"},
        ("topic", "icon", "countries", "position"),
    ),
    # directory forms
    # Directory forms that address no object; those on a service, a note or a request are in
    # sombrilla/directory/tests/test_views.py.
    FormCase(
        "directory-referral",
        "/services/referrals/",
        "alice",
        {"kind": "shelter", "message": "A bed for tonight."},
        ("kind", "message"),
    ),
    FormCase(
        "directory-service",
        "/staff/services/new/",
        "carol",
        {"name": "Safe House", "kind": "shelter", "call_first": "on", "public_number": "1190", "cost": "free"},
        tuple("name kind area address public_number opening_hours languages cost cost_note about".split()),
    ),
]


def _form_client(people, case: FormCase) -> Client:
    if case.who is None:
        return _client()
    if case.who == "carol-unverified":
        return _unverified_client(people["carol"])
    return _client(people[case.who])


@pytest.mark.parametrize("case", FORMS, ids=lambda case: case.name)
def test_it_answers_hostile_form_input_with_a_message_never_a_server_error(people, case):
    for (kind, value), name in itertools.product(HOSTILE.items(), case.fields):
        data = dict(case.data)
        if case.needs_code:
            data["code"] = services.invitation_issue(actor=people["carol"])[1]
        data[name] = value
        response = _form_client(people, case).post(case.path.format(alice=people["alice"].pk), data)
        context = f"{case.name}.{name}={kind}"
        _assert_safe(response, context)
        if kind in MUST_BE_REFUSED and not case.redirects_on_error:
            assert _shows_an_error(response), f"{context}: refused without a message"


def test_it_ignores_a_hostile_language_choice_and_redirect_target(alice):
    """The language menu is a select: a tampered value changes nothing and sends the person nowhere else."""
    for value in HOSTILE.values():
        response = _client(alice).post("/language/", {"language": value, "next": value})
        assert response.status_code == 302
        assert response["Location"] == "/"
    alice.account.refresh_from_db()
    assert alice.account.language == "en"


def test_it_explains_each_refusal_in_words(people):
    """Spot checks that the message says what is wrong, not just that something is."""
    alice_page = f"/staff/members/{people['alice'].pk}/"
    carol = _client(people["carol"])
    overlong_note = carol.post(alice_page, {"action": "note", "note": HOSTILE["long"]}).content.decode()
    assert "Ensure this value has at most 2000 characters (it has 10000)." in overlong_note
    assert HOSTILE["long"] in overlong_note  # what was typed is not lost
    nul_login = _client().post("/login/", {"pseudonym": HOSTILE["nul"], "passphrase": PASSPHRASE})
    assert "Null characters are not allowed." in nul_login.content.decode()
    bad_role = carol.post(alice_page, {"action": "role", "role": HOSTILE["sql"]}).content.decode()
    assert "Select a valid choice." in bad_role
    assert "Please check the form." in bad_role


def test_it_refuses_undecodable_form_bytes_with_a_message(alice):
    response = _client().post(
        "/login/", b"pseudonym=\xff\xfe\xfd&passphrase=\xc3", content_type="application/x-www-form-urlencoded"
    )
    _assert_safe(response, "login with bytes that are not UTF-8")
    assert "This pseudonym and passphrase do not match." in response.content.decode() or _shows_an_error(response)


# Query strings and paths --------------------------------------------------------------------------


def test_it_answers_hostile_query_strings_without_a_server_error(people):
    anonymous, carol = _client(), _client(people["carol"])
    places = [
        (anonymous, "/join/", "code"),
        (anonymous, "/login/", "next"),
        (carol, "/staff/members/", "q"),
        (anonymous, "/", "next"),
        (anonymous, "/recover/", "code"),
    ]
    for (kind, value), (client, path, param) in itertools.product(HOSTILE.items(), places):
        response = client.get(path, {param: value})
        _assert_safe(response, f"GET {path}?{param}={kind}")


@pytest.mark.parametrize(
    "path",
    [
        "/staff/members/not-a-uuid/",
        f"/staff/members/{uuid.uuid4()}/",
        "/staff/members/%00/",
        "/staff/members/00000000-0000-0000-0000-00000000000g/",
        "/o/no-such-organisation/",
        "/o/%3Cscript%3E/",
        "/%3Cscript%3Ealert('x')%3C/script%3E/",
        "/staff/members/" + "a" * 5000 + "/",
    ],
)
def test_it_answers_a_malformed_or_unknown_path_with_404(carol, path):
    response = _client(carol).get(path)
    assert response.status_code == 404
    _assert_safe(response, path)
    assert "This page does not exist" in response.content.decode()


@pytest.mark.parametrize("path", ["/invitations/not-a-uuid/revoke/", f"/invitations/{uuid.uuid4()}/revoke/"])
def test_it_answers_revoking_a_malformed_or_unknown_invitation_with_404(alice, path):
    assert _client(alice).post(path).status_code == 404


def test_it_answers_404_for_a_member_id_from_another_organisation(carol, mallory):
    assert _client(carol).get(f"/staff/members/{mallory.pk}/").status_code == 404


@pytest.mark.parametrize(
    "code", ["", "AAAA-BBBB-CCCC", "<script>", "' OR 1=1 --", "0000-0000-0000-0000-0000", "\u202e\u200d", "OIL-OIL-OIL"]
)
def test_it_refuses_an_invalid_invitation_code_with_one_clear_message(carol, code):
    response = _client().post(
        "/join/", {"code": code, "pseudonym": "newbie", "passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert ("This invitation code is not valid." in body) or ("This field is required." in body)


@pytest.mark.parametrize("code", ["", "AAAA-BBBB-CCCC", "<script>", "x" * 41, "ab\x00"])
def test_it_refuses_an_invalid_recovery_code_with_a_clear_message(alice, code):
    services.recovery_codes_regenerate(account=alice.account)
    response = _client().post("/recover/", {"pseudonym": "alice", "code": code, "passphrase": "a-new-long-one!"})
    assert response.status_code == 200
    assert _shows_an_error(response)
    alice.account.refresh_from_db()
    assert alice.account.check_password(PASSPHRASE)


# CSRF ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    FORMS
    + [
        FormCase("logout", "/logout/", "alice", {}, ()),
        FormCase("logout-everywhere", "/account/logout-everywhere/", "alice", {}, ()),
        FormCase("recovery-codes", "/account/recovery-codes/", "alice", {}, ()),
    ],
    ids=lambda case: case.name,
)
def test_it_refuses_a_form_without_the_csrf_token_with_a_clear_page(people, case):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if case.who == "carol-unverified":
        client.force_login(people["carol"].account, backend="sombrilla.accounts.backends.AccountBackend")
    elif case.who is not None:
        log_in(client, people[case.who])
    response = client.post(case.path.format(alice=people["alice"].pk), case.data)
    assert response.status_code == 403
    assert "If you were filling in a form, go back, reload the page and try again." in response.content.decode()


# Stored values shown back -------------------------------------------------------------------------


def test_it_escapes_a_hostile_pseudonym_shown_back_in_the_join_form(carol):
    _invitation, code = services.invitation_issue(actor=carol)
    response = _client().post(
        "/join/",
        {
            "code": code,
            "pseudonym": "<script>alert('x')</script>",
            "passphrase": PASSPHRASE,
            "passphrase_again": PASSPHRASE,
        },
    )
    body = response.content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body


def test_it_escapes_hostile_text_everywhere_it_is_stored_and_shown(people):
    hostile = HOSTILE["script"] + HOSTILE["attribute"]
    carol, dana, alice = people["carol"], people["dana"], people["alice"]
    services.invitation_issue(actor=carol, note=hostile)
    services.membership_set_note(actor=carol, membership=alice, note=hostile)
    services.area_create(actor=carol, organisation=carol.organisation, name=hostile[:120], kind="country")
    services.organisation_update(actor=dana, name=hostile[:120], about=hostile, how_to_join=hostile)
    pages = [
        (_client(carol), "/invitations/"),
        (_client(carol), f"/staff/members/{alice.pk}/"),
        (_client(carol), "/staff/areas/"),
        (_client(), "/o/org-a/"),
        (_client(alice), "/home/"),
        (_client(people["nina"]), "/home/"),
        (_client(dana), "/staff/organisation/"),
        (_client(carol), "/staff/members/?q=" + HOSTILE["script"]),
    ]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_safe(response, path)
        assert "&lt;script&gt;" in response.content.decode(), f"{path}: hostile text not shown escaped"
    assert Area.objects.filter(name=hostile[:120]).exists()


# The API ------------------------------------------------------------------------------------------

JSON = "application/json"


def _token(membership) -> str:
    response = Client().post(
        "/api/v1/auth/token", {"pseudonym": membership.account.pseudonym, "passphrase": PASSPHRASE}, content_type=JSON
    )
    return response.json()["token"]


API_BODIES = [
    ("post", "/api/v1/auth/token", {"pseudonym": "alice", "passphrase": PASSPHRASE, "otp": "", "label": "x"}),
    ("put", "/api/v1/me/language", {"language": "es"}),
    ("post", "/api/v1/me/delete", {"passphrase": "not-the-passphrase"}),
]


@pytest.mark.parametrize(("method", "path", "body"), API_BODIES, ids=lambda value: str(value).split("/")[-1])
def test_it_answers_hostile_api_fields_with_a_json_reason_never_a_server_error(alice, method, path, body):
    headers = {"Authorization": f"Bearer {_token(alice)}"}
    for kind, name in itertools.product(HOSTILE, body):
        response = getattr(_client(), method)(path, {**body, name: HOSTILE[kind]}, content_type=JSON, headers=headers)
        context = f"{path} {name}={kind}"
        assert response.status_code < 500, context
        if response.status_code >= 400:
            assert response["Content-Type"].startswith(JSON), context
            assert response.json()["detail"], context
        if kind in MUST_BE_REFUSED:
            assert 400 <= response.status_code < 500, context


MALFORMED_BODIES = [
    ("not json", "{not json", JSON),
    ("bytes that are not UTF-8", b"\xff\xfe{\x00", JSON),
    ("deeply nested", "[" * 100_000, JSON),
    ("an array", "[]", JSON),
    ("null", "null", JSON),
    ("a number", "1e999999", JSON),
    ("a lone surrogate", '{"language": "\\ud800", "passphrase": "\\ud800", "pseudonym": "\\ud800"}', JSON),
    ("wrong types", '{"language": 5, "passphrase": [], "pseudonym": {"$ne": 1}}', JSON),
    ("empty", "", JSON),
    ("xml", "<language>es</language>", "application/xml"),
    ("form-encoded", "language=es&passphrase=x&pseudonym=alice", "application/x-www-form-urlencoded"),
    ("plain text", "es", "text/plain"),
]


@pytest.mark.parametrize(("method", "path", "body"), API_BODIES, ids=lambda value: str(value).split("/")[-1])
def test_it_answers_a_malformed_api_body_with_a_json_4xx(alice, method, path, body):
    token = _token(alice)
    for label, payload, content_type in MALFORMED_BODIES:
        response = getattr(_client(), method)(
            path, payload, content_type=content_type, headers={"Authorization": f"Bearer {token}"}
        )
        assert 400 <= response.status_code < 500, f"{path} {label}: {response.status_code}"
        assert response.json()["detail"], f"{path} {label}"
    # Nothing happened: the account is still there with its language and its token.
    assert _client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["language"] == "en"


def test_it_refuses_an_oversized_api_body_with_a_json_413(alice):
    oversized = '{"language": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'
    response = _client().put(
        "/api/v1/me/language", oversized, content_type=JSON, headers={"Authorization": f"Bearer {_token(alice)}"}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "This request is too large."}
    anonymous = _client().post("/api/v1/auth/token", oversized, content_type=JSON)
    assert (anonymous.status_code, anonymous.json()) == (413, {"detail": "This request is too large."})


@pytest.mark.parametrize(
    "header",
    [
        "Bearer <script>",
        "Bearer ' OR 1=1 --",
        "Bearer " + "x" * 10_000,
        "Bearer \u202e",
        "bearer",
        "Token abc",
    ],
)
def test_it_answers_a_hostile_authorization_header_with_401(alice, header):
    response = _client().get("/api/v1/me", headers={"Authorization": header.encode("utf-8").decode("latin-1")})
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_it_answers_an_unknown_api_path_with_404(db):
    assert _client().get("/api/v1/no-such-thing").status_code == 404


def test_it_refuses_an_api_session_call_without_the_csrf_token(alice):
    client = log_in(Client(enforce_csrf_checks=True, raise_request_exception=False), alice)
    response = client.post("/api/v1/me/delete", {"passphrase": PASSPHRASE}, content_type=JSON)
    assert response.status_code == 403
    assert response.json()["detail"]
    assert Account.objects.filter(pk=alice.account.pk).exists()
