"""Reads of rights content, scoped to the reader's organisation: anything outside it answers 404.

Members see only reviewed versions, and of those the best one for them: in their language, else in the
site's default language, else the version written in its own language, else any. Nothing here records who
read what.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from sombrilla.accounts.models import Area, Membership, Organisation
from sombrilla.rights.models import Article, ArticleVersion, Provenance, Review, Topic

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def language_code(value: str | None) -> str:
    """One of the site's language codes for `value` ("es-MX" -> "es"), else the default language."""
    if value:
        try:
            return translation.get_supported_language_variant(value)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


@dataclass
class Reading:
    """An article as one member gets it: the version chosen for them, and what they asked for."""

    article: Article
    version: ArticleVersion
    language: str  # the language the reader asked for

    @property
    def in_reader_language(self) -> bool:
        return self.version.language == self.language

    @property
    def has_card(self) -> bool:
        return self.article.is_key and bool(self.card_version)

    @property
    def card_version(self) -> ArticleVersion | None:
        """The best reviewed version that has quick-card steps: the shown version if it has them."""
        with_steps = [v for v in self.article.reviewed_versions if v.card_steps]
        return _best(with_steps, self.language)


def _rank(version: ArticleVersion, language: str) -> tuple:
    return (
        version.language != language,
        version.language != settings.LANGUAGE_CODE,
        version.provenance != Provenance.ORIGINAL,
        LANGUAGE_CODES.index(version.language) if version.language in LANGUAGE_CODES else len(LANGUAGE_CODES),
    )


def _best(versions: list[ArticleVersion], language: str) -> ArticleVersion | None:
    return min(versions, key=lambda version: _rank(version, language), default=None)


def _member_articles(organisation: Organisation) -> QuerySet[Article]:
    reviewed = ArticleVersion.objects.filter(review=Review.REVIEWED)
    return (
        Article.objects.filter(organisation=organisation, versions__review=Review.REVIEWED)
        .distinct()
        .prefetch_related(Prefetch("versions", queryset=reviewed, to_attr="reviewed_versions"), "countries")
    )


def _readings(articles, language: str) -> list[Reading]:
    readings = []
    for article in articles:
        version = _best(article.reviewed_versions, language)
        if version is not None:
            version.article = article  # so the version's own pages need no query for it
            readings.append(Reading(article=article, version=version, language=language))
    return readings


def articles_for_member(
    membership: Membership, topic: str | None = None, country: Area | None = None, language: str | None = None
) -> list[Reading]:
    """Every article the member can read, each in its best reviewed version for them. An article with no
    reviewed version is invisible. `country` keeps the articles for that country and those for everywhere;
    `language` defaults to the member's active language."""
    articles = _member_articles(membership.organisation)
    if topic:
        articles = articles.filter(topic=topic)
    if country is not None:
        articles = articles.filter(Q(countries=country) | Q(countries__isnull=True))
    return _readings(articles, language_code(language or translation.get_language()))


def article_get_for_member(*, membership: Membership, article_id, language: str | None = None) -> Reading:
    """404 for an article of another organisation and for one with no reviewed version yet."""
    articles = _member_articles(membership.organisation).filter(pk=article_id)
    readings = _readings(articles, language_code(language or translation.get_language()))
    if not readings:
        raise Http404
    return readings[0]


def card_get_for_member(*, membership: Membership, article_id, language: str | None = None) -> Reading:
    """The article for its quick card, with `version` set to the card's version; 404 if it has no card."""
    reading = article_get_for_member(membership=membership, article_id=article_id, language=language)
    if not reading.has_card:
        raise Http404
    reading.version = reading.card_version
    return reading


def audio_version_for_member(*, membership: Membership, article_id, language: str | None = None) -> ArticleVersion:
    """The version whose audio a member asked for: the one the page showed them. 404 if it has no audio."""
    version = article_get_for_member(membership=membership, article_id=article_id, language=language).version
    if not version.audio:
        raise Http404
    return version


def country_list(*, organisation: Organisation) -> QuerySet[Area]:
    return Area.objects.filter(organisation=organisation, kind=Area.Kind.COUNTRY)


# Staff --------------------------------------------------------------------------------------------------


def articles_for_staff(*, actor: Membership) -> QuerySet[Article]:
    return Article.objects.filter(organisation=actor.organisation).prefetch_related("versions", "countries")


def article_get_for_staff(*, actor: Membership, article_id) -> Article:
    article = articles_for_staff(actor=actor).filter(pk=article_id).first()
    if article is None:
        raise Http404
    return article


def version_get_for_staff(*, actor: Membership, version_id) -> ArticleVersion:
    version = (
        ArticleVersion.objects.filter(article__organisation=actor.organisation, pk=version_id)
        .select_related("article", "reviewed_by__account")
        .first()
    )
    if version is None:
        raise Http404
    return version


def translation_source(article: Article) -> ArticleVersion | None:
    """The version a translator starts from, and whose title names the article for staff: reviewed first, in
    the default language if there is one."""
    return min(
        article.versions.all(),
        key=lambda version: (not version.is_reviewed, *_rank(version, settings.LANGUAGE_CODE)),
        default=None,
    )


def staff_title(article: Article) -> str:
    source = translation_source(article)
    return source.title if source is not None else str(Topic(article.topic).label)


@dataclass
class GapCell:
    language: str
    version: ArticleVersion | None

    @property
    def state(self) -> str:
        """ "reviewed", "draft", or "missing": only "reviewed" reaches members."""
        return self.version.review if self.version is not None else "missing"


@dataclass
class GapRow:
    article: Article
    title: str
    cells: list[GapCell]

    @property
    def lacking(self) -> list[str]:
        return [cell.language for cell in self.cells if cell.state != Review.REVIEWED]


