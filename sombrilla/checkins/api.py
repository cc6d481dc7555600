"""Check-ins: buddies, safety settings, plans, check-in with a PIN, extend, SOS, responders and the duty rota.
As thin as the views: the same services and selectors, so the API and the pages cannot disagree.

Never answer with a PIN or its hash, and never let the member's own answers differ between a safe check-in
and a duress one: whoever holds the phone may be the reason for the duress PIN.
"""

import json
from datetime import datetime, time, timedelta
from uuid import UUID

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AwareDatetime, ConfigDict, field_validator, model_validator

from sombrilla.accounts import selectors as account_selectors
from sombrilla.accounts.access import api_member, api_staff
from sombrilla.accounts.api import AUTH_ERRORS, BODY_ERRORS, PARAM_ERRORS, Detail, In, Pagination
from sombrilla.alerts.models import IdentifierKind, identifier_hint
from sombrilla.checkins import selectors, services
from sombrilla.checkins.models import EXTEND_MINUTES, Buddy, Plan
from sombrilla.core import clock

router = Router(tags=["checkins"])
NOT_FOUND = {404: Detail}


class StrictIn(In):
    # A misspelt field ignored in silence could leave a member believing a PIN or a buddy was set: refuse it.
    model_config = ConfigDict(extra="forbid")


# Buddies ----------------------------------------------------------------------------------------------------


class BuddyIn(StrictIn):
    # A plain string listing the kinds: the enum's own name, Kind, is taken in the schema by police alerts' kinds.
    kind: str = Field(
        json_schema_extra={"enum": list(Buddy.Kind.values)},
        description="member: another member, who must accept; sms or email: an outside contact",
    )
    pseudonym: str = Field("", max_length=64, description="For a member buddy: their pseudonym")
    name: str = Field("", max_length=80, description="What you call this buddy (required for an outside contact)")
    contact: str = Field(
        "", max_length=254, description="For sms: a phone number with country code; for email: the address"
    )
    known_as: str = Field(
        "", max_length=40, description="The name an outside contact knows you by, put in their message"
    )
    language: str = Field("", max_length=16, description="The language of an outside contact's messages")


class BuddyOut(Schema):
    id: UUID
    kind: str
    name: str
    pseudonym: str | None = Field(description="A member buddy's pseudonym")
    contact_hint: str | None = Field(description="Enough of an outside contact's number or address to recognise it")
    known_as: str
    language: str
    status: str
    created_at: datetime
    answered_at: datetime | None

    @staticmethod
    def resolve_pseudonym(buddy) -> str | None:
        return buddy.buddy.account.pseudonym if buddy.buddy_id else None

    @staticmethod
    def resolve_contact_hint(buddy) -> str | None:
        if not buddy.contact:
            return None
        return identifier_hint(
            IdentifierKind.EMAIL if buddy.kind == Buddy.Kind.EMAIL else IdentifierKind.PHONE, buddy.contact
        )


class BuddyRequestOut(Schema):
    """A request to the caller: who asked, never what they call the caller."""

    id: UUID
    member: str = Field(alias="membership.account.pseudonym", description="The member who asked")
    status: str
    created_at: datetime
    answered_at: datetime | None


class AnswerIn(StrictIn):
    accept: bool


# Settings ---------------------------------------------------------------------------------------------------


class SettingsIn(StrictIn):
    grace_minutes: int = Field(ge=5, le=120, description="How long after a plan's end before buddies are alerted")
    pin: str = Field("", max_length=16, description="4 to 8 digits; empty keeps the current PIN")
    duress_pin: str = Field("", max_length=16, description="4 to 8 digits; checks in as usual and alerts in silence")
    remove_pins: bool = False


class SettingsOut(Schema):
    grace_minutes: int
    has_pin: bool
    has_duress_pin: bool

    @staticmethod
    def resolve_has_pin(found) -> bool:
        return bool(found.pin_hash)

    @staticmethod
    def resolve_has_duress_pin(found) -> bool:
        return bool(found.duress_pin_hash)


# Plans ------------------------------------------------------------------------------------------------------


class ClientIdentifierIn(StrictIn):
    kind: IdentifierKind = Field(description="phone, handle, email or plate")
    value: str = Field(min_length=1, max_length=200)


class ClientIdentifierOut(Schema):
    kind: str
    value: str


