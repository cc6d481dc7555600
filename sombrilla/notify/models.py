"""Channels, members' choices, push subscriptions and the delivery outbox.

A Dispatch is one message to many, written in the same transaction as what it announces; a Delivery is
that message to one recipient on one channel, with its own idempotency key, lease and retry state. What a
message to a member says is never stored here: the inbox renders it from the topic and target at read time,
and text that leaves the site (push, email, SMS) is discreet unless the member asks otherwise. The one
exception is an outside contact (someone a member asked us to tell, with no login to read an inbox): their
delivery carries its own text and destination, encrypted, and goes when its dispatch is deleted.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sombrilla.accounts.models import Membership, Organisation
from sombrilla.core import clock
from sombrilla.core.fields import EncryptedTextField


class Channel(models.TextChoices):
    INAPP = "inapp", _("in the app")
    PUSH = "push", _("push notification")
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")


def default_channels() -> list[str]:
    return [Channel.PUSH]


class Preference(models.Model):
    """How one member wants to hear from the organisation. The in-app inbox is always on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="notify_preference")
    channels = models.JSONField(default=default_channels)
    # Without details, a lock screen shows only "New update from <site>"; the member can choose more.
    discreet = models.BooleanField(default=True)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default=settings.TIME_ZONE)


class Contact(models.Model):
    """Where a member chose to be reached outside the app (an email or SMS destination), encrypted.

    It is used for notifications only, never shown to staff, and deleted with the account.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="contacts")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    contact = EncryptedTextField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "channel"], name="contact_one_per_channel")]


class PushSubscription(models.Model):
    """A browser's Web Push subscription. The endpoint and keys are encrypted; a keyed hash keeps them unique."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint_hash = models.CharField(max_length=64, unique=True)
    endpoint = EncryptedTextField()
    keys = EncryptedTextField()  # JSON: {"p256dh": ..., "auth": ...}
    created_at = models.DateTimeField(default=clock.now)


class Topic(models.TextChoices):
    ALERT = "alert", _("New alert about a client")
    POLICE_ALERT = "police_alert", _("Police activity reported")
    TEST = "test", _("Test message")
    CHECKIN_DUE = "checkin_due", _("Are you OK? Time to check in")
    CHECKIN_ALERT = "checkin_alert", _("Someone you look out for has not checked in")
    CHECKIN_SOS = "checkin_sos", _("SOS from someone you look out for")
    CHECKIN_OVER = "checkin_over", _("The check-in you were alerted about is over")
    BUDDY_REQUEST = "buddy_request", _("Someone asked you to be their safety buddy")
    REFERRAL_ANSWERED = "referral_answered", _("Your referral request has an answer")


class Dispatch(models.Model):
    """One message to many recipients: the outbox row, committed with the thing it announces."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="dispatches")
    topic = models.CharField(max_length=24, choices=Topic.choices)
    target_id = models.UUIDField(null=True, blank=True)
    # Where the inbox entry leads, a path inside the site; the page there checks who may see it.
    url = models.CharField(max_length=200, blank=True)
    # Urgent messages (SOS, escalations) ignore quiet hours.
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)


class Delivery(models.Model):
    """One recipient, one channel (one device for push). The in-app delivery is the inbox entry.

    The recipient is a member, or an outside contact (no membership): someone reached by SMS or email at a
    destination a member gave, whose message carries its own text because they have no inbox to read."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DEAD = "dead", _("failed after every attempt")
        UNDELIVERABLE = "undeliverable", _("undeliverable")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="deliveries")
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # Outside contacts only. The sender's name for the recipient (a buddy's id, say), so it can show who was told.
    reference = models.UUIDField(null=True, blank=True)
    # Outside contacts only: an E.164 number or an email address, and the whole text they receive.
    destination = EncryptedTextField(blank=True)
    message = EncryptedTextField(blank=True)
    subscription = models.ForeignKey(
        PushSubscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    # Sent with the message (Message-ID, Idempotency-Key header, push tag) so a receiver can drop a repeat,
    # and unique here so a retried fan-out cannot create a second delivery.
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    lease_token = models.CharField(max_length=32, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # A status code or exception class, never a message body or a destination.
    last_error = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["membership", "channel", "read_at"], name="delivery_inbox"),
        ]
        constraints = [
            # An outside contact has no inbox and no browser: only email and SMS can reach them.
            models.CheckConstraint(
                condition=Q(membership__isnull=False) | Q(reference__isnull=False, channel__in=["email", "sms"]),
                name="delivery_has_recipient",
            )
        ]
