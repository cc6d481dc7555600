"""The only writers of check-in state: buddies, the duty rota, PINs, plans and their escalation steps.

A plan's next deadline is `Plan.next_step_at`. `plans_fire_due`, run by the scheduler in every
`sombrilla worker`, takes each due plan under a row lock, fires its step and writes the step's notifications
(notify.dispatch_create) in the same transaction, and moves the deadline on. A worker killed half-way rolls
back and the next tick fires the step again; two workers skip each other's locked rows; and a step is unique
per plan and kind (per deadline for the "are you OK?" question), so no step can fire twice.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from sombrilla.accounts.models import Membership, Role
from sombrilla.alerts.models import SCREENABLE_KINDS
from sombrilla.alerts.normalise import identifier_normalise
from sombrilla.checkins.models import (
    EXTEND_MINUTES,
    MAX_BUDDIES,
    Buddy,
    CheckinTally,
    ContactLink,
    DutySlot,
    Plan,
    Responder,
    SafetySettings,
    Step,
)
from sombrilla.core import clock, crypto
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record, audit_record_outside, count_up
from sombrilla.notify.channels import normalise_destination
from sombrilla.notify.models import Channel, Delivery, Topic
from sombrilla.notify.services import Outside, dispatch_create, dispatches_delete

logger = logging.getLogger(__name__)

# A plan longer than this is not a meeting; a member who needs more makes a new plan.
MAX_PLAN_HOURS = 24
MAX_OPEN_PLANS = 5
# Wrong PINs on one plan before it escalates silently: someone may be trying PINs on a taken phone.
MAX_WRONG_PINS = 5
LINK_HOURS = 24


class CheckinError(Exception):
    """A request about check-ins that cannot be honoured; the message says why, in the member's language."""


# Why a plan escalated, as counted for M&E: the two silent reasons are one event (see CheckinTally).
_ESCALATION_EVENTS = {
    Step.Reason.DUE: CheckinTally.Event.ESCALATED_DUE,
    Step.Reason.SOS: CheckinTally.Event.ESCALATED_SOS,
    Step.Reason.DURESS: CheckinTally.Event.ESCALATED_SILENT,
    Step.Reason.WRONG_PINS: CheckinTally.Event.ESCALATED_SILENT,
}


def _tally(plan: Plan, event: str, now: datetime) -> None:
    """+1 in the organisation's unlinked monthly figures (CheckinTally)."""
    count_up(CheckinTally, organisation_id=plan.organisation_id, month=clock.month(now), event=event)


def _require_member(actor: Membership) -> None:
    if actor.is_suspended or not actor.is_organisation_member:
        raise CheckinError(_("Only members of the organisation can use check-ins."))


# Own settings and PINs -------------------------------------------------------------------------------


def safety_settings_get(*, membership: Membership) -> SafetySettings:
    found, _created = SafetySettings.objects.get_or_create(membership=membership)
    return found


def _pin_clean(pin: str) -> str:
    pin = pin.strip()
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise CheckinError(_("A PIN is 4 to 8 digits."))
    return pin


@transaction.atomic
def safety_settings_update(
    *, membership: Membership, grace_minutes: int, pin: str = "", duress_pin: str = "", remove_pins: bool = False
) -> SafetySettings:
    """Save the member's grace period and, when given, new PINs. Empty PINs keep the old ones.

    The duress PIN needs a check-in PIN beside it, and must differ from it: it is the one that looks like a
    safe check-in on the screen and raises the alert in silence.
    """
    _require_member(membership)
    if not 5 <= grace_minutes <= 120:
        raise CheckinError(_("The wait before your buddies are alerted is 5 to 120 minutes."))
    found = SafetySettings.objects.select_for_update().get(pk=safety_settings_get(membership=membership).pk)
    found.grace_minutes = grace_minutes
    if remove_pins:
        found.pin_hash = found.duress_pin_hash = ""
    else:
        pin = _pin_clean(pin) if pin.strip() else ""
        duress_pin = _pin_clean(duress_pin) if duress_pin.strip() else ""
        if duress_pin and not (pin or found.pin_hash):
            raise CheckinError(_("Set a check-in PIN before a duress PIN."))
        if pin and duress_pin and pin == duress_pin:
            raise CheckinError(_("The duress PIN must differ from your check-in PIN."))
        if duress_pin and not pin and check_password(duress_pin, found.pin_hash):
            raise CheckinError(_("The duress PIN must differ from your check-in PIN."))
        if pin and not duress_pin and found.duress_pin_hash and check_password(pin, found.duress_pin_hash):
            raise CheckinError(_("The duress PIN must differ from your check-in PIN."))
        if pin:
            found.pin_hash = make_password(pin)
        if duress_pin:
            found.duress_pin_hash = make_password(duress_pin)
    found.save()
    return found


