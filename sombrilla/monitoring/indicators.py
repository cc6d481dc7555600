"""One small function per computation key (computations.COMPUTATIONS), registered with @computes(key).

Each function gets a Scope (the organisations and the years asked for) and answers {year: Raw} in a few
aggregate queries over every year at once: the dashboard asks for a framework's whole period in one go. A Raw
holds totals and category counts only. No function here returns, or even reads, a row about a person: Sombrilla's
own figures come from the unlinked tallies its apps keep for M&E (which outlive the purges), or from counting
rows in the database, never from fetching them.

Years after the current one have no data; nor do years before the oldest organisation in the scope joined
Sombrilla, for figures of Sombrilla's own use.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from sombrilla.accounts.models import Area, Membership, MembershipTally, Organisation
from sombrilla.core import clock
from sombrilla.monitoring.computations import COMPUTATIONS

ZERO = Decimal(0)


@dataclass(frozen=True)
class Ratio:
    """A percentage kept as its two counts, so figures add up across organisations and categories."""

    numerator: Decimal
    denominator: Decimal

    @property
    def percent(self) -> Decimal | None:
        if not self.denominator:
            return None
        return (self.numerator * 100 / self.denominator).quantize(Decimal("0.1"))

    def __add__(self, other: "Ratio") -> "Ratio":
        return Ratio(self.numerator + other.numerator, self.denominator + other.denominator)


Number = Decimal | Ratio


@dataclass
class Extra:
    """A split the framework does not list, because its categories are the organisation's own (its areas)."""

    label: str
    cells: list[tuple[str, str, Decimal]]


@dataclass
class Raw:
    """What a computation found for one year: a count (a yes/no: how many organisations said yes), or a Ratio,
    with the same split by the framework's disaggregations ({disaggregation code: {category code: number}})."""

    total: Number | None = None
    by: dict[str, dict[str, Number]] = field(default_factory=dict)
    extra: dict[str, Extra] = field(default_factory=dict)
    # Yes/no: how many organisations answered (every one in the scope, for a computed figure).
    answered: int = 0


@dataclass(frozen=True)
class Scope:
    organisations: tuple[Organisation, ...]
    years: tuple[int, ...]
    # Across organisations (a network analyst's view): nothing that belongs to one organisation, like its areas.
    network: bool = False

    @property
    def ids(self) -> list:
        return [organisation.pk for organisation in self.organisations]

    @property
    def first_day(self) -> date:
        return date(min(self.years), 1, 1)

    @property
    def last_day(self) -> date:
        return date(max(self.years), 12, 31)

    def moments(self) -> tuple[datetime, datetime]:
        """The first and the last instant of the years, in the site's time zone (which ExtractYear uses too)."""
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.first_day, time.min, tzinfo=zone),
            datetime.combine(self.last_day, time.max, tzinfo=zone),
        )

    def past(self) -> list[int]:
        """The years that have begun."""
        return [year for year in self.years if year <= clock.now().year]

    def in_use(self) -> list[int]:
        """The years that have begun since the first organisation of the scope was on Sombrilla."""
        if not self.organisations:
            return []
        start = min(organisation.created_at for organisation in self.organisations).year
        return [year for year in self.past() if year >= start]


Computed = dict[int, Raw]
COMPUTE: dict[str, Callable[[Scope], Computed]] = {}


def computes(key: str):
    """Register the function that computes `key`, one of computations.COMPUTATIONS."""
    if key not in COMPUTATIONS:
        raise KeyError(f"{key} is not in computations.COMPUTATIONS")

    def register(function):
        COMPUTE[key] = function
        return function

    return register


# Helpers ----------------------------------------------------------------------------------------------------


