"""The account API at /api/v1: tokens, the member's own record, language, export, log out everywhere and
deletion, with bearer tokens and with the browser session (which must carry the CSRF token)."""

from datetime import timedelta

import pytest
from django.test import Client

from sombrilla.accounts import services
from sombrilla.accounts.models import Account, ApiToken
from sombrilla.conftest import PASSPHRASE, log_in, totp_now
from sombrilla.core import clock

JSON = "application/json"
WRONG_CREDENTIALS = "This pseudonym and passphrase do not match."


def _token_request(client, pseudonym, passphrase=PASSPHRASE, **extra):
    return client.post(
        "/api/v1/auth/token", {"pseudonym": pseudonym, "passphrase": passphrase, **extra}, content_type=JSON
    )


def _token(membership, **extra) -> str:
    response = _token_request(Client(), membership.account.pseudonym, **extra)
    assert response.status_code == 201, response.content
    return response.json()["token"]


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# Tokens -------------------------------------------------------------------------------------------


def test_it_issues_a_token_for_the_right_pseudonym_and_passphrase(alice):
    response = _token_request(Client(), "alice", label="my phone")
    assert response.status_code == 201
    body = response.json()
    assert len(body["token"]) >= 40
    assert body["expires_at"] > clock.now().isoformat()
    # Only a keyed hash is kept: the database never holds the token a client can use.
    stored = ApiToken.objects.get(account=alice.account)
    assert stored.label == "my phone"
    assert body["token"] not in stored.token_hash


def test_it_accepts_the_pseudonym_in_another_case(alice):
    assert _token_request(Client(), "ALICE").status_code == 201


def test_it_answers_an_unknown_pseudonym_and_a_wrong_passphrase_with_the_same_words(alice):
    unknown = _token_request(Client(), "nobody-here")
    wrong = _token_request(Client(), "alice", passphrase="not-the-right-passphrase")
    # Identical answers: the API must not tell a prober which pseudonyms exist.
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == {"detail": WRONG_CREDENTIALS}


@pytest.mark.parametrize("person", ["carol", "dana", "nina"])
def test_it_needs_a_current_two_factor_code_for_staff_admins_and_analysts(people, person):
    client = Client()
    assert _token_request(client, person).json() == {"detail": WRONG_CREDENTIALS}
    assert _token_request(client, person, otp="abcdef").json() == {"detail": WRONG_CREDENTIALS}
    assert _token_request(client, person, otp=totp_now(people[person])).status_code == 201


@pytest.mark.parametrize("person", ["carol", "dana", "nina"])
def test_it_refuses_a_wrong_two_factor_code_with_the_usual_words(people, person):
    code = f"{(int(totp_now(people[person])) + 1) % 1_000_000:06d}"
    assert _token_request(Client(), person, otp=code).json() == {"detail": WRONG_CREDENTIALS}


def test_it_does_not_ask_a_member_for_a_two_factor_code(alice):
    assert _token_request(Client(), "alice", otp="").status_code == 201


def test_it_refuses_a_token_to_a_suspended_member(alice, carol):
    services.membership_suspend(actor=carol, membership=alice)
    response = _token_request(Client(), "alice")
    assert response.status_code == 401
    assert response.json() == {"detail": WRONG_CREDENTIALS}


def test_it_throttles_repeated_failures_even_for_the_right_passphrase_afterwards(alice, settings):
    client = Client()
    for _attempt in range(settings.LOGIN_FAILURES_BEFORE_LOCK):
        assert _token_request(client, "alice", passphrase="wrong-passphrase-here").status_code == 401
    response = _token_request(client, "alice")
    assert response.status_code == 429
    assert response.json() == {"detail": "Too many attempts. Try again later."}
    assert not ApiToken.objects.filter(account=alice.account).exists()


def test_it_lets_a_member_back_in_once_the_lock_has_passed(alice, settings):
    client = Client()
    for _attempt in range(settings.LOGIN_FAILURES_BEFORE_LOCK):
        _token_request(client, "alice", passphrase="wrong-passphrase-here")
    with clock.travel(timedelta(seconds=settings.LOGIN_LOCK_SECONDS + 1)):
        assert _token_request(client, "alice").status_code == 201


# The member's own record --------------------------------------------------------------------------


