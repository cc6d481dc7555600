"""Shared fixtures: one account per role in organisation A, staff of organisation B, a live server with the
full middleware stack, and a real headless Chromium.

People: alice (member), bob (moderator), carol (staff), dana (admin), nina (network analyst) of
organisation A; mallory (staff) of organisation B. Every one's passphrase is PASSPHRASE.
"""

import re
import shutil

import pytest
from django.core.management import call_command
from django.test.testcases import LiveServerThread
from django.utils.html import escape

from sombrilla.accounts import services
from sombrilla.accounts.models import Account, Authenticator, Membership, Role
from sombrilla.core import clock

PASSPHRASE = "correct-horse-battery-staple"  # noqa: S105 - the test accounts' shared passphrase
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    """Pages link hashed, compressed static files, exactly as in production."""
    call_command("collectstatic", "--noinput", "-v", "0")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language. A request through the test client leaves the language its
    middleware chose active in this thread (a member's saved language, a negotiated ?lang=), and a later
    test's English messages would come out translated."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_member(organisation, pseudonym: str, role: str = Role.MEMBER, invited_by=None) -> Membership:
    account = Account(pseudonym=pseudonym, language="en")
    account.set_password(PASSPHRASE)
    account.save()
    membership = Membership.objects.create(
        account=account,
        organisation=organisation,
        role=role,
        invited_by=invited_by,
        joined_on=clock.now().date().replace(day=1),
    )
    if membership.needs_two_factor:
        Authenticator.objects.create(user=account, name="test", confirmed=True)
    return membership


def totp_now(membership: Membership) -> str:
    from django_otp.oath import totp

    device = Authenticator.objects.get(user=membership.account, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def log_in(client, membership: Membership):
    """Log a test client in as `membership`, with two-factor already passed where the role needs it."""
    client.force_login(membership.account, backend="sombrilla.accounts.backends.AccountBackend")
    if membership.needs_two_factor:
        session = client.session
        session["otp_device_id"] = Authenticator.objects.get(user=membership.account).persistent_id
        session.save()
    return client


def cache_entries() -> dict[str, bytes]:
    """Every key in the cache with its stored bytes, for the local-memory and Redis backends."""
    from django.core.cache import cache

    backend = cache._cache if hasattr(cache, "_cache") else None
    if isinstance(backend, dict):
        return {
            key: bytes(value) if isinstance(value, bytes | bytearray) else repr(value).encode()
            for key, value in backend.items()
        }
    client = cache._cache.get_client(None)
    return {key.decode(): client.get(key) or b"" for key in client.keys("*")}


def page_text(response) -> str:
    return response.content.decode()


def page_shows(response, message: str) -> bool:
    """The message as a template would render it (escaped)."""
    return escape(message) in page_text(response)


def input_value(response, name: str) -> str | None:
    """The value an <input name=...> on the page carries: what a member typed survives a refused form."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page_text(response))
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


@pytest.fixture
def org_a(db):
    return services.organisation_create(slug="org-a", name="Collective A", default_country="KE")


@pytest.fixture
def org_b(db):
    return services.organisation_create(slug="org-b", name="Collective B", default_country="MX")


@pytest.fixture
def dana(org_a):
    return make_member(org_a, "dana", Role.ADMIN)


@pytest.fixture
def carol(org_a, dana):
    return make_member(org_a, "carol", Role.STAFF, invited_by=dana)


@pytest.fixture
def bob(org_a, carol):
    return make_member(org_a, "bob", Role.MODERATOR, invited_by=carol)


@pytest.fixture
def alice(org_a, carol):
    return make_member(org_a, "alice", Role.MEMBER, invited_by=carol)


@pytest.fixture
def nina(org_a):
    return make_member(org_a, "nina", Role.ANALYST)


@pytest.fixture
def mallory(org_b):
    return make_member(org_b, "mallory", Role.STAFF)


@pytest.fixture
def erin(org_a, alice):
    """A member alice vouched for: the same invitation chain as alice."""
    return make_member(org_a, "erin", Role.MEMBER, invited_by=alice)


@pytest.fixture
def frank(org_a, carol):
    """A member staff invited: a chain of his own."""
    return make_member(org_a, "frank", Role.MEMBER, invited_by=carol)


@pytest.fixture
def olga(org_b, mallory):
    """A member of organisation B."""
    return make_member(org_b, "olga", Role.MEMBER, invited_by=mallory)


@pytest.fixture
def people(alice, bob, carol, dana, nina, mallory):
    return {"alice": alice, "bob": bob, "carol": carol, "dana": dana, "nina": nina, "mallory": mallory}


class _FullStackServerThread(LiveServerThread):
    """Django's live server thread, but serving through the whole middleware stack (WhiteNoise included),
    so static files get the same headers and compression as in production."""

    def __init__(self, host, connections_override=None, port=0):
        super().__init__(host, lambda handler: handler, connections_override, port)


@pytest.fixture
def live_url(transactional_db):
    thread = _FullStackServerThread("127.0.0.1")
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: `make test` installs it from the system's packages")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page_no_js(chromium):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()