@dataclass
class GapMatrix:
    languages: list[tuple[str, str]]
    rows: list[GapRow] = field(default_factory=list)

    @property
    def lacking_per_language(self) -> list[int]:
        """How many articles lack a reviewed version, language by language, in the order of `languages`."""
        return [sum(code in row.lacking for row in self.rows) for code, _name in self.languages]


def translation_gaps(organisation: Organisation) -> GapMatrix:
    """Articles x languages: for each, the version there is, reviewed or draft, or none."""
    matrix = GapMatrix(languages=list(settings.LANGUAGES))
    for article in Article.objects.filter(organisation=organisation).prefetch_related("versions"):
        by_language = {version.language: version for version in article.versions.all()}
        cells = [GapCell(language=code, version=by_language.get(code)) for code in LANGUAGE_CODES]
        matrix.rows.append(GapRow(article=article, title=staff_title(article), cells=cells))
    return matrix


def language_versions_count(organisation: Organisation) -> dict[str, dict[str, int]]:
    """Reviewed versions per language, by provenance: {"es": {"original": 0, "community": 3, "machine": 1,
    "total": 4}, ...}, every site language present.

    For the M&E indicator "languages available, by online vs community translation": "machine" is the online
    (machine) translation, "community" the community translation, and "original" content written in that
    language, which is neither. A language is available when its total is above zero."""
    counts = {code: dict.fromkeys([*Provenance.values, "total"], 0) for code in LANGUAGE_CODES}
    reviewed = ArticleVersion.objects.filter(article__organisation=organisation, review=Review.REVIEWED)
    for language, provenance in reviewed.values_list("language", "provenance"):
        if language in counts:
            counts[language][provenance] += 1
            counts[language]["total"] += 1
    return counts


# Quick cards for places ---------------------------------------------------------------------------------


def _country_of(area: Area | None) -> Area | None:
    while area is not None and area.kind != Area.Kind.COUNTRY:
        area = area.parent
    return area


def _key_cards(organisation: Organisation) -> list[Article]:
    """The organisation's key articles with a reviewed version that has card steps, so a link always opens a
    card; their countries and reviewed versions come with them."""
    return [
        article
        for article in Article.objects.filter(organisation=organisation, is_key=True)
        .prefetch_related(
            "countries", Prefetch("versions", queryset=ArticleVersion.objects.filter(review=Review.REVIEWED))
        )
        .order_by("position", "created_at")
        if any(version.card_steps for version in article.versions.all())
    ]


def _best_card(cards: list[Article], area: Area | None, topics: tuple[str, ...]) -> Article | None:
    country = _country_of(area)

    def rank(article: Article) -> tuple:
        countries = [c.pk for c in article.countries.all()]
        place = 0 if country is not None and country.pk in countries else 1 if not countries else 2
        topic = topics.index(article.topic) if article.topic in topics else len(topics)
        return (place, topic)

    ranked = sorted((a for a in cards if rank(a)[0] < 2), key=rank)
    return ranked[0] if ranked else None


def card_for_area(organisation: Organisation, area: Area | None, topics: tuple[str, ...] = ()) -> Article | None:
    """The key article whose quick card applies where `area` is: one for the area's country first, else one
    for everywhere. Among several, those of `topics` first (in that order), then by position."""
    return _best_card(_key_cards(organisation), area, topics)


def _card_url(organisation: Organisation, card: Article | None) -> str:
    return reverse("rights:card", args=[card.pk]) if card is not None else organisation.rights_url


def rights_url_for_area(organisation: Organisation, area: Area | None, topics: tuple[str, ...] = ()) -> str:
    """Where "Know your rights" goes from something that happened in `area`: the quick card for that place,
    else the organisation's own rights page (which may be empty)."""
    return _card_url(organisation, card_for_area(organisation, area, topics))


# Where a police alert sends members: what to do when police stop you, then if you are arrested.
POLICE_TOPICS = (Topic.POLICE_CHECK, Topic.ARREST)


def police_rights_url(police_alert) -> str:
    return rights_url_for_area(police_alert.organisation, police_alert.area, POLICE_TOPICS)


def police_rights_links(police_alerts) -> None:
    """Give each of a page of police alerts its `rights_url` (see police_rights_url), reading each organisation's
    cards once rather than once per alert."""
    organisations: dict = {}  # id: (organisation, its key cards)
    urls: dict = {}
    for police_alert in police_alerts:
        if police_alert.area_id not in urls:
            if police_alert.organisation_id not in organisations:
                organisation = police_alert.organisation
                organisations[organisation.pk] = (organisation, _key_cards(organisation))
            organisation, cards = organisations[police_alert.organisation_id]
            urls[police_alert.area_id] = _card_url(organisation, _best_card(cards, police_alert.area, POLICE_TOPICS))
        police_alert.rights_url = urls[police_alert.area_id]


# Offline ------------------------------------------------------------------------------------------------


def offline_urls(*, membership: Membership, audio: bool) -> list[str]:
    """What a device should keep for reading without a connection: the rights index, every article and quick
    card the member can read (pages come in the member's language), and their audio when `audio` is True."""
    urls = [reverse("rights:index")]
    for reading in articles_for_member(membership):
        article_id = reading.article.pk
        urls.append(reverse("rights:article", args=[article_id]))
        if reading.has_card:
            urls.append(reverse("rights:card", args=[article_id]))
        if audio and reading.version.audio:
            urls.append(audio_url(reading.version))
    return urls


def audio_url(version: ArticleVersion) -> str:
    """The member's link to a version's audio; the language in it makes it a different file per language."""
    return f"{reverse('rights:audio', args=[version.article_id])}?lang={version.language}"
