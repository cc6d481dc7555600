"""The only writers of reports, alerts, police alerts, followed areas and screening counts.

Every function takes keyword arguments, runs in one transaction and checks the actor's rights and the
reporter's consent itself, so the web form, a later API and any SMS path behave the same. Nothing here logs
a report's text or a client identifier, and screening keeps a count, never the value looked up.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sombrilla.accounts.models import Area, Membership, Organisation
from sombrilla.alerts import selectors
from sombrilla.alerts.models import (
    SCREENABLE_KINDS,
    Alert,
    AlertTally,
    AreaFollow,
    Category,
    Identifier,
    IdentifierKind,
    IncidentTally,
    PoliceAlert,
    PoliceAlertTally,
    Report,
    ScreeningCount,
    ScreeningTally,
    category_labels,
    identifier_hint,
)
from sombrilla.alerts.normalise import identifier_key, identifier_normalise
from sombrilla.core import clock, crypto
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record, count_up
from sombrilla.notify.models import Topic
from sombrilla.notify.services import dispatch_create

# Rejected reports stay this long so the reporter can read why, then go for good.
REJECTED_KEEP_DAYS = 30
# Reports from this many separate invitation chains confirm an identifier without a moderator.
CONFIRMING_CHAINS = 2


class AlertError(Exception):
    """A request about a report or alert that cannot be done; the message is safe to show."""


class PermissionDenied(AlertError):
    pass


class ScreeningLimitReached(AlertError):
    def __init__(self):
        super().__init__(_("You have used all your checks for today. Try again tomorrow."))


@dataclass(frozen=True)
class IdentifierIn:
    kind: str
    value: str
    platform: str = ""


# Helpers ---------------------------------------------------------------------------------------------


def _month(day: date) -> date:
    return day.replace(day=1)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (or earlier), on the month's last day where that day is missing."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _require_member(actor: Membership) -> None:
    if actor.is_suspended or not actor.is_organisation_member:
        raise PermissionDenied(_("Only members of the organisation can do this."))


def _require_moderator(actor: Membership, organisation_id) -> None:
    if not selectors.can_moderate(actor) or actor.organisation_id != organisation_id:
        raise PermissionDenied(_("Only moderators and staff of this organisation can do this."))


def _require_not_own(actor: Membership, reporter_id) -> None:
    # A second pair of eyes on every alert, except from moderators the organisation trusts.
    if reporter_id == actor.pk and not actor.trusted:
        raise PermissionDenied(_("Another moderator must decide on your own report."))


def _clean_categories(categories) -> list[str]:
    chosen = [value for value in Category.values if value in set(categories)]
    if not chosen or len(chosen) != len(set(categories)):
        raise AlertError(_("Choose at least one category from the list."))
    return chosen


def _clean_areas(organisation: Organisation, areas) -> list[Area]:
    areas = list(areas)
    if not areas:
        raise AlertError(_("Choose at least one area."))
    if any(area.organisation_id != organisation.pk for area in areas):
        raise AlertError(_("This area belongs to another organisation."))
    return areas


def chain_root(membership: Membership) -> Membership:
    """The first member of the reporter's invitation chain: walk up who-invited-whom while the inviter is a
    peer. Staff invite many people they do not vouch for personally, so a staff inviter ends the chain."""
    node, seen = membership, {membership.pk}
    while node.invited_by_id is not None and node.invited_by_id not in seen:
        inviter = node.invited_by
        if inviter.is_staff_role:
            break
        seen.add(inviter.pk)
        node = inviter
    return node


def chain_hash(membership: Membership) -> str:
    return crypto.identifier_hash("report-chain", str(chain_root(membership).pk))


def _locked(model, obj):
    """The row again, locked for this transaction, so two moderators cannot decide on it at once."""
    return model.objects.select_for_update().get(pk=obj.pk)


def _tally(report: Report) -> None:
    """Count an accepted report in the unlinked monthly figures, once, if its author agreed to statistics."""
    if report.tallied or not report.consent_statistics:
        return
    for category in report.categories:
        count_up(
            IncidentTally,
            organisation_id=report.organisation_id,
            month=_month(report.occurred_on),
            area_id=report.area_id,
            category=category,
        )
    report.tallied = True


def _announce(*, organisation: Organisation, topic: str, target_id, url: str, area_ids) -> None:
    dispatch_create(
        organisation=organisation,
        topic=topic,
        target_id=target_id,
        url=url,
        recipients=selectors.followers_of(organisation=organisation, area_ids=area_ids),
    )


# Reports ----------------------------------------------------------------------------------------------


@transaction.atomic
def report_create(
    *,
    actor: Membership,
    occurred_on: date,
    area: Area,
    categories: list[str],
    account: str,
    consent_alert: bool,
    consent_referral: bool = False,
    consent_statistics: bool,
    occurred_approximate: bool = False,
    identifiers: list[IdentifierIn] = (),
    person_description: str = "",
    vehicle_description: str = "",
    submission_key: str = "",
) -> Report:
    """Keep a member's report of an incident with a client.

    Kept: the date (and whether it is approximate), area, categories, the consent choices, the account and
    descriptions encrypted, each identifier as a keyed hash plus its normalised value encrypted, a keyed hash
    of the root of the reporter's invitation chain, and the hour the report arrived. Not kept: the minute,
    anything about the device or connection, or any identifier in plain text.

    `submission_key` comes from the form: the same form sent twice (a retry on a bad connection) returns
    the report the first one made instead of making a second.
    """
    _require_member(actor)
    if area.organisation_id != actor.organisation_id:
        raise AlertError(_("This area belongs to another organisation."))
    if occurred_on > clock.now().date():
        raise AlertError(_("The date cannot be in the future."))
    account = account.strip()
    if not account:
        raise AlertError(_("Please say what happened."))
    categories = _clean_categories(categories)
    submission_hash, earlier = _earlier_submission(Report, "report-submission", actor, submission_key)
    if earlier is not None:
        return earlier
    normalised = {}
    for item in identifiers:
        result = identifier_normalise(item.kind, item.value, default_country=actor.organisation.default_country)
        if result is not None:
            normalised.setdefault(result, item.platform.strip())
    report = Report.objects.create(
        organisation=actor.organisation,
        reporter=actor,
        chain_hash=chain_hash(actor),
        submission_hash=submission_hash,
        occurred_on=occurred_on,
        occurred_approximate=occurred_approximate,
        area=area,
        categories=categories,
        account=account,
        person_description=person_description.strip(),
        vehicle_description=vehicle_description.strip(),
        consent_alert=consent_alert,
        consent_referral=consent_referral,
        consent_statistics=consent_statistics,
        created_at=clock.now().replace(minute=0, second=0, microsecond=0),
    )
    Identifier.objects.bulk_create(
        Identifier(
            report=report,
            kind=kind,
            value_hash=identifier_key(kind, value),
            value=value,
            platform=platform if kind == IdentifierKind.HANDLE else "",
        )
        for (kind, value), platform in normalised.items()
    )
    return report


def can_publish_own(membership: Membership) -> bool:
    return selectors.can_moderate(membership) and membership.trusted


@transaction.atomic
def alert_publish(
    *, actor: Membership, report: Report, text: str, areas: list[Area], categories: list[str] | None = None
) -> Alert:
    """Publish a new alert from a report and tell the members who follow its areas.

    The alert holds the moderator's redacted text (encrypted), the categories, the areas and the month of
    the incident: nothing that names, dates to the day or otherwise points to the member who reported.
    """
    _require_moderator(actor, report.organisation_id)
    report = _locked(Report, report)
    if report.status != Report.Status.PENDING:
        raise AlertError(_("This report has already been dealt with."))
    if not report.consent_alert:
        raise PermissionDenied(_("The person who reported did not agree to an alert for peers."))
    _require_not_own(actor, report.reporter_id)
    text = text.strip()
    if not text:
        raise AlertError(_("Write the text of the alert."))
    areas = _clean_areas(actor.organisation, areas)
    categories = _clean_categories(report.categories if categories is None else categories)
    now = clock.now()
    alert = Alert.objects.create(
        organisation=actor.organisation,
        categories=categories,
        text=text,
        occurred_month=_month(report.occurred_on),
        published_at=now,
        expires_at=add_months(now, actor.organisation.alert_retention_months),
    )
    alert.areas.set(areas)
    for category in ("", *categories):  # the alert itself, then each of its categories
        count_up(AlertTally, organisation_id=alert.organisation_id, month=clock.month(now), category=category)
    report.alert = alert
    report.status = Report.Status.PUBLISHED
    report.moderated_at = now
    _tally(report)
    report.save(update_fields=["alert", "status", "moderated_at", "tallied"])
    audit_record(actor=actor, action=AuditAction.ALERT_PUBLISHED, target_type="alert", target_id=alert.pk)
    _announce(
        organisation=actor.organisation,
        topic=Topic.ALERT,
        target_id=alert.pk,
        url=reverse("alerts:alert", args=[alert.pk]),
        area_ids=[area.pk for area in areas],
    )
    return alert


@transaction.atomic
def report_attach(*, actor: Membership, report: Report, alert: Alert) -> Alert:
    """Add a report to an active alert that shares an identifier with it: the alert's report count and
    categories grow and it stays up a full retention period from now. No one is notified again."""
    _require_moderator(actor, report.organisation_id)
    report = _locked(Report, report)
    alert = _locked(Alert, alert)
    if report.status != Report.Status.PENDING:
        raise AlertError(_("This report has already been dealt with."))
    if not report.consent_alert:
        raise PermissionDenied(_("The person who reported did not agree to an alert for peers."))
    _require_not_own(actor, report.reporter_id)
    if alert.organisation_id != report.organisation_id or not alert.is_active:
        raise AlertError(_("This alert is no longer up."))
    if not Identifier.objects.filter(
        report__alert=alert, value_hash__in=report.identifiers.values("value_hash")
    ).exists():
        raise AlertError(_("This report shares no identifier with that alert."))
    now = clock.now()
    for category in set(report.categories) - set(alert.categories):
        count_up(
            AlertTally, organisation_id=alert.organisation_id, month=clock.month(alert.published_at), category=category
        )
    alert.categories = [value for value in Category.values if value in set(alert.categories) | set(report.categories)]
    alert.expires_at = max(alert.expires_at, add_months(now, actor.organisation.alert_retention_months))
    alert.save(update_fields=["categories", "expires_at"])
    report.alert = alert
    report.status = Report.Status.PUBLISHED
    report.moderated_at = now
    _tally(report)
    report.save(update_fields=["alert", "status", "moderated_at", "tallied"])
    audit_record(actor=actor, action=AuditAction.REPORT_ATTACHED, target_type="report", target_id=report.pk)
    return alert


@transaction.atomic
def report_reject(*, actor: Membership, report: Report, reason: str) -> Report:
    """Reject a report with a reason the reporter reads. It never counts anywhere and is deleted 30 days on."""
    _require_moderator(actor, report.organisation_id)
    report = _locked(Report, report)
    if report.status != Report.Status.PENDING:
        raise AlertError(_("This report has already been dealt with."))
    _require_not_own(actor, report.reporter_id)
    reason = reason.strip()
    if not reason:
        raise AlertError(_("Say why, for the person who reported."))
    report.status = Report.Status.REJECTED
    report.rejection_reason = reason
    report.moderated_at = clock.now()
    report.save(update_fields=["status", "rejection_reason", "moderated_at"])
    audit_record(actor=actor, action=AuditAction.REPORT_REJECTED, target_type="report", target_id=report.pk)
    return report


@transaction.atomic
def report_record(*, actor: Membership, report: Report) -> Report:
    """Accept a report without an alert (for example when its author did not want one): it counts in the
    statistics if its author agreed, and stays until the organisation's retention period ends."""
    _require_moderator(actor, report.organisation_id)
    report = _locked(Report, report)
    if report.status != Report.Status.PENDING:
        raise AlertError(_("This report has already been dealt with."))
    _require_not_own(actor, report.reporter_id)
    report.status = Report.Status.RECORDED
    report.moderated_at = clock.now()
    _tally(report)
    report.save(update_fields=["status", "moderated_at", "tallied"])
    audit_record(actor=actor, action=AuditAction.REPORT_RECORDED, target_type="report", target_id=report.pk)
    return report


