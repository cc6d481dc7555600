"""What the audit log can say. Each action names an access or change, never the data involved."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    MEMBER_LIST_VIEWED = "member.list_viewed", _("viewed the member list")
    MEMBER_VIEWED = "member.viewed", _("viewed a member's record")
    MEMBER_ROLE_CHANGED = "member.role_changed", _("changed a member's role")
    MEMBER_SUSPENDED = "member.suspended", _("suspended a member")
    MEMBER_RESTORED = "member.restored", _("restored a member")
    MEMBER_NOTE_CHANGED = "member.note_changed", _("changed a staff note")
    INVITATION_ISSUED = "invitation.issued", _("issued an invitation")
    INVITATION_REVOKED = "invitation.revoked", _("revoked an invitation")
    VOUCHING_VIEWED = "vouching.viewed", _("viewed who invited whom")
    ORGANISATION_CHANGED = "organisation.changed", _("changed the organisation's settings")
    AREA_ADDED = "area.added", _("added an area")
    AUDIT_VIEWED = "audit.viewed", _("viewed the audit log")
