"""Know-your-rights content: articles an organisation vouches for, one version per language, quick cards and
audio.

Nothing here is about a member: articles are the organisation's public-facing guidance, so they are stored in
plain text. What a member reads is never recorded.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sombrilla.accounts.models import Area, Membership, Organisation
from sombrilla.core import clock, crypto

MAX_CARD_STEPS = 5
MAX_AUDIO_BYTES = 4 * 1024 * 1024


class Topic(models.TextChoices):
    ARREST = "arrest", _("If you are arrested")
    POLICE_CHECK = "police_check", _("Your rights during a police check")
    SAFER_WORK = "safer_work", _("Safer work")
    HIV_PREP = "hiv_prep", _("HIV and PrEP")
    DIGITAL_SAFETY = "digital_safety", _("Digital safety")
    VIOLENCE = "violence", _("After violence")
    HEALTH = "health", _("Health")
    OTHER = "other", _("Other")


class Icon(models.TextChoices):
    """Names of symbols in templates/core/icons.svg that an article or a quick-card step may show."""

    SHIELD = "shield", _("shield")
    SIREN = "siren", _("police light")
    KEY = "key", _("key")
    LOCK = "lock", _("lock")
    HEART = "heart", _("heart")
    PLUS = "plus", _("health cross")
    PHONE = "phone", _("phone")
    PEOPLE = "people", _("people")
    ALERT = "alert", _("warning")
    MAP = "map", _("place")
    BOOK = "book", _("book")
    CHECK = "check", _("tick")
    NOTE = "note", _("paper")


# The icon an article of each topic gets unless staff choose another; also the topic's icon on the index.
TOPIC_ICONS = {
    Topic.ARREST: Icon.SIREN,
    Topic.POLICE_CHECK: Icon.SHIELD,
    Topic.SAFER_WORK: Icon.PEOPLE,
    Topic.HIV_PREP: Icon.HEART,
    Topic.DIGITAL_SAFETY: Icon.LOCK,
    Topic.VIOLENCE: Icon.ALERT,
    Topic.HEALTH: Icon.PLUS,
    Topic.OTHER: Icon.BOOK,
}


class Provenance(models.TextChoices):
    ORIGINAL = "original", _("written in this language")
    COMMUNITY = "community", _("community translation")
    MACHINE = "machine", _("machine translation")


class Review(models.TextChoices):
    DRAFT = "draft", _("draft")
    REVIEWED = "reviewed", _("reviewed")


class Article(models.Model):
    """One piece of guidance, in as many languages as it has versions. With no country it applies everywhere."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="rights_articles")
    topic = models.CharField(max_length=16, choices=Topic.choices)
    icon = models.CharField(max_length=16, choices=Icon.choices)
    countries = models.ManyToManyField(
        Area, blank=True, related_name="rights_articles", limit_choices_to={"kind": Area.Kind.COUNTRY}
    )
    # A key article has a quick card: five short steps that fit one phone screen and print on one page.
    is_key = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["position", "created_at"]


def audio_path(_version, filename: str) -> str:
    """A random name: the file name says nothing about the article, and an upload's own name is never kept."""
    return f"rights/audio/{crypto.random_token(18)}{Path(filename).suffix.lower()}"


class ArticleVersion(models.Model):
    """An article in one language. Members only ever see reviewed versions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(max_length=120)
    summary = models.CharField(max_length=300, blank=True)
    # Markdown as staff wrote it, and the sanitised HTML made from it by services.version_save (the only HTML
    # a page ever shows).
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True, editable=False)
    provenance = models.CharField(max_length=16, choices=Provenance.choices, default=Provenance.ORIGINAL)
    review = models.CharField(max_length=16, choices=Review.choices, default=Review.DRAFT)
    reviewed_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # The quick card: a list of up to MAX_CARD_STEPS [icon, text] pairs.
    card_steps = models.JSONField(default=list, blank=True)
    audio = models.FileField(upload_to=audio_path, blank=True)
    # Found from the file's first bytes when it was stored, so the file is served with the right type.
    audio_type = models.CharField(max_length=32, blank=True)
    audio_synthetic = models.BooleanField(default=False)
    audio_bytes = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["language"]
        constraints = [models.UniqueConstraint(fields=["article", "language"], name="rights_version_per_language")]

    @property
    def is_reviewed(self) -> bool:
        return self.review == Review.REVIEWED

    @property
    def is_machine(self) -> bool:
        return self.provenance == Provenance.MACHINE

    @property
    def language_name(self) -> str:
        return dict(settings.LANGUAGES).get(self.language, self.language)