class PlanIn(StrictIn):
    starts_at: AwareDatetime | None = Field(None, description="Omit if it starts now")
    ends_at: AwareDatetime | None = Field(None, description="The expected end; or give `minutes`")
    minutes: int | None = Field(None, ge=1, le=services.MAX_PLAN_HOURS * 60, description="How long from the start")
    place: str = Field("", max_length=500)
    identifiers: list[ClientIdentifierIn] = Field([], max_length=4, description="The client's, screened against alerts")
    note: str = Field("", max_length=1000)

    @model_validator(mode="after")
    def _one_end(self):
        if (self.ends_at is None) == (self.minutes is None):
            raise ValueError(_("Give either the expected end or how many minutes it lasts."))
        # One "now" for both ends, so a plan of 60 minutes lasts exactly 60 minutes.
        self.starts_at = self.starts_at or clock.now()
        if self.ends_at is None:
            try:
                self.ends_at = self.starts_at + timedelta(minutes=self.minutes)
            except OverflowError:  # a start near the end of the calendar: a date no plan can have
                raise ValueError(
                    _("A plan can last up to %(hours)d hours.") % {"hours": services.MAX_PLAN_HOURS}
                ) from None
        return self


class WarningOut(Schema):
    kind: str
    reports: int
    confirmed: bool = Field(description="False: only unverified reports so far")
    categories: list[str]

    @staticmethod
    def resolve_categories(warning) -> list[str]:
        return [str(label) for label in warning.categories]


class PlanOut(Schema):
    """A plan as its own member sees it: one escalated in silence reads as the safe check-in it pretends to be."""

    id: UUID
    status: str
    starts_at: datetime
    ends_at: datetime
    grace_minutes: int
    place: str
    identifiers: list[ClientIdentifierOut]
    note: str
    checked_in_at: datetime | None
    closed_at: datetime | None
    outcome: str
    created_at: datetime

    @staticmethod
    def resolve_status(plan) -> str:
        return selectors.member_status(plan)

    @staticmethod
    def resolve_identifiers(plan) -> list[dict]:
        return [{"kind": kind, "value": value} for kind, value in services.plan_identifiers(plan)]


class PlanCreatedOut(PlanOut):
    warnings: list[WarningOut] = Field(alias="screening_warnings", description="Identifiers that match alerts")


class StepOut(Schema):
    """One line of who was told: the step, one recipient, the channel and what became of the message."""

    kind: str
    label: str
    reason: str
    fired_at: datetime
    recipient: str
    channel: str
    status: str
    sent_at: datetime | None


def _escalation(plan, *, for_member: bool) -> list[dict]:
    return [
        {
            "kind": line.step.kind,
            "label": str(line.step.get_kind_display()),
            "reason": line.step.reason,
            "fired_at": line.step.fired_at,
            "recipient": line.recipient,
            "channel": str(line.channel),
            "status": str(line.status),
            "sent_at": line.sent_at,
        }
        for line in selectors.escalation_record(plan=plan, for_member=for_member)
    ]


class PlanDetailOut(PlanOut):
    escalation: list[StepOut]
    responders: list[str] = Field(description="Who said they are acting on the alert")

    @staticmethod
    def resolve_escalation(plan) -> list[dict]:
        return _escalation(plan, for_member=True)

    @staticmethod
    def resolve_responders(plan) -> list[str]:
        return selectors.responders_of(plan=plan, for_member=True)


class CheckInIn(StrictIn):
    pin: str = Field("", max_length=16, description="Required once you have set a PIN")


class ExtendIn(StrictIn):
    minutes: int = Field(json_schema_extra={"enum": list(EXTEND_MINUTES)})


class LocationIn(StrictIn):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy: float | None = Field(None, ge=0, le=100_000, allow_inf_nan=False, description="In metres")


class SosIn(StrictIn):
    plan_id: UUID | None = Field(None, description="Omit to raise an SOS without a plan: one is made on the spot")
    location: LocationIn | None = Field(None, description="Sent only with the SOS, deleted with the plan")
    note: str = Field("", max_length=1000)


class CloseIn(StrictIn):
    outcome: Plan.Outcome
    note: str = Field("", max_length=1000)


class ClosedOut(Schema):
    id: UUID
    status: str
    outcome: str
    closed_at: datetime | None


# Responders and staff ---------------------------------------------------------------------------------------


class LocationOut(Schema):
    lat: float
    lon: float
    accuracy: float


