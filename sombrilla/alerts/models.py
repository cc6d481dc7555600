"""Reports about clients, the alerts moderators publish from them, police-activity alerts, the areas members
follow, and the bare counts that screening and M&E keep.

What must never be stored here: a client identifier outside its keyed hash and its encrypted field, anything
in an alert that leads back to the member who reported, or what a member looked up when screening.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from sombrilla.accounts.models import Area, Membership, Organisation
from sombrilla.core import clock
from sombrilla.core.fields import EncryptedTextField


class Category(models.TextChoices):
    PHYSICAL_VIOLENCE = "physical_violence", _("physical violence")
    SEXUAL_VIOLENCE = "sexual_violence", _("sexual violence")
    ROBBERY = "robbery", _("robbery or theft")
    NON_PAYMENT = "non_payment", _("non-payment")
    CONDOM = "condom", _("condom refused or removed")
    THREATS = "threats", _("threats, blackmail or outing")
    HARASSMENT = "harassment", _("harassment or stalking")
    FAKE_BOOKING = "fake_booking", _("fake booking or time-waster")
    POLICE = "police", _("police or someone posing as police")
    OTHER = "other", _("other")


def category_labels(values: list[str]) -> list[str]:
    """Labels in the order of the choices, skipping values no longer offered."""
    chosen = set(values)
    return [label for value, label in Category.choices if value in chosen]


class IdentifierKind(models.TextChoices):
    PHONE = "phone", _("phone number")
    EMAIL = "email", _("email address")
    HANDLE = "handle", _("online handle")
    PLATE = "plate", _("vehicle plate")
    NAME = "name", _("name used")


def identifier_hint(kind: str, value: str) -> str:
    """A fragment that lets a member recognise a normalised identifier without learning it."""
    if kind == IdentifierKind.PHONE:
        return "…" + value[-3:]
    if kind == IdentifierKind.EMAIL:
        local, _at, domain = value.rpartition("@")
        return f"{local[:1]}…@…{domain[-4:]}" if local else "…"
    if kind == IdentifierKind.PLATE:
        return "…" + value[-3:] if len(value) > 4 else "…"
    if kind == IdentifierKind.HANDLE:
        return "@" + value[:2] + "…" if len(value) > 4 else "…"
    return value[:1] + "…"


# A name is too common to check a client by; the other kinds are what a member has before a meeting.
SCREENABLE_KINDS = (IdentifierKind.PHONE, IdentifierKind.HANDLE, IdentifierKind.EMAIL, IdentifierKind.PLATE)


class Alert(models.Model):
    """What peers see: the moderator's redacted text, never the report itself."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="alerts")
    areas = models.ManyToManyField(Area, related_name="alerts")
    categories = models.JSONField(default=list)
    text = EncryptedTextField()
    # Month precision: an exact day could tell a client which meeting was reported.
    occurred_month = models.DateField()
    published_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-published_at"]

    @property
    def is_active(self) -> bool:
        return self.expires_at > clock.now()

    def category_labels(self) -> list[str]:
        return category_labels(self.categories)


class Report(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a moderator")
        PUBLISHED = "published", _("published as an alert")
        RECORDED = "recorded", _("kept on record, not shared")
        REJECTED = "rejected", _("not published")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="reports")
    # Cut when the reporter deletes their account; published reports stay for the alert they support.
    reporter = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="alert_reports"
    )
    # A keyed hash of the root of the reporter's invitation chain: two chains agreeing confirm an identifier,
    # and the hash says nothing about who anyone is.
    chain_hash = models.CharField(max_length=64)
    # A keyed hash of the form's one-time key, so a submit repeated on a bad connection makes one report.
    submission_hash = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    occurred_on = models.DateField()
    occurred_approximate = models.BooleanField(default=False)
    area = models.ForeignKey(Area, null=True, on_delete=models.SET_NULL, related_name="reports")
    categories = models.JSONField(default=list)
    account = EncryptedTextField()
    person_description = EncryptedTextField(blank=True)
    vehicle_description = EncryptedTextField(blank=True)
    # The reporter's choices, checked by every service that would go beyond them.
    consent_alert = models.BooleanField(default=False)
    consent_referral = models.BooleanField(default=False)
    consent_statistics = models.BooleanField(default=False)
    # Hour precision orders the queue; minutes would only help match a report to other logs.
    created_at = models.DateTimeField()
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    moderated_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = EncryptedTextField(blank=True)
    # Counted once in IncidentTally, so re-moderation cannot count it twice.
    tallied = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "status"], name="report_queue")]

    def category_labels(self) -> list[str]:
        return category_labels(self.categories)


