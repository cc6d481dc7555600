"""Writing the audit log and the apps' counters. Called by other apps' services inside their own transaction."""

import uuid

from django.db.models import F

from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry


def count_up(model, **cell) -> None:
    """Add one to a counter row (a cell of an unlinked tally, a member's count for the day), creating it on its
    first use. The database adds, so two requests counting at once both count."""
    if not model.objects.filter(**cell).update(count=F("count") + 1):
        row, _created = model.objects.get_or_create(**cell)
        model.objects.filter(pk=row.pk).update(count=F("count") + 1)


def audit_record(
    *, actor, action: AuditAction, target_type: str = "", target_id: uuid.UUID | None = None
) -> AuditEntry:
    """Record that `actor` (a Membership) did `action`. Stores ids and the actor's pseudonym only."""
    return AuditEntry.objects.create(
        organisation=actor.organisation,
        actor=actor,
        actor_label=actor.account.pseudonym,
        action=action,
        target_type=target_type,
        target_id=target_id,
    )


def audit_record_outside(
    *, organisation, label: str, action: AuditAction, target_type: str = "", target_id: uuid.UUID | None = None
) -> AuditEntry:
    """Record an action by someone without an account (an outside contact following a one-time link)."""
    return AuditEntry.objects.create(
        organisation=organisation,
        actor=None,
        actor_label=label[:64],
        action=action,
        target_type=target_type,
        target_id=target_id,
    )