@transaction.atomic
def report_referral(*, actor: Membership, report: Report) -> str:
    """The report as plain text for a lawyer or the police, only if its author agreed; audited.

    The reporter's pseudonym is left out: the organisation decides who to put the lawyer in touch with.
    """
    if not actor.is_staff_role or actor.organisation_id != report.organisation_id:
        raise PermissionDenied(_("Only staff of this organisation can do this."))
    if not report.consent_referral:
        raise PermissionDenied(_("The person who reported did not agree to passing this on."))
    audit_record(actor=actor, action=AuditAction.REPORT_REFERRAL_VIEWED, target_type="report", target_id=report.pk)
    lines = [
        _("Date: %(date)s%(approximate)s")
        % {
            "date": report.occurred_on.isoformat(),
            "approximate": _(" (approximate)") if report.occurred_approximate else "",
        },
        _("Area: %(area)s") % {"area": report.area.name if report.area else "—"},
        _("What happened: %(categories)s")
        % {"categories": ", ".join(str(c) for c in category_labels(report.categories))},
        "",
        report.account,
    ]
    if report.person_description:
        lines += ["", _("The person: %(text)s") % {"text": report.person_description}]
    if report.vehicle_description:
        lines += ["", _("The vehicle: %(text)s") % {"text": report.vehicle_description}]
    for identifier in report.identifiers.all():
        platform = f" ({identifier.platform})" if identifier.platform else ""
        lines.append(f"{IdentifierKind(identifier.kind).label}: {identifier.value}{platform}")
    return "\n".join(lines) + "\n"


