"""The rights pages in real headless Chromium: a quick card fits a small phone's screen and prints on one page,
the audio is not downloaded until the member presses play, and everything reads without JavaScript."""

import re

import pytest

from sombrilla.core.tests.browser_pages import session_cookie
from sombrilla.rights.tests.factories import full_page_objects

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 360, "height": 640}


def _open(chromium, live_url, membership, path, **options):
    context = chromium.new_context(**options)
    context.add_cookies([session_cookie(live_url, membership)])
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    tab = context.new_page()
    tab.goto(live_url + path, wait_until="networkidle")
    return context, tab, requests


def test_it_fits_a_quick_card_on_a_small_phone_screen_and_one_printed_page(chromium, live_url, people):
    ids = full_page_objects(people)
    context, tab, _requests = _open(
        chromium, live_url, people["alice"], f"/rights/{ids['rights_article']}/card/", viewport=SMALL_PHONE
    )
    try:
        card = tab.locator("main section").bounding_box()
        assert card["height"] <= SMALL_PHONE["height"], card
        assert tab.locator(".steps li").count() == 5
        pdf = tab.pdf(format="A4")
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
        tab.emulate_media(media="print")
        assert not tab.locator("nav.nav").is_visible() and not tab.locator("#quick-exit").is_visible()
        assert tab.locator(".steps").is_visible()
    finally:
        context.close()


def test_it_downloads_the_audio_only_when_the_member_presses_play(chromium, live_url, people):
    ids = full_page_objects(people)
    context, tab, requests = _open(chromium, live_url, people["alice"], f"/rights/{ids['rights_article']}/")
    try:
        player = tab.locator("audio")
        assert player.get_attribute("preload") == "none"
        assert not [url for url in requests if "/audio/" in url]
        # Muted, so the browser's autoplay rule allows play() without a real tap.
        played = tab.locator("audio").evaluate(
            """audio => new Promise(done => {
                audio.addEventListener("playing", () => done(true));
                audio.muted = true;
                audio.play().catch(error => done(String(error)));
            })"""
        )
        assert played is True
        assert [url for url in requests if "/audio/" in url]
    finally:
        context.close()


def test_it_reads_the_guides_and_the_card_without_javascript(chromium, live_url, people):
    ids = full_page_objects(people)
    context, tab, _requests = _open(chromium, live_url, people["alice"], "/rights/", java_script_enabled=False)
    try:
        tab.get_by_role("link", name="Digital safety").first.click()  # the topic
        assert tab.locator("main h2").all_inner_texts() == ["Digital safety"]
        tab.get_by_role("link", name="All topics").click()
        tab.locator(f'a[href="/rights/{ids["rights_article"]}/"]').click()
        assert "Stay calm. Do not run or fight back" in tab.locator("main").inner_text()
        tab.get_by_role("link", name="Quick card: the steps in short").click()
        assert tab.locator(".steps li").count() == 5
        tab.get_by_role("link", name="Read the whole guide").click()
        tab.get_by_role("link", name="All guides").click()
        assert tab.url == f"{live_url}/rights/"
    finally:
        context.close()
