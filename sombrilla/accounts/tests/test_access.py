"""Who may reach what: one role matrix over every page and API operation, a guard that keeps the matrix
complete, cross-organisation isolation, two-factor enforcement, suspension, sessions and their timeouts."""

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import UUIDConverter

from sombrilla.accounts import selectors, services
from sombrilla.accounts.access import PUBLIC_VIEWS, TWO_FACTOR_EXEMPT
from sombrilla.accounts.backends import AccountBackend
from sombrilla.accounts.models import Account, Invitation, Membership, Organisation, Role, Session
from sombrilla.accounts.sessions import SessionStore, sessions_purge
from sombrilla.alerts.tests.factories import page_objects as alerts_page_objects
from sombrilla.api import api
from sombrilla.checkins.tests.factories import page_objects as checkins_page_objects
from sombrilla.conftest import PASSPHRASE, log_in, totp_now
from sombrilla.core import clock
from sombrilla.core.models import AuditEntry
from sombrilla.directory.tests.factories import page_objects as directory_page_objects
from sombrilla.monitoring.records.tests.factories import page_objects as records_page_objects
from sombrilla.monitoring.tests.factories import page_objects as monitoring_page_objects
from sombrilla.notify.tests.factories import page_objects as notify_page_objects
from sombrilla.rights.tests.factories import page_objects as rights_page_objects

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
FEED = "→/alerts/"
QUEUE = "→/moderation/"
PLAN = "→/checkins/plans/{plan}/"
ALERT = "→/checkins/alerts/{plan}/"
BUDDIES = "→/checkins/buddies/"
DUTY = "→/staff/duty/"
RIGHTS = "→/staff/rights/"
RIGHTS_ARTICLE = "→/staff/rights/{rights_article}/"
RIGHTS_VERSION = "→/staff/rights/{rights_article}/version/"
SERVICE = "→/services/{service}/"
REFERRALS = "→/services/referrals/"
STAFF_SERVICES = "→/staff/services/"
RATINGS = "→/staff/services/ratings/"
STAFF_REFERRALS = "→/staff/services/referrals/"
ME_INDICATOR = "→/me/indicators/{me_indicator}/"
MAPPING = "→/me/mapping/"
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
    "screening_daily_limit": 30,
    "alert_retention_months": 12,
    "police_alert_hours": 24,
    "checkin_staff_minutes": 15,
    "checkin_keep_hours": 24,
    "checkin_retention_days": 30,
}
CHECK = {"kind": "phone", "value": "0712 345 678"}
REJECT = {"action": "reject", "reason": "matrix reason"}


def _matrix_area() -> str:
    """An area of organisation A (made by the alerts page objects): another organisation's caller gets a 404."""
    from sombrilla.accounts.models import Area

    return str(Area.objects.get(name="Kampala").pk)


def _report_body(_m):
    return {
        "occurred_on": "2026-01-15",
        "area_id": _matrix_area(),
        "categories": ["other"],
        "account": "matrix report",
        "consent_alert": True,
        "consent_statistics": True,
    }


def _publish_body(_m):
    return {"text": "matrix alert", "area_ids": [_matrix_area()]}


def _attach_body(_m):
    from sombrilla.alerts.models import Alert

    return {"alert_id": str(Alert.objects.get().pk)}