def reports_delete_unpublished(*, reporter: Membership) -> None:
    """Delete a leaving member's reports and police alerts that peers do not rely on; published ones stay,
    and their link to the member is cut when the membership goes. Called by account deletion."""
    Report.objects.filter(reporter=reporter).exclude(status=Report.Status.PUBLISHED).delete()
    PoliceAlert.objects.filter(reporter=reporter).exclude(status=PoliceAlert.Status.PUBLISHED).delete()


# Police alerts ---------------------------------------------------------------------------------------


def _police_publish(*, actor: Membership, police_alert: PoliceAlert) -> None:
    police_alert.status = PoliceAlert.Status.PUBLISHED
    police_alert.published_at = clock.now()
    police_alert.save(update_fields=["status", "published_at"])
    count_up(
        PoliceAlertTally,
        organisation_id=police_alert.organisation_id,
        month=clock.month(police_alert.published_at),
        kind=police_alert.kind,
    )
    audit_record(
        actor=actor, action=AuditAction.POLICE_ALERT_PUBLISHED, target_type="police_alert", target_id=police_alert.pk
    )
    _announce(
        organisation=actor.organisation,
        topic=Topic.POLICE_ALERT,
        target_id=police_alert.pk,
        url=reverse("alerts:police_alert", args=[police_alert.pk]),
        area_ids=[police_alert.area_id],
    )