# Buddies ----------------------------------------------------------------------------------------------


def _buddy_room(actor: Membership) -> None:
    counted = Buddy.objects.filter(membership=actor).exclude(status=Buddy.Status.DECLINED).count()
    if counted >= MAX_BUDDIES:
        raise CheckinError(_("You can name up to %(count)d buddies.") % {"count": MAX_BUDDIES})


@transaction.atomic
def buddy_add_member(*, actor: Membership, pseudonym: str, name: str = "") -> Buddy:
    """Ask another member of the organisation to be a buddy; they count once they accept."""
    _require_member(actor)
    Membership.objects.select_for_update().get(pk=actor.pk)  # one add at a time per member: the cap holds
    _buddy_room(actor)
    buddy = (
        Membership.objects.filter(
            organisation=actor.organisation,
            account__pseudonym__iexact=pseudonym.strip(),
            suspended_at__isnull=True,
        )
        .exclude(role=Role.ANALYST)
        .first()
    )
    # The same answer for "no such member" and "not in your organisation": a pseudonym search reveals nothing.
    if buddy is None:
        raise CheckinError(_("No member of your organisation has that name."))
    if buddy.pk == actor.pk:
        raise CheckinError(_("You cannot be your own buddy."))
    if Buddy.objects.filter(membership=actor, buddy=buddy).exists():
        raise CheckinError(_("You have already asked this member."))
    created = Buddy.objects.create(
        membership=actor, kind=Buddy.Kind.MEMBER, buddy=buddy, name=(name.strip() or buddy.account.pseudonym)[:80]
    )
    dispatch_create(
        organisation=actor.organisation,
        topic=Topic.BUDDY_REQUEST,
        target_id=created.pk,
        url=reverse("checkins:buddies"),
        recipients=Membership.objects.filter(pk=buddy.pk),
    )
    return created


@transaction.atomic
def buddy_add_outside(
    *, actor: Membership, kind: str, contact: str, name: str, known_as: str = "", language: str = ""
) -> Buddy:
    """Name someone outside the organisation, reached by SMS or email. They count at once: they have no
    account to accept with, and the member vouches for them."""
    _require_member(actor)
    Membership.objects.select_for_update().get(pk=actor.pk)
    _buddy_room(actor)
    if kind not in (Buddy.Kind.SMS, Buddy.Kind.EMAIL):
        raise CheckinError(_("Choose how to reach this buddy: by SMS or by email."))
    name = name.strip()
    if not name:
        raise CheckinError(_("Give this buddy a name you will recognise."))
    destination = normalise_destination(kind, contact, actor.organisation.default_country)
    if destination is None:
        raise CheckinError(
            _("That does not look like an email address.")
            if kind == Buddy.Kind.EMAIL
            else _("That does not look like a phone number. Include the country code, e.g. +254…")
        )
    languages = dict(settings.LANGUAGES)
    return Buddy.objects.create(
        membership=actor,
        kind=kind,
        contact=destination,
        name=name[:80],
        known_as=known_as.strip()[:40],
        language=language if language in languages else (actor.account.language or settings.LANGUAGE_CODE),
        status=Buddy.Status.ACCEPTED,
        answered_at=clock.now(),
    )


