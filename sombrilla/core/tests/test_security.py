"""What an attacker with a browser, a copy of the database, the logs or the cache would get: headers on every
kind of response, no third-party hosts, login throttling without enumeration, encryption at rest, no
client address or user agent anywhere, key rotation and keyed hashing."""

import io
import json
import logging
import re
import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from sombrilla.accounts import codes, services
from sombrilla.accounts.models import Invitation, Membership, Session
from sombrilla.conftest import PASSPHRASE, cache_entries, log_in, totp_now
from sombrilla.core import clock, crypto

# Written out rather than imported from the middleware, so a change to the policy has to change this test.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; worker-src 'self'; media-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    # No referrer ever leaves the site; "no-referrer" itself would make browsers send `Origin: null` on
    # same-origin form posts, which Django's CSRF check refuses.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"

IP = "203.0.113.77"
FORWARDED_IP = "198.51.100.23"
USER_AGENT = "CanaryBrowser/7.7 (SM-A155F; sombrilla-ua-canary)"
CLIENT_HEADERS = {
    "REMOTE_ADDR": IP,
    "HTTP_X_FORWARDED_FOR": f"{FORWARDED_IP}, {IP}",
    "HTTP_X_REAL_IP": IP,
    "HTTP_USER_AGENT": USER_AGENT,
}
WRONG = "not-the-right-passphrase"


