"""The records monitoring-and-evaluation indicators count: member organisations, governance events, publications
and their statistics, website statistics, communications, trainings, technical support, policy forums,
campaigns, advocacy tools, knowledge products and the annual member survey.

Each record is kept by one organisation (a network's secretariat or a member organisation) and read only by its
staff, admins and network analysts. Nothing here is about an individual: where people are concerned (leaders
trained, leaders supported at a forum, survey answers) only counts are kept, never a name.

Categories use the codes of the framework's disaggregations (monitoring/fixtures/nswp-2022-25.yaml: region,
theme, commemorative-day, level, support-type, translation), so a computed figure splits by a record's own
value without a lookup table. Publication and tool formats are finer than the framework's format categories;
FORMAT_CATEGORY maps one to the other.

Every rule about one row lives in the model (field validators and `clean`), so the entry form and the CSV import
refuse exactly the same things; the services are the only writers.
"""

import re
import uuid

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sombrilla.core import clock

SUMMARY_MAX = 5000
NOTE_MAX = 500

# ISO 639-1: the two-letter language codes. Languages without one (many spoken by sex workers' communities) have
# a three-letter ISO 639-2/3 code, accepted by its shape.
ISO_639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el "
    "en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it "
    "iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt "
    "my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl "
    "sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo "
    "za zh zu".split()
)
_THREE_LETTERS = re.compile(r"[a-z]{3}")
LANGUAGES_SEPARATOR = re.compile(r"[\s,;|/]+")
# phonenumbers (already a dependency) knows every ISO 3166 country and territory by its two-letter code.
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)
# The largest count PostgreSQL's integer column holds; a bigger number is a typing mistake, not a figure.
COUNT_MAX = 2_147_483_647


def is_language(code: str) -> bool:
    return code in ISO_639_1 or bool(_THREE_LETTERS.fullmatch(code))


def validate_country(value: str) -> None:
    if value.strip().upper() not in COUNTRIES:
        raise ValidationError(
            _("“%(value)s” is not a country’s two-letter ISO code (KE, MX, TH …)."),
            code="country",
            params={"value": value},
        )


def validate_language(value: str) -> None:
    if not is_language(value.strip().lower()):
        raise ValidationError(
            _("“%(value)s” is not an ISO language code (en, fr, es, ru …)."), code="language", params={"value": value}
        )


def validate_languages(value) -> None:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Give the languages as a list of ISO codes."), code="languages")
    for code in value:
        validate_language(code)


def languages_normalise(codes: list[str]) -> list[str]:
    """Lower case, each once, in the order given."""
    return list(dict.fromkeys(code.strip().lower() for code in codes if code.strip()))


class Region(models.TextChoices):
    """NSWP's five regions (the framework's "region" disaggregation)."""

    AFRICA = "africa", _("Africa")
    ASIA_PACIFIC = "asia-pacific", _("Asia and the Pacific")
    EUROPE = "europe", _("Europe")
    LATIN_AMERICA = "latin-america", _("Latin America")
    NORTH_AMERICA_CARIBBEAN = "north-america-caribbean", _("North America and the Caribbean")


class Theme(models.TextChoices):
    """The eight goals (the framework's "theme" disaggregation)."""

    HUMAN_RIGHTS = "human-rights", _("Human rights")
    HEALTH = "health", _("Health")
    LABOUR = "labour", _("Labour")
    STIGMA = "stigma", _("Stigma and discrimination")
    CRIMINALISATION = "criminalisation", _("Criminalisation and legal oppression")
    VIOLENCE = "violence", _("Violence")
    MIGRATION = "migration", _("Trafficking and migration")
    ECONOMIC = "economic", _("Economic empowerment")


class Format(models.TextChoices):
    BRIEFING_PAPER = "briefing-paper", _("briefing paper")
    POLICY_BRIEF = "policy-brief", _("policy brief")
    COMMUNITY_GUIDE = "community-guide", _("community guide")
    REPORT = "report", _("report")
    CASE_STUDY = "case-study", _("case study")
    DIGEST = "digest", _("digest")
    SMART_GUIDE = "smart-guide", _("smart guide")
    INFOGRAPHIC = "infographic", _("infographic")
    AUDIO = "audio", _("audio")
    VIDEO = "video", _("video")
    OTHER = "other", _("other")