@transaction.atomic
def buddy_answer(*, actor: Membership, buddy: Buddy, accept: bool) -> Buddy:
    """The asked member says yes or no. A yes can be withdrawn later with buddy_remove."""
    if buddy.buddy_id != actor.pk:
        raise CheckinError(_("This request was not sent to you."))
    if buddy.status != Buddy.Status.INVITED:
        raise CheckinError(_("You have already answered this request."))
    buddy.status = Buddy.Status.ACCEPTED if accept else Buddy.Status.DECLINED
    buddy.answered_at = clock.now()
    buddy.save(update_fields=["status", "answered_at"])
    return buddy


@transaction.atomic
def buddy_remove(*, actor: Membership, buddy: Buddy) -> None:
    """The member removes a buddy, or a member buddy stops being one."""
    if actor.pk not in (buddy.membership_id, buddy.buddy_id):
        raise CheckinError(_("This buddy is not yours to remove."))
    buddy.delete()


# Duty rota --------------------------------------------------------------------------------------------


def _require_staff(actor: Membership) -> None:
    if not actor.is_staff_role or actor.is_suspended:
        raise CheckinError(_("Only staff can do this."))


@transaction.atomic
def duty_slot_add(*, actor: Membership, membership: Membership, weekday: int, start, end) -> DutySlot:
    _require_staff(actor)
    if membership.organisation_id != actor.organisation_id or not membership.is_staff_role:
        raise CheckinError(_("Only staff of the organisation can be on duty."))
    if not 0 <= weekday <= 6:
        raise CheckinError(_("Choose a day of the week."))
    if start == end:
        raise CheckinError(_("A shift needs a different start and end."))
    slot = DutySlot.objects.create(membership=membership, weekday=weekday, start=start, end=end)
    audit_record(actor=actor, action=AuditAction.DUTY_ROTA_CHANGED, target_type="duty_slot", target_id=slot.pk)
    return slot


@transaction.atomic
def duty_slot_remove(*, actor: Membership, slot: DutySlot) -> None:
    _require_staff(actor)
    if slot.membership.organisation_id != actor.organisation_id:
        raise CheckinError(_("Only staff of the organisation can be on duty."))
    audit_record(actor=actor, action=AuditAction.DUTY_ROTA_CHANGED, target_type="duty_slot", target_id=slot.pk)
    slot.delete()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo(settings.TIME_ZONE)


def on_duty(*, organisation, now: datetime) -> list:
    """Staff whose shift covers `now`, each in their own time zone. Nobody on the rota: every staff member,
    so an escalation never ends with no one told."""
    staff = Membership.objects.filter(
        organisation=organisation, role__in=(Role.STAFF, Role.ADMIN), suspended_at__isnull=True
    )
    slots = DutySlot.objects.filter(membership__in=staff).values_list(
        "membership_id", "weekday", "start", "end", "membership__notify_preference__timezone"
    )
    chosen = set()
    for membership_id, weekday, start, end, zone in slots:
        local = now.astimezone(_zone(zone))
        at, day = local.time(), local.weekday()
        if start < end:
            inside = day == weekday and start <= at < end
        else:  # past midnight: the evening of `weekday` and the early hours of the next day
            inside = (day == weekday and at >= start) or (day == (weekday + 1) % 7 and at < end)
        if inside:
            chosen.add(membership_id)
    return list(chosen) if chosen else list(staff.values_list("pk", flat=True))


# Plans ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Warning:
    """A client identifier on a new plan that matches published alerts: what the member should know."""

    kind: str
    reports: int
    confirmed: bool
    categories: list[str]


def _identifiers_clean(actor: Membership, identifiers) -> list[list[str]]:
    cleaned = []
    for kind, value in identifiers:
        if kind not in SCREENABLE_KINDS:
            raise CheckinError(_("Choose what you are checking: a phone number, handle, email or plate."))
        result = identifier_normalise(kind, value[:200], default_country=actor.organisation.default_country)
        if result is not None and list(result) not in cleaned:
            cleaned.append([str(result[0]), result[1]])
    return cleaned[:4]


