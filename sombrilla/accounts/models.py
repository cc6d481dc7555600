"""Organisations, areas, pseudonymous accounts and their memberships, invitations and recovery codes.

There is deliberately no field for an email, phone number, real name, birth date, photo or ID document:
an account is a pseudonym and a passphrase, and the organisation knows its members by that alone.
"""

import unicodedata
import uuid
from binascii import unhexlify
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from sombrilla.core import clock, crypto
from sombrilla.core.fields import EncryptedTextField


def normalise_pseudonym(value: str) -> str:
    """Fold look-alike forms so 'Ａlice' and 'alice' cannot both exist."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=48, unique=True)
    name = models.CharField(max_length=120)
    about = models.TextField(blank=True)
    how_to_join = models.TextField(blank=True)
    quick_exit_url = models.URLField(blank=True)
    vouch_quota = models.PositiveSmallIntegerField(default=2)
    invitation_days = models.PositiveSmallIntegerField(default=14)
    default_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code, e.g. KE")
    shares_with_network = models.BooleanField(default=True)
    # Safety alerts (sombrilla.alerts): how many identifiers a member may check a day, how long client and
    # police alerts stay up (then they and their reports are deleted), and where police alerts send members.
    screening_daily_limit = models.PositiveSmallIntegerField(default=30)
    alert_retention_months = models.PositiveSmallIntegerField(default=12)
    police_alert_hours = models.PositiveSmallIntegerField(default=24)
    rights_url = models.URLField(blank=True)
    # Check-ins (sombrilla.checkins): how long after the buddies the duty staff are alerted, how long a
    # plan checked in safe is kept, and how long an escalated plan is kept once closed.
    checkin_staff_minutes = models.PositiveSmallIntegerField(default=15)
    checkin_keep_hours = models.PositiveSmallIntegerField(default=24)
    checkin_retention_days = models.PositiveSmallIntegerField(default=30)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    class Kind(models.TextChoices):
        COUNTRY = "country", _("country")
        CITY = "city", _("city")
        DISTRICT = "district", _("district")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="areas")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "parent", "name"], name="area_unique_name_per_parent")
        ]

    def __str__(self) -> str:
        return self.name

    def path(self) -> list["Area"]:
        node, chain = self, []
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class AccountManager(BaseUserManager):
    def get_by_natural_key(self, username):
        return self.get(pseudonym_key=normalise_pseudonym(username))

    def create_superuser(self, pseudonym=None, password=None, **fields):
        # `createsuperuser` names the login field (pseudonym_key); the pseudonym is what was typed.
        account = self.model(pseudonym=pseudonym or fields.pop("pseudonym_key"), is_superuser=True)
        account.set_password(password)
        account.save()
        return account


class Account(AbstractBaseUser, PermissionsMixin):
    """A pseudonym and a passphrase. Only superusers (operators) get Django's admin."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pseudonym = models.CharField(max_length=32)
    pseudonym_key = models.CharField("pseudonym", max_length=32, unique=True, editable=False)
    language = models.CharField(max_length=10, blank=True)
    # Rotated by "log out everywhere": every session signed with the old value stops working.
    session_salt = models.CharField(max_length=43, default=crypto.random_token, editable=False)
    created_at = models.DateTimeField(default=clock.now)

    objects = AccountManager()

    USERNAME_FIELD = "pseudonym_key"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.pseudonym

    def save(self, *args, **kwargs):
        self.pseudonym_key = normalise_pseudonym(self.pseudonym)
        super().save(*args, **kwargs)

    @property
    def is_staff(self) -> bool:
        # Django's admin asks this; only operators of the deployment qualify.
        return self.is_superuser

    def get_session_auth_hash(self) -> str:
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "sombrilla.accounts.session", self.password + self.session_salt, algorithm="sha256"
        ).hexdigest()


class Session(AbstractBaseSession):
    """Django's database session with its account beside it, so a page reads both with one statement
    (accounts.sessions) and deleting an account deletes its sessions."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, null=True, related_name="+")

    @classmethod
    def get_session_store_class(cls):
        from sombrilla.accounts.sessions import SessionStore

        return SessionStore


class Role(models.TextChoices):
    MEMBER = "member", _("member")
    MODERATOR = "moderator", _("moderator")
    STAFF = "staff", _("staff")
    ADMIN = "admin", _("admin")
    ANALYST = "analyst", _("network analyst")


MODERATOR_ROLES = (Role.MODERATOR, Role.STAFF, Role.ADMIN)


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Who vouched for whom: kept so an organisation can see invitation chains; cut when either leaves.
    invited_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="invitees")
    # Month precision is enough for any report and says less about a person.
    joined_on = models.DateField()
    suspended_at = models.DateTimeField(null=True, blank=True)
    staff_note = EncryptedTextField(blank=True)
    # Set by staff: a trusted member's police alerts go out at once, and a trusted moderator may publish
    # their own reports without a second pair of eyes.
    trusted = models.BooleanField(default=False)

    class Meta:
        ordering = ["account__pseudonym"]

    def __str__(self) -> str:
        return f"{self.account.pseudonym} ({self.role})"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_staff_role(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def needs_two_factor(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN, Role.ANALYST)

    @property
    def is_moderator(self) -> bool:
        """Moderators and staff read reports and decide which become alerts."""
        return self.role in MODERATOR_ROLES

    @property
    def is_analyst(self) -> bool:
        return self.role == Role.ANALYST

    @property
    def is_organisation_member(self) -> bool:
        """Analysts see aggregates only; every other role takes part in the organisation's own life."""
        return self.role != Role.ANALYST


class Invitation(models.Model):
    """A single-use join code. Only its keyed hash is stored: the code is shown once, to the issuer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="invitations_issued")
    issued_by_staff = models.BooleanField(default=False)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    # A hint for the issuer ("for the new colleague on the night shift"): sensitive, so encrypted.
    note = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.OneToOneField(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation_used"
    )

    class Meta:
        ordering = ["-created_at"]

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        USED = "used", _("used")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired")

    @property
    def status(self) -> "Invitation.Status":
        if self.used_at:
            return self.Status.USED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= clock.now():
            return self.Status.EXPIRED
        return self.Status.OPEN

    @staticmethod
    def default_expiry(days: int):
        return clock.now() + timedelta(days=days)


class RecoveryCode(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)


class ApiToken(models.Model):
    """A bearer token for apps. Stored as a keyed hash; the token is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]


class MembershipTally(models.Model):
    """Joins and departures per organisation and month, with no link to anyone.

    This is what survives an account's deletion so membership figures for M&E stay true.
    """

    class Event(models.TextChoices):
        JOINED = "joined", _("joined")
        LEFT = "left", _("left")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tallies")
    month = models.DateField()
    event = models.CharField(max_length=8, choices=Event.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month", "event"], name="tally_unique_month_event")
        ]


class Authenticator(TOTPDevice):
    """A TOTP authenticator whose stored `key` is only a salt: the real secret is derived with the pepper.

    django-otp keeps TOTP secrets in plain hex; here a seized database holds salts that produce no codes.
    """

    class Meta:
        proxy = True

    @property
    def bin_key(self) -> bytes:
        return crypto.derived_secret("totp", unhexlify(self.key.encode()))