# A format's category in the framework's "format" disaggregation (full, short, infographic, audio, video, other).
FORMAT_CATEGORY = {
    Format.BRIEFING_PAPER: "full",
    Format.POLICY_BRIEF: "short",
    Format.COMMUNITY_GUIDE: "short",
    Format.REPORT: "full",
    Format.CASE_STUDY: "full",
    Format.DIGEST: "short",
    Format.SMART_GUIDE: "short",
    Format.INFOGRAPHIC: "infographic",
    Format.AUDIO: "audio",
    Format.VIDEO: "video",
    Format.OTHER: "other",
}


class Record(models.Model):
    """What every record has: a random id, the organisation that keeps it, and when it was written."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        abstract = True


class Period(Record):
    """A record of figures over a period, say a month or a year of website statistics."""

    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The period ends before it starts.")})


def _period_order(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name=name)


def _count(label, *, default: int | None = 0, help_text="", null=False) -> models.PositiveIntegerField:
    """A count of things or people; `default=None` makes it one to fill in, `null` one that may be left empty."""
    options = {"null": null, "blank": null, "help_text": help_text, "validators": [MaxValueValidator(COUNT_MAX)]}
    if default is not None and not null:
        options["default"] = default
    return models.PositiveIntegerField(label, **options)


def _index(name: str, *fields: str) -> models.Index:
    return models.Index(fields=["organisation", *fields], name=name)


def _unique(name: str, *fields: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["organisation", *fields], name=name)


def _region(*, blank: bool = False) -> models.CharField:
    return models.CharField(_("region"), max_length=32, choices=Region.choices, blank=blank)


def _languages() -> models.JSONField:
    return models.JSONField(
        _("languages"), default=list, validators=[validate_languages], help_text=_("ISO codes, e.g. “en fr es”.")
    )


# 1.1 Membership ----------------------------------------------------------------------------------------------


class MemberOrganisation(Record):
    """A member organisation of the network. It is a member from `joined_on` until `left_on` (if it left)."""

    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(
        _("country"), max_length=2, validators=[validate_country], help_text=_("Two-letter ISO code, e.g. KE.")
    )
    region = _region()
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    in_regional_network = models.BooleanField(_("also a member of a regional network"), default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            _unique("member_organisation_once", "name", "country"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")), name="member_left_after_joining"
            ),
        ]
        indexes = [_index("member_joined", "joined_on")]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    def clean(self) -> None:
        self.country = self.country.strip().upper()
        if self.joined_on and self.left_on and self.left_on < self.joined_on:
            raise ValidationError({"left_on": _("An organisation cannot leave before it joined.")})


# 1.2 Governance ------------------------------------------------------------------------------------------------


class GovernanceEvent(Record):
    class Kind(models.TextChoices):
        BOARD_MEETING = "board-meeting", _("board meeting")
        TELECONFERENCE = "teleconference", _("board teleconference")
        PRESIDENT_ELECTION = "president-election", _("election of the president")
        REGIONAL_NOMINATION = "regional-nomination", _("regional nomination to the board")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    date = models.DateField(_("date"))
    region = _region(blank=True)
    note = models.CharField(_("note"), max_length=NOTE_MAX, blank=True)

    class Meta:
        ordering = ["-date", "kind"]
        constraints = [_unique("governance_event_once", "kind", "date", "region")]
        indexes = [_index("governance_date", "date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"

    def clean(self) -> None:
        if self.kind == self.Kind.REGIONAL_NOMINATION and not self.region:
            raise ValidationError({"region": _("Say which region nominated its candidates.")})


# 1.3 Communication ---------------------------------------------------------------------------------------------


class Document(Record):
    """A publication or an advocacy tool: a title, a format and the languages it is in."""

    title = models.CharField(_("title"), max_length=300)
    format = models.CharField(_("format"), max_length=32, choices=Format.choices)
    languages = _languages()
    published_on = models.DateField(_("published on"))

    class Meta:
        abstract = True
        ordering = ["-published_on", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def format_category(self) -> str:
        return FORMAT_CATEGORY[self.format]

    def clean(self) -> None:
        if isinstance(self.languages, list):
            self.languages = languages_normalise(self.languages)


class Publication(Document):
    theme = models.CharField(_("theme"), max_length=32, choices=Theme.choices, blank=True)

    class Meta(Document.Meta):
        constraints = [_unique("publication_title_once", "title")]
        indexes = [_index("publication_published", "published_on")]


class PublicationStat(Period):
    """How often one language edition of a publication was distributed and downloaded in a period."""

    publication = models.ForeignKey(Publication, models.CASCADE, related_name="stats", verbose_name=_("publication"))
    language = models.CharField(_("language"), max_length=3, validators=[validate_language])
    distributed = _count(_("copies distributed"))
    downloads = _count(_("downloads"))

    class Meta:
        ordering = ["-period_start", "publication__title", "language"]
        constraints = [
            _unique("publication_stat_once", "publication", "language", "period_start", "period_end"),
            _period_order("publication_stat_period_order"),
        ]
        indexes = [_index("publication_stat_period", "period_start")]

    def __str__(self) -> str:
        return f"{self.publication} [{self.language}] {self.period_start}–{self.period_end}"

    def clean(self) -> None:
        self.language = self.language.strip().lower()
        super().clean()
        publication = self.publication if self.publication_id else None
        if publication is not None and self.language and self.language not in publication.languages:
            raise ValidationError(
                {
                    "language": _("The publication has no edition in “%(language)s” (its languages: %(languages)s).")
                    % {"language": self.language, "languages": " ".join(publication.languages)}
                }
            )


class WebsiteStat(Period):
    """Visitors to the website in a period, from the website's statistics export."""

    unique_visitors = _count(_("unique visitors"))
    repeat_visitors = _count(_("repeat visitors"), help_text=_("Visitors who came back; part of the unique visitors."))

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            _unique("website_stat_once", "period_start", "period_end"),
            _period_order("website_stat_period_order"),
        ]
        indexes = [_index("website_stat_period", "period_start")]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end}"

    def clean(self) -> None:
        super().clean()
        if (self.repeat_visitors or 0) > (self.unique_visitors or 0):
            raise ValidationError({"repeat_visitors": _("Repeat visitors are part of the unique visitors.")})


