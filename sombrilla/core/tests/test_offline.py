"""Installable and readable offline: the manifest, the allow-list of what a phone keeps, and, in a real headless
Chromium, reading offline, forms that wait on the phone, their replay and logging out.

Playwright's set_offline() does not cut a service worker's own fetches in Chromium (microsoft/playwright#2311),
so "offline" here is real: the site runs in a gunicorn process on a fixed port that the test starts, kills to
go offline and starts again on the same port to come back. set_offline() is called as well, so the page's
navigator.onLine and `online` event behave as on a phone. The server shares the test database (a file on
SQLite, the test database on PostgreSQL), so these tests use a transactional database and read what it wrote.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.test import Client, override_settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from sombrilla.accounts.models import Account, Area, Session
from sombrilla.accounts.tests.test_browser import log_in as browser_log_in
from sombrilla.alerts.models import PoliceAlert, Report
from sombrilla.alerts.tests.factories import make_areas
from sombrilla.conftest import CHROMIUM_ARGS, log_in
from sombrilla.core import offline
from sombrilla.directory.tests.factories import make_service
from sombrilla.notify.tests.test_workers import PROJECT_DIR, _database_url
from sombrilla.rights.tests.factories import page_objects as rights_objects

WAITING = "Saved on this phone, waiting to send"
NOT_KEPT = "No connection"
# Coming back: the first replay may meet a connection that is not quite there yet; the page tries again in 2 s.
BACK = 15_000
TYPED = "Took my phone at the bus stop and said he knows where I live."
# Areas as the form's select shows them, indented by depth.
NAIROBI, WESTLANDS = "\u2003Nairobi", "\u2003\u2003Westlands"
PERSONAL = ["/inbox/", "/alerts/", "/reports/", "/checkins/", "/notifications/", "/account/", "/check/"]


# The allow-list and the endpoints (Django's test client) ---------------------------------------------------


@pytest.fixture
def reading(people):
    """What alice may read offline: carol's rights article (with a quick card and a recording) and a service."""
    ids = rights_objects(people)
    service = make_service(people["carol"])
    return {"article": ids["rights_article"], "service": service.pk}


def test_it_lists_what_a_members_phone_may_keep_and_audio_only_when_the_phone_asks(alice, reading):
    client = log_in(Client(), alice)
    article, service = reading["article"], reading["service"]
    response = client.get("/offline.json")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    urls = response.json()["urls"]
    assert urls[:3] == ["/home/", "/reports/new/", "/police/new/"]
    assert {
        "/rights/",
        f"/rights/{article}/",
        f"/rights/{article}/card/",
        "/services/",
        f"/services/{service}/",
    } <= set(urls)
    assert not [url for url in urls if "/audio/" in url]
    with_audio = client.get("/offline.json?audio=1").json()["urls"]
    assert [url for url in with_audio if url.startswith(f"/rights/{article}/audio/")]
    # Anything but "1" is no: a bad value is not an error.
    assert client.get("/offline.json?audio=yes%3Cscript%3E").json()["urls"] == urls
    assert all(offline.allowed(url) for url in with_audio)


def test_it_keeps_nothing_personal_on_the_allow_list():
    service = "/services/0b7c2f4e-8a61-4d2f-9c3e-5f1a2b3c4d5e/"
    for url in ["/home/", "/reports/new/", "/police/new/", "/rights/", "/services/", service, "/offline/"]:
        assert offline.allowed(url), url
    refused = [
        *PERSONAL,
        "/services/referrals/",
        f"{service}rating/",
        "/staff/rights/",
        "/staff/services/",
        "/moderation/",
        "/offline.json",
        "/home/extra/",
        "https://elsewhere.example/home/",
        "//elsewhere.example/rights/",
    ]
    for url in refused:
        assert not offline.allowed(url), url


def test_it_gives_the_list_only_to_organisation_members(nina):
    assert Client().get("/offline.json").status_code == 302
    assert log_in(Client(), nina).get("/offline.json").status_code == 404