def _field_type(model, path: str) -> str:
    """The internal type of a field named through relations ("training__date")."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name).get_internal_type()


def per_year(
    queryset, day: str, scope: Scope, *, by: str | tuple[str, ...] | None = None, amount=None
) -> dict[int, Counter]:
    """Rows of `queryset` whose `day` falls in the scope's years, counted (or summed with `amount`) per year and
    split by the field `by` (the key is None without one; with several fields, the tuple of their values).
    `day` is a date or datetime field, or a whole-number year ("year")."""
    kind = _field_type(queryset.model, day)
    if kind == "DateTimeField":
        start, end = scope.moments()
    elif kind == "DateField":
        start, end = scope.first_day, scope.last_day
    else:
        start, end = min(scope.years), max(scope.years)
    fields = (by,) if isinstance(by, str) else tuple(by or ())
    year = ExtractYear(day) if kind in ("DateTimeField", "DateField") else F(day)
    rows = (
        queryset.filter(**{f"{day}__gte": start, f"{day}__lte": end})
        .annotate(year_of=year)
        .values("year_of", *fields)
        .annotate(n=amount if amount is not None else Count("pk"))
        .order_by()
    )
    found: dict[int, Counter] = defaultdict(Counter)
    for row in rows:
        key = row[fields[0]] if len(fields) == 1 else tuple(row[name] for name in fields) if fields else None
        found[row["year_of"]][key] += row["n"] or 0
    return found


def counts(years: list[int], totals: dict[int, Counter], **splits: dict[int, Counter]) -> Computed:
    """A count per year: the total of `totals`, and each split as one disaggregation's categories."""
    return {
        year: Raw(
            total=Decimal(sum(totals.get(year, Counter()).values())),
            by={
                code: {key: Decimal(n) for key, n in found.get(year, Counter()).items() if key is not None}
                for code, found in splits.items()
            },
        )
        for year in years
    }


def _two_ways(found: dict[int, Counter], first=None, second=None) -> tuple[dict[int, Counter], dict[int, Counter]]:
    """Counts keyed by pairs of categories, split into the two ways they count, each folded by its function
    (the finer categories of the records into the framework's)."""
    one: dict[int, Counter] = defaultdict(Counter)
    two: dict[int, Counter] = defaultdict(Counter)
    for year, cells in found.items():
        for (a, b), n in cells.items():
            one[year][first(a) if first else a] += n
            two[year][second(b) if second else b] += n
    return one, two


def _own(model, scope: Scope, **filters):
    return model.objects.filter(organisation__in=scope.ids, **filters)


# Sombrilla's own use --------------------------------------------------------------------------------------


def _membership_events(scope: Scope) -> dict[str, Counter]:
    """Joins and departures per year, from the start of the scope's first year until now."""
    rows = (
        _own(MembershipTally, scope, month__gte=scope.first_day)
        .annotate(year=ExtractYear("month"))
        .values("year", "event")
        .annotate(n=Sum("count"))
        .order_by()
    )
    found: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        found[row["event"]][row["year"]] += row["n"]
    return found


@computes("platform.members")
def platform_members(scope: Scope) -> Computed:
    """Accounts now, less those who joined after the year, plus those who left after it. Founding accounts made
    without an invitation are counted from the day they were made, since they joined before any tally."""
    events = _membership_events(scope)
    now = Membership.objects.filter(organisation__in=scope.ids).count()
    joined, left = events[MembershipTally.Event.JOINED], events[MembershipTally.Event.LEFT]
    found = {}
    for year in scope.in_use():
        later = [other for other in set(joined) | set(left) if other > year]
        found[year] = Raw(total=Decimal(max(0, now - sum(joined[y] for y in later) + sum(left[y] for y in later))))
    return found


@computes("platform.members_new")
def platform_members_new(scope: Scope) -> Computed:
    joined = _membership_events(scope)[MembershipTally.Event.JOINED]
    return {year: Raw(total=Decimal(joined[year])) for year in scope.in_use()}


@computes("platform.members_left")
def platform_members_left(scope: Scope) -> Computed:
    left = _membership_events(scope)[MembershipTally.Event.LEFT]
    return {year: Raw(total=Decimal(left[year])) for year in scope.in_use()}