def _earlier_submission(model, purpose: str, actor: Membership, submission_key: str):
    """(keyed hash of the form's one-time key, what an earlier copy of the same submission made, or None).

    Call inside the creating transaction: the reporter's row is locked so two copies of one submit arriving
    together cannot both get through."""
    if not submission_key:
        return "", None
    submission_hash = crypto.identifier_hash(purpose, f"{actor.pk}:{submission_key}")
    Membership.objects.select_for_update().filter(pk=actor.pk).first()
    return submission_hash, model.objects.filter(reporter=actor, submission_hash=submission_hash).first()


@transaction.atomic
def police_alert_create(
    *, actor: Membership, area: Area, kind: str, minutes_ago: int, note: str = "", submission_key: str = ""
) -> PoliceAlert:
    """Warn peers about police activity. A trusted member's alert goes out at once; others wait for a
    moderator. Kept: area, kind, when it was seen, the note encrypted and who sent it (cut when they leave);
    everything goes when the alert expires, the organisation's police-alert hours after the sighting.
    `submission_key` works as for reports: the same form sent twice makes one police alert."""
    _require_member(actor)
    if area.organisation_id != actor.organisation_id:
        raise AlertError(_("This area belongs to another organisation."))
    kind = PoliceAlert.Kind(kind)
    hours = actor.organisation.police_alert_hours
    if not 0 <= minutes_ago < hours * 60:
        raise AlertError(
            ngettext(
                "That is too long ago to warn others: police alerts stay up for %(hours)d hour.",
                "That is too long ago to warn others: police alerts stay up for %(hours)d hours.",
                hours,
            )
            % {"hours": hours}
        )
    submission_hash, earlier = _earlier_submission(PoliceAlert, "police-submission", actor, submission_key)
    if earlier is not None:
        return earlier
    seen_at = clock.now() - timedelta(minutes=minutes_ago)
    police_alert = PoliceAlert.objects.create(
        organisation=actor.organisation,
        submission_hash=submission_hash,
        area=area,
        kind=kind,
        seen_at=seen_at,
        note=note.strip(),
        reporter=actor,
        expires_at=seen_at + timedelta(hours=hours),
    )
    if actor.trusted:
        _police_publish(actor=actor, police_alert=police_alert)
    return police_alert