class Translation(models.TextChoices):
    ONLINE = "online", _("online translation")
    COMMUNITY = "community", _("translation by the community")


class WebsiteLanguageStat(Period):
    """The website's pages in one language in a period, and how they were translated."""

    language = models.CharField(_("language"), max_length=3, validators=[validate_language])
    translation = models.CharField(_("translation"), max_length=16, choices=Translation.choices)
    pages = _count(_("pages"), help_text=_("Pages with content in this language."))
    page_views = _count(_("page views"))

    class Meta:
        ordering = ["-period_start", "language", "translation"]
        constraints = [
            _unique("website_language_once", "period_start", "period_end", "language", "translation"),
            _period_order("website_language_period_order"),
        ]
        indexes = [_index("website_language_period", "period_start")]

    def __str__(self) -> str:
        return f"{self.language} ({self.translation}) {self.period_start}–{self.period_end}"

    def clean(self) -> None:
        self.language = self.language.strip().lower()
        super().clean()


class Communication(Record):
    """A mailing list active, messages sent to a list, or posts on a social-media page, on a day."""

    class Kind(models.TextChoices):
        MAILING_LIST = "mailing-list", _("mailing list active")
        MAILING_LIST_MESSAGE = "mailing-list-message", _("mailing-list message")
        SOCIAL_MEDIA_POST = "social-media-post", _("social-media post")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    channel = models.CharField(_("list or page"), max_length=120, help_text=_("The mailing list’s or page’s name."))
    date = models.DateField(_("date"))
    count = _count(_("how many"), default=1)

    class Meta:
        ordering = ["-date", "kind", "channel"]
        constraints = [
            _unique("communication_once", "kind", "channel", "date"),
            models.CheckConstraint(condition=Q(count__gte=1), name="communication_counts_something"),
        ]
        indexes = [_index("communication_date", "date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.channel} {self.date}"

    def clean(self) -> None:
        if self.count is not None and self.count < 1:
            raise ValidationError({"count": _("Count at least one.")})


# 2A / 2B Capacity building -------------------------------------------------------------------------------------


class Training(Record):
    """A training of new and young leaders, given by the network or by experienced leaders of the movement."""

    class TrainerKind(models.TextChoices):
        NETWORK = "network", _("the network")
        EXPERIENCED_LEADER = "experienced-leader", _("experienced leaders")

    title = models.CharField(_("title"), max_length=300)
    date = models.DateField(_("date"))
    region = _region()
    trainer_kind = models.CharField(_("trained by"), max_length=32, choices=TrainerKind.choices)
    experienced_trainers = _count(
        _("experienced leaders who trained"), help_text=_("How many experienced leaders gave the training.")
    )

    class Meta:
        ordering = ["-date", "title"]
        constraints = [_unique("training_once", "title", "date")]
        indexes = [_index("training_date", "date")]

    def __str__(self) -> str:
        return f"{self.title} ({self.date})"

    def clean(self) -> None:
        if self.trainer_kind == self.TrainerKind.EXPERIENCED_LEADER and not self.experienced_trainers:
            raise ValidationError(
                {"experienced_trainers": _("Say how many experienced leaders gave the training (at least one).")}
            )


class TrainingParticipant(Record):
    """How many new and young leaders from one region took part in a training. Counts only, never names.

    Each person is counted once: a young leader under `young_leaders` only, other new leaders under `new_leaders`.
    """

    training = models.ForeignKey(Training, models.CASCADE, related_name="participants", verbose_name=_("training"))
    region = _region()
    new_leaders = _count(_("new leaders"), help_text=_("New leaders who are not young leaders."))
    young_leaders = _count(_("young leaders"))

    class Meta:
        ordering = ["-training__date", "training__title", "region"]
        constraints = [models.UniqueConstraint(fields=["training", "region"], name="training_participants_once")]

    def __str__(self) -> str:
        return f"{self.training} – {self.get_region_display()}"

    def clean(self) -> None:
        if not (self.new_leaders or self.young_leaders):
            raise ValidationError(_("Count at least one new or young leader."))


class SupportKind(models.TextChoices):
    """What technical or organisational support was about; the first three are the framework's "support-type"."""

    SOUTH_EXCHANGE = "south-exchange", _("exchange of experience between Global South organisations")
    REGIONAL_WORKSHOPS = "regional-workshops", _("regional workshops for leaders of national movements")
    REPORTING = "reporting", _("financial and narrative reporting")
    FINANCIAL_MANAGEMENT = "financial-management", _("financial management")
    PROGRAMME_MANAGEMENT = "programme-management", _("programme management")
    GOVERNANCE = "governance", _("governance")
    MEMBERSHIP = "membership", _("membership")
    ORGANISATIONAL_DEVELOPMENT = "organisational-development", _("organisational development")
    DONOR_RELATIONS = "donor-relations", _("donor relations")
    ALLIANCES = "alliances", _("alliance building")
    OTHER = "other", _("other")


class TechnicalSupport(Record):
    class RecipientKind(models.TextChoices):
        REGIONAL_NETWORK = "regional-network", _("regional network")
        NATIONAL_ORGANISATION = "national-organisation", _("national organisation")

    recipient_kind = models.CharField(_("given to"), max_length=32, choices=RecipientKind.choices)
    recipient = models.CharField(_("name of the network or organisation"), max_length=200)
    region = _region()
    kind = models.CharField(_("kind of support"), max_length=32, choices=SupportKind.choices)
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=NOTE_MAX, blank=True)

    class Meta:
        ordering = ["-date", "recipient"]
        constraints = [_unique("technical_support_once", "recipient_kind", "recipient", "kind", "date")]
        indexes = [_index("technical_support_date", "date")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.get_kind_display()} ({self.date})"


# 3.1 Policy forums ---------------------------------------------------------------------------------------------


class Level(models.TextChoices):
    """The framework's "level" disaggregation."""

    INTERNATIONAL = "international", _("global")
    REGIONAL = "regional", _("regional")
    NATIONAL = "national", _("national")


class PolicyForum(Record):
    """A policy forum leaders took part in with the network's support, a delegation or advisory body the network
    has a representative in, or a draft document by others the network commented on."""

    class Kind(models.TextChoices):
        FORUM = "forum", _("policy forum")
        DELEGATION = "delegation", _("delegation or advisory body")
        DOCUMENT = "document", _("document commented on")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=300)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    date = models.DateField(_("date"))
    leaders_supported = _count(_("leaders supported"), help_text=_("Sex worker leaders who took part with support."))
    region = _region(blank=True)

    class Meta:
        ordering = ["-date", "name"]
        constraints = [_unique("policy_forum_once", "kind", "name", "date")]
        indexes = [_index("policy_forum_date", "date")]

    def __str__(self) -> str:
        return f"{self.name} ({self.date})"

    def clean(self) -> None:
        if self.kind == self.Kind.DOCUMENT and self.leaders_supported:
            raise ValidationError({"leaders_supported": _("A document commented on has no leaders taking part.")})


