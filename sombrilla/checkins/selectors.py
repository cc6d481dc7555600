"""Reads for check-in pages, scoped to the member's organisation. Anything outside the reader's rights
answers 404, exactly like something that does not exist.

A plan escalated in silence (duress) reads, for its own member, exactly as a safe check-in would.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.http import Http404

from sombrilla.accounts.models import Membership
from sombrilla.checkins.models import Buddy, DutySlot, Plan, Responder, SafetySettings, Step
from sombrilla.core import clock
from sombrilla.notify.models import Channel, Delivery, Topic
from sombrilla.notify.selectors import deliveries_of


def buddies_of(*, actor: Membership) -> QuerySet[Buddy]:
    """The member's own buddies, the ones who declined included (so the member sees the answer)."""
    return Buddy.objects.filter(membership=actor).select_related("buddy__account")


def buddy_requests_for(*, actor: Membership) -> QuerySet[Buddy]:
    """Requests to the member and the members they already look out for."""
    return (
        Buddy.objects.filter(buddy=actor)
        .exclude(status=Buddy.Status.DECLINED)
        .select_related("membership__account")
        .order_by("status", "created_at")
    )


def buddy_get(*, actor: Membership, buddy_id) -> Buddy:
    """A buddy record the actor is part of, as the member who named it or the member named."""
    found = Buddy.objects.filter(Q(membership=actor) | Q(buddy=actor), pk=buddy_id).first()
    if found is None:
        raise Http404
    return found


def member_status(plan: Plan) -> str:
    """What the plan's own member is shown: a silent escalation looks like what the member did on screen.

    Duress PIN on a plan not yet escalated: "checked in safe", as a real check-in shows. Duress PIN after her
    buddies were alerted: "closed", as a real check-in then closes the plan. Wrong PINs: still active.
    """
    if not plan.duress:
        return plan.status
    if plan.checked_in_at is None:
        return Plan.Status.ACTIVE
    alerted_before = plan.steps.filter(kind=Step.Kind.BUDDIES, fired_at__lt=plan.checked_in_at).exists()
    return Plan.Status.CLOSED if alerted_before else Plan.Status.SAFE


def _hidden_from_member(plan: Plan, now) -> bool:
    """A safe plan is deleted a set time after its check-in; a duress one is kept for its responders, but
    leaves the member's list at the same moment, so its presence a day later gives nothing away."""
    keep = timedelta(hours=plan.organisation.checkin_keep_hours)
    return plan.duress and plan.checked_in_at is not None and plan.checked_in_at + keep <= now


def plans_of(*, actor: Membership) -> list[Plan]:
    now = clock.now()
    plans = [
        plan
        for plan in Plan.objects.filter(membership=actor).select_related("organisation")
        if not _hidden_from_member(plan, now)
    ]
    for plan in plans:
        plan.shown_status = member_status(plan)
    return plans


def plan_get_for_member(*, actor: Membership, plan_id) -> Plan:
    plan = Plan.objects.filter(membership=actor, pk=plan_id).select_related("organisation").first()
    if plan is None or _hidden_from_member(plan, clock.now()):
        raise Http404
    plan.shown_status = member_status(plan)
    return plan


def plan_get_for_responder(*, actor: Membership, plan_id) -> Plan:
    """An escalated plan, for a member buddy who was alerted about it (while the alert is open) or for staff
    of its organisation (until the plan is deleted, for the follow-up)."""
    plan = (
        Plan.objects.filter(organisation=actor.organisation, pk=plan_id)
        .select_related("membership__account", "organisation")
        .first()
    )
    if plan is None or actor.is_suspended or plan.membership_id == actor.pk:
        raise Http404
    alerted = Delivery.objects.filter(
        dispatch__target_id=plan.pk, dispatch__topic__in=(Topic.CHECKIN_ALERT, Topic.CHECKIN_SOS), membership=actor
    ).exists()
    allowed = actor.is_staff_role or (alerted and plan.status == Plan.Status.ESCALATED)
    if not allowed or not Step.objects.filter(plan=plan, kind=Step.Kind.BUDDIES).exists():
        raise Http404
    return plan