class CheckinAlertSummaryOut(Schema):
    """An open alert in staff's list: who and when, no details (those are read, and audited, one at a time)."""

    id: UUID
    member: str = Field(alias="membership.account.pseudonym")
    silent: bool = Field(alias="duress", description="Raised in silence: the member's phone shows all is well")
    status: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    responders: list[str]

    @staticmethod
    def resolve_responders(plan) -> list[str]:
        return selectors.responders_of(plan=plan)


class CheckinAlertOut(CheckinAlertSummaryOut):
    """What a buddy or staff member needs to act on an alert."""

    place: str
    identifiers: list[ClientIdentifierOut]
    note: str
    location: LocationOut | None
    checked_in_at: datetime | None
    escalation: list[StepOut]

    @staticmethod
    def resolve_identifiers(plan) -> list[dict]:
        return PlanOut.resolve_identifiers(plan)

    @staticmethod
    def resolve_location(plan) -> dict | None:
        return json.loads(plan.location) if plan.location else None

    @staticmethod
    def resolve_escalation(plan) -> list[dict]:
        return _escalation(plan, for_member=False)


class RespondersOut(Schema):
    responders: list[str]


class DutyIn(StrictIn):
    membership_id: UUID | None = Field(None, description="A staff member of the organisation; omit for yourself")
    weekday: int = Field(ge=0, le=6, description="Monday is 0")
    start: time = Field(description="Wall-clock time in the staff member's own time zone")
    end: time = Field(description="At or before the start: the shift runs past midnight")

    @field_validator("start", "end")
    @classmethod
    def _wall_clock(cls, value):
        # Shifts are read in each staff member's own time zone (their notification preference).
        if value.tzinfo is not None:
            raise ValueError(_("Give the shift as a local time, without a time zone."))
        return value


class DutySlotOut(Schema):
    id: UUID
    membership_id: UUID
    pseudonym: str = Field(alias="membership.account.pseudonym")
    weekday: int
    start: time
    end: time


# Buddies ----------------------------------------------------------------------------------------------------


@router.get("checkins/buddies", response={200: list[BuddyOut], **AUTH_ERRORS})
def buddy_list(request):
    return selectors.buddies_of(actor=api_member(request))


@router.post("checkins/buddies", response={201: BuddyOut, **AUTH_ERRORS, **BODY_ERRORS})
def buddy_add(request, payload: BuddyIn):
    actor = api_member(request)
    if payload.kind == Buddy.Kind.MEMBER:
        buddy = services.buddy_add_member(actor=actor, pseudonym=payload.pseudonym, name=payload.name)
    else:
        buddy = services.buddy_add_outside(
            actor=actor,
            kind=payload.kind,
            contact=payload.contact,
            name=payload.name,
            known_as=payload.known_as,
            language=payload.language,
        )
    return Status(201, buddy)


@router.post(
    "checkins/buddies/{uuid:buddy_id}/answer",
    response={200: BuddyRequestOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS},
)
def buddy_answer(request, buddy_id: UUID, payload: AnswerIn):
    actor = api_member(request)
    buddy = selectors.buddy_get(actor=actor, buddy_id=buddy_id)
    return services.buddy_answer(actor=actor, buddy=buddy, accept=payload.accept)


@router.post("checkins/buddies/{uuid:buddy_id}/remove", response={204: None, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS})
def buddy_remove(request, buddy_id: UUID):
    actor = api_member(request)
    services.buddy_remove(actor=actor, buddy=selectors.buddy_get(actor=actor, buddy_id=buddy_id))
    return Status(204, None)


@router.get("checkins/buddy-requests", response={200: list[BuddyRequestOut], **AUTH_ERRORS})
def buddy_requests(request):
    return selectors.buddy_requests_for(actor=api_member(request))


# Settings ---------------------------------------------------------------------------------------------------


@router.get("checkins/settings", response={200: SettingsOut, **AUTH_ERRORS})
def safety_settings_get(request):
    return services.safety_settings_get(membership=api_member(request))


@router.put("checkins/settings", response={200: SettingsOut, **AUTH_ERRORS, **BODY_ERRORS})
def safety_settings_put(request, payload: SettingsIn):
    return services.safety_settings_update(membership=api_member(request), **payload.dict())


# Plans ------------------------------------------------------------------------------------------------------


@router.get("checkins/plans", response={200: list[PlanOut], **AUTH_ERRORS, **PARAM_ERRORS})
@paginate(Pagination)
def plan_list(request):
    return selectors.plans_of(actor=api_member(request))


