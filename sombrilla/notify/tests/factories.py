"""Members who can be reached, and dispatches to them, built through the services as the app builds them."""

import uuid
from pathlib import Path

from django.db import transaction

from sombrilla.accounts.models import Account, Membership, Role
from sombrilla.core import clock
from sombrilla.notify import services
from sombrilla.notify.models import Channel, Delivery, Dispatch, Topic


def quick_member(organisation, pseudonym: str, *, language: str = "en") -> Membership:
    """A member without a passphrase: hashing one costs time that a crowd of recipients does not need."""
    account = Account(pseudonym=pseudonym, language=language)
    account.set_unusable_password()
    account.save()
    return Membership.objects.create(
        account=account, organisation=organisation, role=Role.MEMBER, joined_on=clock.now().date().replace(day=1)
    )


def reachable(
    membership: Membership,
    *,
    push=None,
    email: str | None = None,
    phone: str | None = None,
    discreet: bool = True,
    quiet: tuple | None = None,
    timezone: str = "UTC",
) -> Membership:
    """Give `membership` the destinations passed (a push peer, an email address, a phone number) and choose
    exactly those channels. Returns the membership; its push subscription is `membership.browser`."""
    chosen = []
    if push is not None:
        membership.browser = push.subscription()
        services.push_subscribe(membership=membership, **membership.browser.as_form())
        chosen.append(Channel.PUSH)
    if email is not None:
        services.contact_set(membership=membership, channel=Channel.EMAIL, contact=email)
        chosen.append(Channel.EMAIL)
    if phone is not None:
        services.contact_set(membership=membership, channel=Channel.SMS, contact=phone)
        chosen.append(Channel.SMS)
    quiet_start, quiet_end = quiet or (None, None)
    services.preference_update(
        membership=membership,
        channels=chosen,
        discreet=discreet,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        timezone=timezone,
    )
    return membership


def dispatch(organisation, *members: Membership, topic: str = Topic.ALERT, urgent: bool = False, url: str = ""):
    """Announce something to `members` the way the apps do: inside the transaction that creates it."""
    with transaction.atomic():
        return services.dispatch_create(
            organisation=organisation,
            topic=topic,
            url=url,
            recipients=Membership.objects.filter(id__in=[m.id for m in members]),
            urgent=urgent,
        )


def tell_outside(
    organisation, *contacts: services.Outside, members=(), topic: str = Topic.CHECKIN_ALERT, target_id=None
):
    """Tell outside contacts (and `members`, if any) the way the check-ins do: urgently, in a transaction."""
    with transaction.atomic():
        return services.dispatch_create(
            organisation=organisation,
            topic=topic,
            target_id=target_id,
            recipients=Membership.objects.filter(id__in=[m.id for m in members])
            if members
            else Membership.objects.none(),
            urgent=True,
            outside=contacts,
        )


def outside_dead_letter(organisation, settings, sms_peer) -> Delivery:
    """An SMS to an outside contact (no membership) that failed its only attempt, with an inbox entry for
    every member of `organisation` in the same dispatch."""
    settings.DELIVERY_MAX_ATTEMPTS = 1
    sms_peer.answer = 503
    contact = services.Outside(
        reference=uuid.uuid4(), channel=Channel.SMS, destination="+254733000111", message="Are you with Rosa?"
    )
    sent = tell_outside(organisation, contact, members=list(Membership.objects.filter(organisation=organisation)))
    services.deliveries_send_due()
    return Delivery.objects.get(dispatch=sent, membership__isnull=True, status=Delivery.Status.DEAD)


def outgoing(dispatch_: Dispatch | None = None):
    """Deliveries that leave the site (every channel but the inbox)."""
    rows = Delivery.objects.exclude(channel=Channel.INAPP)
    return rows.filter(dispatch=dispatch_) if dispatch_ is not None else rows


def key_of(membership: Membership, channel: str) -> str:
    return Delivery.objects.get(membership=membership, channel=channel).idempotency_key


def page_objects(people: dict) -> dict:
    """What the notification pages show in the role matrix and the page checks: two inbox entries for alice
    (one read) and an SMS to her that failed every attempt. Returns the ids the paths use."""
    alice = people["alice"]
    with transaction.atomic():
        alert = services.dispatch_create(
            organisation=alice.organisation,
            topic=Topic.ALERT,
            url="/alerts/",
            recipients=Membership.objects.filter(id=alice.id),
        )
        services.dispatch_create(
            organisation=alice.organisation, topic=Topic.POLICE_ALERT, recipients=Membership.objects.filter(id=alice.id)
        )
    services.inbox_mark_read(
        membership=alice, delivery_ids=Delivery.objects.filter(dispatch=alert).values_list("id", flat=True)
    )
    dead = Delivery.objects.create(
        dispatch=alert,
        membership=alice,
        channel=Channel.SMS,
        idempotency_key=f"page-objects-{alert.pk}",
        status=Delivery.Status.DEAD,
        attempts=8,
        last_error="sms: HTTP 503",
    )
    return {"delivery_id": dead.pk}


def push_senders(parent: int) -> set[int]:
    """The live push senders (notify.pushsender) that process `parent` started, read from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _process_state(entry.name) == (True, parent, True):
            found.add(int(entry.name))
    return found


def process_alive(pid: int) -> bool:
    """Running, not gone and not a zombie waiting for its parent to read its exit status."""
    return _process_state(str(pid))[0]


def _process_state(pid: str) -> tuple[bool, int, bool]:
    """(alive, parent pid, whether it is a multiprocessing child) of one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False, 0, False
    state, parent = stat.rsplit(")", 1)[1].split()[:2]
    return state not in ("Z", "X"), int(parent), b"multiprocessing.spawn" in cmdline