def escalated_plans(*, actor: Membership) -> QuerySet[Plan]:
    """Staff's view of every open alert in the organisation, oldest first: the one waiting longest on top."""
    if not actor.is_staff_role:
        raise Http404
    return (
        Plan.objects.filter(organisation=actor.organisation, status=Plan.Status.ESCALATED)
        .select_related("membership__account")
        .prefetch_related("responders")
        .order_by("created_at")
    )


@dataclass
class Notified:
    """One line of "who was told": a step, a recipient, a channel, when and what became of it."""

    step: Step
    recipient: str
    channel: str
    status: str
    sent_at: object


def escalation_record(*, plan: Plan, for_member: bool) -> list[Notified]:
    """Each step and the delivery of each of its notifications. The member does not see steps of a silent
    escalation (they fired after the duress check-in the member's screen shows)."""
    steps = list(plan.steps.all())
    if for_member and plan.duress and plan.checked_in_at:
        steps = [step for step in steps if step.fired_at < plan.checked_in_at]
    elif for_member and plan.duress:
        steps = [step for step in steps if step.kind == Step.Kind.ASK]
    names = {buddy.pk: buddy.name for buddy in Buddy.objects.filter(membership_id=plan.membership_id)}
    deliveries: dict = {}
    for delivery in deliveries_of(dispatch_ids=[step.dispatch_id for step in steps if step.dispatch_id]):
        deliveries.setdefault(delivery.dispatch_id, []).append(delivery)
    lines = []
    for step in steps:
        for delivery in deliveries.get(step.dispatch_id, []):
            if delivery.membership_id:
                recipient = delivery.membership.account.pseudonym
            else:
                recipient = names.get(delivery.reference, "—")
            lines.append(
                Notified(
                    step=step,
                    recipient=recipient,
                    channel=Channel(delivery.channel).label,
                    status=Delivery.Status(delivery.status).label,
                    sent_at=delivery.sent_at,
                )
            )
        if not deliveries.get(step.dispatch_id):
            lines.append(Notified(step=step, recipient="—", channel="", status="", sent_at=None))
    return lines


def responders_of(*, plan: Plan, for_member: bool = False) -> list[str]:
    """Who said "I'm on it". Its own member sees nobody acting on a silent escalation: anyone looking over
    their shoulder would learn the alert went out."""
    if for_member and plan.duress:
        return []
    names = []
    for responder in Responder.objects.filter(plan=plan).select_related("membership__account", "buddy"):
        names.append(responder.membership.account.pseudonym if responder.membership_id else responder.buddy.name)
    return names


def duty_rota(*, actor: Membership) -> QuerySet[DutySlot]:
    if not actor.is_staff_role:
        raise Http404
    return DutySlot.objects.filter(membership__organisation=actor.organisation).select_related("membership__account")


def member_export(*, membership: Membership) -> dict:
    """The member's own check-in data for their download: their buddies, settings and plans, in full."""
    from sombrilla.checkins.services import plan_identifiers

    own = SafetySettings.objects.filter(membership=membership).first()
    return {
        "grace_minutes": own.grace_minutes if own else None,
        "has_pin": bool(own and own.pin_hash),
        "buddies": [
            {
                "name": buddy.name,
                "kind": buddy.kind,
                "member": buddy.buddy.account.pseudonym if buddy.buddy_id else None,
                "contact": buddy.contact,
                "status": buddy.status,
            }
            for buddy in buddies_of(actor=membership)
        ],
        "plans": [
            {
                "id": str(plan.pk),
                "starts_at": plan.starts_at.isoformat(),
                "ends_at": plan.ends_at.isoformat(),
                "place": plan.place,
                "identifiers": plan_identifiers(plan),
                "note": plan.note,
                "status": member_status(plan),
            }
            for plan in Plan.objects.filter(membership=membership)
        ],
    }