def _area_names(area_ids) -> dict:
    """Each area with its parents' names ("Kenya › Nairobi › Kibera"), in two queries whatever the depth."""
    areas = {area.pk: area for area in Area.objects.filter(pk__in=area_ids)}
    parents = {area.parent_id for area in areas.values()} - set(areas)
    while parents - {None}:
        fetched = {area.pk: area for area in Area.objects.filter(pk__in=parents - {None})}
        areas.update(fetched)
        parents = {area.parent_id for area in fetched.values()} - set(areas)

    def name(area) -> str:
        chain = []
        while area is not None:
            chain.append(area.name)
            area = areas.get(area.parent_id)
        return " › ".join(reversed(chain))

    return {pk: name(areas[pk]) for pk in area_ids if pk in areas}


@computes("platform.reports")
def platform_reports(scope: Scope) -> Computed:
    from sombrilla.alerts.models import IncidentTally

    cells = per_year(_own(IncidentTally, scope), "month", scope, by=("category", "area"), amount=Sum("count"))
    by_category, by_area = _two_ways(cells)
    found = counts(scope.in_use(), by_category, **{"incident-category": by_category})
    if scope.network:
        return found
    names = _area_names({area for cells in by_area.values() for area in cells if area is not None})
    for year, raw in found.items():
        listed = sorted(
            ((str(area), names[area], Decimal(n)) for area, n in by_area.get(year, {}).items() if area in names),
            key=lambda cell: cell[1],
        )
        unplaced = by_area.get(year, {}).get(None, 0)
        if unplaced:
            listed.append(("none", _("No area given"), Decimal(unplaced)))
        raw.extra["area"] = Extra(_("Area"), listed)
    return found


@computes("platform.alerts")
def platform_alerts(scope: Scope) -> Computed:
    from sombrilla.alerts.models import AlertTally

    cells = per_year(_own(AlertTally, scope), "month", scope, by="category", amount=Sum("count"))
    # The tally's row with no category counts the alerts themselves: an alert has one or more categories.
    totals = {year: Counter({None: found.pop("", 0)}) for year, found in cells.items()}
    return counts(scope.in_use(), totals, **{"incident-category": cells})


@computes("platform.police_alerts")
def platform_police_alerts(scope: Scope) -> Computed:
    from sombrilla.alerts.models import PoliceAlertTally

    by_kind = per_year(_own(PoliceAlertTally, scope), "month", scope, by="kind", amount=Sum("count"))
    return counts(scope.in_use(), by_kind, **{"police-kind": by_kind})


@computes("platform.screenings")
def platform_screenings(scope: Scope) -> Computed:
    from sombrilla.alerts.models import ScreeningTally

    return counts(scope.in_use(), per_year(_own(ScreeningTally, scope), "day", scope, amount=Sum("count")))


def _checkin_events(scope: Scope) -> dict[int, Counter]:
    from sombrilla.checkins.models import CheckinTally

    return per_year(_own(CheckinTally, scope), "month", scope, by="event", amount=Sum("count"))


@computes("platform.checkin_plans")
def platform_checkin_plans(scope: Scope) -> Computed:
    from sombrilla.checkins.models import CheckinTally

    plans = {year: Counter({None: events[CheckinTally.Event.PLAN]}) for year, events in _checkin_events(scope).items()}
    return counts(scope.in_use(), plans)


@computes("platform.checkin_escalations")
def platform_checkin_escalations(scope: Scope) -> Computed:
    from sombrilla.checkins.models import CheckinTally

    reasons = {
        CheckinTally.Event.ESCALATED_DUE: "due",
        CheckinTally.Event.ESCALATED_SOS: "sos",
        CheckinTally.Event.ESCALATED_SILENT: "silent",
    }
    escalations = {
        year: Counter({reasons[event]: n for event, n in events.items() if event in reasons})
        for year, events in _checkin_events(scope).items()
    }
    return counts(scope.in_use(), escalations, **{"escalation-reason": escalations})


