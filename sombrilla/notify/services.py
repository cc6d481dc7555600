"""The only writers of notification state: members' choices, subscriptions, the outbox and delivery attempts.

Delivery is at-least-once towards a channel and exactly-once in Sombrilla's tables: a delivery row is unique
per recipient, channel and device; a worker claims rows with a lease token before sending, records the
outcome after, and a lease that runs out (a worker that died) makes the row claimable again. Each message
carries its idempotency key, so a receiver that sees the same key twice can drop the repeat.

A recipient is a member or an outside contact (see Outside). Outside contacts' destinations and message text
are encrypted, never logged, and deleted with their dispatch.
"""

import dataclasses
import json
import logging
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from sombrilla.accounts.models import Membership, Organisation
from sombrilla.core import clock, crypto
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record
from sombrilla.notify import channels
from sombrilla.notify.models import (
    Channel,
    Contact,
    Delivery,
    Dispatch,
    Preference,
    PushSubscription,
    Topic,
    default_channels,
)

logger = logging.getLogger(__name__)


class NotifyError(Exception):
    """A member's request about notifications that cannot be honoured; the message says why."""


def channels_available() -> list[str]:
    """Channels this deployment is configured for, in the order members see them."""
    return [channel for channel in (Channel.PUSH, Channel.EMAIL, Channel.SMS) if channels.configured(channel)]


def preference_get(*, membership: Membership) -> Preference:
    preference, _created = Preference.objects.get_or_create(membership=membership)
    return preference


def preference_update(
    *,
    membership: Membership,
    channels: Iterable[str],
    discreet: bool,
    quiet_start: time | None,
    quiet_end: time | None,
    timezone: str,
) -> Preference:
    chosen = sorted(set(channels))
    unknown = [c for c in chosen if c not in channels_available()]
    if unknown:
        raise NotifyError(_("This site cannot send notifications that way."))
    if (quiet_start is None) != (quiet_end is None):
        raise NotifyError(_("Quiet hours need both a start and an end."))
    if quiet_start is not None and quiet_start == quiet_end:
        # Would mean quiet all day or never, depending on how one reads it: ask rather than guess.
        raise NotifyError(_("Quiet hours need a different start and end."))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a directory of the zone database ("America") or a name too long for the file system.
        raise NotifyError(_("Choose a time zone from the list.")) from None
    preference = preference_get(membership=membership)
    preference.channels = chosen
    preference.discreet = discreet
    preference.quiet_start, preference.quiet_end = quiet_start, quiet_end
    preference.timezone = timezone
    preference.save()
    return preference


def contact_set(*, membership: Membership, channel: str, contact: str) -> Contact | None:
    """Keep (encrypted) where the member wants email or SMS sent; an empty value removes it.

    The destination is normalised and checked here, so a typing mistake is caught before a message
    could reach a stranger.
    """
    if channel not in (Channel.EMAIL, Channel.SMS):
        raise NotifyError(_("This site cannot send notifications that way."))
    contact = contact.strip()
    if not contact:
        Contact.objects.filter(membership=membership, channel=channel).delete()
        return None
    normalised = channels.normalise_destination(channel, contact, membership.organisation.default_country)
    if normalised is None:
        raise NotifyError(
            _("That does not look like an email address.")
            if channel == Channel.EMAIL
            else _("That does not look like a phone number. Include the country code, e.g. +254…")
        )
    saved, _created = Contact.objects.update_or_create(
        membership=membership, channel=channel, defaults={"contact": normalised}
    )
    return saved


def notification_settings_save(
    *,
    membership: Membership,
    channels: Iterable[str],
    discreet: bool,
    quiet_start: time | None,
    quiet_end: time | None,
    timezone: str,
    contacts: dict[str, str | None],
) -> Preference:
    """Save everything the settings page or the API sends, all or nothing: a refused time zone must not leave
    a new destination saved. `contacts` maps email/SMS to a destination, None to keep, "" to remove."""
    with transaction.atomic():
        for channel, contact in contacts.items():
            if contact is not None:
                contact_set(membership=membership, channel=channel, contact=contact)
        return preference_update(
            membership=membership,
            channels=channels,
            discreet=discreet,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
            timezone=timezone,
        )


