"""The record types as data: for each, its address, its names, the fields a person fills in (on the form and as
CSV columns, in that order), the fields that say two rows are the same record, the columns its list shows, the
date its year filter uses, and the example row of its CSV template.

Forms, the CSV import, the lists and the hub are all driven by this table, so a record type behaves the same way
everywhere and adding one is one entry here.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, Q
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sombrilla.monitoring.records import models as m


@dataclass(frozen=True)
class Parent:
    """A record that belongs to another (a publication's statistics, a training's participants): the foreign key,
    and the CSV columns that name the parent by the parent's own fields."""

    field: str
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    # How a missing parent is described in a CSV error ("no publication titled …").
    missing: Promise


@dataclass(frozen=True)
class RecordKind:
    slug: str
    model: type[Model]
    name: Promise  # the type's plural name, a heading
    one: Promise  # one record, in a sentence
    about: Promise  # what the records are for, on the hub and the import page
    fields: tuple[str, ...]
    key: tuple[str, ...]
    key_text: Promise  # the duplicate rule in words, on the import page
    shown: tuple[str, ...]
    year_field: str
    example: dict[str, str]
    parent: Parent | None = None
    # A filter by year other than "the year_field falls in the year".
    year_filter: Callable[[int], Q] | None = None

    def in_year(self, year: int) -> Q:
        if self.year_filter is not None:
            return self.year_filter(year)
        if self.year_field.endswith("year"):  # a year kept as a number (campaigns, surveys)
            return Q(**{self.year_field: year})
        return Q(**{f"{self.year_field}__year": year})

    @property
    def children(self) -> list["RecordKind"]:
        return [kind for kind in KINDS.values() if kind.parent and kind.parent_model is self.model]

    @property
    def parent_model(self) -> type[Model] | None:
        return self.model._meta.get_field(self.parent.field).related_model if self.parent else None


def _members_in(year: int) -> Q:
    """Members at any time of the year: joined by its end, and not left before it began."""
    return Q(joined_on__year__lte=year) & (Q(left_on__isnull=True) | Q(left_on__year__gte=year))


_TITLE_KEY = _("Matched by title: a row with the title of an existing record updates it.")