@transaction.atomic
def police_alert_approve(*, actor: Membership, police_alert: PoliceAlert) -> PoliceAlert:
    _require_moderator(actor, police_alert.organisation_id)
    police_alert = _locked(PoliceAlert, police_alert)
    if police_alert.status != PoliceAlert.Status.PENDING:
        raise AlertError(_("This police alert has already been dealt with."))
    if not police_alert.is_active:
        raise AlertError(_("This police alert has expired."))
    _require_not_own(actor, police_alert.reporter_id)
    _police_publish(actor=actor, police_alert=police_alert)
    return police_alert


@transaction.atomic
def police_alert_reject(*, actor: Membership, police_alert: PoliceAlert, reason: str = "") -> PoliceAlert:
    _require_moderator(actor, police_alert.organisation_id)
    police_alert = _locked(PoliceAlert, police_alert)
    if police_alert.status != PoliceAlert.Status.PENDING:
        raise AlertError(_("This police alert has already been dealt with."))
    _require_not_own(actor, police_alert.reporter_id)
    police_alert.status = PoliceAlert.Status.REJECTED
    police_alert.rejected_at = clock.now()
    police_alert.rejection_reason = reason.strip()
    police_alert.save(update_fields=["status", "rejected_at", "rejection_reason"])
    audit_record(
        actor=actor, action=AuditAction.POLICE_ALERT_REJECTED, target_type="police_alert", target_id=police_alert.pk
    )
    return police_alert


# Followed areas ---------------------------------------------------------------------------------------


@transaction.atomic
def area_follow_set(*, actor: Membership, areas: list[Area]) -> None:
    """Replace the areas a member follows. Kept: which member follows which area, nothing more."""
    _require_member(actor)
    if any(area.organisation_id != actor.organisation_id for area in areas):
        raise AlertError(_("This area belongs to another organisation."))
    wanted = {area.pk for area in areas}
    AreaFollow.objects.filter(membership=actor).exclude(area_id__in=wanted).delete()
    existing = set(AreaFollow.objects.filter(membership=actor).values_list("area_id", flat=True))
    AreaFollow.objects.bulk_create(AreaFollow(membership=actor, area_id=area_id) for area_id in wanted - existing)


# Screening ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreeningAnswer:
    kind: str
    hint: str
    reports: int
    confirmed: bool
    latest_month: date | None
    categories: list[str]
    left_today: int


# Double-quoted identifiers are standard SQL: SQLite and PostgreSQL read these alike. The check is the one
# request a member makes while a client waits, so its statements are written once here rather than compiled
# by the ORM on every check, which took longer than running them.
_SCREENING_TAKE = (
    'UPDATE "alerts_screeningcount" SET "count" = "count" + 1 '
    'WHERE "membership_id" = %s AND "day" = %s AND "count" < %s RETURNING "count"'
)
_SCREENING_TALLY = (
    'UPDATE "alerts_screeningtally" SET "count" = "count" + 1 WHERE "organisation_id" = %s AND "day" = %s'
)
# Rejected reports, and reports whose authors did not agree to alerts, never count.
_SCREENING_LOOKUP = (
    'SELECT "r"."status", "r"."chain_hash", "r"."occurred_on", "r"."categories" FROM "alerts_report" "r" '
    'INNER JOIN "alerts_identifier" "i" ON "i"."report_id" = "r"."id" '
    'WHERE "i"."value_hash" = %s AND "r"."consent_alert" AND "r"."status" <> %s AND "r"."organisation_id" '
)
# The member's organisation alone, or with every organisation that shares when the member's shares too: a
# subquery, so it goes to the database inside the lookup itself, in the same round trip.
_OWN_ORGANISATION = "= %s"
_SHARING_ORGANISATIONS = 'IN (SELECT "id" FROM "accounts_organisation" WHERE "shares_with_network" OR "id" = %s)'


