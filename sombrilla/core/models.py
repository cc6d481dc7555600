"""The audit log: who looked at or changed members' sensitive data, and when; never the data itself."""

import uuid

from django.db import models

from sombrilla.core import clock
from sombrilla.core.audit import AuditAction


class AuditEntry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(default=clock.now, db_index=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    # The actor link is cut when the actor's account is deleted; the label keeps the entry readable.
    actor = models.ForeignKey("accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="audit_entries")
    actor_label = models.CharField(max_length=64)
    action = models.CharField(max_length=64, choices=AuditAction.choices)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
