"""The services directory: services with their stars and notes, the caller's own rating, referral requests; for
moderators the notes waiting, for staff the referral queue. As thin as the views: the same services and selectors.

A note is never sent with its author, except to a moderator deciding on it; a member's referral request is read
by staff one at a time, each reading audited, as on the pages.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from sombrilla.accounts.access import api_member, api_staff
from sombrilla.accounts.api import AUTH_ERRORS, BODY_ERRORS, PARAM_ERRORS, Detail, In, Pagination
from sombrilla.directory import selectors, services
from sombrilla.directory.models import ANSWER_MAX, MESSAGE_MAX, NOTE_MAX, ServiceKind

router = Router(tags=["directory"])
NOT_FOUND = {404: Detail}


class StrictIn(In):
    # A misspelt field ignored in silence could leave a member believing their note was sent: refuse it.
    model_config = ConfigDict(extra="forbid")


# Services ---------------------------------------------------------------------------------------------------


class ServiceFilters(In):
    kind: ServiceKind | None = Field(None, description="Only services of this kind")
    area_id: UUID | None = Field(None, description="Only services in this area or an area inside it")
    anonymous: bool = Field(False, description="Only services that need no name or ID")
    free: bool = Field(False, description="Only free services")
    sex_worker_friendly: bool = Field(False, description="Only services known to be sex-worker friendly")
    language: str = Field("", max_length=60, description="Only services whose languages spoken contain this text")

    def selected(self) -> selectors.Filters:
        return selectors.Filters(
            kind=self.kind or "",
            area_id=self.area_id,
            anonymous=self.anonymous,
            free=self.free,
            sex_worker_friendly=self.sex_worker_friendly,
            language=self.language,
        )


class ServiceOut(Schema):
    id: UUID
    name: str
    kind: str
    area_id: UUID | None
    area: str | None = Field(description="The area's name")
    address: str
    call_first: bool = Field(description="Phone before going: no walk-ins, or the address is given by phone")
    public_number: str = Field(description="The service's own phone number")
    opening_hours: str
    languages: str
    anonymous: bool
    cost: str
    cost_note: str
    sex_worker_friendly: bool
    about: str
    stars_average: float | None = Field(description="Average of published ratings; null without any")
    stars_count: int = Field(description="How many published ratings the average is of")

    @staticmethod
    def resolve_area(service) -> str | None:
        return service.area.name if service.area_id else None

    @staticmethod
    def resolve_stars_average(service) -> float | None:
        return round(service.stars_average, 2) if service.stars_average is not None else None


class NoteOut(Schema):
    """A published note as members read it: never its author."""

    stars: int
    note: str
    created_at: datetime


class RatingOut(Schema):
    """The caller's own rating."""

    stars: int
    note: str
    status: str = Field(description="pending: the note waits for a moderator; published; rejected")
    reject_reason: str
    created_at: datetime


class ServiceDetailOut(ServiceOut):
    notes: list[NoteOut] = Field(description="Published notes, newest first, without their authors")
    own_rating: RatingOut | None


class RatingIn(StrictIn):
    stars: int = Field(ge=1, le=5)
    note: str = Field("", max_length=NOTE_MAX, description="Read by a moderator before other members see it")


# Referrals --------------------------------------------------------------------------------------------------


class ReferralIn(StrictIn):
    service_id: UUID | None = Field(None, description="A service of the organisation's list; or give `kind`")
    kind: ServiceKind | None = Field(None, description="What the member needs, when no service is named")
    message: str = Field("", max_length=MESSAGE_MAX, description="Read by staff only")


class ReferralOut(Schema):
    id: UUID
    service_id: UUID | None
    service: str | None = Field(description="The service's name")
    kind: str
    message: str
    status: str
    answer: str
    created_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_service(referral) -> str | None:
        return referral.service.name if referral.service_id else None


class StaffReferralSummaryOut(Schema):
    """A request in the staff's queue: who, what for and when; the message is read (and audited) one at a time."""

    id: UUID
    member: str = Field(alias="membership.account.pseudonym")
    service_id: UUID | None
    service: str | None
    kind: str
    status: str
    created_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_service(referral) -> str | None:
        return ReferralOut.resolve_service(referral)


class StaffReferralOut(StaffReferralSummaryOut):
    message: str
    answer: str


class ReferralAnswerIn(StrictIn):
    answer: str = Field(min_length=1, max_length=ANSWER_MAX, description="The member is told there is an answer")


class StaffReferralFilters(In):
    status: Literal["open", "answered", "closed"] | None = Field(None, description="Only requests in this state")


# Moderation -------------------------------------------------------------------------------------------------


class RatingToModerateOut(Schema):
    id: UUID
    service_id: UUID
    service: str = Field(alias="service.name")
    member: str = Field(alias="membership.account.pseudonym", description="Shown to moderators only")
    stars: int
    note: str
    status: str
    created_at: datetime