def _police_body(_m):
    return {"area_id": _matrix_area(), "kind": "raid"}


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
    # Notifications: inbox and settings for organisation members (never analysts); deliveries for staff of
    # the delivery's organisation. The service worker is public: it holds no data.
    page("notify:inbox", "GET", "/inbox/",                   LOGIN, 200, 200, 200, 200, 404, 200),
    page("notify:inbox", "POST", "/inbox/",                  LOGIN, "→/inbox/", "→/inbox/", "→/inbox/",
         "→/inbox/", 404, "→/inbox/"),
    page("notify:preferences", "GET", "/notifications/",     LOGIN, 200, 200, 200, 200, 404, 200),
    page("notify:preferences", "POST", "/notifications/",    LOGIN, 400, 400, 400, 400, 404, 400, data={}),
    page("notify:test", "GET", "/notifications/test/",       LOGIN, 405, 405, 405, 405, 404, 405),
    page("notify:test", "POST", "/notifications/test/",      LOGIN, "→/notifications/", "→/notifications/",
         "→/notifications/", "→/notifications/", 404, "→/notifications/"),
    page("notify:push_subscribe", "GET", "/notifications/push/", LOGIN, 405, 405, 405, 405, 404, 405),
    page("notify:push_subscribe", "POST", "/notifications/push/", LOGIN, 400, 400, 400, 400, 404, 400, data={}),
    page("notify:push_unsubscribe", "GET", "/notifications/push/remove/", LOGIN, 405, 405, 405, 405, 404, 405),
    page("notify:push_unsubscribe", "POST", "/notifications/push/remove/",
         LOGIN, 200, 200, 200, 200, 404, 200, data={}),
    page("notify:deliveries", "GET", "/staff/deliveries/",   LOGIN, 404, 404, 200, 200, 404, 200),
    page("notify:delivery_retry", "GET", "/staff/deliveries/{delivery_id}/retry/",
         LOGIN, 404, 404, 405, 405, 404, 405),
    page("notify:delivery_retry", "POST", "/staff/deliveries/{delivery_id}/retry/",
         LOGIN, 404, 404, "→/staff/deliveries/", "→/staff/deliveries/", 404, 404),
    api_op("preference_get", "GET", "notifications/preferences", 401, 200, 200, 200, 200, 403, 200),
    api_op("preference_put", "PUT", "notifications/preferences", 401, 200, 200, 200, 200, 403, 200,
           body=lambda _m: {"channels": [], "timezone": "Africa/Nairobi"}),
    api_op("notification_test", "POST", "notifications/test", 401, 202, 202, 202, 202, 403, 202),
    api_op("push_subscribe", "POST", "notifications/push-subscriptions", 401, 400, 400, 400, 400, 403, 400,
           body=lambda _m: {"endpoint": "http://127.0.0.1:6379/", "p256dh": "BAAA", "auth": "AAAA"}),
    api_op("push_unsubscribe", "POST", "notifications/push-subscriptions/remove", 401, 204, 204, 204, 204, 403,
           204, body=lambda _m: {"endpoint": "https://fcm.googleapis.com/fcm/send/x"}),
    api_op("inbox", "GET", "inbox",                          401, 200, 200, 200, 200, 403, 200),
    api_op("inbox_read", "POST", "inbox/read",               401, 200, 200, 200, 200, 403, 200),
    api_op("deliveries_dead", "GET", "staff/deliveries/dead", 401, 403, 403, 200, 200, 403, 200),
    # The dead delivery belongs to organisation A: its id means nothing to mallory.
    api_op("delivery_retry", "POST", "staff/deliveries/{delivery_id}/retry", 401, 403, 403, 204, 204, 403, 404),
    # Alerts: organisation members only (never analysts); moderation for moderators and staff.
    page("alerts:feed", "GET", "/alerts/",                   LOGIN, 200, 200, 200, 200, 404, 200),
    page("alerts:alert", "GET", "/alerts/{alert}/",          LOGIN, 200, 200, 200, 200, 404, 404),
    page("alerts:police_alert", "GET", "/alerts/police/{police_alert}/",
         LOGIN, 200, 200, 200, 200, 404, 404),
    page("alerts:follow", "GET", "/alerts/areas/",           LOGIN, 200, 200, 200, 200, 404, 200),
    page("alerts:follow", "POST", "/alerts/areas/",          LOGIN, FEED, FEED, FEED, FEED, 404, FEED, data={}),
    page("alerts:check", "GET", "/check/",                   LOGIN, 200, 200, 200, 200, 404, 200),
    page("alerts:check", "POST", "/check/",                  LOGIN, 200, 200, 200, 200, 404, 200, data=CHECK),
    page("alerts:my_reports", "GET", "/reports/",            LOGIN, 200, 200, 200, 200, 404, 200),
    page("alerts:report", "GET", "/reports/new/",            LOGIN, 200, 200, 200, 200, 404, 200),
    page("alerts:report", "POST", "/reports/new/",           LOGIN, 400, 400, 400, 400, 404, 400, data={}),
    page("alerts:police_new", "GET", "/police/new/",         LOGIN, 200, 200, 200, 200, 404, 200),
    page("alerts:police_new", "POST", "/police/new/",        LOGIN, 400, 400, 400, 400, 404, 400, data={}),
    page("alerts:queue", "GET", "/moderation/",              LOGIN, 404, 200, 200, 200, 404, 200),
    page("alerts:moderate_report", "GET", "/moderation/reports/{report}/",
         LOGIN, 404, 200, 200, 200, 404, 404),
    page("alerts:moderate_report", "POST", "/moderation/reports/{report}/",
         LOGIN, 404, QUEUE, QUEUE, QUEUE, 404, 404, data=REJECT),
    page("alerts:referral", "GET", "/moderation/reports/{report}/referral/",
         LOGIN, 404, 404, 200, 200, 404, 404),
    page("alerts:moderate_police", "GET", "/moderation/police/{pending_police}/",
         LOGIN, 404, 405, 405, 405, 404, 405),
    page("alerts:moderate_police", "POST", "/moderation/police/{pending_police}/",
         LOGIN, 404, QUEUE, QUEUE, QUEUE, 404, 404, data={"action": "approve"}),
    # Check-in pages: organisation members only (never analysts); a plan only for its member; the alert page for
    # alerted buddies (bob) and staff; staff pages for staff; the outside contact's link is public (an unknown
    # token is gone, 410, for everyone).
    page("checkins:home", "GET", "/checkins/",               LOGIN, 200, 200, 200, 200, 404, 200),
    page("checkins:new", "GET", "/checkins/new/",            LOGIN, 200, 200, 200, 200, 404, 200),
    page("checkins:new", "POST", "/checkins/new/",           LOGIN, 400, 400, 400, 400, 404, 400, data={}),
    page("checkins:sos", "GET", "/checkins/sos/",            LOGIN, 405, 405, 405, 405, 404, 405),
    page("checkins:sos", "POST", "/checkins/sos/",           LOGIN, 404, 404, 404, 404, 404, 404,
         data={"plan": "00000000-0000-4000-8000-000000000000"}),
    page("checkins:plan", "GET", "/checkins/plans/{plan}/",  LOGIN, 200, 404, 404, 404, 404, 404),
    page("checkins:check_in", "GET", "/checkins/plans/{plan}/check-in/", LOGIN, 405, 405, 405, 405, 404, 405),
    page("checkins:check_in", "POST", "/checkins/plans/{plan}/check-in/", LOGIN, PLAN, 404, 404, 404, 404, 404),
    page("checkins:extend", "POST", "/checkins/plans/{plan}/extend/", LOGIN, 400, 404, 404, 404, 404, 404,
         data={"minutes": "15"}),
    page("checkins:close", "POST", "/checkins/plans/{plan}/close/", LOGIN, PLAN, 404, ALERT, ALERT, 404, 404,
         data={"outcome": "safe"}),
    page("checkins:report", "GET", "/checkins/plans/{plan}/report/", LOGIN, 405, 405, 405, 405, 404, 405),
    page("checkins:report", "POST", "/checkins/plans/{plan}/report/", LOGIN, 200, 404, 404, 404, 404, 404),
    page("checkins:buddies", "GET", "/checkins/buddies/",    LOGIN, 200, 200, 200, 200, 404, 200),
    page("checkins:buddies", "POST", "/checkins/buddies/",   LOGIN, 400, 400, 400, 400, 404, 400,
         data={"action": "member", "pseudonym": "nobody"}),
    # alice's request to carol: either may answer or remove it (alice is told it was not sent to her).
    page("checkins:buddy_answer", "POST", "/checkins/buddies/{buddy}/answer/",
         LOGIN, BUDDIES, 404, BUDDIES, 404, 404, 404, data={"answer": "accept"}),
    page("checkins:buddy_remove", "POST", "/checkins/buddies/{buddy}/remove/",
         LOGIN, BUDDIES, 404, BUDDIES, 404, 404, 404),
    page("checkins:settings", "GET", "/checkins/settings/",  LOGIN, 200, 200, 200, 200, 404, 200),
    page("checkins:settings", "POST", "/checkins/settings/", LOGIN, 400, 400, 400, 400, 404, 400, data={}),
    page("checkins:alert", "GET", "/checkins/alerts/{plan}/", LOGIN, 404, 200, 200, 200, 404, 404),
    page("checkins:respond", "POST", "/checkins/alerts/{plan}/respond/",
         LOGIN, 404, ALERT, ALERT, ALERT, 404, 404),
    page("checkins:staff_plans", "GET", "/staff/checkins/",  LOGIN, 404, 404, 200, 200, 404, 200),
    page("checkins:duty", "GET", "/staff/duty/",             LOGIN, 404, 404, 200, 200, 404, 200),
    page("checkins:duty", "POST", "/staff/duty/",            LOGIN, 404, 404, 400, 400, 404, 400, data={}),
    page("checkins:duty_remove", "POST", "/staff/duty/{slot}/remove/", LOGIN, 404, 404, DUTY, DUTY, 404, 404),
    page("checkins:link", "GET", "/c/no-such-token/",         410, 410, 410, 410, 410, 410, 410),
    page("checkins:link", "POST", "/c/no-such-token/",        410, 410, 410, 410, 410, 410, 410),
    # Alerts API: 403 for the analyst (not an organisation member), 404 for what is not the caller's to see.
    api_op("report_create", "POST", "reports",               401, 201, 201, 201, 201, 403, 404, body=_report_body),
    api_op("report_list", "GET", "reports",                  401, 200, 200, 200, 200, 403, 200),
    api_op("moderation_queue", "GET", "moderation/reports",  401, 404, 200, 200, 200, 403, 200),
    api_op("moderation_report", "GET", "moderation/reports/{report_id}", 401, 404, 200, 200, 200, 403, 404),
    api_op("moderation_publish", "POST", "moderation/reports/{report_id}/publish",
           401, 404, 201, 201, 201, 403, 404, body=_publish_body),
    api_op("moderation_attach", "POST", "moderation/reports/{report_id}/attach",
           401, 404, 200, 200, 200, 403, 404, body=_attach_body),
    api_op("moderation_reject", "POST", "moderation/reports/{report_id}/reject",
           401, 404, 200, 200, 200, 403, 404, body=lambda _m: {"reason": "Not about a client."}),
    api_op("moderation_record", "POST", "moderation/reports/{report_id}/record", 401, 404, 200, 200, 200, 403, 404),
    api_op("police_alert_create", "POST", "police-alerts",   401, 201, 201, 201, 201, 403, 404, body=_police_body),
    api_op("moderation_police_queue", "GET", "moderation/police-alerts", 401, 404, 200, 200, 200, 403, 200),
    # The police alert here is already published: a moderator reaches it and is told so (400).
    api_op("moderation_police_approve", "POST", "moderation/police-alerts/{police_alert_id}/approve",
           401, 404, 400, 400, 400, 403, 404),
    api_op("moderation_police_reject", "POST", "moderation/police-alerts/{police_alert_id}/reject",
           401, 404, 400, 400, 400, 403, 404),
    api_op("alert_feed", "GET", "alerts",                    401, 200, 200, 200, 200, 403, 200),
    api_op("alert_get", "GET", "alerts/{alert_id}",          401, 200, 200, 200, 200, 403, 404),
    api_op("police_alert_get", "GET", "police-alerts/{police_alert_id}", 401, 200, 200, 200, 200, 403, 404),
    api_op("screening", "POST", "screening",                 401, 200, 200, 200, 200, 403, 200,
           body=lambda _m: {"kind": "phone", "value": "0712 345 678"}),
    api_op("areas", "GET", "areas",                          401, 200, 200, 200, 200, 403, 200),
    api_op("areas_follow", "PUT", "areas/followed",          401, 200, 200, 200, 200, 403, 200,
           body=lambda _m: {"area_ids": []}),
    # Check-ins API: organisation members only (never analysts); the rota and the list of open alerts for staff.
    # {plan_id} is alice's plan, which has alerted bob (her buddy) and the staff; {buddy_id} is alice's request
    # to carol, waiting for an answer; {slot_id} is carol's shift.
    api_op("buddy_list", "GET", "checkins/buddies",          401, 200, 200, 200, 200, 403, 200),
    api_op("buddy_add", "POST", "checkins/buddies",          401, 201, 201, 201, 201, 403, 201,
           body=lambda _m: {"kind": "sms", "contact": "+254700111222", "name": "Sis"}),
    # Alice asked, so she reaches the request but may not answer it for carol (400).
    api_op("buddy_answer", "POST", "checkins/buddies/{buddy_id}/answer",
           401, 400, 404, 200, 404, 403, 404, body=lambda _m: {"accept": True}),
    api_op("buddy_remove", "POST", "checkins/buddies/{buddy_id}/remove", 401, 204, 404, 204, 404, 403, 404),
    api_op("buddy_requests", "GET", "checkins/buddy-requests", 401, 200, 200, 200, 200, 403, 200),
    api_op("safety_settings_get", "GET", "checkins/settings", 401, 200, 200, 200, 200, 403, 200),
    api_op("safety_settings_put", "PUT", "checkins/settings", 401, 200, 200, 200, 200, 403, 200,
           body=lambda _m: {"grace_minutes": 20}),
    api_op("plan_list", "GET", "checkins/plans",             401, 200, 200, 200, 200, 403, 200),
    api_op("plan_create", "POST", "checkins/plans",          401, 201, 201, 201, 201, 403, 201,
           body=lambda _m: {"minutes": 60}),
    api_op("plan_get", "GET", "checkins/plans/{plan_id}",    401, 200, 404, 404, 404, 403, 404),
    api_op("plan_check_in", "POST", "checkins/plans/{plan_id}/check-in", 401, 200, 404, 404, 404, 403, 404),
    # The plan has alerted already: its member is told to check in or send an SOS instead (400).
    api_op("plan_extend", "POST", "checkins/plans/{plan_id}/extend", 401, 400, 404, 404, 404, 403, 404,
           body=lambda _m: {"minutes": 15}),
    # Bob, alerted as a buddy, may read the alert but not close it (400); staff may.
    api_op("plan_close", "POST", "checkins/plans/{plan_id}/close", 401, 200, 400, 200, 200, 403, 404,
           body=lambda _m: {"outcome": "safe"}),
    api_op("plan_sos", "POST", "checkins/sos",               401, 200, 200, 200, 200, 403, 200),
    api_op("checkin_alert", "GET", "checkins/alerts/{plan_id}", 401, 404, 200, 200, 200, 403, 404),
    api_op("checkin_respond", "POST", "checkins/alerts/{plan_id}/respond", 401, 404, 200, 200, 200, 403, 404),
    api_op("staff_checkins", "GET", "staff/checkins",        401, 403, 403, 200, 200, 403, 200),
    api_op("duty_list", "GET", "staff/duty",                 401, 403, 403, 200, 200, 403, 200),
    api_op("duty_add", "POST", "staff/duty",                 401, 403, 403, 201, 201, 403, 201,
           body=lambda _m: {"weekday": 0, "start": "08:00", "end": "09:00"}),
    api_op("duty_remove", "POST", "staff/duty/{slot_id}/remove", 401, 403, 403, 204, 204, 403, 404),
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
    # Installable and offline (sombrilla.core): the worker, manifest, icon and offline pages are for anyone;
    # the list of what a phone may keep is an organisation member's (never an analyst's).
    page("core:service_worker", "GET", "/sw.js",             200, 200, 200, 200, 200, 200, 200),
    page("core:manifest", "GET", "/manifest.webmanifest",    200, 200, 200, 200, 200, 200, 200),
    page("core:icon", "GET", "/icon.svg",                    200, 200, 200, 200, 200, 200, 200),
    page("core:offline", "GET", "/offline/",                 200, 200, 200, 200, 200, 200, 200),
    page("core:offline_saved", "GET", "/offline/saved/",     200, 200, 200, 200, 200, 200, 200),
    page("core:offline_urls", "GET", "/offline.json",        LOGIN, 200, 200, 200, 200, 404, 200),
    page("core:offline_urls", "POST", "/offline.json",       LOGIN, 405, 405, 405, 405, 404, 405),
    # M&E records (sombrilla.monitoring.records)
    # Kept by staff and admins, read by network analysts; members and moderators see nothing. {records_members} is a
    # member organisation organisation A keeps; mallory keeps her own organisation's records only.
    page("records:hub", "GET", "/me/records/",               LOGIN, 404, 404, 200, 200, 200, 200),
    page("records:list", "GET", "/me/records/members/",      LOGIN, 404, 404, 200, 200, 200, 200),
    page("records:list", "GET", "/me/records/training-participants/?year=2024",
         LOGIN, 404, 404, 200, 200, 200, 200),
    page("records:new", "GET", "/me/records/members/new/",   LOGIN, 404, 404, 200, 200, 404, 200),
    page("records:new", "POST", "/me/records/members/new/",  LOGIN, 404, 404, 400, 400, 404, 400, data={}),
    page("records:record", "GET", "/me/records/members/{records_members}/",
         LOGIN, 404, 404, 200, 200, 200, 404),
    page("records:record", "POST", "/me/records/members/{records_members}/",
         LOGIN, 404, 404, 400, 400, 404, 404, data={}),
    page("records:delete", "GET", "/me/records/members/{records_members}/delete/",
         LOGIN, 404, 404, 405, 405, 404, 405),
    page("records:delete", "POST", "/me/records/members/{records_members}/delete/",
         LOGIN, 404, 404, "→/me/records/members/", "→/me/records/members/", 404, 404),
    page("records:import", "GET", "/me/records/members/import/", LOGIN, 404, 404, 200, 200, 404, 200),
    page("records:import", "POST", "/me/records/members/import/", LOGIN, 404, 404, 400, 400, 404, 400, data={}),
    page("records:template", "GET", "/me/records/members/template.csv", LOGIN, 404, 404, 200, 200, 200, 200),
    # M&E (sombrilla.monitoring)
    # Figures for staff and admins of the organisation, and for network analysts added up across the sharing
    # organisations; members and moderators get nothing. {me_indicator} belongs to organisation A's own framework
    # (analysts add up the network's frameworks only; mallory's organisation does not read it), with carol's
    # figure {me_value} and its evidence; {me_network_indicator} is in Sombrilla's platform framework, which every
    # organisation reads.
    page("monitoring:dashboard", "GET", "/me/",              LOGIN, 404, 404, 200, 200, 200, 200),
    page("monitoring:indicator", "GET", "/me/indicators/{me_indicator}/", LOGIN, 404, 404, 200, 200, 404, 404),
    page("monitoring:indicator", "POST", "/me/indicators/{me_indicator}/",
         LOGIN, 404, 404, 400, 400, 404, 404, data={}),
    page("monitoring:indicator", "GET", "/me/indicators/{me_network_indicator}/",
         LOGIN, 404, 404, 200, 200, 200, 200),
    # A computed indicator takes no figures by hand, from anyone.
    page("monitoring:indicator", "POST", "/me/indicators/{me_network_indicator}/",
         LOGIN, 404, 404, 404, 404, 404, 404, data={}),
    page("monitoring:value_delete", "GET", "/me/values/{me_value}/delete/", LOGIN, 404, 404, 405, 405, 404, 405),
    page("monitoring:value_delete", "POST", "/me/values/{me_value}/delete/",
         LOGIN, 404, 404, ME_INDICATOR, ME_INDICATOR, 404, 404),
    page("monitoring:evidence", "GET", "/me/values/{me_value}/evidence/", LOGIN, 404, 404, 200, 200, 404, 404),
    page("monitoring:compare", "GET", "/me/compare/",        LOGIN, 404, 404, 200, 200, 200, 200),
    page("monitoring:report", "GET", "/me/report/",          LOGIN, 404, 404, 200, 200, 200, 200),
    page("monitoring:report_xlsx", "GET", "/me/report.xlsx", LOGIN, 404, 404, 200, 200, 200, 200),
    page("monitoring:report_csv", "GET", "/me/report.csv",   LOGIN, 404, 404, 200, 200, 200, 200),
    page("monitoring:dhis2", "GET", "/me/export/dhis2.json", LOGIN, 404, 404, 200, 200, 200, 200),
    page("monitoring:adx", "GET", "/me/export/adx.xml",      LOGIN, 404, 404, 200, 200, 200, 200),
    page("monitoring:mapping", "GET", "/me/mapping/",        LOGIN, 404, 404, 200, 200, 404, 200),
    page("monitoring:mapping", "POST", "/me/mapping/",       LOGIN, 404, 404, MAPPING, MAPPING, 404, MAPPING,
         data={"org_unit": "OU123456789"}),
    # rights (sombrilla.rights)
    # Guides for organisation members (never analysts); writing them for staff. {rights_article} is carol's key
    # article, reviewed in English with a card and audio ({rights_version}), with a Spanish draft ({rights_draft}).
    page("rights:index", "GET", "/rights/",                  LOGIN, 200, 200, 200, 200, 404, 200),
    page("rights:index", "POST", "/rights/",                 LOGIN, 405, 405, 405, 405, 404, 405),
    page("rights:article", "GET", "/rights/{rights_article}/", LOGIN, 200, 200, 200, 200, 404, 404),
    page("rights:card", "GET", "/rights/{rights_article}/card/", LOGIN, 200, 200, 200, 200, 404, 404),
    page("rights:audio", "GET", "/rights/{rights_article}/audio/", LOGIN, 200, 200, 200, 200, 404, 404),
    page("rights:staff_list", "GET", "/staff/rights/",       LOGIN, 404, 404, 200, 200, 404, 200),
    page("rights:staff_new", "GET", "/staff/rights/new/",    LOGIN, 404, 404, 200, 200, 404, 200),
    page("rights:staff_new", "POST", "/staff/rights/new/",   LOGIN, 404, 404, 400, 400, 404, 400, data={}),
    page("rights:staff_article", "GET", "/staff/rights/{rights_article}/", LOGIN, 404, 404, 200, 200, 404, 404),
    page("rights:staff_article", "POST", "/staff/rights/{rights_article}/",
         LOGIN, 404, 404, 400, 400, 404, 404, data={}),
    page("rights:staff_delete", "GET", "/staff/rights/{rights_article}/delete/",
         LOGIN, 404, 404, 200, 200, 404, 404),
    page("rights:staff_delete", "POST", "/staff/rights/{rights_article}/delete/",
         LOGIN, 404, 404, RIGHTS, RIGHTS, 404, 404),
    page("rights:staff_version", "GET", "/staff/rights/{rights_article}/version/?language=es",
         LOGIN, 404, 404, 200, 200, 404, 404),
    page("rights:staff_version", "POST", "/staff/rights/{rights_article}/version/?language=es",
         LOGIN, 404, 404, 400, 400, 404, 404, data={}),
    page("rights:staff_version_review", "GET", "/staff/rights/versions/{rights_draft}/review/",
         LOGIN, 404, 404, 405, 405, 404, 405),
    page("rights:staff_version_review", "POST", "/staff/rights/versions/{rights_draft}/review/",
         LOGIN, 404, 404, RIGHTS_VERSION, RIGHTS_VERSION, 404, 404),
    page("rights:staff_version_delete", "POST", "/staff/rights/versions/{rights_draft}/delete/",
         LOGIN, 404, 404, RIGHTS_ARTICLE, RIGHTS_ARTICLE, 404, 404),
    page("rights:staff_audio", "GET", "/staff/rights/versions/{rights_version}/audio/",
         LOGIN, 404, 404, 200, 200, 404, 404),
    page("rights:staff_audio", "POST", "/staff/rights/versions/{rights_version}/audio/",
         LOGIN, 404, 404, RIGHTS_VERSION, RIGHTS_VERSION, 404, 404, data={}),
    page("rights:staff_audio_generate", "POST", "/staff/rights/versions/{rights_version}/audio/generate/",
         LOGIN, 404, 404, RIGHTS_VERSION, RIGHTS_VERSION, 404, 404),
    page("rights:staff_audio_remove", "POST", "/staff/rights/versions/{rights_version}/audio/remove/",
         LOGIN, 404, 404, RIGHTS_VERSION, RIGHTS_VERSION, 404, 404),
    api_op("rights_articles", "GET", "rights/articles",      401, 200, 200, 200, 200, 403, 200),
    api_op("rights_article", "GET", "rights/articles/{article_id}", 401, 200, 200, 200, 200, 403, 404),
    api_op("rights_card", "GET", "rights/articles/{article_id}/card", 401, 200, 200, 200, 200, 403, 404),
    # directory (sombrilla.directory)
    # Services directory: organisation members only (never analysts); notes moderated by moderators and staff;
    # services and referral requests managed by staff. {service} is carol's, {rating} is alice's note waiting
    # for a moderator, {referral} is alice's open request.
    page("directory:list", "GET", "/services/",              LOGIN, 200, 200, 200, 200, 404, 200),
    page("directory:service", "GET", "/services/{service}/", LOGIN, 200, 200, 200, 200, 404, 404),
    page("directory:rate", "GET", "/services/{service}/rating/", LOGIN, 405, 405, 405, 405, 404, 405),
    page("directory:rate", "POST", "/services/{service}/rating/", LOGIN, SERVICE, SERVICE, SERVICE, SERVICE,
         404, 404, data={"stars": "4"}),
    # Only alice has a rating to delete; the others are told they have none, on the same page.
    page("directory:rating_delete", "POST", "/services/{service}/rating/delete/",
         LOGIN, SERVICE, SERVICE, SERVICE, SERVICE, 404, 404),
    page("directory:refer", "POST", "/services/{service}/referral/", LOGIN, REFERRALS, REFERRALS, REFERRALS,
         REFERRALS, 404, 404, data={"message": "matrix"}),
    page("directory:referrals", "GET", "/services/referrals/", LOGIN, 200, 200, 200, 200, 404, 200),
    page("directory:referrals", "POST", "/services/referrals/", LOGIN, 400, 400, 400, 400, 404, 400, data={}),
    page("directory:referral_close", "POST", "/services/referrals/{referral}/close/",
         LOGIN, REFERRALS, 404, 404, 404, 404, 404),
    page("directory:staff_list", "GET", "/staff/services/",  LOGIN, 404, 404, 200, 200, 404, 200),
    page("directory:staff_new", "GET", "/staff/services/new/", LOGIN, 404, 404, 200, 200, 404, 200),
    page("directory:staff_new", "POST", "/staff/services/new/", LOGIN, 404, 404, 400, 400, 404, 400, data={}),
    page("directory:staff_edit", "GET", "/staff/services/{service}/", LOGIN, 404, 404, 200, 200, 404, 404),
    page("directory:staff_edit", "POST", "/staff/services/{service}/", LOGIN, 404, 404, 400, 400, 404, 404,
         data={}),
    page("directory:staff_active", "POST", "/staff/services/{service}/active/",
         LOGIN, 404, 404, STAFF_SERVICES, STAFF_SERVICES, 404, 404, data={"active": "0"}),
    page("directory:staff_delete", "POST", "/staff/services/{service}/delete/",
         LOGIN, 404, 404, STAFF_SERVICES, STAFF_SERVICES, 404, 404),
    page("directory:ratings", "GET", "/staff/services/ratings/", LOGIN, 404, 200, 200, 200, 404, 200),
    page("directory:rating_moderate", "POST", "/staff/services/ratings/{rating}/",
         LOGIN, 404, RATINGS, RATINGS, RATINGS, 404, 404, data={"action": "publish"}),
    page("directory:staff_referrals", "GET", "/staff/services/referrals/", LOGIN, 404, 404, 200, 200, 404, 200),
    page("directory:staff_referral", "GET", "/staff/services/referrals/{referral}/",
         LOGIN, 404, 404, 200, 200, 404, 404),
    page("directory:staff_referral", "POST", "/staff/services/referrals/{referral}/",
         LOGIN, 404, 404, STAFF_REFERRALS, STAFF_REFERRALS, 404, 404, data={"answer": "matrix answer"}),
    page("directory:staff_referral_close", "POST", "/staff/services/referrals/{referral}/close/",
         LOGIN, 404, 404, STAFF_REFERRALS, STAFF_REFERRALS, 404, 404),
    api_op("service_list", "GET", "services",                401, 200, 200, 200, 200, 403, 200),
    api_op("service_get", "GET", "services/{service_id}",    401, 200, 200, 200, 200, 403, 404),
    api_op("rating_put", "PUT", "services/{service_id}/rating", 401, 200, 200, 200, 200, 403, 404,
           body=lambda _m: {"stars": 4}),
    # Only alice has a rating to delete.
    api_op("rating_delete", "DELETE", "services/{service_id}/rating", 401, 204, 404, 404, 404, 403, 404),
    api_op("referral_request", "POST", "referrals",          401, 201, 201, 201, 201, 403, 201,
           body=lambda _m: {"kind": "shelter"}),
    api_op("referral_list", "GET", "referrals",              401, 200, 200, 200, 200, 403, 200),
    # The member closes her own request, staff any of their organisation's.
    api_op("referral_close", "POST", "referrals/{referral_id}/close", 401, 200, 404, 200, 200, 403, 404),
    api_op("staff_referral_list", "GET", "staff/referrals",  401, 403, 403, 200, 200, 403, 200),
    api_op("staff_referral_get", "GET", "staff/referrals/{referral_id}", 401, 403, 403, 200, 200, 403, 404),
    api_op("staff_referral_answer", "POST", "staff/referrals/{referral_id}/answer",
           401, 403, 403, 200, 200, 403, 404, body=lambda _m: {"answer": "matrix answer"}),
    api_op("rating_queue", "GET", "staff/ratings",           401, 404, 200, 200, 200, 403, 200),
    api_op("rating_moderate", "POST", "staff/ratings/{rating_id}/moderate",
           401, 404, 200, 200, 200, 403, 404, body=lambda _m: {"action": "publish"}),
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
    alerts = alerts_page_objects(people)
    checkins = checkins_page_objects(people)
    rights = rights_page_objects(people)
    return {
        "alice": people["alice"].pk,
        "invitation": invitation.pk,
        "alice_invitation": alice_invitation.pk,
        **alerts,
        # The API names its path parameters after what they address.
        "report_id": alerts["report"],
        "alert_id": alerts["alert"],
        "police_alert_id": alerts["police_alert"],
        **notify_page_objects(people),
        **checkins,
        "plan_id": checkins["plan"],
        "buddy_id": checkins["buddy"],
        "slot_id": checkins["slot"],
        **records_page_objects(people),
        **monitoring_page_objects(people),
        # rights objects
        **rights,
        "article_id": rights["rights_article"],
        # directory objects
        **directory_page_objects(people),
    }


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
    # An operation addressing an object by id needs a row proving staff of another organisation get a 404.
    for method, path in operations:
        if "{" in path:
            assert any(
                row.api and (row.method, row.path) == (method, path) and row.expect[ROLES.index("mallory")] == 404
                for row in MATRIX
            ), f"add a cross-organisation row for {method} {path} first"


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
    client.force_login(membership.account, backend="sombrilla.accounts.backends.AccountBackend")
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