def push_subscribe(*, membership: Membership, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Store a browser's push subscription, encrypted. The same endpoint twice updates, never duplicates."""
    channels.push_subscription_check(endpoint=endpoint, p256dh=p256dh, auth=auth)
    endpoint_hash = crypto.identifier_hash("push-endpoint", endpoint)
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint_hash=endpoint_hash,
        defaults={
            "membership": membership,
            "endpoint": endpoint,
            "keys": json.dumps({"p256dh": p256dh, "auth": auth}),
        },
    )
    return subscription


def push_unsubscribe(*, membership: Membership, endpoint: str) -> int:
    endpoint_hash = crypto.identifier_hash("push-endpoint", endpoint)
    deleted, _ = PushSubscription.objects.filter(membership=membership, endpoint_hash=endpoint_hash).delete()
    return deleted


def _idempotency_key(dispatch_id, membership_id, channel: str, device=None) -> str:
    # Keyed, so the key a gateway sees says nothing about which member or message it is.
    return crypto.identifier_hash("delivery", f"{dispatch_id}:{membership_id}:{channel}:{device or ''}")


def _quiet_until(start: time | None, end: time | None, timezone: str, now: datetime) -> datetime | None:
    """The end of the member's quiet hours (start to end, in their time zone) if `now` falls inside them."""
    if start is None or end is None:
        return None
    local = now.astimezone(ZoneInfo(timezone))
    at = local.time()
    inside = (start <= at < end) if start < end else (at >= start or at < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


@dataclass(frozen=True)
class Outside:
    """Someone who is not a member, to be told by SMS or email at a destination a member gave (a buddy, say).

    They have no login and no inbox, so `message` is everything they will read: already in their language,
    with any link they need, and worded by the sender with the same discretion as a lock screen."""

    reference: uuid.UUID  # the sender's name for them (e.g. the buddy's id), to show who was told
    channel: str  # Channel.SMS or Channel.EMAIL
    destination: str  # E.164, or a lower-case email address, as channels.normalise_destination gives it
    message: str


def _outside_checked(outside: Iterable[Outside]) -> list[Outside]:
    """Refuse, before anything is written, what can only be a mistake of the calling code."""
    checked, seen = [], set()
    for contact in outside:
        if contact.channel not in (Channel.SMS, Channel.EMAIL):
            raise ValueError(f"an outside contact is reached by SMS or email, not {contact.channel!r}")
        if channels.normalise_destination(contact.channel, contact.destination, "") != contact.destination:
            raise ValueError("an outside contact's destination must be normalised (E.164 or a lower-case email)")
        if not contact.message:
            raise ValueError("an outside contact's message carries its whole text: it cannot be empty")
        if (contact.reference, contact.channel) in seen:
            raise ValueError("one outside contact per reference and channel in a dispatch")
        seen.add((contact.reference, contact.channel))
        checked.append(contact)
    return checked


def dispatch_create(
    *,
    organisation: Organisation,
    topic: str,
    target_id=None,
    url: str = "",
    recipients: QuerySet[Membership],
    urgent: bool = False,
    outside: Iterable[Outside] = (),
) -> Dispatch:
    """Write one message for many recipients and every delivery it needs, then schedule sending.

    Call it inside the transaction that creates what it announces: the alert and its deliveries commit or
    roll back together, and sending is enqueued only after the commit. For members it stores no text, only
    the topic; `recipients` may be empty (Membership.objects.none()) when only outside contacts are told.

    Each outside contact gets one delivery holding their destination and message, encrypted; they are deleted
    with the dispatch (dispatches_delete). One on a channel this site cannot send on is kept as undeliverable,
    without its destination or text, so the sender can still show it was not told.
    """
    outside = _outside_checked(outside)
    now = clock.now()
    dispatch = Dispatch.objects.create(
        organisation=organisation, topic=topic, target_id=target_id, url=url, urgent=urgent, created_at=now
    )
    recipients = recipients.filter(organisation=organisation, suspended_at__isnull=True)
    member_ids = list(recipients.values_list("id", flat=True))
    # Plain values, not Preference objects: this runs for every member while the publisher waits.
    preferences = {
        membership_id: choice
        for membership_id, *choice in Preference.objects.filter(membership__in=recipients).values_list(
            "membership_id", "channels", "quiet_start", "quiet_end", "timezone"
        )
    }
    available = set(channels_available())
    subscriptions: dict = {}
    for membership_id, subscription_id in PushSubscription.objects.filter(membership__in=recipients).values_list(
        "membership_id", "id"
    ):
        subscriptions.setdefault(membership_id, []).append(subscription_id)
    contacts = set(Contact.objects.filter(membership__in=recipients).values_list("membership_id", "channel"))

    rows = []
    for membership_id in member_ids:
        rows.append((membership_id, Channel.INAPP, None, Delivery.Status.SENT, now, now))
        wanted, quiet_start, quiet_end, timezone = preferences.get(membership_id, (default_channels(), None, None, ""))
        chosen = set(wanted) & available
        due = (None if urgent else _quiet_until(quiet_start, quiet_end, timezone, now)) or now
        for channel in sorted(chosen):
            if channel == Channel.PUSH:
                devices = subscriptions.get(membership_id, [])
            else:
                devices = [None] if (membership_id, channel) in contacts else []
            for device in devices:
                rows.append((membership_id, channel, device, Delivery.Status.PENDING, due, None))
    # Outside contacts have no quiet hours to wait for: they are told now.
    outside_rows = [(contact, contact.channel in available) for contact in outside]
    _deliveries_insert(dispatch, rows, now, outside_rows)
    outgoing = sum(1 for row in rows if row[3] == Delivery.Status.PENDING) + sum(ok for _c, ok in outside_rows)
    if outgoing:
        transaction.on_commit(lambda: deliveries_schedule(expected=outgoing))
    return dispatch


# Every column of Delivery, in the order _deliveries_insert writes them.
_DELIVERY_COLUMNS = (
    "id",
    "dispatch_id",
    "membership_id",
    "channel",
    "reference",
    "destination",
    "message",
    "subscription_id",
    "idempotency_key",
    "status",
    "attempts",
    "next_attempt_at",
    "lease_token",
    "lease_until",
    "last_error",
    "sent_at",
    "read_at",
    "created_at",
)


def _deliveries_insert(
    dispatch: Dispatch, rows: list[tuple], now: datetime, outside: Iterable[tuple[Outside, bool]] = ()
) -> None:
    """Write a fan-out's deliveries: rows of (membership_id, channel, subscription_id, status, next_attempt_at,
    sent_at), each given a fresh id and its idempotency key, and one row for each (outside contact, whether
    its channel is configured).

    A whole organisation's outbox is written inside the transaction that publishes an alert, while the person
    publishing waits. bulk_create spends more time per row preparing values than the database spends storing
    them, so this prepares each value through its field once (a handful of distinct timestamps, a few ids
    per row) and writes with COPY on PostgreSQL, one executemany elsewhere. Errors are Django's, as usual.
    """
    fields = {field.attname: field for field in Delivery._meta.concrete_fields}
    if set(fields) != set(_DELIVERY_COLUMNS):
        raise RuntimeError("Delivery's fields changed: list them in services._DELIVERY_COLUMNS")
    connection = connections[router.db_for_write(Delivery)]
    id_field, member_field, device_field = fields["id"], fields["membership_id"], fields["subscription_id"]
    prepared: dict = {}

    def once(field, value):
        # Timestamps repeat across rows; prepare each distinct one once.
        if (field.attname, value) not in prepared:
            prepared[field.attname, value] = field.get_db_prep_save(value, connection)
        return prepared[field.attname, value]

    dispatch_db, created_db = once(fields["dispatch_id"], dispatch.id), once(fields["created_at"], now)
    values = [
        (
            id_field.get_db_prep_save(uuid.uuid4(), connection),
            dispatch_db,
            member_field.get_db_prep_save(membership_id, connection),
            str(channel),  # plain text: a database driver may write an Enum member by its name
            None,  # reference, destination and message: outside contacts only
            "",
            "",
            device_field.get_db_prep_save(device, connection),
            _idempotency_key(dispatch.id, membership_id, channel, device),
            str(status),
            0,
            once(fields["next_attempt_at"], due),
            "",
            None,
            "",
            once(fields["sent_at"], sent_at),
            None,
            created_db,
        )
        for membership_id, channel, device, status, due, sent_at in rows
    ]
    now_db = once(fields["next_attempt_at"], now)
    for contact, configured in outside:
        # What could never be sent is not kept: the row says only who was not told, and how.
        destination, message = (contact.destination, contact.message) if configured else ("", "")
        values.append(
            (
                id_field.get_db_prep_save(uuid.uuid4(), connection),
                dispatch_db,
                None,
                str(contact.channel),
                fields["reference"].get_db_prep_save(contact.reference, connection),
                # Encrypted here, each on its own: through once() equal texts would share one ciphertext.
                fields["destination"].get_db_prep_save(destination, connection),
                fields["message"].get_db_prep_save(message, connection),
                None,
                _idempotency_key(dispatch.id, f"outside:{contact.reference}", contact.channel),
                str(Delivery.Status.PENDING if configured else Delivery.Status.UNDELIVERABLE),
                0,
                now_db,
                "",
                None,
                "" if configured else f"{contact.channel} not configured",
                None,
                None,
                created_db,
            )
        )
    quote = connection.ops.quote_name
    table = quote(Delivery._meta.db_table)
    columns = ", ".join(quote(fields[name].column) for name in _DELIVERY_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy"):
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(_DELIVERY_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)  # noqa: S608


def deliveries_schedule(*, expected: int) -> None:
    """Enqueue enough send tasks for the work at hand: each one drains due deliveries until none is left,
    so extra workers share a large fan-out and a lost task costs nothing but a scheduler tick."""
    from sombrilla.notify.tasks import deliveries_send_task

    for _i in range(min(settings.DELIVERY_PARALLEL_TASKS, max(1, math.ceil(expected / 2000)))):
        deliveries_send_task.enqueue()


def _due() -> Q:
    now = clock.now()
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Delivery.Status.SENDING, lease_until__lt=now
    )


@dataclass(slots=True)
class Claimed:
    """A leased delivery, as sending and recording need it: plain values, one query for a whole batch.

    A large fan-out claims thousands of these a second in one worker; model instances with their related
    subscription and dispatch cost that worker more than the rest of the claim did."""

    id: uuid.UUID
    dispatch_id: uuid.UUID
    membership_id: uuid.UUID | None
    channel: str
    destination: str
    message: str
    subscription_id: uuid.UUID | None
    endpoint: str | None  # None once the subscription is gone
    keys: str | None
    idempotency_key: str
    attempts: int
    next_attempt_at: datetime
    lease_token: str
    topic: str
    urgent: bool
    recipient_language: str | None
    recipient_discreet: bool | None


# Where a field of Claimed comes from when it is not Delivery's own column of that name.
_CLAIMED_FROM = {
    "endpoint": "subscription__endpoint",
    "keys": "subscription__keys",
    "topic": "dispatch__topic",
    "urgent": "dispatch__urgent",
    "recipient_language": "membership__account__language",
    "recipient_discreet": "membership__notify_preference__discreet",
}


def deliveries_claim(*, limit: int) -> list[Claimed]:
    """Lease up to `limit` due deliveries to this worker.

    The conditional UPDATE is what makes a claim exclusive on every database; on PostgreSQL the SKIP LOCKED
    read lets concurrent workers take different rows instead of queueing behind each other.
    """
    token = crypto.random_token(16)[:32]
    now = clock.now()
    with transaction.atomic():
        # Leases that ran out (a worker died holding them) first, then due rows oldest first. Two reads, not
        # one with OR: each walks the (status, next_attempt_at) index only as far as it needs to, where the OR
        # made every claim of a large fan-out sort all of its waiting rows.
        expired = Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=now)
        found = _oldest_unlocked(expired, limit, "attempts")
        ids = [id_ for id_, attempts in found if attempts < settings.DELIVERY_MAX_ATTEMPTS]
        # A row whose every attempt ended with its worker gone (a message that crashes the sender, say) would
        # otherwise be claimed forever, killing a worker each time. It is dead-lettered here, under the lock
        # this claim already holds, rather than by the sweep: any claim between the lease running out and the
        # next sweep would hand it to one more worker.
        poison = [id_ for id_, attempts in found if attempts >= settings.DELIVERY_MAX_ATTEMPTS]
        if poison:
            Delivery.objects.filter(id__in=poison, status=Delivery.Status.SENDING, lease_until__lt=now).update(
                status=Delivery.Status.DEAD, lease_token="", lease_until=None, last_error="worker stopped while sending"
            )
            logger.warning("%d deliveries dead-lettered: their worker stopped on every attempt", len(poison))
        if len(ids) < limit:
            pending = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            ids += [id_ for (id_,) in _oldest_unlocked(pending, limit - len(ids))]
        if not ids:
            return []
        Delivery.objects.filter(_due(), id__in=ids).update(
            status=Delivery.Status.SENDING,
            lease_token=token,
            lease_until=now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    rows = (
        Delivery.objects.filter(lease_token=token, status=Delivery.Status.SENDING)
        .order_by()
        # The channels read the recipient's language and choice from here instead of loading each member.
        .values_list(*(_CLAIMED_FROM.get(field.name, field.name) for field in dataclasses.fields(Claimed)))
    )
    return [Claimed(*row) for row in rows]


def _oldest_unlocked(rows: QuerySet[Delivery], limit: int, *fields: str) -> list[tuple]:
    """(id, *fields) of up to `limit` rows, oldest due first, locked for this transaction."""
    return list(rows.order_by("next_attempt_at").select_for_update(skip_locked=True).values_list("id", *fields)[:limit])


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.DELIVERY_RETRY_SECONDS * 2 ** (attempts - 1), 6 * 3600))


