"""Reads for the services directory, scoped to the reader's organisation. Anything outside the reader's rights
answers 404, exactly like something that does not exist.

Other members see a note about a service without its author: which clinic someone rates can tell peers about
their health. Only moderators, deciding on a note, see who wrote it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.urls import reverse

from sombrilla.accounts.models import Membership
from sombrilla.directory.models import Cost, Rating, Referral, Service

# A note from a suspended member stops counting at once, and counts again if they are restored.
_COUNTED = Q(ratings__status=Rating.Status.PUBLISHED, ratings__membership__suspended_at__isnull=True)
NOTES_SHOWN = 20


def _require_member(actor: Membership) -> None:
    if not actor.is_organisation_member:
        raise Http404


def _require_staff(actor: Membership) -> None:
    if not actor.is_staff_role:
        raise Http404


def _with_stars(services: QuerySet[Service]) -> QuerySet[Service]:
    """Each service with the average of its counted ratings and their number, in the same query."""
    return services.select_related("area").annotate(
        stars_average=Avg("ratings__stars", filter=_COUNTED), stars_count=Count("ratings", filter=_COUNTED)
    )


@dataclass(frozen=True)
class Filters:
    """The list's filters, as the page's GET form and the API's query give them."""

    kind: str = ""
    area_id: object = None
    anonymous: bool = False
    free: bool = False
    sex_worker_friendly: bool = False
    language: str = ""


def services_list(*, actor: Membership, filters: Filters = Filters(), include_inactive: bool = False):
    """The organisation's services, filtered, with their stars; one query, however many services.

    An area filter takes in the areas inside it: a city finds its districts' services. Areas are at most
    three deep (country, city, district: accounts.services.area_create), so two parent hops reach them all.
    """
    _require_member(actor)
    services = Service.objects.filter(organisation=actor.organisation)
    if not include_inactive:
        services = services.filter(active=True)
    if filters.kind:
        services = services.filter(kind=filters.kind)
    if filters.area_id:
        services = services.filter(
            Q(area_id=filters.area_id) | Q(area__parent_id=filters.area_id) | Q(area__parent__parent_id=filters.area_id)
        )
    if filters.anonymous:
        services = services.filter(anonymous=True)
    if filters.free:
        services = services.filter(cost=Cost.FREE)
    if filters.sex_worker_friendly:
        services = services.filter(sex_worker_friendly=True)
    if filters.language.strip():
        services = services.filter(languages__icontains=filters.language.strip()[:60])
    return _with_stars(services).order_by("name", "pk")


def service_get_for_member(*, actor: Membership, service_id) -> Service:
    """An active service of the member's organisation, with its stars."""
    found = services_list(actor=actor).filter(pk=service_id).first()
    if found is None:
        raise Http404
    return found


def service_get_for_staff(*, actor: Membership, service_id) -> Service:
    """Any service of the staff member's organisation, those taken off the list included."""
    _require_staff(actor)
    found = services_list(actor=actor, include_inactive=True).filter(pk=service_id).first()
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class PublishedNote:
    """A note as other members read it: the stars, the words and the month, never the author."""

    stars: int
    note: str
    created_at: datetime


def published_notes(*, service: Service, limit: int = NOTES_SHOWN) -> list[PublishedNote]:
    ratings = (
        Rating.objects.filter(service=service, status=Rating.Status.PUBLISHED, membership__suspended_at__isnull=True)
        .exclude(note="")
        .only("stars", "note", "created_at")
        .order_by("-created_at")[:limit]
    )
    return [PublishedNote(stars=r.stars, note=r.note, created_at=r.created_at) for r in ratings]


def rating_of(*, actor: Membership, service: Service) -> Rating | None:
    """The member's own rating of the service, in whatever state it is."""
    return Rating.objects.filter(service=service, membership=actor).first()


def ratings_to_moderate(*, actor: Membership) -> QuerySet[Rating]:
    """Notes waiting for a moderator, the oldest first, with who wrote them."""
    if not actor.is_moderator:
        raise Http404
    return (
        Rating.objects.filter(service__organisation=actor.organisation, status=Rating.Status.PENDING)
        .select_related("service", "membership__account")
        .order_by("created_at")
    )


def ratings_published(*, actor: Membership) -> QuerySet[Rating]:
    """Published notes, newest first, so a moderator can take one down."""
    if not actor.is_moderator:
        raise Http404
    return (
        Rating.objects.filter(service__organisation=actor.organisation, status=Rating.Status.PUBLISHED)
        .exclude(note="")
        .select_related("service", "membership__account")
        .order_by("-created_at")
    )


def rating_get_for_moderator(*, actor: Membership, rating_id) -> Rating:
    if not actor.is_moderator:
        raise Http404
    found = (
        Rating.objects.filter(service__organisation=actor.organisation, pk=rating_id)
        .select_related("service", "membership__account")
        .first()
    )
    if found is None:
        raise Http404
    return found


def referrals_of(*, actor: Membership) -> QuerySet[Referral]:
    """The member's own requests, newest first."""
    _require_member(actor)
    return Referral.objects.filter(membership=actor).select_related("service")


def referral_get_for_member(*, actor: Membership, referral_id) -> Referral:
    found = referrals_of(actor=actor).filter(pk=referral_id).first()
    if found is None:
        raise Http404
    return found


def referrals_for_staff(*, actor: Membership, status: str = "") -> QuerySet[Referral]:
    """The staff's queue: open requests first, the longest waiting on top; then answered, then closed."""
    _require_staff(actor)
    referrals = Referral.objects.filter(organisation=actor.organisation)
    if status:
        referrals = referrals.filter(status=status)
    waiting = Case(
        When(status=Referral.Status.OPEN, then=Value(0)),
        When(status=Referral.Status.ANSWERED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return referrals.select_related("service", "membership__account").order_by(waiting, "created_at")


def referral_get_for_staff(*, actor: Membership, referral_id) -> Referral:
    found = referrals_for_staff(actor=actor).filter(pk=referral_id).first()
    if found is None:
        raise Http404
    return found


def offline_urls(*, membership: Membership) -> list[str]:
    """The directory pages a member's device keeps for reading offline: the list and each active service."""
    if not membership.is_organisation_member or membership.is_suspended:
        return []
    ids = Service.objects.filter(organisation_id=membership.organisation_id, active=True).values_list("pk", flat=True)
    return [reverse("directory:list"), *(reverse("directory:service", args=[pk]) for pk in ids.order_by("name"))]


def member_export(*, membership: Membership) -> dict:
    """The member's own directory data for their download: their ratings and their referral requests, in full."""
    return {
        "ratings": [
            {
                "service": rating.service.name,
                "stars": rating.stars,
                "note": rating.note,
                "status": rating.status,
                "reject_reason": rating.reject_reason,
                "created_at": rating.created_at.isoformat(),
            }
            for rating in Rating.objects.filter(membership=membership).select_related("service")
        ],
        "referrals": [
            {
                "service": referral.service.name if referral.service else None,
                "kind": referral.kind,
                "message": referral.message,
                "status": referral.status,
                "answer": referral.answer,
                "created_at": referral.created_at.isoformat(),
                "answered_at": referral.answered_at.isoformat() if referral.answered_at else None,
                "closed_at": referral.closed_at.isoformat() if referral.closed_at else None,
            }
            for referral in Referral.objects.filter(membership=membership).select_related("service")
        ],
    }
