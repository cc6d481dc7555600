"""The JSON API at /api/v1: mounts each app's router. Docs UI is off (it would load from another host);
the OpenAPI schema itself is public at /api/v1/openapi.json."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.security import APIKeyCookie, HttpBearer

from sombrilla.accounts import selectors
from sombrilla.accounts.access import two_factor_required
from sombrilla.accounts.services import AccountError, PermissionDenied
from sombrilla.alerts.services import AlertError
from sombrilla.alerts.services import PermissionDenied as AlertPermissionDenied
from sombrilla.checkins.services import CheckinError
from sombrilla.directory.services import DirectoryError
from sombrilla.notify.services import NotifyError
from sombrilla.rights.services import RightsError


def _allowed(request, account) -> bool:
    membership = getattr(account, "membership", None)
    if membership is not None and membership.is_suspended:
        return False
    request.membership = membership
    return True


class TokenAuth(HttpBearer):
    """Bearer tokens for apps; a token is only ever issued after passphrase (and two-factor) checks."""

    def authenticate(self, request, token):
        account = selectors.api_token_account(raw=token[:200])
        if account is None or not _allowed(request, account):
            return None
        request.user = account
        return account


class SessionAuth(APIKeyCookie):
    """The browser's own session, with Django's CSRF check; staff sessions must have passed two-factor."""

    def __init__(self):
        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def _get_key(self, request):
        # Without a session cookie this is not a browser call: answer 401, not a CSRF 403.
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = request.user
        if not user.is_authenticated or not _allowed(request, user):
            return None
        if two_factor_required(user) and not user.is_verified():
            return None
        return user


api = NinjaAPI(
    title="Sombrilla API",
    version="1.0.0",
    urls_namespace="api-1.0.0",
    auth=[TokenAuth(), SessionAuth()],
    docs_url=None,
)


@api.exception_handler(RequestDataTooBig)
def request_too_big(request, exc):
    return api.create_response(request, {"detail": _("This request is too large.")}, status=413)


@api.exception_handler(PermissionDenied)
@api.exception_handler(AlertPermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(AccountError)
@api.exception_handler(AlertError)
@api.exception_handler(NotifyError)
@api.exception_handler(CheckinError)
@api.exception_handler(RightsError)
@api.exception_handler(DirectoryError)
def refused(request, exc):
    """A request the service understood and refused: its message says why."""
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=400)


api.add_router("/", "sombrilla.accounts.api.router")
api.add_router("/", "sombrilla.notify.api.router")
api.add_router("/", "sombrilla.alerts.api.router")
api.add_router("/", "sombrilla.checkins.api.router")
api.add_router("/", "sombrilla.rights.api.router")
api.add_router("/", "sombrilla.directory.api.router")
