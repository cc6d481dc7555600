"""Reads for the alert pages. Everything is scoped to the member's organisation; objects outside it, or
outside the member's rights, answer 404 exactly like objects that do not exist.

Nothing here returns who wrote a report to anyone but moderators of the same organisation and the reporter.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from sombrilla.accounts.models import Area, Membership, Organisation, Role
from sombrilla.alerts.models import (
    SCREENABLE_KINDS,
    Alert,
    AreaFollow,
    Identifier,
    IdentifierKind,
    PoliceAlert,
    Report,
    ScreeningCount,
)
from sombrilla.core import clock

FEED_LIMIT = 50


def can_moderate(membership: Membership | None) -> bool:
    return membership is not None and membership.is_moderator and not membership.is_suspended


# Areas ----------------------------------------------------------------------------------------------


def area_relatives(*, organisation: Organisation, area_ids) -> set:
    """The given areas with all their ancestors and descendants: an alert in a district concerns the city
    around it, and an alert for a whole city concerns each of its districts."""
    parents = dict(Area.objects.filter(organisation=organisation).values_list("id", "parent_id"))
    children: dict = {}
    for area_id, parent_id in parents.items():
        children.setdefault(parent_id, []).append(area_id)
    related = set()
    for area_id in area_ids:
        if area_id not in parents:
            continue
        node = area_id
        while node is not None and node not in related:
            related.add(node)
            node = parents.get(node)
        stack = list(children.get(area_id, []))
        while stack:
            node = stack.pop()
            if node not in related:
                related.add(node)
                stack.extend(children.get(node, []))
    return related


def followed_area_ids(*, actor: Membership) -> set:
    return set(AreaFollow.objects.filter(membership=actor).values_list("area_id", flat=True))


def followers_of(*, organisation: Organisation, area_ids) -> QuerySet[Membership]:
    """Members who should hear about something in these areas: followers of the areas, their ancestors
    and descendants. Suspended members and network analysts never receive alerts."""
    related = area_relatives(organisation=organisation, area_ids=area_ids)
    return (
        Membership.objects.filter(organisation=organisation, suspended_at__isnull=True)
        .exclude(role=Role.ANALYST)
        .filter(pk__in=AreaFollow.objects.filter(area_id__in=related).values("membership_id"))
    )


# The feed -------------------------------------------------------------------------------------------


def _hints(alert: Alert) -> list[tuple[str, str]]:
    """(kind label, hint) for each distinct identifier of the alert's reports; never a whole identifier."""
    seen, hints = set(), []
    for report in alert.reports.all():
        for identifier in report.identifiers.all():
            if identifier.kind in SCREENABLE_KINDS and identifier.value_hash not in seen:
                seen.add(identifier.value_hash)
                hints.append((IdentifierKind(identifier.kind).label, identifier.hint))
    return hints


def _with_details(alerts: QuerySet[Alert]) -> list[Alert]:
    alerts = list(
        alerts.annotate(report_count=Count("reports")).prefetch_related(
            "areas",
            Prefetch("reports", queryset=Report.objects.only("id", "alert_id")),
            Prefetch(
                "reports__identifiers",
                queryset=Identifier.objects.only("id", "report_id", "kind", "value_hash", "value"),
            ),
        )
    )
    for alert in alerts:
        alert.hints = _hints(alert)
    return alerts


@dataclass
class Feed:
    follows_nothing: bool
    alerts: list = field(default_factory=list)
    police_alerts: list = field(default_factory=list)


