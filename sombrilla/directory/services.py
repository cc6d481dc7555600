"""The only writers of the services directory: services, members' ratings and referral requests.

Each function takes the acting membership and checks its right itself, in one transaction. Staff reading a
referral, moderators deciding on a note and staff answering or closing a referral are audited; what the member
wrote never goes into the audit log, the notification or the task queue (only ids do).
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from sombrilla.accounts.models import Area, Membership
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record
from sombrilla.directory.models import (
    ABOUT_MAX,
    ANSWER_MAX,
    MESSAGE_MAX,
    NOTE_MAX,
    REFERRAL_RETENTION_DAYS,
    Cost,
    Rating,
    Referral,
    Service,
    ServiceKind,
)
from sombrilla.notify.models import Topic
from sombrilla.notify.services import dispatch_create, dispatches_delete

# Enough for any real need; more open at once would let one account flood the staff's queue.
MAX_OPEN_REFERRALS = 5
REASON_MAX = 500
# A public number as people write it: digits with spaces, dots, dashes, brackets and a leading +, from a
# three-digit hotline to an international number with an extension.
_NUMBER = re.compile(r"\+?[0-9(][0-9 ().\-/]*(?:\s*(?:ext\.?|x)\s*[0-9]+)?", re.IGNORECASE)


class DirectoryError(Exception):
    """A request about the directory that cannot be honoured; the message says why, in the reader's language."""


def _require_member(actor: Membership) -> None:
    if actor.is_suspended or not actor.is_organisation_member:
        raise DirectoryError(_("Only members of the organisation can do this."))


def _require_staff(actor: Membership, organisation_id) -> None:
    if actor.is_suspended or not actor.is_staff_role or actor.organisation_id != organisation_id:
        raise DirectoryError(_("Only staff can do this."))


def _require_moderator(actor: Membership, organisation_id) -> None:
    if actor.is_suspended or not actor.is_moderator or actor.organisation_id != organisation_id:
        raise DirectoryError(_("Only moderators and staff can do this."))


