"""Every page of the app, and how to open each one cold in Chromium as the right person.

Shared by the page-budget and accessibility tests so both check the same list: a page added to the app
and missing here is caught by neither, so add it here.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client, override_settings

from sombrilla.accounts.models import Account, Authenticator, Membership, Role
from sombrilla.alerts.tests.factories import page_objects as alerts_objects
from sombrilla.checkins import services as checkins_services
from sombrilla.checkins.tests import factories as checkins_factories
from sombrilla.conftest import PASSPHRASE, log_in
from sombrilla.core import clock
from sombrilla.directory.tests.factories import full_page_objects as directory_objects
from sombrilla.monitoring.records.tests.factories import full_page_objects as records_objects
from sombrilla.monitoring.tests.factories import full_page_objects as monitoring_objects
from sombrilla.notify.tests.factories import page_objects as notify_objects
from sombrilla.rights.tests.factories import full_page_objects as rights_objects


def checkins_objects(people: dict) -> dict:
    """The check-in pages at their fullest: alice with a PIN, a member buddy (bob) and an outside one, a
    request from bob, an SOS with a location that bob is acting on, a lapsed plan and a shift on the rota.
    Returns the ids the paths use (for the role matrix too) and the outside contact's link token."""
    alice, bob, dana = people["alice"], people["bob"], people["dana"]
    checkins_services.safety_settings_update(membership=alice, grace_minutes=15, pin="2468", duress_pin="1357")
    checkins_factories.member_buddy(alice, bob)
    request = checkins_services.buddy_add_member(actor=bob, pseudonym="alice")
    # Configured only while the alert goes out, so the contact's message (and its link) is written; no worker
    # runs here, so nothing is sent.
    with override_settings(SMS_GATEWAY="http"):
        checkins_factories.outside_buddy(alice)
        plan = checkins_factories.make_plan(alice, identifiers=[("phone", "0712 345 678"), ("plate", "KDA 123A")])
        checkins_services.plan_sos(actor=alice, plan=plan, location={"lat": -1.2921, "lon": 36.8219, "accuracy": 30})
    checkins_services.plan_respond(actor=bob, plan=plan)
    checkins_factories.lapse(checkins_factories.make_plan(alice, note="Regular, second visit"), 61)
    slot = checkins_services.duty_slot_add(actor=dana, membership=dana, weekday=4, start=time(22), end=time(6))
    message = plan.steps.get(kind="buddies").dispatch.deliveries.get(channel="sms").message
    token = message.split("/c/")[1].split("/")[0]
    return {"plan": plan.pk, "token": token, "buddy_request": request.pk, "slot": slot.pk}


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # may hold "{alice}": alice's membership id, and any id that `objects` returns
    who: str | None = None  # a person from the `people` fixture, "newstaff", or None for anonymous
    status: int = 200
    # Makes what the page shows, from the `people` fixture; returns ids for the path.
    objects: Callable[[dict], dict] | None = None