def test_it_serves_a_manifest_and_icon_with_the_deployments_discreet_name(db):
    with override_settings(SITE_NAME="Garden notes", SITE_ICON="leaf"):
        client = Client()
        response = client.get("/manifest.webmanifest")
        icon = client.get("/icon.svg")
        worker = client.get("/sw.js").content.decode()
        page = client.get("/offline/").content.decode()
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert (manifest["name"], manifest["short_name"]) == ("Garden notes", "Garden notes")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/home/", "/", "standalone")
    assert manifest["icons"] == [{"src": "/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}]
    assert icon["Content-Type"] == "image/svg+xml"
    assert 'd="M5 19C5 9 11 4 20 4c0 9-5 15-15 15Zm0 0 8-8"' in icon.content.decode()  # the sprite's leaf
    assert not response.cookies and not icon.cookies  # browsers fetch both without cookies
    for text in (response.content.decode(), icon.content.decode(), worker, page):
        assert "sombrilla" not in text.lower()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


def test_it_shows_members_what_they_can_open_offline_in_their_language(alice, reading):
    Account.objects.filter(pk=alice.account.pk).update(language="es")
    page = log_in(Client(), alice).get("/offline/").content.decode()
    assert '<html lang="es"' in page
    for url in ("/home/", "/rights/", "/services/", "/reports/new/", "/police/new/"):
        assert f'<a href="{url}">' in page
    anonymous = Client().get("/offline/saved/").content.decode()
    assert '<ul class="actions">' not in anonymous


# In Chromium, against a real server process ---------------------------------------------------------------


class Site:
    """The site in its own gunicorn process on one fixed port: stop() is the phone losing its connection."""

    def __init__(self, log_dir: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONUNBUFFERED": "1"}
        self.log = log_dir / "site.log"
        self.process = None

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "sombrilla.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        # No control socket: its default path is shared by every gunicorn on the machine, tests running beside.
        command += ["--workers", "1", "--threads", "8", "--graceful-timeout", "1", "--no-control-socket"]
        with self.log.open("ab") as log:
            # A session of its own, so that stop() kills the worker with its master.
            self.process = subprocess.Popen(  # noqa: S603 - our own server, started with our own interpreter
                command, env=self.env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 30
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the site did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/sw.js", timeout=2) as response:  # noqa: S310 - our own server
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        assert not self._answers()


@pytest.fixture
def site(transactional_db, tmp_path):
    server = Site(tmp_path)
    yield server
    server.stop()


def until(what: str, condition, timeout: float = 20):
    """Poll `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout}s waiting for {what}")
        time.sleep(0.1)


KEPT = (
    "() => caches.keys().then(names => Promise.all(names.map(name => caches.open(name).then(c => c.keys()))))"
    ".then(lists => lists.flat().map(r => new URL(r.url).pathname + new URL(r.url).search))"
)
OUTBOX = """() => new Promise(resolve => {
  const open = indexedDB.open("offline");
  open.onupgradeneeded = () => open.transaction.abort();
  open.onerror = () => resolve(null);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains("outbox")) { db.close(); resolve([]); return; }
    const all = db.transaction("outbox").objectStore("outbox").getAll();
    all.onsuccess = () => { db.close(); resolve(all.result); };
  };
})"""


def online_and_kept(page, site, membership, *, audio=False) -> list[str]:
    """Log in with a connection and wait until the phone keeps everything the member may read offline."""
    site.start()
    browser_log_in(page, site.url, membership.account.pseudonym)
    expect(page.locator("h1")).to_contain_text("Hello")
    if audio:
        page.goto(site.url + "/rights/")
        page.get_by_label("Keep the audio").check()
    wanted = set(offline.offline_urls(membership=membership, audio=audio))
    until("the phone to keep every page", lambda: wanted <= set(page.evaluate(KEPT)))
    return sorted(wanted)


def go_offline(page, site) -> None:
    site.stop()
    page.context.set_offline(True)


def come_back(page, site) -> None:
    site.start()
    page.context.set_offline(False)


def kept_then_offline(page, site, membership, *, audio=False) -> dict:
    """Areas for the forms, one online visit after which the phone keeps everything, then no connection."""
    areas = make_areas(membership.organisation)
    online_and_kept(page, site, membership, audio=audio)
    go_offline(page, site)
    return areas


def write_report(page, site, area: str, **more: str) -> None:
    """Open the kept form, type a report (`more`: other fields by label) and send it with no connection."""
    page.goto(site.url + "/reports/new/")
    page.get_by_label("When did it happen?").fill("2026-03-14")
    page.get_by_label("Where?").select_option(label=area)
    page.get_by_label("robbery or theft").check()
    page.get_by_label("threats, blackmail or outing").check()
    page.get_by_label("Tell us what happened").fill(TYPED)
    page.get_by_label("Phone number").fill("0712 345 678")
    page.get_by_label("Vehicle plate").fill("KDA 123A")
    page.get_by_label("It may count in anonymous statistics").uncheck()
    for label, value in more.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("h1")).to_have_text(WAITING)


@pytest.mark.browser
def test_it_sends_the_report_form_as_before_without_javascript(page_no_js, live_url, alice):
    areas = make_areas(alice.organisation)
    browser_log_in(page_no_js, live_url, "alice")
    page_no_js.goto(live_url + "/reports/new/")
    page_no_js.get_by_label("When did it happen?").fill("2026-03-14")
    page_no_js.get_by_label("Where?").select_option(label=NAIROBI)
    page_no_js.get_by_label("robbery or theft").check()
    page_no_js.get_by_label("Tell us what happened").fill(TYPED)
    page_no_js.get_by_role("button", name="Send report").click()
    expect(page_no_js.locator("h1")).to_have_text("Your reports")
    assert Report.objects.get().area_id == areas["nairobi"].pk
    expect(page_no_js.locator("#outbox")).to_be_hidden()


@pytest.mark.browser
def test_it_is_installable_under_the_deployments_discreet_name_and_icon(chromium, site, alice, tmp_path):
    """Chromium's own installability check, in a profile on disk (it refuses to install from incognito)."""
    site.env.update(SITE_NAME="Garden notes", SITE_ICON="leaf")
    site.start()
    context = chromium.browser_type.launch_persistent_context(
        tmp_path / "profile",
        executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
        args=CHROMIUM_ARGS,
    )
    try:
        tab = context.new_page()
        browser_log_in(tab, site.url, "alice")
        cdp = context.new_cdp_session(tab)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [] and manifest["url"] == site.url + "/manifest.webmanifest"
        data = json.loads(manifest["data"])
        assert data["name"] == "Garden notes" and data["icons"][0]["src"] == "/icon.svg"
        icon = tab.request.get(site.url + "/icon.svg").text()
        assert 'd="M5 19C5 9 11 4 20 4c0 9-5 15-15 15Zm0 0 8-8"' in icon
        assert "Garden notes" in tab.title() and "sombrilla" not in tab.content().lower()
    finally:
        context.close()


@pytest.mark.browser
def test_it_reads_home_an_article_and_the_services_offline_and_shows_the_offline_page_for_the_rest(
    page, site, alice, reading
):
    kept_then_offline(page, site, alice)
    assert page.evaluate("navigator.onLine") is False
    page.goto(site.url + "/home/")
    expect(page.locator("h1")).to_have_text("Hello, alice")
    page.goto(f"{site.url}/rights/{reading['article']}/")
    expect(page.locator("h1")).to_contain_text("Your rights during a police check")
    page.goto(f"{site.url}/rights/{reading['article']}/card/")
    expect(page.locator("main")).to_contain_text("Stay calm")
    page.goto(site.url + "/services/")
    expect(page.locator("main")).to_contain_text("Westlands Community Clinic")
    page.goto(f"{site.url}/services/{reading['service']}/")
    expect(page.locator("main")).to_contain_text("Behind the market, blue door")
    page.goto(site.url + "/reports/new/")
    expect(page.locator("h1")).to_have_text("Report a bad client")
    # Never visited, and not a page the phone keeps: the offline page, with what can be opened.
    page.goto(site.url + "/account/")
    expect(page.locator("h1")).to_have_text(NOT_KEPT)
    expect(page.locator("main .actions a")).to_have_count(5)
    page.locator("main .actions a", has_text="Services").click()
    expect(page.locator("main")).to_contain_text("Westlands Community Clinic")


@pytest.mark.browser
def test_it_keeps_pages_again_in_the_language_the_member_changes_to(page, site, alice, reading):
    online_and_kept(page, site, alice)
    with page.expect_navigation():
        page.locator("#lang-select").select_option("es")
    until(
        "the pages kept again in Spanish",
        lambda: '"key":"es ' in (page.evaluate("localStorage['offline-sync']") or ""),
    )
    go_offline(page, site)
    for path in ("/home/", "/services/", "/no-such-page/"):
        page.goto(site.url + path)
        expect(page.locator("html")).to_have_attribute("lang", "es")


@pytest.mark.browser
def test_it_keeps_no_page_of_the_inbox_or_alerts_even_after_they_were_read_online(page, site, alice, reading):
    make_areas(alice.organisation)
    kept = online_and_kept(page, site, alice)
    for path in PERSONAL:
        page.goto(site.url + path)
        expect(page.locator("h1")).not_to_have_text(NOT_KEPT)
    assert {path for path in page.evaluate(KEPT) if not path.startswith("/static/")} == {
        *kept,
        "/offline/",
        "/offline/saved/",
    }
    go_offline(page, site)
    for path in PERSONAL:
        page.goto(site.url + path)
        expect(page.locator("h1")).to_have_text(NOT_KEPT)


@pytest.mark.browser
def test_it_sends_a_report_written_offline_exactly_once_when_the_connection_returns(page, site, alice, reading):
    areas = kept_then_offline(page, site, alice)
    write_report(page, site, NAIROBI)
    expect(page.locator("#outbox")).to_have_text(f"{WAITING}: 1")
    page.reload()
    expect(page.locator("#outbox")).to_have_text(f"{WAITING}: 1")
    assert len(page.evaluate(OUTBOX)) == 1 and not Report.objects.exists()

    come_back(page, site)
    expect(page.locator("#outbox")).to_have_text("Sent.", timeout=BACK)
    report = Report.objects.get()
    assert report.account == TYPED
    assert (report.reporter_id, report.area_id, str(report.occurred_on)) == (
        alice.pk,
        areas["nairobi"].pk,
        "2026-03-14",
    )
    assert sorted(report.categories) == ["robbery", "threats"] and not report.consent_statistics
    assert page.evaluate(OUTBOX) == []
    page.reload()  # another flush finds nothing to send
    expect(page.locator("#outbox")).to_be_hidden()
    assert Report.objects.count() == 1


@pytest.mark.browser
def test_it_sends_two_reports_written_offline_from_the_one_kept_form_as_two(page, site, alice, reading):
    kept_then_offline(page, site, alice)
    texts = ["First night: he refused to pay.", "Second night: he came back with friends."]
    for text in texts:
        write_report(page, site, NAIROBI, **{"Tell us what happened": text})
    expect(page.locator("#outbox")).to_have_text(f"{WAITING}: 2")
    come_back(page, site)
    expect(page.locator("#outbox")).to_have_text("Sent.", timeout=BACK)
    assert sorted(report.account for report in Report.objects.all()) == texts


@pytest.mark.browser
def test_it_sends_a_police_alert_written_offline_once_the_connection_returns(page, site, alice, reading):
    areas = kept_then_offline(page, site, alice)
    page.goto(site.url + "/police/new/")
    page.get_by_label("Where?").select_option(label=WESTLANDS)
    page.get_by_label("raid").check()
    page.get_by_label("Note (optional)").fill("Two vans outside the club on Mpaka Road.")
    page.get_by_role("button", name="Send warning").click()
    expect(page.locator("h1")).to_have_text(WAITING)
    page.reload()
    expect(page.locator("#outbox")).to_have_text(f"{WAITING}: 1")
    assert not PoliceAlert.objects.exists()

    come_back(page, site)
    expect(page.locator("#outbox")).to_have_text("Sent.", timeout=BACK)
    police = PoliceAlert.objects.get()
    assert (police.kind, police.area_id, police.reporter_id) == ("raid", areas["westlands"].pk, alice.pk)
    assert police.note == "Two vans outside the club on Mpaka Road."
    time.sleep(1)
    assert PoliceAlert.objects.count() == 1 and page.evaluate(OUTBOX) == []


@pytest.mark.browser
def test_it_keeps_a_refused_form_for_the_member_and_puts_back_everything_typed(page, site, alice, reading):
    areas = kept_then_offline(page, site, alice)
    looks = "Tall, grey jacket, a scar on his chin."
    write_report(
        page, site, WESTLANDS, **{"Online name or handle": "@big_tony", "What does the person look like?": looks}
    )
    # While the phone is away the staff remove the area the report names: the server will refuse it.
    Area.objects.filter(pk=areas["westlands"].pk).delete()

    come_back(page, site)
    expect(page.locator("#outbox")).to_contain_text("Not sent: it needs you.", timeout=BACK)
    assert not Report.objects.exists()
    [kept] = page.evaluate(OUTBOX)
    assert kept["state"] == "needs"
    page.locator("#outbox").get_by_role("link", name="Open it").click()
    for label, value in [
        ("Tell us what happened", TYPED),
        ("When did it happen?", "2026-03-14"),
        ("Phone number", "0712 345 678"),
        ("Vehicle plate", "KDA 123A"),
        ("Online name or handle", "@big_tony"),
        ("What does the person look like?", looks),
    ]:
        expect(page.get_by_label(label)).to_have_value(value)
    for label in ("robbery or theft", "threats, blackmail or outing", "A moderator may turn this into an alert"):
        expect(page.get_by_label(label)).to_be_checked()
    for label in ("non-payment", "It may count in anonymous statistics"):
        expect(page.get_by_label(label)).not_to_be_checked()
    assert page.locator("[name=submission_key]").input_value() == _field(kept["body"], "submission_key")
    # The member picks an area that exists and sends it: accepted, and no longer kept.
    page.get_by_label("Where?").select_option(label=NAIROBI)
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("h1")).to_have_text("Your reports")
    report = Report.objects.get()
    assert report.area_id == areas["nairobi"].pk and report.person_description == looks
    until("the kept form to be forgotten", lambda: page.evaluate(OUTBOX) == [])


@pytest.mark.browser
def test_it_keeps_a_form_whose_session_ended_while_away_for_the_member(page, site, alice, reading):
    kept_then_offline(page, site, alice)
    write_report(page, site, NAIROBI)
    Session.objects.all().delete()  # the session timed out while the phone was away
    come_back(page, site)
    # The replay was sent to the login page: not accepted, so kept for the member, not dropped.
    expect(page.locator("#outbox")).to_contain_text("Not sent: it needs you.", timeout=BACK)
    assert [item["state"] for item in page.evaluate(OUTBOX)] == ["needs"]
    assert not Report.objects.exists()


@pytest.mark.browser
def test_it_plays_an_articles_audio_offline_on_a_phone_that_chose_to_keep_it(page, site, alice, reading):
    online_and_kept(page, site, alice, audio=True)
    go_offline(page, site)
    page.goto(f"{site.url}/rights/{reading['article']}/")
    duration = page.evaluate(
        """() => new Promise((resolve, reject) => {
          const audio = document.querySelector("audio");
          audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
          audio.addEventListener("error", () => reject(new Error("no audio")));
          audio.load();
        })"""
    )
    assert 0 < duration < 1


def _field(body: str, name: str) -> str:
    return parse_qs(body)[name][0]


@pytest.mark.browser
def test_it_empties_the_caches_and_the_outbox_when_the_member_logs_out(page, site, alice, reading):
    areas = kept_then_offline(page, site, alice, audio=True)
    write_report(page, site, WESTLANDS)
    Area.objects.filter(pk=areas["westlands"].pk).delete()
    come_back(page, site)
    expect(page.locator("#outbox")).to_contain_text("Not sent: it needs you.", timeout=BACK)
    assert len(page.evaluate(OUTBOX)) == 1 and any("/audio/" in path for path in page.evaluate(KEPT))

    page.locator("nav").get_by_role("button").last.click()
    page.wait_for_url(site.url + "/login/")
    assert page.evaluate(KEPT) == []
    assert page.evaluate(OUTBOX) in ([], None)
    assert page.evaluate("() => navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    # Nothing is left to answer for the site: without a connection the browser has nothing to show.
    go_offline(page, site)
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        page.goto(site.url + "/home/")


@pytest.mark.browser
def test_it_forgets_everything_kept_even_when_the_member_logs_out_without_a_connection(page, site, alice, reading):
    kept_then_offline(page, site, alice)
    write_report(page, site, NAIROBI)
    page.locator("nav").get_by_role("button").last.click()
    until("the phone to forget", lambda: page.evaluate(KEPT) == [])
    assert page.evaluate(OUTBOX) in ([], None)
    # Nothing is left to show, not even the offline page.
    with pytest.raises(PlaywrightError, match="net::ERR_"):
        page.goto(site.url + "/home/")
