"""Know-your-rights articles for apps: the member's best reviewed version of each, its quick card. As thin as
the views: the same selectors, so the API and the pages show the same versions.

The language is negotiated: `?lang=`, else the Accept-Language header, else the account's language, else the
site's default. Each answer says which language the version is really in and how it was written, so an app
can tell the member when it is a machine translation or not in their language.
"""

from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from sombrilla.accounts.access import api_member
from sombrilla.accounts.api import AUTH_ERRORS, PARAM_ERRORS, Detail, Pagination
from sombrilla.rights import selectors
from sombrilla.rights.models import Provenance, Topic
from sombrilla.rights.selectors import Reading
from sombrilla.rights.services import RightsError

router = Router(tags=["rights"])
NOT_FOUND = {404: Detail}
REFUSED = {400: Detail}
LANGUAGE_DESCRIPTION = "One of the site's language codes; default: Accept-Language, then the account's language"


class LanguageQuery(Schema):
    lang: str | None = Field(None, max_length=16, description=LANGUAGE_DESCRIPTION)


class ArticleFilters(LanguageQuery):
    topic: Topic | None = None
    country: UUID | None = Field(None, description="A country area: its articles and those for everywhere")


def negotiated_language(request, asked: str | None) -> str:
    """The language the caller wants, as one of the site's codes."""
    if asked:
        code = asked.strip().lower()
        if code not in dict(settings.LANGUAGES):
            raise RightsError(
                _("Unknown language: use one of %(codes)s.") % {"codes": ", ".join(selectors.LANGUAGE_CODES)}
            )
        return code
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return selectors.language_code(request.auth.language or settings.LANGUAGE_CODE)


class VersionFields(Schema):
    """Which version the caller got, and how much to trust its wording."""

    requested_language: str = Field(description="The language negotiated for this request")
    language: str = Field(description="The language this version is in")
    in_requested_language: bool
    provenance: Provenance
    machine_translation: bool = Field(description="True: tell the reader some words may be wrong")
    title: str


class ArticleSummaryOut(VersionFields):
    id: UUID
    topic: Topic
    topic_label: str
    icon: str = Field(description="A symbol name of the site's icon sprite")
    countries: list[str] = Field(description="Empty: applies everywhere")
    has_card: bool
    summary: str
    audio_url: str | None = Field(description="For a logged-in browser session; the file size is audio_bytes")
    audio_bytes: int
    audio_synthetic: bool = Field(description="Read by a computer voice")
    updated_at: datetime


class ArticleOut(ArticleSummaryOut):
    body_html: str = Field(description="Sanitised HTML: p, h2, h3, lists, strong, em, links, blockquote, code")


class CardStepOut(Schema):
    icon: str
    text: str


class CardOut(VersionFields):
    id: UUID
    steps: list[CardStepOut]


def _version_fields(reading: Reading) -> dict:
    version = reading.version
    return {
        "requested_language": reading.language,
        "language": version.language,
        "in_requested_language": reading.in_reader_language,
        "provenance": version.provenance,
        "machine_translation": version.is_machine,
        "title": version.title,
    }


def _article(request, reading: Reading, *, body: bool = False) -> dict:
    article, version = reading.article, reading.version
    out = {
        **_version_fields(reading),
        "id": article.pk,
        "topic": article.topic,
        "topic_label": str(Topic(article.topic).label),
        "icon": article.icon,
        "countries": [area.name for area in article.countries.all()],
        "has_card": reading.has_card,
        "summary": version.summary,
        "audio_url": request.build_absolute_uri(selectors.audio_url(version)) if version.audio else None,
        "audio_bytes": version.audio_bytes,
        "audio_synthetic": version.audio_synthetic,
        "updated_at": version.updated_at,
    }
    if body:
        out["body_html"] = version.body_html
    return out


def _reading(request, selector, article_id: UUID, lang: str | None) -> Reading:
    """One article for the caller, through `selector` (404 outside their organisation), in the negotiated language."""
    membership = api_member(request)
    return selector(membership=membership, article_id=article_id, language=negotiated_language(request, lang))


@router.get("rights/articles", response={200: list[ArticleSummaryOut], **REFUSED, **AUTH_ERRORS, **PARAM_ERRORS})
@paginate(Pagination)
def rights_articles(request, filters: Query[ArticleFilters]):
    membership = api_member(request)
    language = negotiated_language(request, filters.lang)
    country = None
    if filters.country:
        country = selectors.country_list(organisation=membership.organisation).filter(pk=filters.country).first()
        if country is None:
            raise RightsError(_("Your organisation has no such country."))
    readings = selectors.articles_for_member(membership, topic=filters.topic, country=country, language=language)
    return [_article(request, reading) for reading in readings]


@router.get(
    "rights/articles/{uuid:article_id}",
    response={200: ArticleOut, **NOT_FOUND, **REFUSED, **AUTH_ERRORS, **PARAM_ERRORS},
)
def rights_article(request, article_id: UUID, query: Query[LanguageQuery]):
    reading = _reading(request, selectors.article_get_for_member, article_id, query.lang)
    return _article(request, reading, body=True)


@router.get(
    "rights/articles/{uuid:article_id}/card",
    response={200: CardOut, **NOT_FOUND, **REFUSED, **AUTH_ERRORS, **PARAM_ERRORS},
)
def rights_card(request, article_id: UUID, query: Query[LanguageQuery]):
    reading = _reading(request, selectors.card_get_for_member, article_id, query.lang)
    steps = [{"icon": icon, "text": text} for icon, text in reading.version.card_steps]
    return {**_version_fields(reading), "id": reading.article.pk, "steps": steps}