@computes("platform.delivery_success")
def platform_delivery_success(scope: Scope) -> Computed:
    """Of the deliveries that are finished (sent, or given up on), the share sent. The in-app inbox is left
    out: a message to it is there the moment it is written."""
    from sombrilla.notify.models import Channel, Delivery

    status = Delivery.Status
    finished = Delivery.objects.filter(
        dispatch__organisation__in=scope.ids,
        channel__in=[Channel.PUSH, Channel.EMAIL, Channel.SMS],
        status__in=[status.SENT, status.DEAD, status.UNDELIVERABLE],
    )
    start, end = scope.moments()
    rows = (
        finished.filter(created_at__gte=start, created_at__lte=end)
        .annotate(year=ExtractYear("created_at"))
        .values("year", "channel")
        .annotate(all=Count("pk"), sent=Count("pk", filter=Q(status=status.SENT)))
        .order_by()
    )
    by_channel: dict[int, dict[str, Ratio]] = defaultdict(dict)
    for row in rows:
        by_channel[row["year"]][row["channel"]] = Ratio(Decimal(row["sent"]), Decimal(row["all"]))
    return {
        year: Raw(total=sum(by_channel[year].values(), Ratio(ZERO, ZERO)), by={"channel": dict(by_channel[year])})
        for year in scope.in_use()
    }


@computes("platform.rights_languages")
def platform_rights_languages(scope: Scope) -> Computed:
    """Only the current year: which versions existed at the end of an earlier year is not kept."""
    from sombrilla.rights.selectors import language_versions_count

    year = clock.now().year
    if year not in scope.in_use():
        return {}
    any_, machine, community = set(), set(), set()
    for organisation in scope.organisations:
        for language, provenance in language_versions_count(organisation).items():
            if provenance["total"]:
                any_.add(language)
            if provenance["machine"]:
                machine.add(language)
            if provenance["community"]:
                community.add(language)
    split = {"online": Decimal(len(machine)), "community": Decimal(len(community))}
    return {year: Raw(total=Decimal(len(any_)), by={"translation": split})}


# The network's records (sombrilla.monitoring.records) ---------------------------------------------------------
# Categories are the framework's own codes (records/models.py says so), except languages and formats, which are
# finer there and folded into the framework's categories here.

FRAMEWORK_LANGUAGES = ("en", "fr", "es", "ru", "zh")
SURVEY_TOPICS = {
    "organisations": "organisational_development",
    "law-policy": "law_policy_changes",
    "programmes": "programme_changes",
}


def _records():
    from sombrilla.monitoring.records import models

    return models


def _language(code: str) -> str:
    return code if code in FRAMEWORK_LANGUAGES else "other"


def _distinct(found: dict[int, Counter], index: int | None = None) -> dict[int, Counter]:
    """Keys (tuples) counted once each per year; with `index`, how many keys per value at that place."""
    out: dict[int, Counter] = defaultdict(Counter)
    for year, cells in found.items():
        for key in cells:
            out[year][None if index is None else key[index]] += 1
    return out


def _yes_no(scope: Scope, per_organisation: dict[int, Counter], **splits: dict[int, Counter]) -> Computed:
    """Yes/no for each organisation: the total is how many said yes (one organisation: 1 or 0)."""
    found = counts(scope.past(), _distinct(per_organisation), **splits)
    for raw in found.values():
        raw.answered = len(scope.organisations)
    return found


