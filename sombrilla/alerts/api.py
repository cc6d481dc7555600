"""Reports, moderation, police alerts, the feed, screening and followed areas: as thin as the views,
calling the same services and selectors, so the API and the pages cannot disagree."""

from datetime import date, datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from sombrilla.accounts import selectors as account_selectors
from sombrilla.accounts.access import api_member
from sombrilla.accounts.api import AUTH_ERRORS, BODY_ERRORS, PARAM_ERRORS, Detail, In, Pagination
from sombrilla.alerts import selectors, services
from sombrilla.alerts.models import SCREENABLE_KINDS, Category, IdentifierKind, PoliceAlert, category_labels
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record
from sombrilla.rights.selectors import police_rights_links, police_rights_url

router = Router(tags=["alerts"])
NOT_FOUND = {404: Detail}


class IdentifierIn(In):
    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=200)
    platform: str = Field("", max_length=60, description="For an online handle: where (e.g. a site or app)")


class ReportIn(In):
    occurred_on: date
    occurred_approximate: bool = False
    area_id: UUID
    categories: list[Category] = Field(min_length=1, max_length=10)
    account: str = Field(min_length=1, max_length=10000, description="What happened, in the member's words")
    identifiers: list[IdentifierIn] = Field([], max_length=20)
    person_description: str = Field("", max_length=2000)
    vehicle_description: str = Field("", max_length=2000)
    consent_alert: bool = Field(description="May it become an alert for peers?")
    consent_referral: bool = Field(False, description="May the organisation pass it to lawyers or police?")
    consent_statistics: bool = Field(description="May it count in anonymous statistics?")
    submission_key: str = Field("", max_length=64, description="Send the same key when retrying one submission")


class ReportOut(Schema):
    id: UUID
    status: str
    occurred_on: date
    area: str | None = Field(None, alias="area.name")
    categories: list[str]
    consent_alert: bool
    consent_referral: bool
    consent_statistics: bool
    rejection_reason: str
    created_at: datetime


class IdentifierOut(Schema):
    kind: str
    value: str
    platform: str


class MatchOut(Schema):
    alert_id: UUID
    kinds: list[str]


class ModerationReportOut(ReportOut):
    """What a moderator reads: the account and identifiers in full, never who reported."""

    account: str
    person_description: str
    vehicle_description: str
    identifiers: list[IdentifierOut]
    matches: list[MatchOut] = []


class QueueReportOut(Schema):
    id: UUID
    occurred_on: date
    area: str | None = Field(None, alias="area.name")
    categories: list[str]
    consent_alert: bool
    match_count: int
    created_at: datetime


class PoliceAlertIn(In):
    area_id: UUID
    kind: PoliceAlert.Kind
    minutes_ago: int = Field(0, ge=0, le=7 * 24 * 60, description="How long ago it was seen")
    note: str = Field("", max_length=500)
    submission_key: str = Field("", max_length=64, description="Send the same key when retrying one submission")


class PoliceAlertOut(Schema):
    id: UUID
    status: str
    kind: str
    kind_label: str
    area: str | None = Field(None, alias="area.name")
    seen_at: datetime
    expires_at: datetime
    note: str
    rights_url: str = Field(
        description="The quick card on rights for the alert's country, else the organisation's rights page, if any"
    )

    @staticmethod
    def resolve_kind_label(police_alert) -> str:
        return str(police_alert.get_kind_display())

    @staticmethod
    def resolve_rights_url(police_alert, context) -> str:
        # A list gives its alerts their links beforehand (police_rights_links), all in a few queries.
        url = police_alert.rights_url if hasattr(police_alert, "rights_url") else police_rights_url(police_alert)
        return context["request"].build_absolute_uri(url) if url else ""


class HintOut(Schema):
    kind: str
    hint: str


class AlertOut(Schema):
    id: UUID
    categories: list[str]
    category_labels: list[str]
    areas: list[str]
    occurred_month: str
    published_at: datetime
    text: str
    hints: list[HintOut]
    report_count: int

    @staticmethod
    def resolve_category_labels(alert) -> list[str]:
        return [str(label) for label in category_labels(alert.categories)]

    @staticmethod
    def resolve_areas(alert) -> list[str]:
        return [area.name for area in alert.areas.all()]

    @staticmethod
    def resolve_occurred_month(alert) -> str:
        return alert.occurred_month.strftime("%Y-%m")

    @staticmethod
    def resolve_hints(alert) -> list[dict]:
        return [{"kind": str(kind), "hint": hint} for kind, hint in alert.hints]


class FeedOut(Schema):
    follows_nothing: bool = Field(description="True until the member chooses areas to follow")
    alerts: list[AlertOut]
    police_alerts: list[PoliceAlertOut]