def _field_values(instance) -> list:
    return [getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields]


def _assert_built_as_the_orm_builds(loaded, expected) -> None:
    assert _field_values(loaded) == _field_values(expected)
    assert _field_values(loaded.membership) == _field_values(expected.membership)
    assert _field_values(loaded.membership.organisation) == _field_values(expected.membership.organisation)


def test_it_loads_a_sessions_account_with_its_membership_and_organisation_as_the_orm_does(alice):
    """The account query is compiled once and run per request (accounts.backends): what it builds must be
    what the ORM builds, in one query."""
    Organisation.objects.filter(pk=alice.organisation_id).update(quick_exit_url="https://example.org/weather")
    expected = Account.objects.select_related("membership__organisation").get(pk=alice.account_id)
    for _first_and_compiled in range(2):
        with CaptureQueriesContext(connection) as queries:
            loaded = AccountBackend().get_user(str(alice.account_id))
            membership, organisation = loaded.membership, loaded.membership.organisation
        assert len(queries) == 1
        _assert_built_as_the_orm_builds(loaded, expected)
        assert organisation.quick_exit_url == "https://example.org/weather"
        assert not loaded._state.adding and loaded._state.db == membership._state.db == "default"


def test_it_loads_an_operator_without_a_membership_and_nothing_for_an_unknown_account(db):
    operator = Account.objects.create_superuser(pseudonym="operator", password="operator-passphrase-1")
    loaded = AccountBackend().get_user(str(operator.pk))
    assert _field_values(loaded) == _field_values(operator)
    with CaptureQueriesContext(connection) as queries, pytest.raises(Membership.DoesNotExist):
        loaded.membership  # noqa: B018
    assert queries.captured_queries == []
    assert AccountBackend().get_user(str(uuid.uuid4())) is None


