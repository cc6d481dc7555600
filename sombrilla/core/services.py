"""Writing the audit log. Called by other apps' services inside their own transaction."""

import uuid

from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry


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