def _text(value: str, limit: int, too_long: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise DirectoryError(too_long % {"limit": limit})
    return value


# Services ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceDetails:
    """What staff say about a service, as the form and the API hand it over."""

    name: str
    kind: str
    area: Area | None = None
    address: str = ""
    call_first: bool = False
    public_number: str = ""
    opening_hours: str = ""
    languages: str = ""
    anonymous: bool = False
    cost: str = Cost.FREE
    cost_note: str = ""
    sex_worker_friendly: bool = False
    about: str = ""


def _details_clean(actor: Membership, details: ServiceDetails) -> dict:
    name = _text(details.name, 120, _("A name is up to %(limit)d characters."))
    if not name:
        raise DirectoryError(_("Give the service a name."))
    if details.kind not in ServiceKind.values:
        raise DirectoryError(_("Choose what kind of service it is."))
    if details.cost not in Cost.values:
        raise DirectoryError(_("Choose what it costs."))
    if details.area is not None and details.area.organisation_id != actor.organisation_id:
        raise DirectoryError(_("Choose one of your organisation's areas."))
    number = details.public_number.strip()
    if number and (
        len(number) > 40 or not _NUMBER.fullmatch(number) or sum(c.isdigit() for c in number) not in range(3, 21)
    ):
        raise DirectoryError(_("That does not look like a phone number."))
    address = _text(details.address, 300, _("An address is up to %(limit)d characters."))
    if not address and not details.call_first:
        raise DirectoryError(_('Give an address, or tick "call first".'))
    if details.call_first and not number:
        raise DirectoryError(_("A service people must call first needs its phone number."))
    return {
        "name": name,
        "kind": details.kind,
        "area": details.area,
        "address": address,
        "call_first": details.call_first,
        "public_number": number,
        "opening_hours": _text(details.opening_hours, 200, _("Opening hours are up to %(limit)d characters.")),
        "languages": _text(details.languages, 200, _("Languages are up to %(limit)d characters.")),
        "anonymous": details.anonymous,
        "cost": details.cost,
        "cost_note": _text(details.cost_note, 200, _("A note on costs is up to %(limit)d characters.")),
        "sex_worker_friendly": details.sex_worker_friendly,
        "about": _text(details.about, ABOUT_MAX, _("The description is up to %(limit)d characters.")),
    }


def _service_audit(actor: Membership, service: Service) -> None:
    audit_record(actor=actor, action=AuditAction.SERVICE_CHANGED, target_type="service", target_id=service.pk)


@transaction.atomic
def service_create(*, actor: Membership, details: ServiceDetails) -> Service:
    """Add a service the organisation vouches for."""
    _require_staff(actor, actor.organisation_id)
    now = clock.now()
    service = Service.objects.create(
        organisation=actor.organisation, created_at=now, updated_at=now, **_details_clean(actor, details)
    )
    _service_audit(actor, service)
    return service


@transaction.atomic
def service_update(*, actor: Membership, service: Service, details: ServiceDetails) -> Service:
    _require_staff(actor, service.organisation_id)
    for name, value in _details_clean(actor, details).items():
        setattr(service, name, value)
    service.updated_at = clock.now()
    service.save()
    _service_audit(actor, service)
    return service


@transaction.atomic
def service_set_active(*, actor: Membership, service: Service, active: bool) -> Service:
    """Take a service off the members' list (it closed, or stopped being safe) or put it back. Its ratings
    are kept for when it comes back; referral requests about it stay with staff."""
    _require_staff(actor, service.organisation_id)
    service.active = active
    service.updated_at = clock.now()
    service.save(update_fields=["active", "updated_at"])
    _service_audit(actor, service)
    return service


@transaction.atomic
def service_delete(*, actor: Membership, service: Service) -> None:
    """Delete a service and its ratings. Referral requests about it keep the kind of service asked for."""
    _require_staff(actor, service.organisation_id)
    _service_audit(actor, service)
    service.delete()


# Ratings ----------------------------------------------------------------------------------------------


def _locked_rating(rating: Rating) -> Rating:
    return Rating.objects.select_for_update().select_related("service").get(pk=rating.pk)


@transaction.atomic
def rating_save(*, actor: Membership, service: Service, stars: int, note: str = "") -> Rating:
    """Rate a service, or change one's rating: one per member and service.

    Stars alone count at once (there is nothing to moderate). A note waits for a moderator, unless it is the
    very note already published, so changing only the stars does not send it back to the queue.
    """
    _require_member(actor)
    if service.organisation_id != actor.organisation_id or not service.active:
        raise DirectoryError(_("This service is not in your organisation's list."))
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise DirectoryError(_("Choose from 1 to 5 stars."))
    note = _text(note, NOTE_MAX, _("A note is up to %(limit)d characters."))
    rating = Rating.objects.select_for_update().filter(service=service, membership=actor).first()
    unchanged_note = rating is not None and rating.status == Rating.Status.PUBLISHED and rating.note == note
    if rating is None:
        rating = Rating(service=service, membership=actor)
    rating.stars = stars
    rating.note = note
    rating.created_at = clock.now()
    if not unchanged_note:
        rating.status = Rating.Status.PENDING if note else Rating.Status.PUBLISHED
        rating.reject_reason = ""
        rating.moderated_by = None
        rating.moderated_at = None
    rating.save()
    return rating


@transaction.atomic
def rating_moderate(*, actor: Membership, rating: Rating, publish: bool, reason: str = "") -> Rating:
    """Publish a note, or reject it with a reason its author reads. A published note can be taken down the
    same way. A moderator never decides on their own note."""
    rating = _locked_rating(rating)
    _require_moderator(actor, rating.service.organisation_id)
    if rating.membership_id == actor.pk:
        raise DirectoryError(_("Another moderator must decide on your own note."))
    wanted = Rating.Status.PUBLISHED if publish else Rating.Status.REJECTED
    if rating.status == wanted:
        raise DirectoryError(_("This note has already been dealt with."))
    reason = _text(reason, REASON_MAX, _("A reason is up to %(limit)d characters."))
    if not publish and not reason:
        raise DirectoryError(_("Say why, for the member who wrote it."))
    rating.status = wanted
    rating.reject_reason = "" if publish else reason
    rating.moderated_by = actor
    rating.moderated_at = clock.now()
    rating.save(update_fields=["status", "reject_reason", "moderated_by", "moderated_at"])
    audit_record(actor=actor, action=AuditAction.RATING_MODERATED, target_type="rating", target_id=rating.pk)
    return rating


@transaction.atomic
def rating_delete(*, actor: Membership, rating: Rating) -> None:
    """A member takes back their own rating and note."""
    if rating.membership_id != actor.pk:
        raise DirectoryError(_("This rating is not yours."))
    rating.delete()


# Referrals --------------------------------------------------------------------------------------------


def _locked_referral(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().get(pk=referral.pk)


@transaction.atomic
def referral_request(
    *, actor: Membership, service: Service | None = None, kind: str = "", message: str = ""
) -> Referral:
    """Ask the organisation for a referral: to a service in its list, or for a need (a kind of service).

    The message is encrypted and deleted with the referral, 90 days after it is answered or closed."""
    _require_member(actor)
    if service is not None:
        if service.organisation_id != actor.organisation_id or not service.active:
            raise DirectoryError(_("This service is not in your organisation's list."))
        kind = service.kind
    elif kind not in ServiceKind.values:
        raise DirectoryError(_("Choose what you need help with."))
    message = _text(message, MESSAGE_MAX, _("A message is up to %(limit)d characters."))
    Membership.objects.select_for_update().get(pk=actor.pk)  # one request at a time per member: the cap holds
    if Referral.objects.filter(membership=actor, status=Referral.Status.OPEN).count() >= MAX_OPEN_REFERRALS:
        raise DirectoryError(
            _("You have %(count)d requests waiting already. Staff will answer them first.")
            % {"count": MAX_OPEN_REFERRALS}
        )
    return Referral.objects.create(
        organisation=actor.organisation, membership=actor, service=service, kind=kind, message=message
    )


def referral_queue_viewed(*, actor: Membership) -> None:
    """Audit a look at the staff's queue: it tells who asked for which kind of help."""
    audit_record(actor=actor, action=AuditAction.REFERRAL_QUEUE_VIEWED, target_type="referral")


def referral_viewed(*, actor: Membership, referral: Referral) -> None:
    """Audit a reading of a member's request by anyone but that member."""
    if referral.membership_id != actor.pk:
        audit_record(actor=actor, action=AuditAction.REFERRAL_VIEWED, target_type="referral", target_id=referral.pk)


@transaction.atomic
def referral_answer(*, actor: Membership, referral: Referral, answer: str) -> Referral:
    """Staff answer (or correct their answer to) an open request; the member is told in the same transaction.

    The notification says only that there is an answer and links to the member's own page, where it is read
    after login: nothing of the request or the answer leaves the site."""
    referral = _locked_referral(referral)
    _require_staff(actor, referral.organisation_id)
    if referral.status == Referral.Status.CLOSED:
        raise DirectoryError(_("This request is closed."))
    answer = _text(answer, ANSWER_MAX, _("An answer is up to %(limit)d characters."))
    if not answer:
        raise DirectoryError(_("Write your answer to the member."))
    referral.status = Referral.Status.ANSWERED
    referral.answer = answer
    referral.answered_by = actor
    referral.answered_at = clock.now()
    referral.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    dispatch_create(
        organisation=referral.organisation,
        topic=Topic.REFERRAL_ANSWERED,
        target_id=referral.pk,
        url=reverse("directory:referrals"),
        recipients=Membership.objects.filter(pk=referral.membership_id),
    )
    audit_record(actor=actor, action=AuditAction.REFERRAL_ANSWERED, target_type="referral", target_id=referral.pk)
    return referral


@transaction.atomic
def referral_close(*, actor: Membership, referral: Referral) -> Referral:
    """The member (it is sorted, or no longer needed) or staff close a request."""
    referral = _locked_referral(referral)
    is_owner = referral.membership_id == actor.pk
    if not is_owner:
        _require_staff(actor, referral.organisation_id)
    if referral.status == Referral.Status.CLOSED:
        raise DirectoryError(_("This request is already closed."))
    referral.status = Referral.Status.CLOSED
    referral.closed_at = clock.now()
    referral.save(update_fields=["status", "closed_at"])
    if not is_owner:
        audit_record(actor=actor, action=AuditAction.REFERRAL_CLOSED, target_type="referral", target_id=referral.pk)
    return referral


# Retention --------------------------------------------------------------------------------------------


def referrals_purge() -> int:
    """Delete, for real, referrals answered or closed more than 90 days ago (counted from the last of the
    two), with the notifications about them. Open requests stay until staff deal with them."""
    cutoff = clock.now() - timedelta(days=REFERRAL_RETENTION_DAYS)
    with transaction.atomic():
        expired = list(
            Referral.objects.filter(
                Q(status=Referral.Status.CLOSED, closed_at__lte=cutoff)
                | Q(status=Referral.Status.ANSWERED, answered_at__lte=cutoff)
            ).values_list("pk", flat=True)
        )
        if not expired:
            return 0
        dispatches_delete(target_ids=expired)
        return Referral.objects.filter(pk__in=expired).delete()[1].get(Referral._meta.label, 0)


def referrals_delete_for(*, membership: Membership) -> None:
    """With an account: the member's requests (the database cascade would take them too) and, which it would
    not, every notification about them."""
    with transaction.atomic():
        own = list(Referral.objects.filter(membership=membership).values_list("pk", flat=True))
        dispatches_delete(target_ids=own)
        Referral.objects.filter(pk__in=own).delete()
