"""The account flows a member goes through, in a real headless Chromium, with and without JavaScript."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from sombrilla.accounts import services
from sombrilla.accounts.models import Account
from sombrilla.conftest import PASSPHRASE, totp_now

pytestmark = pytest.mark.browser

NEW_PASSPHRASE = "lantern-orchard-seventy-quietly"
MISMATCH = "This pseudonym and passphrase do not match."


class _NeutralSite(BaseHTTPRequestHandler):
    """Stands in for the weather or news site quick exit goes to, and notes what each visit told it."""

    def do_GET(self):  # noqa: N802 - the name http.server dispatches to
        if self.path == "/favicon.ico":
            self.send_error(404)
            return
        self.server.visits.append((self.path, self.headers.get("Referer")))
        body = b"<!doctype html><title>Weather</title><p>Sunny."
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def neutral_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NeutralSite)
    server.visits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield server
    server.shutdown()
    server.server_close()


def log_in(page, live_url, pseudonym, passphrase=PASSPHRASE):
    page.goto(live_url + "/login/")
    page.get_by_label("Pseudonym").fill(pseudonym)
    page.get_by_label("Passphrase").fill(passphrase)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def log_out(page, live_url):
    page.locator("nav").get_by_role("button").last.click()
    page.wait_for_url(live_url + "/login/")


def join(page, live_url, code, pseudonym):
    page.goto(f"{live_url}/join/?code={code}")
    expect(page.get_by_label("Invitation code")).to_have_value(code)
    page.get_by_label("Pseudonym").fill(pseudonym)
    page.get_by_label("Passphrase:", exact=True).fill(NEW_PASSPHRASE)
    page.get_by_label("Passphrase again").fill(NEW_PASSPHRASE)
    page.locator("main").get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome!")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(set(codes)) == 10 and all(len(code) >= 8 for code in codes)


def choose_language(page, code):
    """The footer switcher: with JavaScript choosing is enough; without it, the Change button sends the form."""
    with page.expect_navigation():
        page.locator("#lang-select").select_option(code)
        if not page.context_js_enabled:
            page.locator(".lang button").click()


@pytest.fixture(params=["js", "no_js"])
def any_page(request):
    """The same flow twice: once as a phone with JavaScript, once with it off (or failed to load)."""
    tab = request.getfixturevalue("page" if request.param == "js" else "page_no_js")
    tab.context_js_enabled = request.param == "js"
    return tab


def test_it_joins_by_invitation_then_logs_out_and_back_in(any_page, live_url, carol):
    page = any_page
    _invitation, code = services.invitation_issue(actor=carol)
    join(page, live_url, code, "river")
    assert Account.objects.filter(pseudonym="river").exists()

    page.locator("main").get_by_role("link", name="I have kept them safe").click()
    expect(page).to_have_url(live_url + "/home/")
    log_out(page, live_url)
    page.goto(live_url + "/home/")
    expect(page).to_have_url(live_url + "/login/?next=/home/")

    log_in(page, live_url, "river", NEW_PASSPHRASE)
    expect(page).to_have_url(live_url + "/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, river")


def test_it_gives_one_message_for_a_wrong_passphrase_and_an_unknown_pseudonym(any_page, live_url, alice):
    page = any_page
    messages = []
    for pseudonym, passphrase in [("alice", "not-alices-passphrase"), ("nobody-by-this-name", PASSPHRASE)]:
        log_in(page, live_url, pseudonym, passphrase)
        expect(page).to_have_url(live_url + "/login/")
        messages.append(page.locator("main .errorlist").inner_text())
    assert messages == [MISMATCH, MISMATCH]


def test_it_switches_language_before_login(any_page, live_url, db):
    page = any_page
    page.goto(live_url + "/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    choose_language(page, "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page).to_have_url(live_url + "/login/")
    choose_language(page, "ar")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_it_saves_the_language_on_the_account_for_the_next_login(any_page, chromium, live_url, alice):
    page = any_page
    log_in(page, live_url, "alice")
    expect(page).to_have_url(live_url + "/home/")
    choose_language(page, "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    alice.account.refresh_from_db()
    assert alice.account.language == "ru"
    log_out(page, live_url)

    # A new browser holds no language cookie: only the account can bring Russian back.
    context = chromium.new_context(java_script_enabled=page.context_js_enabled)
    try:
        again = context.new_page()
        again.context_js_enabled = page.context_js_enabled
        again.goto(live_url + "/login/")
        expect(again.locator("html")).to_have_attribute("lang", "en")
        log_in(again, live_url, "alice")
        expect(again).to_have_url(live_url + "/home/")
        expect(again.locator("html")).to_have_attribute("lang", "ru")
    finally:
        context.close()


def test_it_leaves_for_the_neutral_site_with_the_quick_exit_button(page, live_url, neutral_site, db):
    with override_settings(QUICK_EXIT_URL=neutral_site.url):
        page.goto(neutral_site.url + "before")
        page.goto(live_url + "/login/")
        length = page.evaluate("history.length")
        page.get_by_role("link", name="Quick exit").click()
        page.wait_for_url(neutral_site.url)
        # replace(), not a link: the Sombrilla page is gone from history, and history did not grow.
        assert page.evaluate("history.length") == length
        page.go_back()
        expect(page).to_have_url(neutral_site.url + "before")
    assert neutral_site.visits[-1] == ("/", None), "the neutral site must not learn where the member came from"


def test_it_leaves_for_the_organisations_neutral_site_on_escape(page, live_url, neutral_site, alice):
    alice.organisation.quick_exit_url = neutral_site.url + "org"
    alice.organisation.save(update_fields=["quick_exit_url"])
    log_in(page, live_url, "alice")
    expect(page).to_have_url(live_url + "/home/")
    # Back from here would reach the login page, which sends a logged-in member straight on to /home/.
    page.goto(neutral_site.url + "before")
    page.goto(live_url + "/home/")
    length = page.evaluate("history.length")
    page.keyboard.press("Escape")
    page.wait_for_url(neutral_site.url + "org")
    assert page.evaluate("history.length") == length
    page.go_back()
    expect(page).to_have_url(neutral_site.url + "before")


def test_it_offers_quick_exit_as_a_plain_link_without_javascript(page_no_js, live_url, neutral_site, db):
    with override_settings(QUICK_EXIT_URL=neutral_site.url):
        page_no_js.goto(live_url + "/join/")
        link = page_no_js.get_by_role("link", name="Quick exit")
        expect(link).to_have_attribute("href", neutral_site.url)
        link.click()
        page_no_js.wait_for_url(neutral_site.url)
    assert neutral_site.visits == [("/", None)]


def test_it_asks_staff_for_a_two_factor_code_before_staff_pages(page, live_url, people):
    carol = people["carol"]
    log_in(page, live_url, "carol")
    expect(page).to_have_url(live_url + "/account/two-factor/")
    page.goto(live_url + "/staff/members/")
    expect(page).to_have_url(live_url + "/account/two-factor/")

    page.get_by_label("Six-digit code from your authenticator app").fill(totp_now(carol))
    page.locator("main").get_by_role("button", name="Continue").click()
    expect(page).to_have_url(live_url + "/home/")
    response = page.goto(live_url + "/staff/members/")
    assert response.status == 200
    expect(page).to_have_url(live_url + "/staff/members/")
    expect(page.locator("main")).to_contain_text("alice")


@pytest.mark.browser
def test_it_starts_every_page_with_its_header_not_with_the_icon_sprite(page, live_url, db):
    """The inline icon sprite must take no room: on a small phone the first screen is the header and form."""
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"{live_url}/login/")
    assert page.locator("header.bar").bounding_box()["y"] == 0
    sprite = page.locator("svg.sprite").bounding_box()
    assert sprite is None or (sprite["width"] == 0 and sprite["height"] == 0)