class PublishIn(In):
    text: str = Field(min_length=1, max_length=2000, description="The redacted alert text peers will read")
    area_ids: list[UUID] = Field(min_length=1, max_length=50)
    categories: list[Category] | None = Field(None, max_length=10, description="Omit to keep the report's")


class AttachIn(In):
    alert_id: UUID


class ReasonIn(In):
    reason: str = Field("", max_length=1000)


class ScreeningIn(In):
    kind: IdentifierKind = Field(description="phone, handle, email or plate")
    value: str = Field(min_length=1, max_length=200)


class ScreeningOut(Schema):
    kind: str
    hint: str
    reports: int
    confirmed: bool = Field(description="False: only unverified reports so far")
    latest_month: str | None
    categories: list[str]
    left_today: int


class AreasIn(In):
    area_ids: list[UUID] = Field(max_length=200)


class AreaOut(Schema):
    id: UUID
    name: str
    kind: str
    parent_id: UUID | None
    followed: bool


def _area(membership, area_id):
    return account_selectors.area_get_for_member(actor=membership, area_id=area_id)


def _moderation_out(actor, report) -> ModerationReportOut:
    # Reading a report shows its account and the client's identifiers: audited like the page.
    audit_record(actor=actor, action=AuditAction.REPORT_VIEWED, target_type="report", target_id=report.pk)
    out = ModerationReportOut.from_orm(report)
    out.identifiers = [IdentifierOut(kind=i.kind, value=i.value, platform=i.platform) for i in report.identifiers.all()]
    out.matches = [
        MatchOut(alert_id=m.alert.pk, kinds=[str(k) for k in m.kinds]) for m in selectors.report_matches(report=report)
    ]
    return out


# Reports ----------------------------------------------------------------------------------------------------


@router.post("reports", response={201: ReportOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS})
def report_create(request, payload: ReportIn):
    actor = api_member(request)
    report = services.report_create(
        actor=actor,
        occurred_on=payload.occurred_on,
        occurred_approximate=payload.occurred_approximate,
        area=_area(actor, payload.area_id),
        categories=payload.categories,
        account=payload.account,
        identifiers=[
            services.IdentifierIn(kind=i.kind, value=i.value, platform=i.platform) for i in payload.identifiers
        ],
        person_description=payload.person_description,
        vehicle_description=payload.vehicle_description,
        consent_alert=payload.consent_alert,
        consent_referral=payload.consent_referral,
        consent_statistics=payload.consent_statistics,
        submission_key=payload.submission_key,
    )
    return Status(201, report)


@router.get("reports", response={200: list[ReportOut], **AUTH_ERRORS, **PARAM_ERRORS})
@paginate(Pagination)
def report_list(request):
    return selectors.report_list_for_reporter(actor=api_member(request))


@router.get("moderation/reports", response={200: list[QueueReportOut], **NOT_FOUND, **AUTH_ERRORS})
def moderation_queue(request):
    reports, _police = selectors.moderation_queue(actor=api_member(request))
    return reports


@router.get("moderation/reports/{uuid:report_id}", response={200: ModerationReportOut, **NOT_FOUND, **AUTH_ERRORS})
def moderation_report(request, report_id: UUID):
    actor = api_member(request)
    return _moderation_out(actor, selectors.report_get_for_moderator(actor=actor, report_id=report_id))


@router.post(
    "moderation/reports/{uuid:report_id}/publish", response={201: AlertOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS}
)
def moderation_publish(request, report_id: UUID, payload: PublishIn):
    actor = api_member(request)
    report = selectors.report_get_for_moderator(actor=actor, report_id=report_id)
    alert = services.alert_publish(
        actor=actor,
        report=report,
        text=payload.text,
        areas=[_area(actor, area_id) for area_id in payload.area_ids],
        categories=payload.categories,
    )
    return Status(201, selectors.alert_get_for_member(actor=actor, alert_id=alert.pk))


@router.post(
    "moderation/reports/{uuid:report_id}/attach", response={200: AlertOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS}
)
def moderation_attach(request, report_id: UUID, payload: AttachIn):
    actor = api_member(request)
    report = selectors.report_get_for_moderator(actor=actor, report_id=report_id)
    alert = selectors.alert_get_for_moderator(actor=actor, alert_id=payload.alert_id)
    services.report_attach(actor=actor, report=report, alert=alert)
    return selectors.alert_get_for_member(actor=actor, alert_id=alert.pk)


@router.post(
    "moderation/reports/{uuid:report_id}/reject", response={200: ReportOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS}
)
def moderation_reject(request, report_id: UUID, payload: ReasonIn):
    actor = api_member(request)
    report = selectors.report_get_for_moderator(actor=actor, report_id=report_id)
    return services.report_reject(actor=actor, report=report, reason=payload.reason)