KINDS: dict[str, RecordKind] = {
    kind.slug: kind
    for kind in [
        RecordKind(
            slug="members",
            model=m.MemberOrganisation,
            name=_("Member organisations"),
            one=_("member organisation"),
            about=_("Who is a member, since when, in which region, and whether also in a regional network (1.1)."),
            fields=("name", "country", "region", "joined_on", "left_on", "in_regional_network"),
            key=("name", "country"),
            key_text=_(
                "Matched by name and country (capitals and spaces aside): a row for an organisation already listed "
                "updates it, so the same file can be imported again after a change."
            ),
            shown=("name", "country", "region", "joined_on", "left_on", "in_regional_network"),
            year_field="joined_on",
            year_filter=_members_in,
            example={
                "name": "Night Lights Collective",
                "country": "KE",
                "region": "africa",
                "joined_on": "2023-03-15",
                "left_on": "",
                "in_regional_network": "yes",
            },
        ),
        RecordKind(
            slug="governance",
            model=m.GovernanceEvent,
            name=_("Governance events"),
            one=_("governance event"),
            about=_("Board meetings, teleconferences, elections of the president and regional nominations (1.2)."),
            fields=("kind", "date", "region", "note"),
            key=("kind", "date", "region"),
            key_text=_("Matched by kind, date and region: a row for an event already listed updates its note."),
            shown=("date", "kind", "region", "note"),
            year_field="date",
            example={"kind": "board-meeting", "date": "2024-05-20", "region": "", "note": "Annual meeting"},
        ),
        RecordKind(
            slug="publications",
            model=m.Publication,
            name=_("Publications"),
            one=_("publication"),
            about=_("Publications with their format and languages (1.3). Their figures are publication statistics."),
            fields=("title", "format", "languages", "published_on", "theme"),
            key=("title",),
            key_text=_TITLE_KEY,
            shown=("title", "format", "languages", "published_on"),
            year_field="published_on",
            example={
                "title": "Smart Guide to Sex Workers’ Rights",
                "format": "smart-guide",
                "languages": "en fr es ru",
                "published_on": "2024-03-01",
                "theme": "human-rights",
            },
        ),
        RecordKind(
            slug="publication-stats",
            model=m.PublicationStat,
            name=_("Publication statistics"),
            one=_("publication statistic"),
            about=_("Copies distributed and downloads of one language edition of a publication in a period (1.3)."),
            fields=("publication", "language", "period_start", "period_end", "distributed", "downloads"),
            key=("publication", "language", "period_start", "period_end"),
            key_text=_("Matched by publication, language and period: a row for a period already listed updates it."),
            shown=("publication", "language", "period_start", "period_end", "distributed", "downloads"),
            year_field="period_start",
            parent=Parent(
                "publication", ("publication",), ("title",), _("There is no publication titled “%(value)s”.")
            ),
            example={
                "publication": "Smart Guide to Sex Workers’ Rights",
                "language": "en",
                "period_start": "2024-01-01",
                "period_end": "2024-12-31",
                "distributed": "350",
                "downloads": "1200",
            },
        ),
        RecordKind(
            slug="website",
            model=m.WebsiteStat,
            name=_("Website visitors"),
            one=_("website statistic"),
            about=_("Unique and repeat visitors per period, from the website’s statistics export (1.3)."),
            fields=("period_start", "period_end", "unique_visitors", "repeat_visitors"),
            key=("period_start", "period_end"),
            key_text=_("Matched by period: a row for a period already listed updates its figures."),
            shown=("period_start", "period_end", "unique_visitors", "repeat_visitors"),
            year_field="period_start",
            example={
                "period_start": "2024-01-01",
                "period_end": "2024-12-31",
                "unique_visitors": "48210",
                "repeat_visitors": "12950",
            },
        ),
        RecordKind(
            slug="website-languages",
            model=m.WebsiteLanguageStat,
            name=_("Website pages by language"),
            one=_("website language statistic"),
            about=_("Pages and page views per language and how they were translated, per period (1.3)."),
            fields=("period_start", "period_end", "language", "translation", "pages", "page_views"),
            key=("period_start", "period_end", "language", "translation"),
            key_text=_("Matched by period, language and translation: a row already listed is updated."),
            shown=("period_start", "period_end", "language", "translation", "pages", "page_views"),
            year_field="period_start",
            example={
                "period_start": "2024-01-01",
                "period_end": "2024-12-31",
                "language": "fr",
                "translation": "community",
                "pages": "420",
                "page_views": "18300",
            },
        ),
        RecordKind(
            slug="communications",
            model=m.Communication,
            name=_("Mailing lists and social media"),
            one=_("communication"),
            about=_("Mailing lists active, messages sent to them and social-media posts, by day (1.3)."),
            fields=("kind", "channel", "date", "count"),
            key=("kind", "channel", "date"),
            key_text=_("Matched by kind, list or page, and date: a row already listed updates its count."),
            shown=("date", "kind", "channel", "count"),
            year_field="date",
            example={"kind": "mailing-list-message", "channel": "members-africa", "date": "2024-06-03", "count": "4"},
        ),
        RecordKind(
            slug="trainings",
            model=m.Training,
            name=_("Trainings"),
            one=_("training"),
            about=_("Trainings of new and young leaders and who gave them (2B). Participants are counted by region."),
            fields=("title", "date", "region", "trainer_kind", "experienced_trainers"),
            key=("title", "date"),
            key_text=_("Matched by title and date: a row for a training already listed updates it."),
            shown=("date", "title", "region", "trainer_kind", "experienced_trainers"),
            year_field="date",
            example={
                "title": "Regional leadership academy",
                "date": "2024-09-10",
                "region": "asia-pacific",
                "trainer_kind": "experienced-leader",
                "experienced_trainers": "3",
            },
        ),
        RecordKind(
            slug="training-participants",
            model=m.TrainingParticipant,
            name=_("Training participants"),
            one=_("count of participants"),
            about=_("How many new and young leaders from each region took part in a training: counts, no names."),
            fields=("training", "region", "new_leaders", "young_leaders"),
            key=("training", "region"),
            key_text=_("Matched by training and region: a row already listed updates the counts."),
            shown=("training", "region", "new_leaders", "young_leaders"),
            year_field="training__date",
            parent=Parent(
                "training",
                ("training_title", "training_date"),
                ("title", "date"),
                _("There is no training “%(value)s”."),
            ),
            example={
                "training_title": "Regional leadership academy",
                "training_date": "2024-09-10",
                "region": "asia-pacific",
                "new_leaders": "8",
                "young_leaders": "5",
            },
        ),
        RecordKind(
            slug="support",
            model=m.TechnicalSupport,
            name=_("Technical support"),
            one=_("technical support"),
            about=_("Technical and organisational support given to regional networks and national organisations."),
            fields=("recipient_kind", "recipient", "region", "kind", "date", "note"),
            key=("recipient_kind", "recipient", "kind", "date"),
            key_text=_("Matched by recipient, kind of support and date: a row already listed is updated."),
            shown=("date", "recipient", "recipient_kind", "region", "kind"),
            year_field="date",
            example={
                "recipient_kind": "regional-network",
                "recipient": "Example Regional Sex Worker Network",
                "region": "asia-pacific",
                "kind": "reporting",
                "date": "2024-04-12",
                "note": "",
            },
        ),
        RecordKind(
            slug="forums",
            model=m.PolicyForum,
            name=_("Forums, delegations and documents"),
            one=_("forum, delegation or document"),
            about=_("Policy forums leaders took part in, delegations the network sits in, documents it commented on."),
            fields=("kind", "name", "level", "date", "leaders_supported", "region"),
            key=("kind", "name", "date"),
            key_text=_("Matched by kind, name and date: a row already listed is updated."),
            shown=("date", "kind", "name", "level", "leaders_supported"),
            year_field="date",
            example={
                "kind": "forum",
                "name": "UNAIDS Programme Coordinating Board",
                "level": "international",
                "date": "2024-06-25",
                "leaders_supported": "2",
                "region": "",
            },
        ),
        RecordKind(
            slug="campaigns",
            model=m.Campaign,
            name=_("Campaigns"),
            one=_("campaign"),
            about=_("Campaigns on the four commemorative days (3.4). Members taking part are campaign participation."),
            fields=("day", "year", "title"),
            key=("day", "year"),
            key_text=_("Matched by day and year: a row for a campaign already listed updates its title."),
            shown=("year", "day", "title"),
            year_field="year",
            example={"day": "december-17", "year": "2024", "title": "#EndViolenceAgainstSexWorkers"},
        ),
        RecordKind(
            slug="campaign-participation",
            model=m.CampaignParticipation,
            name=_("Campaign participation"),
            one=_("count of member organisations"),
            about=_("How many member organisations of each region took part in a campaign, by theme (3.4)."),
            fields=("campaign", "region", "theme", "member_organisations"),
            key=("campaign", "region", "theme"),
            key_text=_("Matched by campaign, region and theme: a row already listed updates the count."),
            shown=("campaign", "region", "theme", "member_organisations"),
            year_field="campaign__year",
            parent=Parent(
                "campaign",
                ("campaign_day", "campaign_year"),
                ("day", "year"),
                _("There is no campaign “%(value)s”."),
            ),
            example={
                "campaign_day": "december-17",
                "campaign_year": "2024",
                "region": "latin-america",
                "theme": "violence",
                "member_organisations": "12",
            },
        ),
        RecordKind(
            slug="advocacy-tools",
            model=m.AdvocacyTool,
            name=_("Advocacy tools"),
            one=_("advocacy tool"),
            about=_("Advocacy tools by theme and format (3.2)."),
            fields=("title", "theme", "format", "languages", "published_on"),
            key=("title",),
            key_text=_TITLE_KEY,
            shown=("published_on", "title", "theme", "format", "languages"),
            year_field="published_on",
            example={
                "title": "Community guide to the SWIT",
                "theme": "health",
                "format": "community-guide",
                "languages": "en es",
                "published_on": "2024-11-01",
            },
        ),
        RecordKind(
            slug="knowledge",
            model=m.KnowledgeProduct,
            name=_("Case studies, interviews, notes and digests"),
            one=_("knowledge product"),
            about=_(
                "Country case studies, key-informant interviews, briefing notes and digests (3.2), with a "
                "narrative summary that documented-narrative indicators link to."
            ),
            fields=("kind", "title", "country", "region", "date", "summary"),
            key=("kind", "title"),
            key_text=_("Matched by kind and title: a row already listed is updated."),
            shown=("date", "kind", "title", "country"),
            year_field="date",
            example={
                "kind": "case-study",
                "title": "Decriminalisation in practice",
                "country": "NZ",
                "region": "asia-pacific",
                "date": "2024-08-01",
                "summary": "How sex worker-led organisations shaped the law and what changed for sex workers.",
            },
        ),
        RecordKind(
            slug="surveys",
            model=m.MemberSurvey,
            name=_("Member surveys"),
            one=_("member survey"),
            about=_("The annual member survey in figures: responses and the changes members reported (2A)."),
            fields=(
                "year",
                "responses",
                "organisational_development",
                "law_policy_changes",
                "programme_changes",
                "narrative",
            ),
            key=("year",),
            key_text=_("Matched by year: a row for a year already listed updates it."),
            shown=("year", "responses", "organisational_development", "law_policy_changes", "programme_changes"),
            year_field="year",
            example={
                "year": "2024",
                "responses": "142",
                "organisational_development": "96",
                "law_policy_changes": "41",
                "programme_changes": "58",
                "narrative": "Members in three regions reported new national networks.",
            },
        ),
    ]
}


def key_part(value):
    """A value as duplicates are matched: text without case or extra spaces ("Night  lights" is "night lights")."""
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    return value


def record_key(kind: RecordKind, record: Model) -> tuple:
    """What says two records of `kind` are the same one; a parent counts by its id (no query for it)."""
    return tuple(key_part(getattr(record, kind.model._meta.get_field(name).attname)) for name in kind.key)


def kind_get(slug: str) -> RecordKind:
    try:
        return KINDS[slug]
    except KeyError:
        raise Http404 from None