def _members_at_year_ends(scope: Scope, **filters) -> Computed:
    """Member organisations that had joined by the end of each year and not left by then, by region: one query,
    a conditional count per year."""
    members = _own(_records().MemberOrganisation, scope, **filters)
    ends = {year: date(year, 12, 31) for year in scope.past()}
    rows = members.values("region").annotate(
        **{
            f"y{year}": Count("pk", filter=Q(joined_on__lte=end) & (Q(left_on__isnull=True) | Q(left_on__gt=end)))
            for year, end in ends.items()
        }
    )
    by_region: dict[int, Counter] = defaultdict(Counter)
    for row in rows:
        for year in ends:
            by_region[year][row["region"]] += row[f"y{year}"]
    return counts(list(ends), by_region, region=by_region)


@computes("members.total")
def members_total(scope: Scope) -> Computed:
    return _members_at_year_ends(scope)


@computes("members.in_regional_network")
def members_in_regional_network(scope: Scope) -> Computed:
    return _members_at_year_ends(scope, in_regional_network=True)


@computes("members.new")
def members_new(scope: Scope) -> Computed:
    joined = per_year(_own(_records().MemberOrganisation, scope), "joined_on", scope, by="region")
    return counts(scope.past(), joined, region=joined)


def _governance(scope: Scope, kind: str, **options) -> dict[int, Counter]:
    events = _own(_records().GovernanceEvent, scope, kind=kind)
    return per_year(events, "date", scope, **options)


@computes("governance.board_meeting_held")
def governance_board_meeting_held(scope: Scope) -> Computed:
    kinds = _records().GovernanceEvent.Kind
    return _yes_no(scope, _governance(scope, kinds.BOARD_MEETING, by=("organisation",)))


@computes("governance.president_elected")
def governance_president_elected(scope: Scope) -> Computed:
    kinds = _records().GovernanceEvent.Kind
    return _yes_no(scope, _governance(scope, kinds.PRESIDENT_ELECTION, by=("organisation",)))


@computes("governance.regional_nominations")
def governance_regional_nominations(scope: Scope) -> Computed:
    kinds = _records().GovernanceEvent.Kind
    nominations = _governance(scope, kinds.REGIONAL_NOMINATION, by=("organisation", "region"))
    by_organisation = {year: Counter({(key[0],): 1 for key in cells}) for year, cells in nominations.items()}
    return _yes_no(scope, by_organisation, region=_distinct(nominations, index=1))


@computes("governance.teleconferences")
def governance_teleconferences(scope: Scope) -> Computed:
    kinds = _records().GovernanceEvent.Kind
    return counts(scope.past(), _governance(scope, kinds.TELECONFERENCE))


@computes("website.languages")
def website_languages(scope: Scope) -> Computed:
    """Languages with pages in a period starting in the year, each once, and by how they were translated."""
    stats = _own(_records().WebsiteLanguageStat, scope, pages__gt=0)
    found = per_year(stats, "period_start", scope, by=("language", "translation"))
    languages = {year: Counter({(language,): 1 for language, _t in cells}) for year, cells in found.items()}
    return counts(scope.past(), _distinct(languages), translation=_distinct(found, index=1))


def _visitors(scope: Scope, field: str) -> Computed:
    stats = _own(_records().WebsiteStat, scope)
    return counts(scope.past(), per_year(stats, "period_start", scope, amount=Sum(field)))


@computes("website.unique_visitors")
def website_unique_visitors(scope: Scope) -> Computed:
    return _visitors(scope, "unique_visitors")


@computes("website.repeat_visitors")
def website_repeat_visitors(scope: Scope) -> Computed:
    return _visitors(scope, "repeat_visitors")


def _communications(scope: Scope, kind: str, **options) -> dict[int, Counter]:
    return per_year(_own(_records().Communication, scope, kind=kind), "date", scope, **options)


@computes("communications.mailing_lists")
def communications_mailing_lists(scope: Scope) -> Computed:
    lists = _communications(scope, _records().Communication.Kind.MAILING_LIST, by=("organisation", "channel"))
    return counts(scope.past(), _distinct(lists))