def test_it_reads_a_session_and_its_account_with_one_statement(alice):
    """A page's session and its account with membership and organisation come from one statement, and what it
    builds is what the ORM builds."""
    key = log_in(Client(), alice).session.session_key
    assert Session.objects.get(session_key=key).account_id == alice.account_id
    expected = Account.objects.select_related("membership__organisation").get(pk=alice.account_id)
    for _first_and_compiled in range(2):
        with CaptureQueriesContext(connection) as queries:
            session = SessionStore(key)
            loaded = AccountBackend().get_user(session[SESSION_KEY])
            loaded.membership.organisation  # noqa: B018  read inside the capture: it costs no further query
        assert len(queries) == 1
        _assert_built_as_the_orm_builds(loaded, expected)


def test_it_uses_the_account_read_with_a_session_only_once_and_only_for_that_account(alice, bob):
    key = log_in(Client(), alice).session.session_key
    SessionStore(key).load()
    with CaptureQueriesContext(connection) as queries:
        assert AccountBackend().get_user(str(bob.account_id)).pk == bob.account_id
        assert AccountBackend().get_user(str(alice.account_id)).pk == alice.account_id
    assert len(queries) == 2
    # A session without an account (before login) leaves nothing behind for the next account asked for.
    anonymous = SessionStore()
    anonymous["planted"] = True
    anonymous.save()
    assert Session.objects.get(session_key=anonymous.session_key).account_id is None
    SessionStore(key).load()
    SessionStore(anonymous.session_key).load()
    with CaptureQueriesContext(connection) as queries:
        assert AccountBackend().get_user(str(alice.account_id)).pk == alice.account_id
    assert len(queries) == 1