@pytest.fixture
def fast_hashing(settings):
    """For tests of counting and locking, where a thousand Argon2 hashes would only cost time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Headers ------------------------------------------------------------------------------------------


def _stylesheet_url(client) -> str:
    match = re.search(r'<link rel="stylesheet" href="([^"]+)"', client.get("/login/").content.decode())
    assert match, "the page links no stylesheet"
    return match.group(1)


def _response(kind: str, secure: bool):
    client = Client(enforce_csrf_checks=(kind == "csrf"))
    if kind == "page":
        response = client.get("/login/", secure=secure)
        assert response.status_code == 200
    elif kind == "404":
        response = client.get("/no-such-page/", secure=secure)
        assert response.status_code == 404
    elif kind == "static":
        url = _stylesheet_url(client)
        # Hashed name from the manifest: proof this is the collected file, served by WhiteNoise.
        assert re.search(r"/static/css/site\.[0-9a-f]{12}\.css$", url), url
        response = client.get(url, secure=secure)
        assert response.status_code == 200
        assert b"".join(response.streaming_content)
    elif kind == "api":
        response = client.get("/api/v1/me", secure=secure)
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
    else:
        response = client.post("/login/", {"pseudonym": "x", "passphrase": "y"}, secure=secure)
        assert response.status_code == 403
        assert "You cannot do this" in response.content.decode()
    return response


KINDS = ["page", "404", "static", "api", "csrf"]


@pytest.mark.parametrize("kind", KINDS)
def test_it_sends_the_exact_security_headers_and_no_hsts_over_plain_http(db, kind):
    response = _response(kind, secure=False)
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("kind", KINDS)
def test_it_sends_hsts_over_https(db, settings, kind):
    # What HTTPS=true (the production default) configures; the test settings run on plain HTTP.
    settings.SECURE_HSTS_SECONDS = 63072000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = _response(kind, secure=True)
    assert response["Strict-Transport-Security"] == HSTS
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_it_keeps_hsts_off_plain_http_even_when_configured(db, settings):
    settings.SECURE_HSTS_SECONDS = 63072000
    assert "Strict-Transport-Security" not in Client().get("/login/").headers


# No other host ----------------------------------------------------------------------------------


URL_ATTRIBUTES = {
    "src",
    "href",
    "action",
    "formaction",
    "srcset",
    "poster",
    "data",
    "xlink:href",
    "ping",
    "manifest",
    "background",
    "cite",
    "longdesc",
}
ABSOLUTE = re.compile(r"^\s*([a-z][a-z0-9+.\-]*:)?//", re.IGNORECASE)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict, str, str]] = []  # (tag, attributes, attribute name, value)
        self.inline_scripts = 0
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.inline_scripts += 1
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            if value is not None and not name.startswith("xmlns"):
                self.found.append((tag, attributes, name, value))

    handle_startendtag = handle_starttag


def _foreign(value: str) -> bool:
    """True for a URL that leaves this site: another scheme than a same-page data: URI, or another host."""
    parts = urlsplit(value.strip())
    if parts.scheme == "data":
        return False  # fetches nothing (the blank favicon)
    if parts.scheme or parts.netloc:
        return parts.netloc != "testserver"
    return False


def _check_page(response, url) -> int:
    """Assert the page names no other host except the quick exit; return how many quick-exit links it has."""
    assert response.status_code in (200, 400, 403, 404), (url, response.status_code)
    parser = _Links()
    parser.feed(response.content.decode())
    assert parser.inline_scripts == 0, f"{url}: inline script (the CSP blocks it)"
    assert parser.handlers == [], f"{url}: inline event handlers {parser.handlers}"
    quick_exits = 0
    for tag, attributes, name, value in parser.found:
        # URL attributes, and any other attribute holding an absolute URL (e.g. data-* read by scripts).
        if not ((name in URL_ATTRIBUTES or ABSOLUTE.match(value)) and _foreign(value)):
            continue
        # The one allowed exception: the quick-exit link (and the same URL for its keyboard shortcut).
        if (tag, name, attributes.get("id")) == ("a", "href", "quick-exit") or (tag, name) == (
            "body",
            "data-quick-exit",
        ):
            assert value == settings.QUICK_EXIT_URL, (url, value)
            if tag == "a":
                # The neutral site must not learn, even from the Referer, where the visitor came from.
                assert "noreferrer" in attributes.get("rel", "").split(), url
                quick_exits += 1
            continue
        pytest.fail(f"{url}: <{tag} {name}={value!r}> points at another host")
    return quick_exits


def test_it_names_no_other_host_in_any_page(people):
    carol = people["carol"]
    services.invitation_issue(actor=people["alice"], note="for my friend")
    pages = {
        None: ["/", "/o/org-a/", "/join/", "/login/", "/recover/", "/logout/", "/no-such-page/"],
        "alice": ["/home/", "/account/", "/invitations/", "/account/delete/", "/o/org-a/"],
        "bob": ["/home/", "/invitations/"],
        "carol": [
            "/staff/members/",
            f"/staff/members/{people['alice'].pk}/",
            "/staff/vouching/",
            "/staff/areas/",
            "/account/two-factor/",
        ],
        "dana": ["/staff/organisation/", "/staff/audit/"],
        "nina": ["/home/"],
    }
    checked = 0
    for person, urls in pages.items():
        client = log_in(Client(), people[person]) if person else Client()
        for url in urls:
            assert _check_page(client.get(url), url) == 1, f"{url}: the quick-exit link is missing"
            checked += 1
    # Pages only reached by posting, and the two-factor prompt before it is passed.
    alice_client = log_in(Client(), people["alice"])
    assert _check_page(alice_client.post("/account/recovery-codes/"), "recovery codes") == 1
    unverified = Client()
    unverified.force_login(carol.account, backend="sombrilla.accounts.backends.AccountBackend")
    assert _check_page(unverified.get("/account/two-factor/"), "two-factor verify") == 1
    csrf = Client(enforce_csrf_checks=True).post("/login/", {})
    assert _check_page(csrf, "csrf failure") == 1
    assert checked == 22


def test_it_names_no_other_host_in_the_stylesheet_and_script(db):
    client = Client()
    page = client.get("/login/").content.decode()
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        text = b"".join(client.get(url).streaming_content).decode()
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import", text, re.IGNORECASE), url


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "http://testserver.evil.example/",
        "https:/\\evil.example/",
        "javascript:alert(1)",
    ],
)
def test_it_never_redirects_to_another_host_after_login_or_a_language_change(fast_hashing, alice, target):
    client = Client()
    response = client.post("/login/", {"pseudonym": "alice", "passphrase": PASSPHRASE, "next": target})
    assert (response.status_code, response["Location"]) == (302, "/home/")
    response = client.post("/language/", {"language": "es", "next": target})
    assert (response.status_code, response["Location"]) == (302, "/")
    # The control: a path on this site is followed.
    assert client.post("/language/", {"language": "en", "next": "/account/"})["Location"] == "/account/"


# Login throttling -----------------------------------------------------------------------------------


def _login(client, pseudonym, passphrase=PASSPHRASE, address=IP):
    response = client.post("/login/", {"pseudonym": pseudonym, "passphrase": passphrase}, REMOTE_ADDR=address)
    errors = list(response.context["form"].non_field_errors()) if response.context else []
    return response.status_code, errors


def test_it_locks_an_account_with_doubling_back_off_even_for_the_right_passphrase(fast_hashing, alice):
    client = Client()
    for _ in range(settings.LOGIN_FAILURES_BEFORE_LOCK):
        assert _login(client, "alice", WRONG) == (200, ["This pseudonym and passphrase do not match."])
    lock = settings.LOGIN_LOCK_SECONDS
    status, errors = _login(client, "alice")
    assert status == 429 and errors[0].startswith("Too many attempts.")
    with clock.travel(timedelta(seconds=lock - 5)):
        assert _login(client, "alice")[0] == 429
    with clock.travel(timedelta(seconds=lock + 1)):
        # The lock has passed; one more failure doubles it.
        assert _login(client, "alice", WRONG)[0] == 200
        status, errors = _login(client, "alice")
        assert status == 429
        assert f"Wait {2 * lock // 60} minutes" in errors[0]
    with clock.travel(timedelta(seconds=lock + 1 + 2 * lock - 5)):
        assert _login(client, "alice")[0] == 429
    with clock.travel(timedelta(seconds=lock + 1 + 2 * lock + 1)):
        assert _login(client, "alice")[0] == 302
    assert client.get("/home/").status_code == 200


def test_it_caps_the_back_off(fast_hashing, alice, settings):
    settings.LOGIN_LOCK_MAX_SECONDS = 4 * settings.LOGIN_LOCK_SECONDS
    client, elapsed = Client(), 0
    for _ in range(settings.LOGIN_FAILURES_BEFORE_LOCK + 5):
        with clock.travel(timedelta(seconds=elapsed)):
            _login(client, "alice", WRONG)
        elapsed += settings.LOGIN_LOCK_MAX_SECONDS + 1
    with clock.travel(
        timedelta(seconds=elapsed - settings.LOGIN_LOCK_MAX_SECONDS - 1 + settings.LOGIN_LOCK_MAX_SECONDS - 5)
    ):
        assert _login(client, "alice")[0] == 429
    with clock.travel(timedelta(seconds=elapsed)):
        assert _login(client, "alice")[0] == 302


def test_it_locks_an_unknown_pseudonym_exactly_like_a_real_one(fast_hashing, alice):
    real, unknown = [], []
    for _ in range(settings.LOGIN_FAILURES_BEFORE_LOCK + 2):
        real.append(_login(Client(), "alice", WRONG, address="192.0.2.1"))
        unknown.append(_login(Client(), "no-such-member", WRONG, address="192.0.2.2"))
    assert real == unknown
    assert real[-1][0] == 429  # the sequence did reach the lock
    # The API answers the same way for both.
    body = {"pseudonym": "alice", "passphrase": PASSPHRASE}
    api_real = Client().post("/api/v1/auth/token", json.dumps(body), content_type="application/json")
    body["pseudonym"] = "no-such-member"
    api_unknown = Client().post("/api/v1/auth/token", json.dumps(body), content_type="application/json")
    assert (api_real.status_code, api_real.json()) == (api_unknown.status_code, api_unknown.json())
    assert api_real.status_code == 429


def test_it_blocks_a_client_after_too_many_failures_across_pseudonyms_but_not_other_clients(fast_hashing, alice):
    client = Client()
    for number in range(settings.CLIENT_ATTEMPTS_PER_HOUR):
        assert _login(client, f"guess-{number}", WRONG)[0] == 200
    # Each pseudonym failed only once, so only the per-client counter can block now, even the right passphrase.
    assert _login(client, "alice")[0] == 429
    assert (
        Client()
        .post(
            "/api/v1/auth/token",
            json.dumps({"pseudonym": "alice", "passphrase": PASSPHRASE}),
            content_type="application/json",
            REMOTE_ADDR=IP,
        )
        .status_code
        == 429
    )
    # Another address is not affected, and neither is alice's account.
    other = Client()
    assert _login(other, "alice", address="198.51.100.200")[0] == 302
    assert other.get("/home/").status_code == 200


def test_it_keeps_no_address_or_pseudonym_in_plain_text_in_the_cache(fast_hashing, alice):
    for _ in range(3):
        Client().post("/login/", {"pseudonym": "alice", "passphrase": WRONG}, **CLIENT_HEADERS)
    entries = cache_entries()
    client_keys = [key for key in entries if "login:client:" in key]
    account_keys = [key for key in entries if "login:acct:" in key]
    assert client_keys and account_keys  # the throttle did write here
    expected = crypto.daily_client_key(IP, clock.now().date().isoformat())
    assert any(key.endswith(expected) for key in client_keys)
    for key, value in entries.items():
        for secret in (IP, IP.replace(".", "-"), IP.replace(".", ""), FORWARDED_IP, USER_AGENT, "alice"):
            assert secret not in key, key
            assert secret.encode() not in value, key


# The database at rest ---------------------------------------------------------------------------------


STAFF_NOTE = "canary-staff-note: client drives a silver Probox KCX-417Q"
INVITATION_NOTE = "canary-invitation-note: met at the Tuskys bus stop"
VISIBLE_NAME = "Canary Collective Zeta-7731"  # stored in plaintext on purpose: proves the raw read works


def _raw_database_text() -> bytes:
    """What someone holding a copy of the database sees, without the keys."""
    if connection.vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        assert name.is_file(), name
        files = [str(path) for path in (name, Path(f"{name}-wal"), Path(f"{name}-journal")) if path.is_file()]
        # Read in another process: closing any descriptor of a database file drops every POSIX lock this
        # process's SQLite connections hold on it, and later tests share the file with worker processes.
        return subprocess.run(["cat", *files], capture_output=True, check=True).stdout  # noqa: S603, S607
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT CAST(t AS text) FROM {connection.ops.quote_name(table)} t")  # noqa: S608
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks).encode()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_sensitive_text_and_secrets_out_of_the_raw_database(people):
    carol, alice = people["carol"], people["alice"]
    services.organisation_create(slug="canary", name=VISIBLE_NAME)
    services.membership_set_note(actor=carol, membership=alice, note=STAFF_NOTE)
    _open, open_code = services.invitation_issue(actor=carol, note=INVITATION_NOTE)
    _used, used_code = services.invitation_issue(actor=carol)
    joiner_passphrase = "lantern-quietly-orbit-mango"
    _membership, recovery_codes = services.account_join(
        code=used_code, pseudonym="newcomer", passphrase=joiner_passphrase
    )
    _token, api_token = services.api_token_create(account=alice.account)
    # Reading back through the ORM works, so the values really are stored.
    assert Membership.objects.get(pk=alice.pk).staff_note == STAFF_NOTE
    assert Invitation.objects.get(pk=_open.pk).note == INVITATION_NOTE
    raw = _raw_database_text()
    assert VISIBLE_NAME.encode() in raw
    secrets = [STAFF_NOTE, INVITATION_NOTE, "Probox", "Tuskys", api_token, PASSPHRASE, joiner_passphrase]
    for code in [open_code, used_code, *recovery_codes]:
        secrets += [code, codes.normalise_code(code)]
    for secret in secrets:
        assert secret.encode() not in raw, secret


# No client address or user agent anywhere -----------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def _record_text(record: logging.LogRecord) -> str:
    parts = [
        record.getMessage(),
        repr(record.args),
        repr(getattr(record, "params", None)),
        repr(getattr(record, "sql", None)),
        repr(record.__dict__),
    ]
    request = getattr(record, "request", None)
    if request is not None and hasattr(request, "META"):
        parts.append(repr(request.META))
    return "\n".join(parts)


def _stored_values() -> str:
    dump = []
    for model in apps.get_models():
        if not model._meta.managed:  # no table of its own (django-rq's admin dashboard, say)
            continue
        dump.extend(repr(row) for row in model._default_manager.values())
    dump.extend(repr(session.get_decoded()) for session in Session.objects.all())
    return "\n".join(dump)


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_it_lets_no_address_or_user_agent_reach_the_logs_or_the_database(people, settings, behind_proxy):
    if behind_proxy:
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    carol, alice = people["carol"], people["alice"]
    _invitation, code = services.invitation_issue(actor=carol, note="ip test")
    capture = _Capture()
    root = logging.getLogger()
    watched = [
        root,
        logging.getLogger("django"),
        logging.getLogger("django.db.backends"),
        logging.getLogger("django.request"),
        logging.getLogger("django.security"),
        logging.getLogger("sombrilla"),
    ]
    levels = [logger.level for logger in watched]
    root.addHandler(capture)
    for logger in watched:
        logger.setLevel(logging.DEBUG)
    connection.force_debug_cursor = True  # SQL and its parameters go to the django.db.backends logger
    try:
        browser = Client(**CLIENT_HEADERS)
        browser.get("/login/")
        browser.post("/login/", {"pseudonym": "alice", "passphrase": WRONG})
        browser.post("/login/", {"pseudonym": "no-such-member", "passphrase": WRONG})
        assert browser.post("/login/", {"pseudonym": "alice", "passphrase": PASSPHRASE}).status_code == 302
        browser.get("/home/")
        browser.get("/no-such-page/")
        newcomer = Client(**CLIENT_HEADERS)
        newcomer.get(f"/join/?code={code}")
        response = newcomer.post(
            "/join/", {"code": code, "pseudonym": "newcomer", "passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE}
        )
        assert response.status_code == 200 and Membership.objects.filter(account__pseudonym="newcomer").exists()
        staff = Client(**CLIENT_HEADERS)
        staff.force_login(carol.account, backend="sombrilla.accounts.backends.AccountBackend")
        staff.post("/account/two-factor/", {"token": totp_now(carol)})
        assert staff.get(f"/staff/members/{alice.pk}/").status_code == 200
        api = Client(**CLIENT_HEADERS)
        token = api.post(
            "/api/v1/auth/token",
            json.dumps({"pseudonym": "alice", "passphrase": PASSPHRASE}),
            content_type="application/json",
        ).json()["token"]
        api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        api.post(
            "/api/v1/auth/token",
            json.dumps({"pseudonym": "alice", "passphrase": WRONG}),
            content_type="application/json",
        )
    finally:
        connection.force_debug_cursor = False
        root.removeHandler(capture)
        for logger, level in zip(watched, levels, strict=True):
            logger.setLevel(level)
    texts = [_record_text(record) for record in capture.records]
    # The capture saw SQL with its parameters and the 404 warning, so an address would have shown up.
    assert any(
        record.name == "django.db.backends" and "accounts_account" in text
        for record, text in zip(capture.records, texts, strict=True)
    )
    assert any(record.name == "django.request" for record in capture.records)
    assert any("newcomer" in text for text in texts)
    for text in texts:
        for secret in (IP, FORWARDED_IP, USER_AGENT, "sombrilla-ua-canary"):
            assert secret not in text
    stored = _stored_values()
    assert "newcomer" in stored  # the dump covers what the requests wrote
    for secret in (IP, FORWARDED_IP, USER_AGENT, "sombrilla-ua-canary"):
        assert secret not in stored
        for key, value in cache_entries().items():
            assert secret not in key and secret.encode() not in value


# Keys -------------------------------------------------------------------------------------------


def _raw_column(model, pk, column) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608
            "WHERE id = %s",
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return cursor.fetchone()[0]


def test_it_rotates_field_encryption_keys_with_reencrypt(people, settings):
    old, new = crypto.new_field_key(), crypto.new_field_key()
    carol, alice = people["carol"], people["alice"]
    settings.FIELD_ENCRYPTION_KEYS = [old]
    services.membership_set_note(actor=carol, membership=alice, note=STAFF_NOTE)
    invitation, _code = services.invitation_issue(actor=carol, note=INVITATION_NOTE)
    before = (_raw_column(Membership, alice.pk, "staff_note"), _raw_column(Invitation, invitation.pk, "note"))

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("reencrypt", stdout=io.StringIO())
    after = (_raw_column(Membership, alice.pk, "staff_note"), _raw_column(Invitation, invitation.pk, "note"))
    assert all(a != b for a, b in zip(before, after, strict=True))

    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert Membership.objects.get(pk=alice.pk).staff_note == STAFF_NOTE
    assert Invitation.objects.get(pk=invitation.pk).note == INVITATION_NOTE

    settings.FIELD_ENCRYPTION_KEYS = [old]
    with pytest.raises(crypto.DecryptionError):
        Membership.objects.get(pk=alice.pk)
    with pytest.raises(crypto.DecryptionError):
        Invitation.objects.get(pk=invitation.pk)


def test_it_hashes_identifiers_with_a_key_and_a_kind(settings):
    first = crypto.identifier_hash("phone", "+254712345678")
    assert first == crypto.identifier_hash("phone", "+254712345678")
    assert re.fullmatch(r"[0-9a-f]{64}", first) and "254712345678" not in first
    assert crypto.identifier_hash("handle", "+254712345678") != first
    assert crypto.identifier_hash("phone", "+254712345679") != first
    settings.IDENTIFIER_PEPPER = "another-pepper-entirely"
    assert crypto.identifier_hash("phone", "+254712345678") != first