def _screening_at_once(organisations: str) -> str:
    """On PostgreSQL the whole check is one statement, so one round trip instead of six (begin, take, tally,
    commit, lookup and the commit setting): data-modifying WITH clauses take the member's check and count it
    for the organisation, and the lookup runs only when the take succeeded.

    Only counters change, so unless the check is part of a larger transaction, whose other writes may matter
    more, its commit does not wait for the disk: a crash of the database server could lose its last fraction
    of a second of counts, never leave them inconsistent. The statement is its own transaction, and the
    setting holds until its commit.
    """
    return (
        f'WITH "take" AS ({_SCREENING_TAKE}), "tally" AS ({_SCREENING_TALLY} AND EXISTS (SELECT FROM "take") '  # noqa: S608
        'RETURNING 1) SELECT "take"."count", (SELECT COUNT(*) FROM "tally"), "found".* FROM "take" CROSS JOIN '
        "(SELECT set_config('synchronous_commit', CASE WHEN %s THEN 'off' "
        "ELSE current_setting('synchronous_commit') END, true)) \"relaxed\" "
        f'LEFT JOIN LATERAL ({_SCREENING_LOOKUP}{organisations}) "found" ON TRUE'
    )


_SCREENING_AT_ONCE = {False: _screening_at_once(_OWN_ORGANISATION), True: _screening_at_once(_SHARING_ORGANISATIONS)}