PAGES = [
    Page("front", "/"),
    Page("organisation", "/o/org-a/"),
    Page("join", "/join/"),
    Page("login", "/login/"),
    Page("recover", "/recover/"),
    Page("logout", "/logout/"),
    Page("home", "/home/", "alice"),
    Page("account", "/account/", "alice"),
    Page("invitations", "/invitations/", "alice"),
    Page("account-delete", "/account/delete/", "alice"),
    Page("staff-members", "/staff/members/", "carol"),
    Page("staff-member", "/staff/members/{alice}/", "carol"),
    Page("staff-vouching", "/staff/vouching/", "carol"),
    Page("staff-areas", "/staff/areas/", "carol"),
    Page("staff-organisation", "/staff/organisation/", "dana"),
    Page("staff-audit", "/staff/audit/", "dana"),
    Page("two-factor-setup", "/account/two-factor/", "newstaff"),
    Page("inbox", "/inbox/", "alice", objects=notify_objects),
    Page("notifications", "/notifications/", "alice"),
    Page("staff-deliveries", "/staff/deliveries/", "carol", objects=notify_objects),
    Page("alerts-feed", "/alerts/", "alice", objects=alerts_objects),
    Page("alerts-alert", "/alerts/{alert}/", "alice", objects=alerts_objects),
    Page("alerts-police-alert", "/alerts/police/{police_alert}/", "alice", objects=alerts_objects),
    Page("alerts-follow", "/alerts/areas/", "alice", objects=alerts_objects),
    Page("alerts-check", "/check/", "alice"),
    Page("alerts-my-reports", "/reports/", "alice", objects=alerts_objects),
    Page("alerts-report", "/reports/new/", "alice", objects=alerts_objects),
    Page("alerts-police-new", "/police/new/", "alice", objects=alerts_objects),
    Page("alerts-queue", "/moderation/", "bob", objects=alerts_objects),
    Page("alerts-moderate", "/moderation/reports/{report}/", "bob", objects=alerts_objects),
    Page("checkins-home", "/checkins/", "alice", objects=checkins_objects),
    Page("checkins-new", "/checkins/new/", "alice"),
    Page("checkins-plan", "/checkins/plans/{plan}/", "alice", objects=checkins_objects),
    Page("checkins-buddies", "/checkins/buddies/", "alice", objects=checkins_objects),
    Page("checkins-settings", "/checkins/settings/", "alice", objects=checkins_objects),
    Page("checkins-alert", "/checkins/alerts/{plan}/", "carol", objects=checkins_objects),
    Page("checkins-staff", "/staff/checkins/", "carol", objects=checkins_objects),
    Page("checkins-duty", "/staff/duty/", "carol", objects=checkins_objects),
    Page("checkins-link", "/c/{token}/", objects=checkins_objects),
    # Anonymous visitors are sent to the login page for any unknown path, so the 404 is a member's.
    Page("not-found", "/no-such-page/", "alice", status=404),
    # What a phone shows for a page it does not keep, and after keeping a form to send later.
    Page("offline", "/offline/", "alice"),
    Page("offline-saved", "/offline/saved/", "alice"),
    # M&E records pages (the demo's four years of records)
    Page("records-hub", "/me/records/", "carol", objects=records_objects),
    Page("records-list", "/me/records/communications/", "carol", objects=records_objects),
    Page("records-new", "/me/records/publications/new/", "carol"),
    Page("records-record", "/me/records/trainings/{records_trainings}/", "carol", objects=records_objects),
    Page("records-analyst", "/me/records/trainings/{records_trainings}/", "nina", objects=records_objects),
    Page("records-import", "/me/records/publications/import/", "carol"),
    # M&E pages (both shipped frameworks, organisation A's records and tallies counted)
    Page("me-dashboard", "/me/?year={me_year}", "carol", objects=monitoring_objects),
    Page(
        "me-dashboard-platform", "/me/?framework=sombrilla-platform&year={me_year}", "carol", objects=monitoring_objects
    ),
    Page("me-dashboard-network", "/me/?year={me_year}", "nina", objects=monitoring_objects),
    Page("me-indicator", "/me/indicators/{me_indicator}/", "carol", objects=monitoring_objects),
    Page(
        "me-indicator-computed",
        "/me/indicators/{me_network_indicator}/?year={me_year}",
        "carol",
        objects=monitoring_objects,
    ),
    Page("me-compare", "/me/compare/", "carol", objects=monitoring_objects),
    Page("me-report", "/me/report/?year={me_year}", "carol", objects=monitoring_objects),
    Page("me-mapping", "/me/mapping/", "carol"),
    # rights pages
    Page("rights-index", "/rights/", "alice", objects=rights_objects),
    Page("rights-article", "/rights/{rights_article}/", "alice", objects=rights_objects),
    Page("rights-card", "/rights/{rights_article}/card/", "alice", objects=rights_objects),
    Page("rights-staff", "/staff/rights/", "carol", objects=rights_objects),
    Page("rights-staff-new", "/staff/rights/new/", "carol"),
    Page("rights-staff-article", "/staff/rights/{rights_article}/", "carol", objects=rights_objects),
    Page("rights-staff-delete", "/staff/rights/{rights_article}/delete/", "carol", objects=rights_objects),
    Page(
        "rights-staff-version", "/staff/rights/{rights_article}/version/?language=en", "carol", objects=rights_objects
    ),
    # directory pages
    Page("directory-list", "/services/", "alice", objects=directory_objects),
    Page("directory-service", "/services/{service}/", "alice", objects=directory_objects),
    Page("directory-referrals", "/services/referrals/", "alice", objects=directory_objects),
    Page("directory-staff", "/staff/services/", "carol", objects=directory_objects),
    Page("directory-staff-new", "/staff/services/new/", "carol", objects=directory_objects),
    Page("directory-staff-edit", "/staff/services/{service}/", "carol", objects=directory_objects),
    Page("directory-ratings", "/staff/services/ratings/", "bob", objects=directory_objects),
    Page("directory-staff-referrals", "/staff/services/referrals/", "carol", objects=directory_objects),
    Page("directory-staff-referral", "/staff/services/referrals/{referral}/", "carol", objects=directory_objects),
]


def staff_without_device(organisation) -> Membership:
    """A staff member who has not set up an authenticator yet (conftest's people all have one)."""
    account = Account(pseudonym="newstaff", language="en")
    account.set_password(PASSPHRASE)
    account.save()
    membership = Membership.objects.create(
        account=account, organisation=organisation, role=Role.STAFF, joined_on=clock.now().date()
    )
    assert not Authenticator.objects.filter(user=account).exists()
    return membership


def session_cookie(live_url: str, membership: Membership) -> dict:
    """A logged-in session (two-factor passed where the role needs it) as a Playwright cookie, so the page is
    measured on its own, without the login pages before it."""
    client = Client()
    if Authenticator.objects.filter(user=membership.account).exists():
        log_in(client, membership)
    else:
        client.force_login(membership.account, backend="sombrilla.accounts.backends.AccountBackend")
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_url,
    }


def language_cookie(live_url: str, language: str) -> dict:
    return {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_url}


def open_cold(chromium, live_url: str, page: Page, people: dict, language: str = "en", **context_options):
    """Open `page` in a brand-new browser context (empty cache, no service worker, no cookies but ours).

    Returns (context, browser page, main response, every request the page made). The caller closes the context.
    """
    context = chromium.new_context(**context_options)
    cookies = [language_cookie(live_url, language)]
    if page.who is not None:
        membership = people[page.who]
        if membership.account.language != language:
            # A logged-in member's saved language wins over the cookie.
            Account.objects.filter(pk=membership.account.pk).update(language=language)
        cookies.append(session_cookie(live_url, membership))
    context.add_cookies(cookies)
    requests = []
    context.on("request", lambda request: requests.append(request))
    tab = context.new_page()
    ids = {"alice": people["alice"].pk, **(page.objects(people) if page.objects else {})}
    response = tab.goto(live_url + page.path.format(**ids), wait_until="networkidle")
    return context, tab, response, requests


def same_host(url: str, live_url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "data" or parts.netloc == urlsplit(live_url).netloc