@computes("communications.mailing_list_messages")
def communications_mailing_list_messages(scope: Scope) -> Computed:
    kind = _records().Communication.Kind.MAILING_LIST_MESSAGE
    return counts(scope.past(), _communications(scope, kind, amount=Sum("count")))


@computes("communications.social_media_posts")
def communications_social_media_posts(scope: Scope) -> Computed:
    kind = _records().Communication.Kind.SOCIAL_MEDIA_POST
    return counts(scope.past(), _communications(scope, kind, amount=Sum("count")))


def _publications(scope: Scope, field: str) -> Computed:
    """A statistic of the publications' language editions, by language and by the publication's format."""
    records = _records()
    stats = _own(records.PublicationStat, scope)
    found = per_year(stats, "period_start", scope, by=("language", "publication__format"), amount=Sum(field))
    languages, formats = _two_ways(found, _language, records.FORMAT_CATEGORY.get)
    return counts(scope.past(), languages, language=languages, format=formats)


@computes("publications.distributed")
def publications_distributed(scope: Scope) -> Computed:
    return _publications(scope, "distributed")


@computes("publications.downloads")
def publications_downloads(scope: Scope) -> Computed:
    return _publications(scope, "downloads")


def _supported(scope: Scope, recipient_kind: str, *fields: str) -> dict[int, Counter]:
    """Who was supported in each year, each recipient once, with `fields` of each support given."""
    support = _own(_records().TechnicalSupport, scope, recipient_kind=recipient_kind)
    return per_year(support, "date", scope, by=("organisation", "recipient", *fields))


@computes("support.regional_networks")
def support_regional_networks(scope: Scope) -> Computed:
    """Each network once in the total; in each region and each type of support it had, once there."""
    kind = _records().TechnicalSupport.RecipientKind.REGIONAL_NETWORK
    found = _supported(scope, kind, "region", "kind")
    networks = {year: Counter({key[:2]: 1 for key in cells}) for year, cells in found.items()}
    regions = {year: Counter({key[:3]: 1 for key in cells}) for year, cells in found.items()}
    types = {year: Counter({(*key[:2], key[3]): 1 for key in cells}) for year, cells in found.items()}
    split = {"region": _distinct(regions, index=2), "support-type": _distinct(types, index=2)}
    return counts(scope.past(), _distinct(networks), **split)


@computes("support.national_organisations")
def support_national_organisations(scope: Scope) -> Computed:
    kind = _records().TechnicalSupport.RecipientKind.NATIONAL_ORGANISATION
    found = _supported(scope, kind, "region")
    organisations = {year: Counter({key[:2]: 1 for key in cells}) for year, cells in found.items()}
    return counts(scope.past(), _distinct(organisations), region=_distinct(found, index=2))


@computes("survey.conducted")
def survey_conducted(scope: Scope) -> Computed:
    """Yes for an organisation whose member survey ran in the year; a topic, yes where the survey asked it."""
    surveys = _own(_records().MemberSurvey, scope)
    per_organisation = per_year(surveys, "year", scope, by=("organisation",))
    topics: dict[int, Counter] = defaultdict(Counter)
    for code, column in SURVEY_TOPICS.items():
        for year, cells in per_year(surveys.filter(**{f"{column}__isnull": False}), "year", scope).items():
            topics[year][code] += sum(cells.values())
    return _yes_no(scope, per_organisation, **{"survey-topic": topics})


def _trained(scope: Scope, trainer_kind: str) -> Computed:
    """New and young leaders at trainings of one kind, by the region they came from (counts only: the records
    hold no names, so a leader at two trainings is counted at each)."""
    participants = _own(_records().TrainingParticipant, scope, training__trainer_kind=trainer_kind)
    found = per_year(
        participants, "training__date", scope, by="region", amount=Sum("new_leaders") + Sum("young_leaders")
    )
    return counts(scope.past(), found, region=found)