def alert_feed(*, actor: Membership) -> Feed:
    """Active alerts and police alerts in the areas the member follows (with their ancestors and
    descendants), newest first."""
    followed = followed_area_ids(actor=actor)
    if not followed:
        return Feed(follows_nothing=True)
    visible = area_relatives(organisation=actor.organisation, area_ids=followed)
    now = clock.now()
    alerts = Alert.objects.filter(
        organisation=actor.organisation,
        expires_at__gt=now,
        pk__in=Alert.areas.through.objects.filter(area_id__in=visible).values("alert_id"),
    ).order_by("-published_at")[:FEED_LIMIT]
    police_alerts = (
        PoliceAlert.objects.filter(
            organisation=actor.organisation,
            status=PoliceAlert.Status.PUBLISHED,
            expires_at__gt=now,
            area_id__in=visible,
        )
        .select_related("area")
        .order_by("-seen_at")[:FEED_LIMIT]
    )
    return Feed(follows_nothing=False, alerts=_with_details(alerts), police_alerts=list(police_alerts))


def alert_get_for_member(*, actor: Membership, alert_id) -> Alert:
    """An active alert of the member's organisation, with its hints; 404 otherwise."""
    found = _with_details(
        Alert.objects.filter(organisation=actor.organisation, pk=alert_id, expires_at__gt=clock.now())
    )
    if not found:
        raise Http404
    return found[0]


def police_alert_get_for_member(*, actor: Membership, police_alert_id) -> PoliceAlert:
    police_alert = (
        PoliceAlert.objects.select_related("area", "organisation")
        .filter(
            organisation=actor.organisation,
            pk=police_alert_id,
            status=PoliceAlert.Status.PUBLISHED,
            expires_at__gt=clock.now(),
        )
        .first()
    )
    if police_alert is None:
        raise Http404
    return police_alert


# The member's own reports -----------------------------------------------------------------------------


def report_list_for_reporter(*, actor: Membership) -> QuerySet[Report]:
    return Report.objects.filter(reporter=actor).select_related("area")


def police_alert_list_for_reporter(*, actor: Membership) -> QuerySet[PoliceAlert]:
    return PoliceAlert.objects.filter(reporter=actor).select_related("area")


def screenings_left(*, actor: Membership) -> int:
    used = (
        ScreeningCount.objects.filter(membership=actor, day=clock.now().date()).values_list("count", flat=True).first()
    )
    return max(0, actor.organisation.screening_daily_limit - (used or 0))


# Moderation ------------------------------------------------------------------------------------------


def _require_moderator(actor: Membership) -> None:
    if not can_moderate(actor):
        raise Http404


def moderation_queue(*, actor: Membership) -> tuple[list[Report], list[PoliceAlert]]:
    """Reports waiting for a moderator, each with how many active alerts share an identifier with it, and
    police alerts waiting that have not yet expired."""
    _require_moderator(actor)
    reports = list(
        Report.objects.filter(organisation=actor.organisation, status=Report.Status.PENDING)
        .select_related("area")
        .order_by("created_at")[:200]
    )
    hashes_by_report: dict = {}
    for report_id, value_hash in Identifier.objects.filter(report__in=reports).values_list("report_id", "value_hash"):
        hashes_by_report.setdefault(report_id, set()).add(value_hash)
    all_hashes = set().union(*hashes_by_report.values()) if hashes_by_report else set()
    alerts_by_hash: dict = {}
    for alert_id, value_hash in Identifier.objects.filter(
        value_hash__in=all_hashes,
        report__alert__organisation=actor.organisation,
        report__alert__expires_at__gt=clock.now(),
    ).values_list("report__alert_id", "value_hash"):
        alerts_by_hash.setdefault(value_hash, set()).add(alert_id)
    for report in reports:
        matched = set()
        for value_hash in hashes_by_report.get(report.pk, ()):
            matched |= alerts_by_hash.get(value_hash, set())
        report.match_count = len(matched)
    police_alerts = list(
        PoliceAlert.objects.filter(
            organisation=actor.organisation, status=PoliceAlert.Status.PENDING, expires_at__gt=clock.now()
        )
        .select_related("area")
        .order_by("seen_at")
    )
    return reports, police_alerts


