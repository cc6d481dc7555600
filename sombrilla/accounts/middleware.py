"""Puts the member's Membership on the request and enforces what every page needs.

In order: suspended accounts are logged out; idle and absolute session timeouts (shorter for staff);
login required outside PUBLIC_VIEWS; two-factor before any staff page; the member's saved language.
"""

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from sombrilla.accounts.access import PUBLIC_VIEWS, TWO_FACTOR_EXEMPT, two_factor_required
from sombrilla.accounts.models import Membership
from sombrilla.core import clock


class MembershipMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        user = request.user
        if user.is_authenticated:
            membership = self._membership(user)
            if self._session_expired(request, user) or (membership is not None and membership.is_suspended):
                logout(request)
            else:
                request.membership = membership
                if user.language:
                    translation.activate(user.language)
                    request.LANGUAGE_CODE = user.language
        return self.get_response(request)

    @staticmethod
    def _membership(user):
        """The account's membership with its organisation, which AccountBackend loaded with the account."""
        try:
            return user.membership
        except Membership.DoesNotExist:
            return None  # an operator of the deployment, not a member of any organisation

    @staticmethod
    def _session_expired(request, user) -> bool:
        now = clock.now().timestamp()
        staff = two_factor_required(user)
        idle = settings.STAFF_SESSION_IDLE_SECONDS if staff else settings.SESSION_IDLE_SECONDS
        absolute = settings.STAFF_SESSION_ABSOLUTE_SECONDS if staff else settings.SESSION_ABSOLUTE_SECONDS
        started = request.session.setdefault("started_at", now)
        seen = request.session.get("seen_at", now)
        if now - seen > idle or now - started > absolute:
            return True
        # Write at most once a minute so every page view is not a database write.
        if now - seen > 60 or "seen_at" not in request.session:
            request.session["seen_at"] = now
        return False

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        name = match.view_name if match else ""
        if name.startswith("admin:") or request.path.startswith(settings.STATIC_URL):
            return None
        if name.startswith("api-1.0.0:"):
            return None  # the API authenticates each operation itself (sombrilla.api)
        if not request.user.is_authenticated:
            if name in PUBLIC_VIEWS:
                return None
            return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
        if two_factor_required(request.user) and not request.user.is_verified() and name not in TWO_FACTOR_EXEMPT:
            return redirect("accounts:two_factor")
        return None