def test_it_shows_the_member_their_own_record_with_a_bearer_token(alice):
    response = Client().get("/api/v1/me", headers=_bearer(_token(alice)))
    assert response.status_code == 200
    assert response.json() == {
        "id": str(alice.account.pk),
        "pseudonym": "alice",
        "language": "en",
        "membership": {
            "id": str(alice.pk),
            "organisation": "Collective A",
            "role": "member",
            "joined_month": alice.joined_on.strftime("%Y-%m"),
        },
    }


def test_it_shows_the_member_their_own_record_with_the_browser_session(alice):
    response = log_in(Client(), alice).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["pseudonym"] == "alice"


def test_it_refuses_a_staff_session_that_has_not_passed_two_factor(carol):
    client = Client()
    client.force_login(carol.account, backend="sombrilla.accounts.backends.AccountBackend")
    assert client.get("/api/v1/me").status_code == 401
    assert log_in(Client(), carol).get("/api/v1/me").status_code == 200


def test_it_refuses_an_unknown_or_malformed_bearer_token(alice):
    for header in ("Bearer not-a-real-token", "Bearer " + "x" * 5000, "Basic YWxpY2U6cGFzcw==", "Bearer"):
        response = Client().get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_it_refuses_an_expired_token(alice):
    token = _token(alice)
    with clock.travel(timedelta(days=services.API_TOKEN_DAYS - 1)):
        assert Client().get("/api/v1/me", headers=_bearer(token)).status_code == 200
    with clock.travel(timedelta(days=services.API_TOKEN_DAYS, seconds=1)):
        assert Client().get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_it_stops_a_suspended_members_existing_token(alice, carol):
    token = _token(alice)
    services.membership_suspend(actor=carol, membership=alice)
    services.membership_restore(actor=carol, membership=alice)
    # Suspension ended every token; restoring does not bring an old one back.
    assert Client().get("/api/v1/me", headers=_bearer(token)).status_code == 401


# CSRF on the browser session ----------------------------------------------------------------------


def _csrf_client(membership) -> tuple[Client, str]:
    client = log_in(Client(enforce_csrf_checks=True), membership)
    client.get("/account/")  # any page with a form sets the CSRF cookie
    from django.conf import settings

    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


def test_it_refuses_an_unsafe_session_request_without_the_csrf_token(alice):
    client, _csrf = _csrf_client(alice)
    response = client.put("/api/v1/me/language", {"language": "es"}, content_type=JSON)
    assert response.status_code == 403
    assert "detail" in response.json()
    alice.account.refresh_from_db()
    assert alice.account.language == "en"


def test_it_accepts_an_unsafe_session_request_with_the_csrf_token(alice):
    client, csrf = _csrf_client(alice)
    response = client.put("/api/v1/me/language", {"language": "es"}, content_type=JSON, headers={"X-CSRFToken": csrf})
    assert response.status_code == 200
    assert response.json()["language"] == "es"


def test_it_refuses_an_unsafe_session_request_with_a_wrong_csrf_token(alice):
    client, _csrf = _csrf_client(alice)
    response = client.post("/api/v1/me/logout-everywhere", headers={"X-CSRFToken": "x" * 32})
    assert response.status_code == 403
    assert client.get("/api/v1/me").status_code == 200


def test_it_needs_no_csrf_token_with_a_bearer_token(alice):
    # Bearer tokens are not sent by browsers on their own, so there is nothing to forge.
    response = Client(enforce_csrf_checks=True).put(
        "/api/v1/me/language", {"language": "fr"}, content_type=JSON, headers=_bearer(_token(alice))
    )
    assert response.status_code == 200


# Language -----------------------------------------------------------------------------------------


def test_it_saves_an_available_language(alice):
    response = Client().put(
        "/api/v1/me/language", {"language": "ar"}, content_type=JSON, headers=_bearer(_token(alice))
    )
    assert response.status_code == 200
    assert response.json()["language"] == "ar"
    alice.account.refresh_from_db()
    assert alice.account.language == "ar"


@pytest.mark.parametrize("language", ["xx", "EN", "", "en-GB", "<b>"])
def test_it_refuses_a_language_that_is_not_available_with_a_clear_reason(alice, language):
    response = Client().put(
        "/api/v1/me/language", {"language": language}, content_type=JSON, headers=_bearer(_token(alice))
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "This language is not available."}
    alice.account.refresh_from_db()
    assert alice.account.language == "en"


