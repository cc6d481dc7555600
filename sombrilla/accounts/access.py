"""Deny by default: every view needs a login unless it is named in PUBLIC_VIEWS.

Views that need a role say so with @role_required; objects are then loaded through selectors that
answer 404 outside the member's organisation.
"""

from functools import wraps

from django.http import Http404

from sombrilla.accounts.models import Role

# The whole list of pages an anonymous visitor may see. Adding a page here is a security decision.
PUBLIC_VIEWS = {
    "accounts:front",
    "accounts:organisation",
    "accounts:join",
    "accounts:login",
    "accounts:recover",
    "accounts:logout",
    "set_language",
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
staff_required = role_required(Role.STAFF, Role.ADMIN)
admin_required = role_required(Role.ADMIN)
