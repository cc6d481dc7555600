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
    MEMBER_TRUST_CHANGED = "member.trust_changed", _("changed whether a member is trusted")
    INVITATION_ISSUED = "invitation.issued", _("issued an invitation")
    INVITATION_REVOKED = "invitation.revoked", _("revoked an invitation")
    VOUCHING_VIEWED = "vouching.viewed", _("viewed who invited whom")
    ORGANISATION_CHANGED = "organisation.changed", _("changed the organisation's settings")
    AREA_ADDED = "area.added", _("added an area")
    AUDIT_VIEWED = "audit.viewed", _("viewed the audit log")
    REPORT_VIEWED = "report.viewed", _("read a report")
    REPORT_REJECTED = "report.rejected", _("rejected a report")
    REPORT_ATTACHED = "report.attached", _("added a report to an alert")
    REPORT_RECORDED = "report.recorded", _("kept a report on record without an alert")
    REPORT_REFERRAL_VIEWED = "report.referral_viewed", _("prepared a report for lawyers or police")
    ALERT_PUBLISHED = "alert.published", _("published an alert")
    POLICE_ALERT_PUBLISHED = "police_alert.published", _("published a police alert")
    POLICE_ALERT_REJECTED = "police_alert.rejected", _("rejected a police alert")
    DELIVERY_RETRIED = "delivery.retried", _("retried a failed delivery")
    PLAN_VIEWED = "plan.viewed", _("viewed a check-in plan's details")
    PLAN_RESPONDED = "plan.responded", _("said they are acting on a check-in alert")
    PLAN_CLOSED = "plan.closed", _("closed an escalated check-in plan")
    DUTY_ROTA_CHANGED = "duty.changed", _("changed the duty rota")
