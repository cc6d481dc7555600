"""The only writers of accounts, memberships, invitations and organisations.

Every function takes keyword arguments, runs in one transaction and checks the actor's rights itself,
so the web form, the API and the command line behave the same.
"""

import functools
import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from xkcdpass import xkcd_password

from sombrilla.accounts import codes, throttle
from sombrilla.accounts.access import two_factor_required
from sombrilla.accounts.models import (
    Account,
    ApiToken,
    Area,
    Authenticator,
    Invitation,
    Membership,
    MembershipTally,
    Organisation,
    RecoveryCode,
    Role,
    normalise_pseudonym,
)
from sombrilla.core import clock, crypto
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record, count_up

RECOVERY_CODE_COUNT = 10
API_TOKEN_DAYS = 90
PSEUDONYM_PATTERN = re.compile(r"^[\w.\-]{3,32}$")
# Seven or more digits, or an @, look like a phone number or an email address: exactly what must not be here.
_LOOKS_IDENTIFYING = re.compile(r"(\d[\s.\-]?){7,}|@")


class AccountError(Exception):
    """A request about an account that cannot be done; the message is safe to show."""


class PermissionDenied(AccountError):
    pass


class Throttled(AccountError):
    """Too many failed attempts for this pseudonym or this client; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(_("Too many attempts. Try again later."))


def _tally(*, organisation: Organisation, event: str) -> None:
    count_up(MembershipTally, organisation=organisation, month=clock.month(), event=event)


def pseudonym_validate(pseudonym: str, *, exclude: Account | None = None) -> str:
    """Check a pseudonym is well formed, unused and does not look like a phone number or email."""
    pseudonym = pseudonym.strip()
    if not PSEUDONYM_PATTERN.match(pseudonym):
        raise ValidationError(
            _("Use 3 to 32 letters, digits, dots, dashes or underscores, with no spaces."), code="pseudonym"
        )
    if _LOOKS_IDENTIFYING.search(pseudonym):
        raise ValidationError(
            _("This looks like a phone number or email address. Choose a name that does not identify you."),
            code="pseudonym_identifying",
        )
    taken = Account.objects.filter(pseudonym_key=normalise_pseudonym(pseudonym))
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError(_("This pseudonym is taken. Please choose another."), code="pseudonym_taken")
    return pseudonym


@functools.cache
def _suggestion_words() -> list[str]:
    # Read once per process: the join page offers a suggestion on every view.
    return xkcd_password.generate_wordlist(wordfile=xkcd_password.locate_wordfile("eff-short"))


def passphrase_suggest() -> str:
    """A memorable five-word passphrase from the EFF short word list (about 52 bits)."""
    return xkcd_password.generate_xkcdpassword(_suggestion_words(), numwords=5, delimiter="-")


def _issue_recovery_codes(account: Account) -> list[str]:
    account.recovery_codes.all().delete()
    fresh = [codes.new_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(account=account, code_hash=codes.code_hash(f"recovery:{account.pk}", code)) for code in fresh
    )
    return fresh


# Organisations and areas -------------------------------------------------------------------------


def organisation_create(*, slug: str, name: str, **fields) -> Organisation:
    return Organisation.objects.create(slug=slug, name=name, **fields)


ORGANISATION_EDITABLE = (
    "name",
    "about",
    "how_to_join",
    "quick_exit_url",
    "vouch_quota",
    "invitation_days",
    "default_country",
    "shares_with_network",
    "screening_daily_limit",
    "alert_retention_months",
    "police_alert_hours",
    "rights_url",
    "checkin_staff_minutes",
    "checkin_keep_hours",
    "checkin_retention_days",
)


@transaction.atomic
def organisation_update(*, actor: Membership, **fields) -> Organisation:
    if actor.role != Role.ADMIN:
        raise PermissionDenied(_("Only an admin can change the organisation's settings."))
    organisation = actor.organisation
    for name, value in fields.items():
        if name not in ORGANISATION_EDITABLE:
            raise ValueError(f"{name} is not an editable organisation field")
        setattr(organisation, name, value)
    organisation.full_clean()
    organisation.save()
    audit_record(
        actor=actor, action=AuditAction.ORGANISATION_CHANGED, target_type="organisation", target_id=organisation.pk
    )
    return organisation


@transaction.atomic
def area_create(
    *, actor: Membership | None, organisation: Organisation, name: str, kind: str, parent: Area | None = None
) -> Area:
    if actor is not None and not actor.is_staff_role:
        raise PermissionDenied(_("Only staff can add areas."))
    if parent is not None and parent.organisation_id != organisation.pk:
        raise AccountError(_("The parent area belongs to another organisation."))
    expected_parent = {Area.Kind.COUNTRY: None, Area.Kind.CITY: Area.Kind.COUNTRY, Area.Kind.DISTRICT: Area.Kind.CITY}
    if (parent.kind if parent else None) != expected_parent[Area.Kind(kind)]:
        raise AccountError(_("A country has no parent, a city sits in a country and a district in a city."))
    if Area.objects.filter(organisation=organisation, parent=parent, name__iexact=name.strip()).exists():
        raise AccountError(_("This area already exists."))
    area = Area.objects.create(organisation=organisation, parent=parent, kind=kind, name=name.strip())
    if actor is not None:
        audit_record(actor=actor, action=AuditAction.AREA_ADDED, target_type="area", target_id=area.pk)
    return area


# Invitations and joining -------------------------------------------------------------------------


def vouches_left(membership: Membership) -> int:
    if membership.is_staff_role:
        return 0
    used = membership.invitations_issued.filter(revoked_at__isnull=True).count()
    return max(0, membership.organisation.vouch_quota - used)


@transaction.atomic
def invitation_issue(*, actor: Membership, role: str = Role.MEMBER, note: str = "") -> tuple[Invitation, str]:
    """Issue a single-use code. Staff issue any role up to their own; members vouch within their quota."""
    role = Role(role)
    if actor.is_suspended or actor.is_analyst:
        raise PermissionDenied(_("You cannot issue invitations."))
    if actor.is_staff_role:
        allowed = {Role.MEMBER, Role.MODERATOR, Role.STAFF}
        if actor.role == Role.ADMIN:
            allowed |= {Role.ADMIN, Role.ANALYST}
        if role not in allowed:
            raise PermissionDenied(_("You cannot invite someone into this role."))
    else:
        if role != Role.MEMBER:
            raise PermissionDenied(_("Members can only invite members."))
        # Lock the inviter's row so two quick submits cannot both use the last vouch.
        Membership.objects.select_for_update().filter(pk=actor.pk).first()
        if vouches_left(actor) <= 0:
            raise AccountError(_("You have no invitations left."))
    code = codes.new_code()
    invitation = Invitation.objects.create(
        organisation=actor.organisation,
        code_hash=codes.code_hash("invitation", code),
        issued_by=actor,
        issued_by_staff=actor.is_staff_role,
        role=role,
        note=note.strip(),
        expires_at=Invitation.default_expiry(actor.organisation.invitation_days),
    )
    audit_record(actor=actor, action=AuditAction.INVITATION_ISSUED, target_type="invitation", target_id=invitation.pk)
    return invitation, code


@transaction.atomic
def invitation_revoke(*, actor: Membership, invitation: Invitation) -> Invitation:
    if not (actor.is_staff_role or invitation.issued_by_id == actor.pk):
        raise PermissionDenied(_("You cannot revoke this invitation."))
    if invitation.status != Invitation.Status.OPEN:
        raise AccountError(_("Only an open invitation can be revoked."))
    invitation.revoked_at = clock.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action=AuditAction.INVITATION_REVOKED, target_type="invitation", target_id=invitation.pk)
    return invitation


@transaction.atomic
def account_join(*, code: str, pseudonym: str, passphrase: str, language: str = "") -> tuple[Membership, list[str]]:
    """Create an account from an invitation code. Keeps the pseudonym, the passphrase hash and who vouched.

    Returns the membership and the recovery codes, which exist in plaintext only in this return value.
    """
    invitation = (
        # Lock the invitation row only: PostgreSQL refuses FOR UPDATE on the nullable side of the issued_by join.
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organisation", "issued_by")
        .filter(code_hash=codes.code_hash("invitation", code))
        .first()
    )
    if invitation is None or invitation.status != Invitation.Status.OPEN:
        # One answer for unknown, used, revoked and expired codes: a guesser learns nothing.
        raise AccountError(_("This invitation code is not valid. Ask the person who gave it to you for a new one."))
    pseudonym = pseudonym_validate(pseudonym)
    account = Account(pseudonym=pseudonym, language=language if language in dict(settings.LANGUAGES) else "")
    password_validation.validate_password(passphrase, account)
    account.set_password(passphrase)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise ValidationError(_("This pseudonym is taken. Please choose another."), code="pseudonym_taken") from None
    membership = Membership.objects.create(
        account=account,
        organisation=invitation.organisation,
        role=invitation.role,
        invited_by=invitation.issued_by,
        joined_on=clock.month(),
    )
    invitation.used_at = clock.now()
    invitation.used_by = membership
    invitation.save(update_fields=["used_at", "used_by"])
    _tally(organisation=invitation.organisation, event=MembershipTally.Event.JOINED)
    return membership, _issue_recovery_codes(account)


# Passphrases, recovery, sessions -----------------------------------------------------------------


def account_authenticate(*, pseudonym: str, passphrase: str, client_key: str, otp: str | None = None) -> Account:
    """Check a pseudonym and passphrase under the login throttle and return the account.

    With `otp`, roles that need two-factor must also give today's TOTP code (for API tokens; the web asks
    for it on its own page). Every failure raises the same AccountError, so nobody can probe for pseudonyms,
    and suspended members fail exactly like a wrong passphrase.
    """
    verdict = throttle.check(pseudonym=pseudonym, client_key=client_key)
    if not verdict.allowed:
        raise Throttled(verdict.retry_after)
    account = authenticate(username=pseudonym, password=passphrase)
    membership = getattr(account, "membership", None) if account else None
    ok = account is not None and not (membership is not None and membership.is_suspended)
    if ok and otp is not None and two_factor_required(account):
        device = Authenticator.objects.filter(user=account, confirmed=True).first()
        ok = device is not None and otp.isdigit() and device.verify_token(otp)
    if not ok:
        throttle.record_failure(pseudonym=pseudonym, client_key=client_key)
        raise AccountError(_("This pseudonym and passphrase do not match."))
    throttle.record_success(pseudonym=pseudonym)
    return account


@transaction.atomic
def account_recover(*, pseudonym: str, code: str, new_passphrase: str, client_key: str) -> Account:
    """Set a new passphrase with a one-time recovery code; the code is spent and every session ends.

    Wrong codes count against the same throttle as wrong passphrases.
    """
    verdict = throttle.check(pseudonym=pseudonym, client_key=client_key)
    if not verdict.allowed:
        raise Throttled(verdict.retry_after)
    account = Account.objects.filter(pseudonym_key=normalise_pseudonym(pseudonym)).first()
    recovery = None
    if account is not None:
        recovery = (
            RecoveryCode.objects.select_for_update()
            .filter(account=account, used_at__isnull=True, code_hash=codes.code_hash(f"recovery:{account.pk}", code))
            .first()
        )
    if recovery is None:
        throttle.record_failure(pseudonym=pseudonym, client_key=client_key)
        raise AccountError(_("This pseudonym and recovery code do not match."))
    password_validation.validate_password(new_passphrase, account)
    recovery.used_at = clock.now()
    recovery.save(update_fields=["used_at"])
    account.set_password(new_passphrase)
    account.session_salt = crypto.random_token()
    account.save(update_fields=["password", "session_salt"])
    throttle.record_success(pseudonym=pseudonym)
    return account


@transaction.atomic
def recovery_codes_regenerate(*, account: Account) -> list[str]:
    return _issue_recovery_codes(account)


@transaction.atomic
def account_change_passphrase(*, account: Account, current: str, new: str) -> Account:
    if not account.check_password(current):
        raise AccountError(_("Your current passphrase is not right."))
    password_validation.validate_password(new, account)
    account.set_password(new)
    account.save(update_fields=["password"])
    return account


@transaction.atomic
def account_change_pseudonym(*, account: Account, pseudonym: str) -> Account:
    account.pseudonym = pseudonym_validate(pseudonym, exclude=account)
    account.save(update_fields=["pseudonym", "pseudonym_key"])
    return account


@transaction.atomic
def account_set_language(*, account: Account, language: str) -> Account:
    if language not in dict(settings.LANGUAGES):
        raise AccountError(_("This language is not available."))
    account.language = language
    account.save(update_fields=["language"])
    return account


@transaction.atomic
def account_logout_everywhere(*, account: Account) -> Account:
    """End every session and API token of this account, on every device."""
    account.session_salt = crypto.random_token()
    account.save(update_fields=["session_salt"])
    account.api_tokens.all().delete()
    return account


@transaction.atomic
def account_delete(*, account: Account, passphrase: str) -> None:
    """Delete the account and everything linked to it, in one transaction.

    What survives: a +1 in the organisation's monthly 'left' tally, invitations the person issued or used
    (their links cut, for the organisation's join counts), audit entries with their link cut, and the
    person's reports and police alerts that were already published (their link to the person cut), because
    peers rely on those alerts. Unpublished reports and police alerts are deleted with the account, and so
    are check-in plans and referral requests with every notification about them.
    """
    # Imported here: accounts is the base every other app builds on, and must load without them.
    from sombrilla.alerts.services import reports_delete_unpublished
    from sombrilla.checkins.services import plans_delete_for
    from sombrilla.directory.services import referrals_delete_for

    if not account.check_password(passphrase):
        raise AccountError(_("Your passphrase is not right."))
    membership = Membership.objects.filter(account=account).select_related("organisation").first()
    if membership is not None:
        _tally(organisation=membership.organisation, event=MembershipTally.Event.LEFT)
        # Notes written about the person by staff go with them.
        Invitation.objects.filter(issued_by=membership).update(note="")
        reports_delete_unpublished(reporter=membership)
        plans_delete_for(membership=membership)
        referrals_delete_for(membership=membership)
    Authenticator.objects.filter(user=account).delete()
    account.delete()


@transaction.atomic
def api_token_create(*, account: Account, label: str = "") -> tuple[ApiToken, str]:
    raw = crypto.random_token()
    token = ApiToken.objects.create(
        account=account,
        token_hash=crypto.identifier_hash("api-token", raw),
        label=label[:60],
        expires_at=clock.now() + timedelta(days=API_TOKEN_DAYS),
    )
    return token, raw


# Staff actions on members ------------------------------------------------------------------------


def _require_staff_over(actor: Membership, membership: Membership) -> None:
    if not actor.is_staff_role or actor.organisation_id != membership.organisation_id:
        raise PermissionDenied(_("Only staff of this organisation can do this."))
    if membership.pk == actor.pk:
        raise PermissionDenied(_("You cannot do this to your own account."))
    if membership.role in (Role.ADMIN, Role.ANALYST) and actor.role != Role.ADMIN:
        raise PermissionDenied(_("Only an admin can do this to an admin or analyst."))


@transaction.atomic
def membership_set_role(*, actor: Membership, membership: Membership, role: str) -> Membership:
    _require_staff_over(actor, membership)
    role = Role(role)
    if role in (Role.ADMIN, Role.ANALYST, Role.STAFF) and actor.role != Role.ADMIN:
        raise PermissionDenied(_("Only an admin can give this role."))
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(actor=actor, action=AuditAction.MEMBER_ROLE_CHANGED, target_type="membership", target_id=membership.pk)
    return membership


@transaction.atomic
def membership_suspend(*, actor: Membership, membership: Membership) -> Membership:
    """Suspend: the member cannot log in and all their sessions and tokens end at once."""
    _require_staff_over(actor, membership)
    if membership.is_suspended:
        raise AccountError(_("This member is already suspended."))
    membership.suspended_at = clock.now()
    membership.save(update_fields=["suspended_at"])
    account_logout_everywhere(account=membership.account)
    audit_record(actor=actor, action=AuditAction.MEMBER_SUSPENDED, target_type="membership", target_id=membership.pk)
    return membership


@transaction.atomic
def membership_restore(*, actor: Membership, membership: Membership) -> Membership:
    _require_staff_over(actor, membership)
    if not membership.is_suspended:
        raise AccountError(_("This member is not suspended."))
    membership.suspended_at = None
    membership.save(update_fields=["suspended_at"])
    audit_record(actor=actor, action=AuditAction.MEMBER_RESTORED, target_type="membership", target_id=membership.pk)
    return membership


@transaction.atomic
def membership_set_trusted(*, actor: Membership, membership: Membership, trusted: bool) -> Membership:
    """Mark a member as trusted (their police alerts go out at once) or take it back; audited."""
    _require_staff_over(actor, membership)
    membership.trusted = trusted
    membership.save(update_fields=["trusted"])
    audit_record(
        actor=actor, action=AuditAction.MEMBER_TRUST_CHANGED, target_type="membership", target_id=membership.pk
    )
    return membership


@transaction.atomic
def membership_set_note(*, actor: Membership, membership: Membership, note: str) -> Membership:
    """A staff note about a member, encrypted at rest; every change is audited."""
    if not actor.is_staff_role or actor.organisation_id != membership.organisation_id:
        raise PermissionDenied(_("Only staff of this organisation can do this."))
    membership.staff_note = note.strip()
    membership.save(update_fields=["staff_note"])
    audit_record(actor=actor, action=AuditAction.MEMBER_NOTE_CHANGED, target_type="membership", target_id=membership.pk)
    return membership


# Two-factor authentication -----------------------------------------------------------------------


@transaction.atomic
def totp_device_start(*, account: Account) -> Authenticator:
    """A new, unconfirmed authenticator; confirmed ones are replaced only after the new one is proven."""
    Authenticator.objects.filter(user=account, confirmed=False).delete()
    return Authenticator.objects.create(user=account, name="authenticator", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, device: Authenticator, token: str) -> Authenticator:
    if not device.verify_token(token.strip()):
        raise AccountError(_("That code is not right. Check your authenticator's clock and try again."))
    Authenticator.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device