def _execute(sql: str, params: list):
    """Run one of the statements above and return its cursor's rows, or its row count for an UPDATE."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def _db_pk(instance) -> object:
    return type(instance)._meta.pk.get_db_prep_value(instance.pk, connection)


def _screening_take(membership: Membership, day: date, limit: int) -> int:
    """Take one of the member's checks for the day: the new count, or 0 when the limit was already reached.

    One conditional UPDATE … RETURNING (SQLite ≥ 3.35 and PostgreSQL both have it, the ORM has not): two
    lookups at the same moment cannot both take the last one left, and the count comes back in the same
    round trip.
    """
    params = [_db_pk(membership), connection.ops.adapt_datefield_value(day), limit]
    rows = _execute(_SCREENING_TAKE, params)
    if not rows:
        # Today's row is missing (or the limit is reached): make sure it exists and take again, whoever of two
        # simultaneous first checks created it.
        ScreeningCount.objects.get_or_create(membership=membership, day=day)
        rows = _execute(_SCREENING_TAKE, params)
    return rows[0][0] if rows else 0


def _screening_tally_up(organisation: Organisation, day: date) -> None:
    params = [_db_pk(organisation), connection.ops.adapt_datefield_value(day)]
    if not _execute(_SCREENING_TALLY, params):
        count_up(ScreeningTally, organisation=organisation, day=day)  # the organisation's first check of the day


def _screening_reports(rows) -> list[tuple]:
    """(status, chain_hash, occurred_on, categories) of the reports a lookup found."""
    categories = Report._meta.get_field("categories")
    # The backends return a date column as a date (SQLite through its declared type) and JSON as text.
    return [
        (status, chain, occurred_on, categories.from_db_value(cats, None, connection))
        for status, chain, occurred_on, cats in rows
    ]


def _screening_count_and_look(actor: Membership, day: date, hashed: str) -> tuple[int, list[tuple]]:
    """Take one of the member's checks for the day, count it for the organisation and find every report that
    counts for the identifier: the member's new count (0 when the limit was already reached, and then no
    reports) and the reports.
    """
    organisation = actor.organisation
    limit, shares = organisation.screening_daily_limit, organisation.shares_with_network
    today = connection.ops.adapt_datefield_value(day)
    organisation_pk = _db_pk(organisation)
    lookup = [hashed, Report.Status.REJECTED.value, organisation_pk]
    if connection.vendor == "postgresql":
        relaxed = not connection.in_atomic_block
        params = [_db_pk(actor), today, limit, organisation_pk, today, relaxed, *lookup]
        rows = _execute(_SCREENING_AT_ONCE[shares], params)
        if rows:
            if not rows[0][1]:
                count_up(ScreeningTally, organisation=organisation, day=day)  # its first check of the day
            return rows[0][0], _screening_reports(row[2:] for row in rows if row[2] is not None)
        # Nothing taken: the member's first check of the day (its row is made below), or the limit reached.
    with transaction.atomic():
        used = _screening_take(actor, day, limit)
        if used:
            _screening_tally_up(organisation, day)
    if not used:
        return 0, []
    where = _SHARING_ORGANISATIONS if shares else _OWN_ORGANISATION
    return used, _screening_reports(_execute(_SCREENING_LOOKUP + where, lookup))


def screening_check(*, actor: Membership, kind: str, value: str) -> ScreeningAnswer:
    """Answer "has anyone reported this client?" for a phone number, handle, email or plate.

    Kept: +1 on the member's count for today (for the daily limit) and +1 on the organisation's count for
    today (for statistics). Not kept anywhere, in any form: the value, its normalised form or its hash, or
    the answer. The answer carries counts, a month and categories only, never anything about who reported.
    """
    _require_member(actor)
    if kind not in SCREENABLE_KINDS:
        raise AlertError(_("Choose what you are checking: a phone number, handle, email or plate."))
    organisation = actor.organisation
    result = identifier_normalise(kind, value, default_country=organisation.default_country)
    if result is None:
        raise AlertError(_("Type what you want to check."))
    normalised_kind, normalised = result
    used, rows = _screening_count_and_look(actor, clock.now().date(), identifier_key(normalised_kind, normalised))
    if not used:
        raise ScreeningLimitReached()
    categories = set()
    for row in rows:
        categories.update(row[3])
    confirmed = any(row[0] == Report.Status.PUBLISHED for row in rows) or (
        len({row[1] for row in rows}) >= CONFIRMING_CHAINS
    )
    return ScreeningAnswer(
        kind=normalised_kind,
        hint=identifier_hint(normalised_kind, normalised),
        reports=len(rows),
        confirmed=confirmed,
        latest_month=_month(max(row[2] for row in rows)) if rows else None,
        categories=category_labels(list(categories)),
        left_today=max(0, organisation.screening_daily_limit - used),
    )


# Retention ----------------------------------------------------------------------------------------------


def _delete(queryset, model) -> int:
    """Delete and return how many rows of `model` itself went (not the rows cascaded with them)."""
    return queryset.delete()[1].get(model._meta.label, 0)


@transaction.atomic
def alerts_purge() -> dict[str, int]:
    """Delete, for real, everything that has outlived its retention period.

    Expired alerts go with every report linked to them and those reports' identifiers; expired police alerts
    go; rejected reports go 30 days after rejection; reports never made into an alert go when the
    organisation's alert retention period has passed since they arrived; screening counts from before
    today go. Only the unlinked monthly tallies remain. Returns how many rows of each kind were deleted.
    """
    now = clock.now()
    expired = Q(alert__expires_at__lte=now) | Q(
        status=Report.Status.REJECTED, moderated_at__lte=now - timedelta(days=REJECTED_KEEP_DAYS)
    )
    for organisation in Organisation.objects.only("pk", "alert_retention_months"):
        expired |= Q(
            organisation=organisation,
            alert__isnull=True,
            created_at__lte=add_months(now, -organisation.alert_retention_months),
        )
    return {
        "identifiers": _delete(Identifier.objects.filter(report__in=Report.objects.filter(expired)), Identifier),
        "reports": _delete(Report.objects.filter(expired), Report),
        "alerts": _delete(Alert.objects.filter(expires_at__lte=now), Alert),
        "police_alerts": _delete(PoliceAlert.objects.filter(expires_at__lte=now), PoliceAlert),
        "screening_counts": _delete(ScreeningCount.objects.filter(day__lt=now.date()), ScreeningCount),
    }