class Identifier(models.Model):
    """One client identifier from a report: a keyed hash for matching and the normalised value, encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=8, choices=IdentifierKind.choices)
    value_hash = models.CharField(max_length=64, db_index=True)
    value = EncryptedTextField()
    # Where a handle is used (a site or app); encrypted because it is free text.
    platform = EncryptedTextField(blank=True)

    @property
    def hint(self) -> str:
        return identifier_hint(self.kind, self.value)


class PoliceAlert(models.Model):
    class Kind(models.TextChoices):
        RAID = "raid", _("raid")
        PATROL = "patrol", _("patrol")
        CHECKPOINT = "checkpoint", _("checkpoint")
        POSING = "posing", _("officer posing as a client")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a moderator")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("not published")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="police_alerts")
    area = models.ForeignKey(Area, null=True, on_delete=models.SET_NULL, related_name="police_alerts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    seen_at = models.DateTimeField()
    note = EncryptedTextField(blank=True)
    reporter = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="police_alerts"
    )
    # As for reports: a warning sent again (a phone replaying it when the connection returns) makes one alert.
    submission_hash = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=clock.now)
    published_at = models.DateTimeField(null=True, blank=True)
    # Counted from when the activity was seen: an old sighting is no use, published or not.
    expires_at = models.DateTimeField(db_index=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-seen_at"]

    @property
    def is_active(self) -> bool:
        return self.expires_at > clock.now()


class AreaFollow(models.Model):
    """An area a member wants alerts for; alerts in its parent and child areas show too."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="area_follows")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="followers")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "area"], name="area_follow_unique")]


class ScreeningCount(models.Model):
    """How many checks one member made on one day, for the daily limit. Never what was checked.

    Rows from before today serve no purpose and are deleted by the purge.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="screening_counts")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "day"], name="screening_count_unique_day")]


class ScreeningTally(models.Model):
    """Checks per organisation and day, for the organisation's statistics, with no link to anyone."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="screening_tallies")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "day"], name="screening_tally_unique_day")]


class IncidentTally(models.Model):
    """Reports per organisation, month of the incident, area and category, from reports whose authors agreed
    to anonymous statistics. No link to any report, so M&E figures survive the purge of the reports."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="incident_tallies")
    month = models.DateField()
    area = models.ForeignKey(Area, null=True, on_delete=models.SET_NULL, related_name="incident_tallies")
    category = models.CharField(max_length=24, choices=Category.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month", "area", "category"], name="incident_tally_unique_cell"
            )
        ]


class AlertTally(models.Model):
    """Alerts about clients published per organisation and month, with no link to any alert, so that M&E
    figures outlive the purge of expired alerts. The row with no category counts the alerts; each other row
    counts the alerts in its category, which an alert joins when published or when a report attached to it
    brings the category."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="alert_tallies")
    month = models.DateField()
    category = models.CharField(max_length=24, choices=Category.choices, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month", "category"], name="alert_tally_unique_cell")
        ]


class PoliceAlertTally(models.Model):
    """Police alerts published per organisation, month and kind, with no link to any of them: police alerts are
    deleted hours after the sighting, and the organisation's yearly figures must not go with them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="police_alert_tallies")
    month = models.DateField()
    kind = models.CharField(max_length=16, choices=PoliceAlert.Kind.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month", "kind"], name="police_alert_tally_unique_cell")
        ]