def deliveries_record(*, results: list[tuple[Claimed, channels.Outcome]]) -> None:
    """Write what happened to each claimed delivery; only rows still under this worker's lease change."""
    now = clock.now()
    sent = [d.id for d, outcome in results if outcome.ok]
    if sent:
        for start in range(0, len(sent), 500):
            Delivery.objects.filter(id__in=sent[start : start + 500], status=Delivery.Status.SENDING).update(
                status=Delivery.Status.SENT,
                sent_at=now,
                lease_token="",
                lease_until=None,
                last_error="",
                # An outside contact's address and message are needed only until they went: keep no copy.
                destination="",
                message="",
            )
    for delivery, outcome in results:
        if outcome.ok:
            continue
        if outcome.gone:
            status, next_at = Delivery.Status.UNDELIVERABLE, delivery.next_attempt_at
            if delivery.subscription_id:
                PushSubscription.objects.filter(id=delivery.subscription_id).delete()
        elif delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
            status, next_at = Delivery.Status.DEAD, delivery.next_attempt_at
        else:
            status, next_at = Delivery.Status.PENDING, now + _backoff(delivery.attempts)
        Delivery.objects.filter(id=delivery.id, lease_token=delivery.lease_token).update(
            status=status, next_attempt_at=next_at, lease_token="", lease_until=None, last_error=outcome.error[:200]
        )


