"""Plans and buddies in a state a test needs, made through the services (the only writers)."""

from datetime import time, timedelta

from sombrilla.checkins import services
from sombrilla.checkins.models import Buddy, Plan
from sombrilla.core import clock


def member_buddy(member, buddy_member) -> Buddy:
    """`buddy_member` asked and accepted."""
    buddy = services.buddy_add_member(actor=member, pseudonym=buddy_member.account.pseudonym)
    return services.buddy_answer(actor=buddy_member, buddy=buddy, accept=True)


def outside_buddy(member, kind: str = Buddy.Kind.SMS, contact: str = "+254700111222", name: str = "Sis") -> Buddy:
    return services.buddy_add_outside(actor=member, kind=kind, contact=contact, name=name, known_as="Rosa")


def make_plan(member, *, minutes: int = 60, place: str = "Hotel Azul, room 12", identifiers=(), note: str = "") -> Plan:
    now = clock.now()
    plan, _warnings = services.plan_create(
        actor=member,
        starts_at=now,
        ends_at=now + timedelta(minutes=minutes),
        place=place,
        identifiers=identifiers,
        note=note,
    )
    return plan


def lapse(plan: Plan, minutes: int) -> None:
    """Fire whatever is due `minutes` from now, as the scheduler would then."""
    with clock.travel(timedelta(minutes=minutes)):
        services.plans_fire_due()
    plan.refresh_from_db()


def page_objects(people: dict) -> dict:
    """What the role matrix addresses: alice's plan, which lapsed and alerted bob (her buddy) and the duty staff;
    alice's request to carol, waiting for an answer; and carol's shift on the duty rota."""
    alice, carol = people["alice"], people["carol"]
    member_buddy(alice, people["bob"])
    request = services.buddy_add_member(actor=alice, pseudonym=carol.account.pseudonym)
    plan = make_plan(alice, note="matrix note")
    lapse(plan, 60 + plan.grace_minutes + 1)
    slot = services.duty_slot_add(actor=carol, membership=carol, weekday=0, start=time(18), end=time(23))
    return {"plan": plan.pk, "buddy": request.pk, "slot": slot.pk}