@router.post(
    "moderation/reports/{uuid:report_id}/record", response={200: ReportOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS}
)
def moderation_record(request, report_id: UUID):
    actor = api_member(request)
    report = selectors.report_get_for_moderator(actor=actor, report_id=report_id)
    return services.report_record(actor=actor, report=report)


# Police alerts -----------------------------------------------------------------------------------------------


@router.post("police-alerts", response={201: PoliceAlertOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS})
def police_alert_create(request, payload: PoliceAlertIn):
    actor = api_member(request)
    police_alert = services.police_alert_create(
        actor=actor,
        area=_area(actor, payload.area_id),
        kind=payload.kind,
        minutes_ago=payload.minutes_ago,
        note=payload.note,
        submission_key=payload.submission_key,
    )
    return Status(201, police_alert)


@router.get("moderation/police-alerts", response={200: list[PoliceAlertOut], **NOT_FOUND, **AUTH_ERRORS})
def moderation_police_queue(request):
    _reports, police_alerts = selectors.moderation_queue(actor=api_member(request))
    police_rights_links(police_alerts)
    return police_alerts


@router.post(
    "moderation/police-alerts/{uuid:police_alert_id}/approve",
    response={200: PoliceAlertOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS},
)
def moderation_police_approve(request, police_alert_id: UUID):
    actor = api_member(request)
    police_alert = selectors.police_alert_get_for_moderator(actor=actor, police_alert_id=police_alert_id)
    return services.police_alert_approve(actor=actor, police_alert=police_alert)


@router.post(
    "moderation/police-alerts/{uuid:police_alert_id}/reject",
    response={200: PoliceAlertOut, **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS},
)
def moderation_police_reject(request, police_alert_id: UUID, payload: ReasonIn):
    actor = api_member(request)
    police_alert = selectors.police_alert_get_for_moderator(actor=actor, police_alert_id=police_alert_id)
    return services.police_alert_reject(actor=actor, police_alert=police_alert, reason=payload.reason)


# Feed, screening, areas ---------------------------------------------------------------------------------------


@router.get("alerts", response={200: FeedOut, **AUTH_ERRORS})
def alert_feed(request):
    # The rows themselves, not schema objects built from them: validating a built object again would run its
    # resolvers on the schema object instead of the row.
    feed = selectors.alert_feed(actor=api_member(request))
    police_rights_links(feed.police_alerts)
    return feed


@router.get("alerts/{uuid:alert_id}", response={200: AlertOut, **NOT_FOUND, **AUTH_ERRORS})
def alert_get(request, alert_id: UUID):
    return selectors.alert_get_for_member(actor=api_member(request), alert_id=alert_id)


@router.get("police-alerts/{uuid:police_alert_id}", response={200: PoliceAlertOut, **NOT_FOUND, **AUTH_ERRORS})
def police_alert_get(request, police_alert_id: UUID):
    return selectors.police_alert_get_for_member(actor=api_member(request), police_alert_id=police_alert_id)


@router.post("screening", response={200: ScreeningOut, 429: Detail, **AUTH_ERRORS, **BODY_ERRORS})
def screening(request, payload: ScreeningIn):
    """The value checked is in this request and its answer only: never in a URL, a log or a cache."""
    if payload.kind not in SCREENABLE_KINDS:
        return Status(400, {"detail": _("Choose a phone number, online handle, email address or vehicle plate.")})
    try:
        answer = services.screening_check(actor=api_member(request), kind=payload.kind, value=payload.value)
    except services.ScreeningLimitReached as exc:
        return Status(429, {"detail": str(exc)})
    return ScreeningOut(
        kind=answer.kind,
        hint=answer.hint,
        reports=answer.reports,
        confirmed=answer.confirmed,
        latest_month=answer.latest_month.strftime("%Y-%m") if answer.latest_month else None,
        categories=[str(label) for label in answer.categories],  # already labels, in the list's order
        left_today=answer.left_today,
    )


@router.get("areas", response={200: list[AreaOut], **AUTH_ERRORS})
def areas(request):
    actor = api_member(request)
    followed = selectors.followed_area_ids(actor=actor)
    return [
        AreaOut(id=area.pk, name=area.name, kind=area.kind, parent_id=area.parent_id, followed=area.pk in followed)
        for area, _depth in account_selectors.area_list(organisation=actor.organisation)
    ]


@router.put("areas/followed", response={200: list[AreaOut], **NOT_FOUND, **AUTH_ERRORS, **BODY_ERRORS})
def areas_follow(request, payload: AreasIn):
    actor = api_member(request)
    services.area_follow_set(actor=actor, areas=[_area(actor, area_id) for area_id in payload.area_ids])
    return areas(request)