@router.post("checkins/plans", response={201: PlanCreatedOut, **AUTH_ERRORS, **BODY_ERRORS})
def plan_create(request, payload: PlanIn):
    plan, warnings = services.plan_create(
        actor=api_member(request),
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        place=payload.place,
        identifiers=[(i.kind, i.value) for i in payload.identifiers],
        note=payload.note,
    )
    plan.screening_warnings = warnings
    return Status(201, plan)


@router.get("checkins/plans/{uuid:plan_id}", response={200: PlanDetailOut, **NOT_FOUND, **AUTH_ERRORS})
def plan_get(request, plan_id: UUID):
    return selectors.plan_get_for_member(actor=api_member(request), plan_id=plan_id)


@router.post(
    "checkins/plans/{uuid:plan_id}/check-in", response={200: PlanOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS}
)
def plan_check_in(request, plan_id: UUID, payload: CheckInIn):
    actor = api_member(request)
    plan = selectors.plan_get_for_member(actor=actor, plan_id=plan_id)
    return services.plan_check_in(actor=actor, plan=plan, pin=payload.pin)


@router.post("checkins/plans/{uuid:plan_id}/extend", response={200: PlanOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS})
def plan_extend(request, plan_id: UUID, payload: ExtendIn):
    actor = api_member(request)
    plan = selectors.plan_get_for_member(actor=actor, plan_id=plan_id)
    return services.plan_extend(actor=actor, plan=plan, minutes=payload.minutes)


@router.post("checkins/sos", response={200: PlanOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS})
def plan_sos(request, payload: SosIn):
    actor = api_member(request)
    plan = selectors.plan_get_for_member(actor=actor, plan_id=payload.plan_id) if payload.plan_id else None
    location = payload.location.dict() if payload.location else None
    return services.plan_sos(actor=actor, plan=plan, location=location, note=payload.note)


@router.post(
    "checkins/plans/{uuid:plan_id}/close", response={200: ClosedOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS}
)
def plan_close(request, plan_id: UUID, payload: CloseIn):
    actor = api_member(request)
    # The member closes their own plan; staff close one of the alerts they can see.
    try:
        plan = selectors.plan_get_for_member(actor=actor, plan_id=plan_id)
    except Http404:
        plan = selectors.plan_get_for_responder(actor=actor, plan_id=plan_id)
    return services.plan_close(actor=actor, plan=plan, outcome=payload.outcome, note=payload.note)


# Responders and staff ---------------------------------------------------------------------------------------


@router.get("checkins/alerts/{uuid:plan_id}", response={200: CheckinAlertOut, **NOT_FOUND, **AUTH_ERRORS})
def checkin_alert(request, plan_id: UUID):
    actor = api_member(request)
    plan = selectors.plan_get_for_responder(actor=actor, plan_id=plan_id)
    services.plan_viewed(actor=actor, plan=plan)
    return plan


@router.post(
    "checkins/alerts/{uuid:plan_id}/respond",
    response={200: RespondersOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS},
)
def checkin_respond(request, plan_id: UUID):
    actor = api_member(request)
    plan = selectors.plan_get_for_responder(actor=actor, plan_id=plan_id)
    services.plan_respond(actor=actor, plan=plan)
    return RespondersOut(responders=selectors.responders_of(plan=plan))


@router.get("staff/checkins", response={200: list[CheckinAlertSummaryOut], **AUTH_ERRORS, **PARAM_ERRORS})
@paginate(Pagination)
def staff_checkins(request):
    return selectors.escalated_plans(actor=api_staff(request))


@router.get("staff/duty", response={200: list[DutySlotOut], **AUTH_ERRORS})
def duty_list(request):
    return selectors.duty_rota(actor=api_staff(request))


@router.post("staff/duty", response={201: DutySlotOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS})
def duty_add(request, payload: DutyIn):
    actor = api_staff(request)
    membership = (
        account_selectors.membership_get_for_staff(actor=actor, membership_id=payload.membership_id)
        if payload.membership_id
        else actor
    )
    slot = services.duty_slot_add(
        actor=actor, membership=membership, weekday=payload.weekday, start=payload.start, end=payload.end
    )
    return Status(201, slot)


@router.post("staff/duty/{uuid:slot_id}/remove", response={204: None, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS})
def duty_remove(request, slot_id: UUID):
    actor = api_staff(request)
    services.duty_slot_remove(actor=actor, slot=get_object_or_404(selectors.duty_rota(actor=actor), pk=slot_id))
    return Status(204, None)