class ModerateIn(StrictIn):
    action: Literal["publish", "reject"]
    reason: str = Field("", max_length=services.REASON_MAX, description="Required to reject: the member reads it")


# Services ---------------------------------------------------------------------------------------------------


@router.get("services", response={200: list[ServiceOut], **AUTH_ERRORS, **PARAM_ERRORS})
@paginate(Pagination)
def service_list(request, filters: Query[ServiceFilters]):
    return selectors.services_list(actor=api_member(request), filters=filters.selected())


@router.get("services/{uuid:service_id}", response={200: ServiceDetailOut, **NOT_FOUND, **AUTH_ERRORS})
def service_get(request, service_id: UUID):
    actor = api_member(request)
    found = selectors.service_get_for_member(actor=actor, service_id=service_id)
    found.notes = selectors.published_notes(service=found)
    found.own_rating = selectors.rating_of(actor=actor, service=found)
    return found


@router.put("services/{uuid:service_id}/rating", response={200: RatingOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS})
def rating_put(request, service_id: UUID, payload: RatingIn):
    actor = api_member(request)
    found = selectors.service_get_for_member(actor=actor, service_id=service_id)
    return services.rating_save(actor=actor, service=found, stars=payload.stars, note=payload.note)


@router.delete("services/{uuid:service_id}/rating", response={204: None, **NOT_FOUND, **AUTH_ERRORS})
def rating_delete(request, service_id: UUID):
    actor = api_member(request)
    own = selectors.rating_of(actor=actor, service=selectors.service_get_for_member(actor=actor, service_id=service_id))
    if own is None:
        raise Http404
    services.rating_delete(actor=actor, rating=own)
    return Status(204, None)


# Referrals --------------------------------------------------------------------------------------------------


@router.post("referrals", response={201: ReferralOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS})
def referral_request(request, payload: ReferralIn):
    actor = api_member(request)
    found = selectors.service_get_for_member(actor=actor, service_id=payload.service_id) if payload.service_id else None
    referral = services.referral_request(actor=actor, service=found, kind=payload.kind or "", message=payload.message)
    return Status(201, referral)


@router.get("referrals", response={200: list[ReferralOut], **AUTH_ERRORS, **PARAM_ERRORS})
@paginate(Pagination)
def referral_list(request):
    return selectors.referrals_of(actor=api_member(request))


@router.post(
    "referrals/{uuid:referral_id}/close", response={200: ReferralOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS}
)
def referral_close(request, referral_id: UUID):
    actor = api_member(request)
    # The member closes their own request; staff close any of their organisation's.
    try:
        referral = selectors.referral_get_for_member(actor=actor, referral_id=referral_id)
    except Http404:
        referral = selectors.referral_get_for_staff(actor=actor, referral_id=referral_id)
    return services.referral_close(actor=actor, referral=referral)


@router.get("staff/referrals", response={200: list[StaffReferralSummaryOut], **AUTH_ERRORS, **PARAM_ERRORS})
@paginate(Pagination)
def staff_referral_list(request, filters: Query[StaffReferralFilters]):
    actor = api_staff(request)
    services.referral_queue_viewed(actor=actor)
    return selectors.referrals_for_staff(actor=actor, status=filters.status or "")


@router.get("staff/referrals/{uuid:referral_id}", response={200: StaffReferralOut, **NOT_FOUND, **AUTH_ERRORS})
def staff_referral_get(request, referral_id: UUID):
    actor = api_staff(request)
    referral = selectors.referral_get_for_staff(actor=actor, referral_id=referral_id)
    services.referral_viewed(actor=actor, referral=referral)
    return referral


@router.post(
    "staff/referrals/{uuid:referral_id}/answer",
    response={200: StaffReferralOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS},
)
def staff_referral_answer(request, referral_id: UUID, payload: ReferralAnswerIn):
    actor = api_staff(request)
    referral = selectors.referral_get_for_staff(actor=actor, referral_id=referral_id)
    return services.referral_answer(actor=actor, referral=referral, answer=payload.answer)


# Moderation -------------------------------------------------------------------------------------------------


@router.get("staff/ratings", response={200: list[RatingToModerateOut], **NOT_FOUND, **AUTH_ERRORS, **PARAM_ERRORS})
@paginate(Pagination)
def rating_queue(request):
    return selectors.ratings_to_moderate(actor=api_member(request))


@router.post(
    "staff/ratings/{uuid:rating_id}/moderate",
    response={200: RatingToModerateOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS},
)
def rating_moderate(request, rating_id: UUID, payload: ModerateIn):
    actor = api_member(request)
    rating = selectors.rating_get_for_moderator(actor=actor, rating_id=rating_id)
    return services.rating_moderate(
        actor=actor, rating=rating, publish=payload.action == "publish", reason=payload.reason
    )