def deliveries_send_due(*, batch: int | None = None) -> int:
    """Claim, send and record due deliveries until none is left; returns how many were attempted.

    The work goes in half-batches, two in hand at a time: while one is on the wire the next is claimed and
    encrypted and the one before recorded, so the database's share of the time overlaps the push service's.
    Together they never hold more than `batch` leases, and each outcome is recorded after its message went.
    """
    limit = batch or settings.DELIVERY_BATCH
    size, overlap = (limit // 2, True) if limit >= 2 else (limit, False)
    attempted = 0
    started: list = []  # [(claimed, answers)] sent or being sent, not yet recorded; oldest first

    def record_oldest() -> None:
        nonlocal attempted
        claimed, answers = started.pop(0)
        deliveries_record(results=answers())
        attempted += len(claimed)

    try:
        while True:
            if started and not overlap:
                record_oldest()
            claimed = deliveries_claim(limit=size)
            if claimed:
                started.append((claimed, channels.send_batch_start(claimed)))
            if len(started) > 1 or (started and not claimed):
                record_oldest()
            if not started:
                return attempted
    finally:
        while started:  # after an error, what already went out is still recorded
            record_oldest()


def deliveries_sweep() -> int:
    """The scheduler's safety net: if anything is due (a retry whose time has come, a delivery leased by a
    worker that died, or one whose task was lost), make sure a send task exists for it."""
    due = Delivery.objects.filter(_due()).count()
    if due:
        deliveries_schedule(expected=due)
    return due


def delivery_retry(*, actor: Membership, delivery: Delivery) -> Delivery:
    """Staff give a dead-lettered delivery a fresh set of attempts."""
    if not actor.is_staff_role or delivery.dispatch.organisation_id != actor.organisation_id:
        raise NotifyError(_("Only staff of the organisation can retry deliveries."))
    if delivery.status != Delivery.Status.DEAD:
        raise NotifyError(_("Only failed deliveries can be retried."))
    with transaction.atomic():
        Delivery.objects.filter(id=delivery.id, status=Delivery.Status.DEAD).update(
            status=Delivery.Status.PENDING, attempts=0, next_attempt_at=clock.now(), last_error=""
        )
        audit_record(actor=actor, action=AuditAction.DELIVERY_RETRIED, target_type="delivery", target_id=delivery.id)
        transaction.on_commit(lambda: deliveries_schedule(expected=1))
    delivery.refresh_from_db()
    return delivery


def dispatches_delete(*, target_ids: Iterable[uuid.UUID]) -> int:
    """Delete, for real, every dispatch announcing one of `target_ids` and all its deliveries: the inbox
    entries, and outside contacts' destinations and message text. For when what they announced is purged.
    Returns how many dispatches went."""
    target_ids = list(target_ids)
    if not target_ids:
        return 0
    with transaction.atomic():
        _total, deleted = Dispatch.objects.filter(target_id__in=target_ids).delete()
    return deleted.get(Dispatch._meta.label, 0)


def inbox_mark_read(*, membership: Membership, delivery_ids: Iterable | None = None) -> int:
    """Mark in-app entries read: the given ones, or all of them."""
    entries = Delivery.objects.filter(membership=membership, channel=Channel.INAPP, read_at__isnull=True)
    if delivery_ids is not None:
        entries = entries.filter(id__in=list(delivery_ids))
    return entries.update(read_at=clock.now())


def notification_test_send(*, membership: Membership) -> Dispatch:
    """Send the member a test message on every channel they chose, so they can see it arrives."""
    with transaction.atomic():
        return dispatch_create(
            organisation=membership.organisation,
            topic=Topic.TEST,
            url="",
            recipients=Membership.objects.filter(id=membership.id),
            urgent=True,
        )
