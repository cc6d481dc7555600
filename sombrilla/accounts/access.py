"""Deny by default: every view needs a login unless it is named in PUBLIC_VIEWS.

Views that need a role say so with @role_required; objects are then loaded through selectors that
answer 404 outside the member's organisation.
"""

from functools import wraps

from django.http import Http404

from sombrilla.accounts.models import MODERATOR_ROLES, Role

# The whole list of pages an anonymous visitor may see. Adding a page here is a security decision.
PUBLIC_VIEWS = {
    "accounts:front",
    "accounts:organisation",
    "accounts:join",
    "accounts:login",
    "accounts:recover",
    "accounts:logout",
    "set_language",
    # The service worker, the web app manifest and its icon (browsers fetch these two without cookies) and the
    # offline pages, which a new version of the worker keeps again when it installs, perhaps after the session
    # ended. None of them holds a member's data.
    "core:service_worker",
    "core:manifest",
    "core:icon",
    "core:offline",
    "core:offline_saved",
    # An outside contact's one-time check-in link: the token in the path is the credential.
    "checkins:link",
    "api-1.0.0:openapi-json",
}
# Pages a staff member may use before finishing two-factor set-up or verification.
TWO_FACTOR_EXEMPT = PUBLIC_VIEWS | {"accounts:two_factor"}


def two_factor_required(user) -> bool:
    """Roles that can see other members' data (and operators) must pass TOTP at every login."""
    membership = getattr(user, "membership", None)
    return user.is_superuser or (membership is not None and membership.needs_two_factor)


def role_required(*roles: Role):
    """Allow only memberships in one of `roles`; anyone else gets a 404, not a hint that the page exists."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


member_required = role_required(Role.MEMBER, Role.MODERATOR, Role.STAFF, Role.ADMIN)
moderator_required = role_required(*MODERATOR_ROLES)
staff_required = role_required(Role.STAFF, Role.ADMIN)
admin_required = role_required(Role.ADMIN)
# Monitoring and evaluation: staff and admins keep the records, network analysts read them (two-factor for all three).
me_required = role_required(Role.STAFF, Role.ADMIN, Role.ANALYST)


def api_member(request):
    """The caller's membership for member-only API operations; anyone else is refused with a 403."""
    from django.utils.translation import gettext as _

    from sombrilla.accounts.services import PermissionDenied

    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_organisation_member:
        raise PermissionDenied(_("Only members of an organisation can do this."))
    return membership


def api_staff(request):
    """The caller's membership for staff-only API operations."""
    from django.utils.translation import gettext as _

    from sombrilla.accounts.services import PermissionDenied

    membership = api_member(request)
    if not membership.is_staff_role:
        raise PermissionDenied(_("Only staff can do this."))
    return membership
