"""The member's directory flow in a real headless Chromium with JavaScript off: filter the list, open a service,
rate it with a note, ask for a referral, and read staff's answer."""

import pytest
from playwright.sync_api import expect

from sombrilla.core.tests.browser_pages import session_cookie
from sombrilla.directory import services
from sombrilla.directory.models import Rating, Referral
from sombrilla.directory.tests.factories import make_service

pytestmark = pytest.mark.browser


def test_a_member_filters_rates_and_asks_for_a_referral_without_javascript(live_url, page_no_js, alice, carol, areas):
    clinic = make_service(carol, area=areas["westlands"])
    make_service(carol, name="Rights Desk", kind="legal_aid", area=areas["mombasa"], cost="paid")
    page = page_no_js
    page.context.add_cookies([session_cookie(live_url, alice)])
    page.goto(live_url + "/services/")
    main = page.locator("main")
    page.get_by_text("Filter").click()
    page.get_by_label("Where?").select_option(label="\u2003Nairobi")
    page.get_by_label("Free only").check()
    main.get_by_role("button", name="Show").click()
    expect(main.get_by_role("link", name="Westlands Community Clinic")).to_be_visible()
    expect(main.get_by_role("link", name="Rights Desk")).to_have_count(0)

    main.get_by_role("link", name="Westlands Community Clinic").click()
    main.get_by_label("★★★★ 4 stars").check()
    main.get_by_label("A short note for other members (optional)").fill("Nobody asked my name.")
    main.get_by_role("button", name="Save my rating").click()
    expect(main.get_by_text("A moderator reads your note before other members see it.")).to_be_visible()
    assert list(Rating.objects.values_list("stars", "note", "status")) == [(4, "Nobody asked my name.", "pending")]

    main.get_by_label("What should staff know? (optional)").fill("Can someone come with me?")
    main.get_by_role("button", name="Ask staff").click()
    expect(main.get_by_text("Your request is with staff.")).to_be_visible()
    referral = Referral.objects.get()
    assert (referral.service_id, referral.message) == (clinic.pk, "Can someone come with me?")

    services.referral_answer(actor=carol, referral=referral, answer="Grace meets you at 10.")
    page.reload()
    expect(main.get_by_text("Grace meets you at 10.")).to_be_visible()
    main.get_by_role("button", name="Close: I no longer need this").click()
    expect(main.get_by_text("Your request is closed.")).to_be_visible()