# 3.2 Advocacy tools and knowledge ------------------------------------------------------------------------------


class AdvocacyTool(Document):
    theme = models.CharField(_("theme"), max_length=32, choices=Theme.choices)

    class Meta(Document.Meta):
        constraints = [_unique("advocacy_tool_title_once", "title")]
        indexes = [_index("advocacy_tool_published", "published_on")]


class KnowledgeProduct(Record):
    """A country case study, key-informant interview, briefing note or digest: the evidence a documented-narrative
    indicator links to. The summary tells what it found; interviews are summarised without naming anyone."""

    class Kind(models.TextChoices):
        CASE_STUDY = "case-study", _("country case study")
        INTERVIEW = "interview", _("key-informant interview")
        BRIEFING_NOTE = "briefing-note", _("briefing note or statement")
        DIGEST = "digest", _("digest issue")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    country = models.CharField(
        _("country"), max_length=2, blank=True, validators=[validate_country], help_text=_("Two-letter ISO code.")
    )
    region = _region(blank=True)
    date = models.DateField(_("date"))
    summary = models.TextField(_("narrative summary"), blank=True, validators=[MaxLengthValidator(SUMMARY_MAX)])

    class Meta:
        ordering = ["-date", "title"]
        constraints = [_unique("knowledge_product_once", "kind", "title")]
        indexes = [_index("knowledge_product_date", "date")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        self.country = self.country.strip().upper()
        if self.kind in (self.Kind.CASE_STUDY, self.Kind.INTERVIEW) and not self.region:
            raise ValidationError({"region": _("Case studies and interviews are counted by region: give one.")})


# 3.4 Mobilisation ----------------------------------------------------------------------------------------------


class CommemorativeDay(models.TextChoices):
    """The four days the framework names (direction 3.4), with the framework's "commemorative-day" codes."""

    MARCH_3 = "march-3", _("3 March: International Sex Workers’ Rights Day (labour rights)")
    JUNE_2 = "june-2", _("2 June: International Sex Workers’ Day (the right to access justice)")
    SEPTEMBER_14 = "september-14", _("14 September: sex worker pride and visibility")
    DECEMBER_17 = "december-17", _("17 December: International Day to End Violence Against Sex Workers")


class Campaign(Record):
    day = models.CharField(_("commemorative day"), max_length=16, choices=CommemorativeDay.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title or slogan"), max_length=300, blank=True)

    class Meta:
        ordering = ["-year", "day"]
        constraints = [_unique("campaign_once", "day", "year")]
        indexes = [_index("campaign_year", "year")]

    def __str__(self) -> str:
        return f"{self.get_day_display()} {self.year}"

    def clean(self) -> None:
        _year_clean(self)


class CampaignParticipation(Record):
    """How many member organisations of one region took part in a campaign, on one theme."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="participation", verbose_name=_("campaign"))
    region = _region()
    theme = models.CharField(_("theme"), max_length=32, choices=Theme.choices)
    member_organisations = _count(_("member organisations taking part"), default=None)

    class Meta:
        ordering = ["-campaign__year", "campaign__day", "region", "theme"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "region", "theme"], name="campaign_participation_once"),
            models.CheckConstraint(condition=Q(member_organisations__gte=1), name="campaign_participation_counts"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} – {self.get_region_display()}"

    def clean(self) -> None:
        if self.member_organisations is not None and self.member_organisations < 1:
            raise ValidationError({"member_organisations": _("Count at least one member organisation.")})


# 2A The annual member survey -----------------------------------------------------------------------------------


class MemberSurvey(Record):
    """The year's member survey in figures: how many members answered and how many reported each change.

    A topic's count is left empty when the survey did not ask about it that year.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    responses = _count(_("responses"), default=None)
    organisational_development = _count(
        _("reported their organisation developed"), null=True, help_text=_("Empty if not asked this year.")
    )
    law_policy_changes = _count(
        _("reported changes in law and policy"), null=True, help_text=_("Empty if not asked this year.")
    )
    programme_changes = _count(
        _("reported changes in programmes"), null=True, help_text=_("Empty if not asked this year.")
    )
    narrative = models.TextField(_("narrative"), blank=True, validators=[MaxLengthValidator(SUMMARY_MAX)])

    TOPICS = ("organisational_development", "law_policy_changes", "programme_changes")

    class Meta:
        ordering = ["-year"]
        constraints = [_unique("member_survey_once_a_year", "year")]
        indexes = [_index("member_survey_year", "year")]

    def __str__(self) -> str:
        return str(self.year)

    def clean(self) -> None:
        _year_clean(self)
        errors = {
            topic: _("More than the %(responses)d who answered.") % {"responses": self.responses}
            for topic in self.TOPICS
            if getattr(self, topic) is not None and self.responses is not None and getattr(self, topic) > self.responses
        }
        if errors:
            raise ValidationError(errors)


YEAR_MIN, YEAR_MAX = 1990, 2100


def _year_clean(record) -> None:
    if record.year is not None and not YEAR_MIN <= record.year <= YEAR_MAX:
        raise ValidationError({"year": _("A year between %(min)d and %(max)d.") % {"min": YEAR_MIN, "max": YEAR_MAX}})