def test_it_refuses_an_overlong_language_with_the_field_named(alice):
    response = Client().put(
        "/api/v1/me/language", {"language": "x" * 11}, content_type=JSON, headers=_bearer(_token(alice))
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "language"


# Export -------------------------------------------------------------------------------------------


def test_it_exports_the_members_own_data_and_nothing_about_others(alice, bob, dana, mallory, carol):
    invitation, _code = services.invitation_issue(actor=alice, note="for my friend from the bar")
    services.membership_set_note(actor=carol, membership=alice, note="staff only: asked about legal aid")
    services.membership_set_note(actor=carol, membership=bob, note="bob's private note")
    services.invitation_issue(actor=bob, note="bob's invitation note")
    response = Client().get("/api/v1/me/export", headers=_bearer(_token(alice, label="laptop")))
    assert response.status_code == 200
    data = response.json()
    assert data["account"]["pseudonym"] == "alice"
    assert data["account"]["recovery_codes_unused"] == 0
    assert [token["label"] for token in data["account"]["api_tokens"]] == ["laptop"]
    assert data["membership"]["id"] == str(alice.pk)
    assert data["membership"]["invited_by"] == "carol"
    assert [inv["note"] for inv in data["membership"]["invitations_issued"]] == ["for my friend from the bar"]
    # Staff reads and writes of her record are listed by action and time, never by who did them.
    assert {entry["action"] for entry in data["membership"]["staff_views_of_my_record"]} == {"member.note_changed"}
    text = response.content.decode()
    for other in ("bob", "dana", "mallory", "Collective B", str(bob.pk), "bob's private note", "bob's invitation note"):
        assert other not in text, other


# Log out everywhere and delete --------------------------------------------------------------------


def test_it_revokes_every_token_when_logging_out_everywhere(alice):
    token, other = _token(alice), _token(alice)
    session = log_in(Client(), alice)
    response = Client().post("/api/v1/me/logout-everywhere", headers=_bearer(token))
    assert response.status_code == 204
    assert Client().get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert Client().get("/api/v1/me", headers=_bearer(other)).status_code == 401
    # The browser session ends too: its auth hash includes the rotated salt.
    assert session.get("/api/v1/me").status_code == 401


def test_it_keeps_the_account_on_a_wrong_passphrase_for_deletion(alice):
    token = _token(alice)
    response = Client().post(
        "/api/v1/me/delete", {"passphrase": "not-my-passphrase"}, content_type=JSON, headers=_bearer(token)
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Your passphrase is not right."}
    assert Client().get("/api/v1/me", headers=_bearer(token)).status_code == 200


def test_it_deletes_the_account_with_the_right_passphrase_and_the_token_stops_working(alice):
    token = _token(alice)
    response = Client().post("/api/v1/me/delete", {"passphrase": PASSPHRASE}, content_type=JSON, headers=_bearer(token))
    assert response.status_code == 204
    assert not Account.objects.filter(pseudonym_key="alice").exists()
    assert Client().get("/api/v1/me", headers=_bearer(token)).status_code == 401


# Anonymous callers --------------------------------------------------------------------------------

AUTHENTICATED_OPERATIONS = [
    ("get", "/api/v1/me", None),
    ("put", "/api/v1/me/language", {"language": "es"}),
    ("get", "/api/v1/me/export", None),
    ("post", "/api/v1/me/logout-everywhere", None),
    ("post", "/api/v1/me/delete", {"passphrase": PASSPHRASE}),
]


@pytest.mark.parametrize("enforce_csrf", [False, True])
@pytest.mark.parametrize(("method", "path", "body"), AUTHENTICATED_OPERATIONS)
def test_it_answers_anonymous_callers_with_401(db, method, path, body, enforce_csrf):
    client = Client(enforce_csrf_checks=enforce_csrf)
    response = getattr(client, method)(path, body, content_type=JSON) if body else getattr(client, method)(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_it_lets_anonymous_callers_read_the_schema_and_ask_for_a_token(db):
    assert Client().get("/api/v1/openapi.json").status_code == 200
    assert _token_request(Client(), "nobody-here").status_code == 401  # answered, not refused for lack of auth
    assert _token_request(Client(enforce_csrf_checks=True), "nobody-here").json() == {"detail": WRONG_CREDENTIALS}


def test_it_covers_every_authenticated_operation_in_the_anonymous_test(db):
    """If an account operation is added to the API, the anonymous check above must be told about it (the other
    routers have their own, and the role matrix covers every operation)."""
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    secured = {
        (method, path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if operation.get("security") and operation.get("tags") == ["account"]
    }
    assert secured == {(method, path) for method, path, _body in AUTHENTICATED_OPERATIONS}