def _screen(actor: Membership, identifiers: list[list[str]]) -> list[Warning]:
    """Check the plan's client against published alerts, as "check before you meet" does (and counted
    against the same daily limit); only matches come back."""
    from sombrilla.alerts.services import AlertError, screening_check

    warnings = []
    for kind, value in identifiers:
        try:
            answer = screening_check(actor=actor, kind=kind, value=value)
        except AlertError:  # the daily limit, most likely: the plan still goes ahead
            continue
        if answer.reports:
            warnings.append(Warning(answer.kind, answer.reports, answer.confirmed, answer.categories))
    return warnings


@transaction.atomic
def plan_create(
    *,
    actor: Membership,
    starts_at: datetime,
    ends_at: datetime,
    place: str = "",
    identifiers=(),
    note: str = "",
) -> tuple[Plan, list[Warning]]:
    """Start a plan. Its client identifiers are screened at once; matches come back as warnings."""
    _require_member(actor)
    now = clock.now()
    if ends_at <= now:
        raise CheckinError(_("The expected end must be in the future."))
    if ends_at <= starts_at:
        raise CheckinError(_("The expected end must come after the start."))
    if ends_at - min(starts_at, now) > timedelta(hours=MAX_PLAN_HOURS):
        raise CheckinError(_("A plan can last up to %(hours)d hours.") % {"hours": MAX_PLAN_HOURS})
    if Plan.objects.filter(membership=actor, status=Plan.Status.ACTIVE).count() >= MAX_OPEN_PLANS:
        raise CheckinError(_("You have too many open plans. Check in on one first."))
    cleaned = _identifiers_clean(actor, identifiers)
    plan = Plan.objects.create(
        organisation=actor.organisation,
        membership=actor,
        starts_at=starts_at,
        ends_at=ends_at,
        grace_minutes=safety_settings_get(membership=actor).grace_minutes,
        place=place.strip()[:500],
        identifiers=json.dumps(cleaned) if cleaned else "",
        note=note.strip()[:1000],
        next_step_at=ends_at,
    )
    _tally(plan, CheckinTally.Event.PLAN, now)
    return plan, _screen(actor, cleaned)


def plan_identifiers(plan: Plan) -> list[tuple[str, str]]:
    return [(kind, value) for kind, value in json.loads(plan.identifiers)] if plan.identifiers else []


def _locked(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().select_related("organisation", "membership__account").get(pk=plan.pk)


def _require_own_open(actor: Membership, plan: Plan) -> None:
    if plan.membership_id != actor.pk:
        raise CheckinError(_("This plan is not yours."))
    if plan.status == Plan.Status.CLOSED or plan.checked_in_at is not None:
        raise CheckinError(_("This plan is already closed."))


def plan_check_in(*, actor: Membership, plan: Plan, pin: str = "") -> Plan:
    """The member is safe. With the duress PIN the answer is the same, and the alert goes out in silence.

    A member who set a PIN must give it; MAX_WRONG_PINS wrong ones on one plan raise the alert in silence too
    (someone else may be trying PINs on the member's phone), while the screen keeps saying "wrong PIN".
    """
    # The wrong-PIN count (and the alert it may raise) is committed before the refusal is raised.
    with transaction.atomic():
        plan = _locked(plan)
        _require_own_open(actor, plan)
        own = safety_settings_get(membership=actor)
        now = clock.now()
        pin = pin.strip()
        duress = bool(own.duress_pin_hash and pin and check_password(pin, own.duress_pin_hash))
        wrong = bool(own.pin_hash) and not duress and not (pin and check_password(pin, own.pin_hash))
        if duress:
            plan.checked_in_at = now
            _escalate(plan, now, Step.Reason.DURESS, silent=True)
        elif wrong:
            plan.wrong_pins += 1
            if plan.wrong_pins >= MAX_WRONG_PINS and not plan.duress:
                _escalate(plan, now, Step.Reason.WRONG_PINS, silent=True)
        else:
            plan.checked_in_at = now
            plan.next_step_at = None
            if plan.status == Plan.Status.ESCALATED:
                _stand_down(plan, now, Step.Reason.CHECKED_IN)
                _close(plan, now, actor, Plan.Outcome.SAFE, "")
            else:
                plan.status = Plan.Status.SAFE
                plan.delete_after = now + timedelta(hours=plan.organisation.checkin_keep_hours)
        plan.save()
    if wrong:
        raise CheckinError(_("That PIN is not right."))
    return plan


@transaction.atomic
def plan_extend(*, actor: Membership, plan: Plan, minutes: int) -> Plan:
    plan = _locked(plan)
    _require_own_open(actor, plan)
    if minutes not in EXTEND_MINUTES:
        raise CheckinError(_("Extend by 15, 30 or 60 minutes."))
    if plan.duress:
        # Escalated in silence (too many wrong PINs): the screen must go on looking like an active plan,
        # so the new end is shown while the alert runs its course.
        plan.ends_at = max(plan.ends_at, clock.now()) + timedelta(minutes=minutes)
        plan.save(update_fields=["ends_at"])
        return plan
    if plan.status != Plan.Status.ACTIVE:
        raise CheckinError(_("Your buddies have already been alerted: check in or send an SOS instead."))
    now = clock.now()
    ends_at = max(plan.ends_at, now) + timedelta(minutes=minutes)
    if ends_at - plan.starts_at > timedelta(hours=MAX_PLAN_HOURS):
        raise CheckinError(_("A plan can last up to %(hours)d hours.") % {"hours": MAX_PLAN_HOURS})
    plan.ends_at = plan.next_step_at = ends_at
    plan.save(update_fields=["ends_at", "next_step_at"])
    return plan


def _location_clean(location: dict | None) -> str:
    if not location:
        return ""
    try:
        lat, lon = float(location["lat"]), float(location["lon"])
        accuracy = float(location.get("accuracy") or 0)
    except (KeyError, TypeError, ValueError):
        raise CheckinError(_("The location from this device could not be read.")) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= accuracy <= 100_000):
        raise CheckinError(_("The location from this device could not be read."))
    return json.dumps({"lat": round(lat, 6), "lon": round(lon, 6), "accuracy": round(accuracy)})


