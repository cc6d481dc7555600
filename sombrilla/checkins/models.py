"""Safety check-ins: buddies, the duty rota, plans with their timers, escalation steps and responders.

A plan's deadline lives in `next_step_at`, in the database: the scheduler in `sombrilla worker` fires each
step when it falls due, and a step is unique per plan and kind, so two workers or a restarted one can never
fire it twice. Everything a member writes about a meeting is encrypted and deleted for real (see
services.plans_purge).
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from sombrilla.accounts.models import Membership, Organisation
from sombrilla.core import clock
from sombrilla.core.fields import EncryptedTextField
from sombrilla.notify.models import Dispatch

MAX_BUDDIES = 5
EXTEND_MINUTES = (15, 30, 60)


class SafetySettings(models.Model):
    """A member's own choices: how long after a plan's end to wait before alerting, and the two PINs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="safety_settings")
    grace_minutes = models.PositiveSmallIntegerField(default=15)
    # Django password hashes (Argon2id). The duress PIN looks like a safe check-in but escalates silently.
    pin_hash = models.CharField(max_length=256, blank=True)
    duress_pin_hash = models.CharField(max_length=256, blank=True)


class Buddy(models.Model):
    """Someone a member asks to act if they do not check in: another member, or an outside contact."""

    class Status(models.TextChoices):
        INVITED = "invited", _("waiting for an answer")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    class Kind(models.TextChoices):
        MEMBER = "member", _("member of the organisation")
        SMS = "sms", _("phone (SMS)")
        EMAIL = "email", _("email")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="buddies")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # A member buddy: reached through their own channels, counts once they accept.
    buddy = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="buddy_of")
    # An outside contact: the phone number (E.164) or email, encrypted; counts at once.
    contact = EncryptedTextField(blank=True)
    # What the member calls this buddy, and the name the buddy knows the member by (put in their message).
    name = EncryptedTextField()
    known_as = EncryptedTextField(blank=True)
    # The language an outside contact's message is written in.
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVITED)
    created_at = models.DateTimeField(default=clock.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "buddy"], name="buddy_once_per_member"),
        ]


class DutySlot(models.Model):
    """One weekly shift of the duty rota: staff on duty are the last step of every escalation.

    Times are wall-clock in the staff member's own time zone (their notification preference); an end at or
    before the start runs past midnight.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="duty_slots")
    weekday = models.PositiveSmallIntegerField()  # Monday is 0, as in datetime.weekday()
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]


class Plan(models.Model):
    """One meeting a member wants someone to look out for."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SAFE = "safe", _("checked in safe")
        ESCALATED = "escalated", _("alert raised")
        CLOSED = "closed", _("closed")

    class Outcome(models.TextChoices):
        SAFE = "safe", _("safe, nothing happened")
        INCIDENT = "incident", _("something happened")
        NO_CONTACT = "no_contact", _("could not reach them")
        OTHER = "other", _("other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="plans")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="plans")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    grace_minutes = models.PositiveSmallIntegerField(default=15)
    place = EncryptedTextField(blank=True)
    # JSON list of [kind, normalised value], as the alerts app normalises them.
    identifiers = EncryptedTextField(blank=True)
    note = EncryptedTextField(blank=True)
    # JSON {"lat", "lon", "accuracy"} sent with an SOS, deleted with the plan.
    location = EncryptedTextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # The next timer: ask at the end, alert buddies after the grace period, then the duty staff. Null: none.
    next_step_at = models.DateTimeField(null=True, blank=True)
    # Escalated in silence (the duress PIN, or too many wrong PINs): the member's own pages show no alert.
    duress = models.BooleanField(default=False)
    wrong_pins = models.PositiveSmallIntegerField(default=0)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    outcome_note = EncryptedTextField(blank=True)
    # When the purge deletes it: a set time after a safe check-in, the retention period after closing.
    delete_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["next_step_at"], name="plan_next_step"),
            models.Index(fields=["delete_after"], name="plan_delete_after"),
        ]


class Step(models.Model):
    """One escalation step as it fired: who was told is in its dispatch's deliveries."""

    class Kind(models.TextChoices):
        ASK = "ask", _("asked the member if they are OK")
        BUDDIES = "buddies", _("alerted the buddies")
        STAFF = "staff", _("alerted the duty staff")
        STOOD_DOWN = "stood_down", _("told everyone alerted that it is over")

    class Reason(models.TextChoices):
        DUE = "due", _("no check-in in time")
        SOS = "sos", _("SOS")
        DURESS = "duress", _("duress PIN")
        WRONG_PINS = "wrong_pins", _("too many wrong PINs")
        CHECKED_IN = "checked_in", _("checked in")
        CLOSED = "closed", _("closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    fired_at = models.DateTimeField(default=clock.now)
    # The deadline an "are you OK?" answered: asked once per deadline, again after an extension.
    due_at = models.DateTimeField(null=True, blank=True)
    dispatch = models.ForeignKey(Dispatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["fired_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind"], condition=~models.Q(kind="ask"), name="step_once_per_plan"
            ),
            models.UniqueConstraint(
                fields=["plan", "kind", "due_at"], condition=models.Q(kind="ask"), name="ask_once_per_deadline"
            ),
        ]


class Responder(models.Model):
    """Someone who said "I'm on it", so the others know someone is acting."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="responders")
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    buddy = models.ForeignKey(Buddy, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "membership"], name="responder_member_once"),
            models.UniqueConstraint(fields=["plan", "buddy"], name="responder_buddy_once"),
        ]


class ContactLink(models.Model):
    """The one-time link an outside contact gets: only its keyed hash is stored; it dies after 24 hours or
    when the plan closes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="links")
    buddy = models.ForeignKey(Buddy, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "buddy"], name="link_once_per_buddy")]


class CheckinTally(models.Model):
    """Plans made and alerts raised per organisation and month, with no link to any plan or person.

    Plans are deleted for real (services.plans_purge); this is what survives them, so M&E figures
    (sombrilla.monitoring) stay true. Alerts raised in silence (the duress PIN, too many wrong PINs) are one
    event, so a figure never tells which of the two it was.
    """

    class Event(models.TextChoices):
        PLAN = "plan", _("plan made")
        ESCALATED_DUE = "escalated_due", _("alert raised: no check-in in time")
        ESCALATED_SOS = "escalated_sos", _("alert raised: SOS")
        ESCALATED_SILENT = "escalated_silent", _("alert raised in silence")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="checkin_tallies")
    month = models.DateField()
    event = models.CharField(max_length=16, choices=Event.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month", "event"], name="checkin_tally_unique_month")
        ]
