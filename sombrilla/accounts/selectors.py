"""Reads for views, the API and reports. Everything a member can reach is scoped to their organisation."""

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from sombrilla.accounts.models import Account, ApiToken, Area, Invitation, Membership, Organisation, Role
from sombrilla.core import clock, crypto
from sombrilla.core.models import AuditEntry


def organisation_get_public(*, slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404
    return organisation


def organisation_default() -> Organisation | None:
    """The organisation the front page shows: the configured one, or the only one there is."""
    if settings.DEFAULT_ORGANISATION:
        return Organisation.objects.filter(slug=settings.DEFAULT_ORGANISATION).first()
    organisations = list(Organisation.objects.all()[:2])
    return organisations[0] if len(organisations) == 1 else None


def membership_list(*, actor: Membership, query: str = "") -> QuerySet[Membership]:
    memberships = Membership.objects.filter(organisation=actor.organisation).select_related("account")
    if query:
        memberships = memberships.filter(account__pseudonym__icontains=query[:32])
    return memberships.order_by("account__pseudonym_key")


def membership_get_for_staff(*, actor: Membership, membership_id) -> Membership:
    """404 for anything outside the actor's organisation, so ids from elsewhere reveal nothing."""
    membership = (
        Membership.objects.select_related("account", "invited_by__account")
        .filter(organisation=actor.organisation, pk=membership_id)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def invitation_list(*, actor: Membership) -> QuerySet[Invitation]:
    invitations = Invitation.objects.filter(organisation=actor.organisation).select_related(
        "issued_by__account", "used_by__account"
    )
    if not actor.is_staff_role:
        invitations = invitations.filter(issued_by=actor)
    return invitations


def invitation_get_for_member(*, actor: Membership, invitation_id) -> Invitation:
    invitation = invitation_list(actor=actor).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation


def vouching_tree(*, actor: Membership) -> list[tuple[Membership, int]]:
    """Members in depth-first order of who invited whom, with their depth, for an indented list."""
    members = list(membership_list(actor=actor))
    children: dict = {}
    for member in members:
        children.setdefault(member.invited_by_id, []).append(member)
    ids = {member.pk for member in members}
    ordered: list[tuple[Membership, int]] = []
    stack = [(member, 0) for member in reversed(members) if member.invited_by_id not in ids]
    while stack:
        member, depth = stack.pop()
        ordered.append((member, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(member.pk, [])))
    return ordered


def area_list(*, organisation: Organisation) -> list[tuple[Area, int]]:
    areas = list(Area.objects.filter(organisation=organisation))
    children: dict = {}
    for area in areas:
        children.setdefault(area.parent_id, []).append(area)
    ordered: list[tuple[Area, int]] = []
    stack = [(area, 0) for area in reversed(children.get(None, []))]
    while stack:
        area, depth = stack.pop()
        ordered.append((area, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(area.pk, [])))
    return ordered


def area_get_for_member(*, actor: Membership, area_id) -> Area:
    area = Area.objects.filter(organisation=actor.organisation, pk=area_id).first()
    if area is None:
        raise Http404
    return area


def audit_list(*, actor: Membership) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(organisation=actor.organisation)


def api_token_account(*, raw: str) -> Account | None:
    token = (
        ApiToken.objects.select_related("account__membership")
        .filter(token_hash=crypto.identifier_hash("api-token", raw), expires_at__gt=clock.now())
        .first()
    )
    if token is None or not token.account.is_active:
        return None
    membership = getattr(token.account, "membership", None)
    if membership is not None and membership.is_suspended:
        return None
    return token.account


def network_member_counts() -> list[dict]:
    """Members per sharing organisation, for network analysts. Counts only, never a row about a person."""
    rows = (
        Organisation.objects.filter(shares_with_network=True)
        .annotate(
            members=Count("memberships", filter=~Q(memberships__role=Role.ANALYST)),
        )
        .values("name", "members")
    )
    return [{"name": row["name"], "members": row["members"] if row["members"] >= 5 else None} for row in rows]


def account_export(*, account: Account) -> dict:
    """Everything Sombrilla holds about this account, for the member's own download."""
    # Imported here: accounts is the base every other app builds on, and must load without them.
    from sombrilla.alerts.selectors import reporter_export
    from sombrilla.checkins.selectors import member_export
    from sombrilla.directory.selectors import member_export as directory_export

    membership = getattr(account, "membership", None)
    data: dict = {
        "account": {
            "id": str(account.pk),
            "pseudonym": account.pseudonym,
            "language": account.language,
            "created_at": account.created_at.isoformat(),
            "recovery_codes_unused": account.recovery_codes.filter(used_at__isnull=True).count(),
            "two_factor": account.totpdevice_set.filter(confirmed=True).exists(),
            "api_tokens": [
                {
                    "label": token.label,
                    "created_at": token.created_at.isoformat(),
                    "expires_at": token.expires_at.isoformat(),
                }
                for token in account.api_tokens.all()
            ],
        },
        "membership": None,
    }
    if membership is not None:
        data["membership"] = {
            "id": str(membership.pk),
            "organisation": membership.organisation.name,
            "role": membership.role,
            "joined_month": membership.joined_on.strftime("%Y-%m"),
            "invited_by": membership.invited_by.account.pseudonym if membership.invited_by else None,
            "suspended": membership.is_suspended,
            "invitations_issued": [
                {"created_at": inv.created_at.isoformat(), "status": inv.status, "note": inv.note}
                for inv in membership.invitations_issued.all()
            ],
            "staff_views_of_my_record": [
                {"at": entry.at.isoformat(), "action": entry.action}
                for entry in AuditEntry.objects.filter(target_id=membership.pk)
            ],
        }
        data["alerts"] = reporter_export(membership=membership)
        data["checkins"] = member_export(membership=membership)
        data["services"] = directory_export(membership=membership)
    return data