@transaction.atomic
def plan_sos(*, actor: Membership, plan: Plan | None = None, location: dict | None = None, note: str = "") -> Plan:
    """Alert the buddies and the duty staff at once. Without a plan, one is made on the spot, so an SOS
    never waits for a form."""
    _require_member(actor)
    located = _location_clean(location)
    now = clock.now()
    if plan is not None and plan.membership_id != actor.pk:
        raise CheckinError(_("This plan is not yours."))
    if plan is not None:
        plan = _locked(plan)
    # A closed plan's page may still be on the screen: the SOS goes out on a new plan rather than fail.
    if plan is None or plan.status == Plan.Status.CLOSED:
        plan = Plan.objects.create(
            organisation=actor.organisation,
            membership=actor,
            starts_at=now,
            ends_at=now,
            grace_minutes=0,
            note=note.strip()[:1000],
        )
        _tally(plan, CheckinTally.Event.PLAN, now)
    if located:
        plan.location = located
    # An SOS after a check-in (a safe one, or one with the duress PIN) reopens the plan: the member's word
    # now is what counts, and her screen shows the alert she raised.
    plan.checked_in_at = None
    plan.delete_after = None
    plan.duress = False
    _escalate(plan, now, Step.Reason.SOS, silent=False)
    plan.save()
    return plan


def _close(plan: Plan, now: datetime, actor: Membership, outcome: str, note: str) -> None:
    plan.status = Plan.Status.CLOSED
    plan.closed_at = now
    plan.closed_by = actor
    plan.outcome = outcome
    plan.outcome_note = note.strip()[:1000]
    plan.next_step_at = None
    plan.delete_after = now + timedelta(days=plan.organisation.checkin_retention_days)