def report_get_for_moderator(*, actor: Membership, report_id) -> Report:
    """A report of the actor's organisation, for moderators and staff only; 404 for anyone else."""
    _require_moderator(actor)
    report = (
        Report.objects.select_related("area")
        .prefetch_related("identifiers")
        .filter(organisation=actor.organisation, pk=report_id)
        .first()
    )
    if report is None:
        raise Http404
    return report


@dataclass
class Match:
    alert: Alert
    kinds: list[str]


def report_matches(*, report: Report) -> list[Match]:
    """Active alerts of the same organisation whose reports share an identifier with this one, with the
    kinds of identifier that match, so a moderator can add the report to an existing alert."""
    hashes = {identifier.value_hash: identifier.kind for identifier in report.identifiers.all()}
    kinds_by_alert: dict = {}
    for alert_id, value_hash in (
        Identifier.objects.filter(
            value_hash__in=hashes,
            report__alert__organisation_id=report.organisation_id,
            report__alert__expires_at__gt=clock.now(),
        )
        .exclude(report=report)
        .values_list("report__alert_id", "value_hash")
    ):
        kinds_by_alert.setdefault(alert_id, set()).add(hashes[value_hash])
    alerts = _with_details(Alert.objects.filter(pk__in=kinds_by_alert))
    return [
        Match(
            alert=alert, kinds=[label for value, label in IdentifierKind.choices if value in kinds_by_alert[alert.pk]]
        )
        for alert in alerts
    ]


def similar_pending_count(*, report: Report) -> int:
    """Other reports still waiting that share an identifier with this one (from anyone)."""
    hashes = [identifier.value_hash for identifier in report.identifiers.all()]
    return (
        Report.objects.filter(
            organisation_id=report.organisation_id, status=Report.Status.PENDING, identifiers__value_hash__in=hashes
        )
        .exclude(pk=report.pk)
        .distinct()
        .count()
    )


def police_alert_get_for_moderator(*, actor: Membership, police_alert_id) -> PoliceAlert:
    _require_moderator(actor)
    police_alert = PoliceAlert.objects.filter(organisation=actor.organisation, pk=police_alert_id).first()
    if police_alert is None:
        raise Http404
    return police_alert


def alert_get_for_moderator(*, actor: Membership, alert_id) -> Alert:
    _require_moderator(actor)
    alert = Alert.objects.filter(organisation=actor.organisation, pk=alert_id).first()
    if alert is None:
        raise Http404
    return alert


# Export -------------------------------------------------------------------------------------------------


def reporter_export(*, membership: Membership) -> dict:
    """The member's own reports and police alerts, decrypted, and the areas they follow, for their download.

    Only what the member wrote and what became of it: the moderator who handled it is not named.
    """
    reports = Report.objects.filter(reporter=membership).select_related("area").prefetch_related("identifiers")
    return {
        "reports": [
            {
                "id": str(report.pk),
                "occurred_on": report.occurred_on.isoformat(),
                "occurred_approximate": report.occurred_approximate,
                "area": report.area.name if report.area else None,
                "categories": report.categories,
                "account": report.account,
                "person_description": report.person_description,
                "vehicle_description": report.vehicle_description,
                "identifiers": [
                    {"kind": identifier.kind, "value": identifier.value, "platform": identifier.platform}
                    for identifier in report.identifiers.all()
                ],
                "consent": {
                    "alert_for_peers": report.consent_alert,
                    "lawyers_or_police": report.consent_referral,
                    "anonymous_statistics": report.consent_statistics,
                },
                "status": report.status,
                "rejection_reason": report.rejection_reason,
                "received": report.created_at.isoformat(),
            }
            for report in reports
        ],
        "police_alerts": [
            {
                "area": police_alert.area.name if police_alert.area else None,
                "kind": police_alert.kind,
                "seen_at": police_alert.seen_at.isoformat(),
                "note": police_alert.note,
                "status": police_alert.status,
            }
            for police_alert in police_alert_list_for_reporter(actor=membership)
        ],
        "areas_followed": sorted(AreaFollow.objects.filter(membership=membership).values_list("area__name", flat=True)),
    }