def test_it_deletes_an_accounts_sessions_with_the_account(alice):
    phone, laptop = log_in(Client(), alice), log_in(Client(), alice)
    response = phone.post("/api/v1/me/delete", json.dumps({"passphrase": PASSPHRASE}), content_type="application/json")
    assert response.status_code == 204
    assert not Session.objects.filter(account_id=alice.account_id).exists()
    assert _outcome(laptop.get("/home/")) == LOGIN


def test_it_purges_expired_sessions_for_real(alice, bob):
    expired, live = log_in(Client(), alice).session.session_key, log_in(Client(), bob).session.session_key
    Session.objects.filter(session_key=expired).update(expire_date=clock.now() - timedelta(seconds=1))
    sessions_purge()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert ("sombrilla.accounts.sessions.sessions_purge", 3600) in settings.SCHEDULED_JOBS


def test_it_refuses_a_session_whose_expiry_date_has_passed(alice):
    """Sessions are read by a statement of Sombrilla's own (accounts.sessions); the database's expiry still rules."""
    client = log_in(Client(), alice)
    assert client.get("/home/").status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=clock.now())
    assert _outcome(client.get("/home/")) == LOGIN


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
            # The two exceptions name no object by a guessable id: an organisation's public slug, and an
            # outside contact's one-time link, whose token is random and stored only as a keyed hash.
            assert isinstance(converter, UUIDConverter) or (name, parameter) in (
                ("accounts:organisation", "slug"),
                ("checkins:link", "token"),
            ), (name, parameter)
    for model in (Account, Membership, Invitation, AuditEntry):
        assert model._meta.pk.get_internal_type() == "UUIDField", model


def test_it_links_member_records_by_uuid(carol, alice):
    page_text = log_in(Client(), carol).get("/staff/members/").content.decode()
    links = re.findall(r'href="/staff/members/([^"/]+)/"', page_text)
    assert str(alice.pk) in links
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", link) for link in links)