@transaction.atomic
def plan_close(*, actor: Membership, plan: Plan, outcome: str, note: str = "") -> Plan:
    """The member or staff close a plan with its outcome; whoever was alerted hears that it is over."""
    plan = _locked(plan)
    is_owner = plan.membership_id == actor.pk
    is_staff = actor.is_staff_role and not actor.is_suspended and plan.organisation_id == actor.organisation_id
    if not (is_owner or is_staff):
        raise CheckinError(_("Only the member or staff can close this plan."))
    if plan.status == Plan.Status.CLOSED:
        raise CheckinError(_("This plan is already closed."))
    if outcome not in Plan.Outcome.values:
        raise CheckinError(_("Choose how it ended."))
    now = clock.now()
    if plan.status == Plan.Status.ESCALATED:
        _stand_down(plan, now, Step.Reason.CLOSED)
    _close(plan, now, actor, outcome, note)
    plan.save()
    if not is_owner:
        audit_record(actor=actor, action=AuditAction.PLAN_CLOSED, target_type="plan", target_id=plan.pk)
    return plan


def _require_responder(actor: Membership, plan: Plan) -> None:
    told = Delivery.objects.filter(
        dispatch__target_id=plan.pk, dispatch__topic__in=(Topic.CHECKIN_ALERT, Topic.CHECKIN_SOS), membership=actor
    ).exists()
    staff = actor.is_staff_role and plan.organisation_id == actor.organisation_id
    if actor.is_suspended or not (told or staff) or plan.status != Plan.Status.ESCALATED:
        raise CheckinError(_("This alert is not open to you."))


@transaction.atomic
def plan_respond(*, actor: Membership, plan: Plan) -> Responder:
    """A buddy or staff member says "I'm on it", so the others know someone is acting."""
    plan = _locked(plan)
    _require_responder(actor, plan)
    responder, created = Responder.objects.get_or_create(plan=plan, membership=actor)
    if created:
        audit_record(actor=actor, action=AuditAction.PLAN_RESPONDED, target_type="plan", target_id=plan.pk)
    return responder


def plan_viewed(*, actor: Membership, plan: Plan) -> None:
    """Audit a view of a plan's details by anyone but its member."""
    if plan.membership_id != actor.pk:
        audit_record(actor=actor, action=AuditAction.PLAN_VIEWED, target_type="plan", target_id=plan.pk)


# Outside contacts' one-time links ---------------------------------------------------------------------


def _link_hash(token: str) -> str:
    return crypto.identifier_hash("checkin-link", token)


def link_open(*, token: str, respond: bool = False) -> tuple[Plan, Buddy]:
    """What an outside contact's link shows: the plan while it is escalated and the link is young. Every
    opening is audited; `respond` records "I'm on it"."""
    link = (
        ContactLink.objects.select_related("plan__organisation", "plan__membership__account", "buddy")
        .filter(token_hash=_link_hash(token[:100]))
        .first()
    )
    if link is None or link.expires_at <= clock.now():
        raise CheckinError(_("This link has expired or does not exist."))
    plan = link.plan
    if plan.status != Plan.Status.ESCALATED:
        raise CheckinError(_("This alert is over. Thank you for looking out."))
    with transaction.atomic():
        label = _("outside contact: %(name)s") % {"name": link.buddy.name}
        if respond:
            _responder, created = Responder.objects.get_or_create(plan=plan, buddy=link.buddy)
            if created:
                audit_record_outside(
                    organisation=plan.organisation,
                    label=label,
                    action=AuditAction.PLAN_RESPONDED,
                    target_type="plan",
                    target_id=plan.pk,
                )
        else:
            audit_record_outside(
                organisation=plan.organisation,
                label=label,
                action=AuditAction.PLAN_VIEWED,
                target_type="plan",
                target_id=plan.pk,
            )
    return plan, link.buddy


# Firing steps -----------------------------------------------------------------------------------------


def _plan_url(plan: Plan) -> str:
    return reverse("checkins:plan", args=[plan.pk])


def _alert_url(plan: Plan) -> str:
    return reverse("checkins:alert", args=[plan.pk])


def _step(plan: Plan, kind: str, reason: str, now: datetime, dispatch=None, due_at=None) -> Step:
    return Step.objects.create(plan=plan, kind=kind, reason=reason, fired_at=now, dispatch=dispatch, due_at=due_at)


