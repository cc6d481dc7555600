"""The services directory: services an organisation vouches for, members' ratings of them, and members' requests
for a referral.

Which health service someone uses can reveal their status to peers, so a rating's note is encrypted and shown
to other members without its author, and a referral's message and answer are encrypted and deleted for real
90 days after the referral is answered or closed (services.referrals_purge).
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sombrilla.accounts.models import Area, Membership, Organisation
from sombrilla.core import clock
from sombrilla.core.fields import EncryptedTextField

NOTE_MAX = 500
MESSAGE_MAX = 1000
ANSWER_MAX = 2000
ABOUT_MAX = 1000
REFERRAL_RETENTION_DAYS = 90


class ServiceKind(models.TextChoices):
    HIV_TESTING = "hiv_testing", _("HIV testing")
    PREP_PEP = "prep_pep", _("PrEP and PEP")
    STI = "sti", _("STI clinic")
    SRH = "srh", _("Sexual and reproductive health")
    LEGAL_AID = "legal_aid", _("Legal aid")
    SHELTER = "shelter", _("Shelter")
    HARM_REDUCTION = "harm_reduction", _("Drug-related harm reduction")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    OTHER = "other", _("Other")


class Cost(models.TextChoices):
    FREE = "free", _("free")
    LOW = "low", _("low cost")
    PAID = "paid", _("paid")


class Service(models.Model):
    """A service the organisation vouches for. Public information about a place, not about a person."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=24, choices=ServiceKind.choices)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    address = models.CharField(max_length=300, blank=True)
    # Some services see people only by appointment, or keep their address off paper for their clients' safety.
    call_first = models.BooleanField(default=False)
    # The service's own public number. Not named "phone": no column may look like it holds a person's number
    # (core/tests/test_schema_privacy.py).
    public_number = models.CharField(max_length=40, blank=True)
    opening_hours = models.CharField(max_length=200, blank=True)
    languages = models.CharField(max_length=200, blank=True)
    anonymous = models.BooleanField(default=False)
    cost = models.CharField(max_length=8, choices=Cost.choices, default=Cost.FREE)
    cost_note = models.CharField(max_length=200, blank=True)
    sex_worker_friendly = models.BooleanField(default=False)
    about = models.TextField(max_length=ABOUT_MAX, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organisation", "active", "kind"], name="service_listing")]

    def __str__(self) -> str:
        return self.name


class Rating(models.Model):
    """One member's stars for a service, with an optional note that a moderator reads before others do."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a moderator")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("not published")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="ratings")
    # Leaving the organisation (or deleting the account) deletes the member's ratings with it.
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="service_ratings")
    stars = models.PositiveSmallIntegerField()
    note = EncryptedTextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # A moderator's reason may quote the note: encrypted like it.
    reject_reason = EncryptedTextField(blank=True)
    moderated_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["service", "membership"], name="rating_once_per_member"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_1_to_5"),
        ]
        indexes = [models.Index(fields=["service", "status"], name="rating_by_status")]


class Referral(models.Model):
    """A member asks the organisation to refer them to a service, or to one for a need (a kind of service)."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for an answer")
        ANSWERED = "answered", _("answered")
        CLOSED = "closed", _("closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="referrals")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="referrals")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals")
    # What the member needs; copied from the service when one was chosen, so it outlives a deleted service.
    kind = models.CharField(max_length=24, choices=ServiceKind.choices)
    message = EncryptedTextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    answer = EncryptedTextField(blank=True)
    answered_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "status"], name="referral_queue")]