@computes("trainings.leaders_trained_by_network")
def trainings_leaders_trained_by_network(scope: Scope) -> Computed:
    return _trained(scope, _records().Training.TrainerKind.NETWORK)


@computes("trainings.leaders_trained_by_peers")
def trainings_leaders_trained_by_peers(scope: Scope) -> Computed:
    return _trained(scope, _records().Training.TrainerKind.EXPERIENCED_LEADER)


@computes("trainings.experienced_trainers")
def trainings_experienced_trainers(scope: Scope) -> Computed:
    trainings = _own(_records().Training, scope, trainer_kind=_records().Training.TrainerKind.EXPERIENCED_LEADER)
    found = per_year(trainings, "date", scope, by="region", amount=Sum("experienced_trainers"))
    return counts(scope.past(), found, region=found)


def _forums(scope: Scope, kind: str, **options) -> dict[int, Counter]:
    return per_year(_own(_records().PolicyForum, scope, kind=kind), "date", scope, **options)


@computes("forums.leaders_supported")
def forums_leaders_supported(scope: Scope) -> Computed:
    kind = _records().PolicyForum.Kind.FORUM
    found = _forums(scope, kind, by=("level", "region"), amount=Sum("leaders_supported"))
    levels, regions = _two_ways(found, second=lambda region: region or None)
    return counts(scope.past(), levels, level=levels, region=regions)


@computes("forums.delegations")
def forums_delegations(scope: Scope) -> Computed:
    return counts(scope.past(), _forums(scope, _records().PolicyForum.Kind.DELEGATION))


@computes("forums.documents_commented")
def forums_documents_commented(scope: Scope) -> Computed:
    return counts(scope.past(), _forums(scope, _records().PolicyForum.Kind.DOCUMENT))


def _products(scope: Scope, kind: str, **options) -> dict[int, Counter]:
    return per_year(_own(_records().KnowledgeProduct, scope, kind=kind), "date", scope, **options)


@computes("research.country_case_studies")
def research_country_case_studies(scope: Scope) -> Computed:
    found = _products(scope, _records().KnowledgeProduct.Kind.CASE_STUDY, by="region")
    return counts(scope.past(), found, region=found)


@computes("research.key_informant_interviews")
def research_key_informant_interviews(scope: Scope) -> Computed:
    found = _products(scope, _records().KnowledgeProduct.Kind.INTERVIEW, by="region")
    return counts(scope.past(), found, region=found)


@computes("research.briefing_notes")
def research_briefing_notes(scope: Scope) -> Computed:
    return counts(scope.past(), _products(scope, _records().KnowledgeProduct.Kind.BRIEFING_NOTE))


@computes("research.digests")
def research_digests(scope: Scope) -> Computed:
    return counts(scope.past(), _products(scope, _records().KnowledgeProduct.Kind.DIGEST))


@computes("advocacy_tools.produced")
def advocacy_tools_produced(scope: Scope) -> Computed:
    records = _records()
    found = per_year(_own(records.AdvocacyTool, scope), "published_on", scope, by=("theme", "format"))
    themes, formats = _two_ways(found, second=records.FORMAT_CATEGORY.get)
    return counts(scope.past(), themes, theme=themes, format=formats)


@computes("campaigns.commemorative_days")
def campaigns_commemorative_days(scope: Scope) -> Computed:
    found = per_year(_own(_records().Campaign, scope), "year", scope, by="day")
    return counts(scope.past(), found, **{"commemorative-day": found})


@computes("campaigns.participating_members")
def campaigns_participating_members(scope: Scope) -> Computed:
    """Member organisations taking part, by region and theme. The records count organisations per campaign,
    region and theme without naming them, so one that took part in two campaigns counts in each."""
    participation = _own(_records().CampaignParticipation, scope)
    found = per_year(participation, "campaign__year", scope, by=("region", "theme"), amount=Sum("member_organisations"))
    regions, themes = _two_ways(found)
    return counts(scope.past(), regions, region=regions, theme=themes)