def _outside_text(buddy: Buddy, topic: str, link: str) -> str:
    with translation.override(buddy.language or settings.LANGUAGE_CODE):
        values = {"site": settings.SITE_NAME, "name": buddy.known_as or _("your friend"), "link": link}
        if topic == Topic.CHECKIN_SOS:
            return _("%(site)s SOS: %(name)s asked for help. Details (link valid 24 hours): %(link)s") % values
        if topic == Topic.CHECKIN_ALERT:
            return (
                _(
                    "%(site)s safety alert: %(name)s has not checked in after a meeting. "
                    "Please check on them. Details (link valid 24 hours): %(link)s"
                )
                % values
            )
        return _("%(site)s: the alert about %(name)s is over. Thank you for looking out.") % values


def _outside_buddies(plan: Plan, topic: str, now: datetime) -> list[Outside]:
    """One message per outside buddy, each with its own one-time link (only the link's hash is kept)."""
    told = []
    for buddy in Buddy.objects.filter(membership_id=plan.membership_id, kind__in=(Buddy.Kind.SMS, Buddy.Kind.EMAIL)):
        token = crypto.random_token(24)
        ContactLink.objects.create(
            plan=plan, buddy=buddy, token_hash=_link_hash(token), expires_at=now + timedelta(hours=LINK_HOURS)
        )
        link = settings.SITE_URL + reverse("checkins:link", args=[token])
        told.append(
            Outside(
                reference=buddy.pk,
                channel=buddy.kind,
                destination=buddy.contact,
                message=_outside_text(buddy, topic, link),
            )
        )
    return told


def _escalate(plan: Plan, now: datetime, reason: str, *, silent: bool) -> None:
    """Alert the buddies now, and the duty staff now (SOS, duress) or after the organisation's delay. A step
    already fired is not fired again. `silent`: the member's own pages go on showing a safe check-in."""
    fired = set(plan.steps.values_list("kind", flat=True))
    urgent = reason != Step.Reason.DUE
    if plan.status != Plan.Status.ESCALATED:
        _tally(plan, _ESCALATION_EVENTS[reason], now)
    plan.status = Plan.Status.ESCALATED
    if silent:
        plan.duress = True
    # With nobody to tell at the first level, waiting before the duty staff would only lose time.
    nobody_told = Step.Kind.BUDDIES not in fired and not _fire_buddies(plan, now, reason, urgent)
    if urgent or nobody_told or not plan.organisation.checkin_staff_minutes:
        if Step.Kind.STAFF not in fired:
            _fire_staff(plan, now, reason)
        plan.next_step_at = None
    elif Step.Kind.STAFF not in fired:
        plan.next_step_at = now + timedelta(minutes=plan.organisation.checkin_staff_minutes)


def _fire_buddies(plan: Plan, now: datetime, reason: str, urgent: bool) -> bool:
    """Write the buddies step; whether anyone at all was told."""
    topic = Topic.CHECKIN_SOS if urgent else Topic.CHECKIN_ALERT
    members = Membership.objects.filter(
        buddy_of__membership_id=plan.membership_id,
        buddy_of__status=Buddy.Status.ACCEPTED,
        suspended_at__isnull=True,
    )
    dispatch = dispatch_create(
        organisation=plan.organisation,
        topic=topic,
        target_id=plan.pk,
        url=_alert_url(plan),
        recipients=members,
        urgent=True,
        outside=_outside_buddies(plan, topic, now),
    )
    _step(plan, Step.Kind.BUDDIES, reason, now, dispatch)
    return dispatch.deliveries.exclude(status=Delivery.Status.UNDELIVERABLE).exists()


def _fire_staff(plan: Plan, now: datetime, reason: str) -> None:
    urgent = reason != Step.Reason.DUE
    dispatch = dispatch_create(
        organisation=plan.organisation,
        topic=Topic.CHECKIN_SOS if urgent else Topic.CHECKIN_ALERT,
        target_id=plan.pk,
        url=_alert_url(plan),
        recipients=Membership.objects.filter(pk__in=on_duty(organisation=plan.organisation, now=now)),
        urgent=True,
    )
    _step(plan, Step.Kind.STAFF, reason, now, dispatch)


def _stand_down(plan: Plan, now: datetime, reason: str) -> None:
    """Tell everyone who was alerted that it is over, once."""
    if plan.steps.filter(kind=Step.Kind.STOOD_DOWN).exists():
        return
    alerted = plan.steps.filter(kind__in=(Step.Kind.BUDDIES, Step.Kind.STAFF)).values_list("dispatch_id", flat=True)
    members = Membership.objects.filter(
        pk__in=Delivery.objects.filter(dispatch_id__in=list(alerted), channel=Channel.INAPP).values("membership_id")
    )
    outside = [
        Outside(
            reference=link.buddy_id,
            channel=link.buddy.kind,
            destination=link.buddy.contact,
            message=_outside_text(link.buddy, Topic.CHECKIN_OVER, ""),
        )
        for link in plan.links.select_related("buddy")
    ]
    dispatch = dispatch_create(
        organisation=plan.organisation,
        topic=Topic.CHECKIN_OVER,
        target_id=plan.pk,
        url="",
        recipients=members,
        urgent=True,
        outside=outside,
    )
    _step(plan, Step.Kind.STOOD_DOWN, reason, now, dispatch)


def _advance(plan: Plan, now: datetime) -> None:
    """Fire what is due on a locked plan and set its next deadline."""
    if plan.status == Plan.Status.ACTIVE:
        if now < plan.ends_at + timedelta(minutes=plan.grace_minutes):
            if not plan.steps.filter(kind=Step.Kind.ASK, due_at=plan.ends_at).exists():
                dispatch = dispatch_create(
                    organisation=plan.organisation,
                    topic=Topic.CHECKIN_DUE,
                    target_id=plan.pk,
                    url=_plan_url(plan),
                    recipients=Membership.objects.filter(pk=plan.membership_id),
                    urgent=True,
                )
                _step(plan, Step.Kind.ASK, Step.Reason.DUE, now, dispatch, due_at=plan.ends_at)
            plan.next_step_at = plan.ends_at + timedelta(minutes=plan.grace_minutes)
        else:
            _escalate(plan, now, Step.Reason.DUE, silent=False)
    elif plan.status == Plan.Status.ESCALATED:
        if not plan.steps.filter(kind=Step.Kind.STAFF).exists():
            _fire_staff(plan, now, Step.Reason.DUE)
        plan.next_step_at = None
    else:
        plan.next_step_at = None
    plan.save(update_fields=["status", "duress", "next_step_at"])


def plans_fire_due(*, limit: int = 500) -> int:
    """The scheduler's job: fire every step whose time has come. Returns how many plans moved.

    One transaction per plan, so one plan that fails (and is logged) cannot hold back the others' alerts.
    """
    now = clock.now()
    due = list(Plan.objects.filter(next_step_at__lte=now).order_by("next_step_at").values_list("pk", flat=True)[:limit])
    moved = 0
    for plan_id in due:
        try:
            with transaction.atomic():
                plan = (
                    Plan.objects.select_for_update(skip_locked=True)
                    .select_related("organisation")
                    .filter(pk=plan_id, next_step_at__lte=now)
                    .first()
                )
                if plan is None:  # another worker has it, or it moved on
                    continue
                # Its own moment, not the tick's: a long tick must not record steps as fired before they were.
                _advance(plan, clock.now())
                moved += 1
        except Exception:
            logger.exception("check-in plan %s could not move on; retried next tick", plan_id)
    return moved


# Retention --------------------------------------------------------------------------------------------


@transaction.atomic
def plans_purge() -> int:
    """Delete, for real, plans whose time is up, with every notification about them."""
    expired = list(Plan.objects.filter(delete_after__lte=clock.now()).values_list("pk", flat=True))
    if not expired:
        return 0
    dispatches_delete(target_ids=expired)
    return Plan.objects.filter(pk__in=expired).delete()[1].get(Plan._meta.label, 0)


def plans_delete_for(*, membership: Membership) -> None:
    """With an account: the member's plans and every notification about them."""
    own = list(Plan.objects.filter(membership=membership).values_list("pk", flat=True))
    dispatches_delete(target_ids=own)
    Plan.objects.filter(pk__in=own).delete()
