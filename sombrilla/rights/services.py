"""The only writers of know-your-rights content: articles, their language versions, quick cards and audio.

Staff and admins of the article's organisation write; anyone else is refused. Every change is audited (the
audit names the article, never its text). Members only ever see reviewed versions, so editing the text of a
reviewed version puts it back to draft unless the editor marks it reviewed in the same save. Audio files are
deleted from storage once the change that drops them is committed, so a rolled-back change loses nothing.
"""

import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sombrilla.accounts.models import Area, Membership
from sombrilla.accounts.services import PermissionDenied
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record
from sombrilla.rights import markup
from sombrilla.rights.models import (
    MAX_AUDIO_BYTES,
    MAX_CARD_STEPS,
    TOPIC_ICONS,
    Article,
    ArticleVersion,
    Icon,
    Provenance,
    Review,
    Topic,
)

logger = logging.getLogger(__name__)

MAX_TITLE = 120
MAX_SUMMARY = 300
MAX_BODY = 20_000
MAX_STEP = 120
# espeak-ng's voice for each of the site's languages.
VOICES = {"en": "en", "es": "es", "ru": "ru", "fr": "fr", "zh-hans": "cmn", "ar": "ar"}
# Slower than espeak-ng's 175 words a minute: easier to follow for someone who cannot read along.
SPEECH_WORDS_PER_MINUTE = 140
SPEECH_TIMEOUT_SECONDS = 300


class RightsError(Exception):
    """A request about rights content that cannot be honoured; the message says why, in the reader's language."""


def _require_staff(actor: Membership, article: Article | None = None) -> None:
    if actor.is_suspended or not actor.is_staff_role:
        raise PermissionDenied(_("Only staff can change rights articles."))
    if article is not None and article.organisation_id != actor.organisation_id:
        raise PermissionDenied(_("This article belongs to another organisation."))


def _text(value: str, *, limit: int, too_long: str, missing: str = "") -> str:
    """`value` stripped; `missing` (if given) when it is empty, `too_long` when it is over `limit`. Each message
    is a whole sentence, so every language can say it in its own grammar."""
    value = (value or "").strip()
    if "\x00" in value:
        raise RightsError(_("The text holds a character that cannot be stored."))
    if missing and not value:
        raise RightsError(missing)
    if len(value) > limit:
        raise RightsError(too_long % {"limit": limit})
    return value


def _locked(version: ArticleVersion) -> None:
    """Lock the version's row and read it again, so its audio is the file stored now, not when it was loaded."""
    version.refresh_from_db(from_queryset=ArticleVersion.objects.select_for_update())


def _delete_file_after_commit(name: str) -> None:
    if name:
        storage = ArticleVersion._meta.get_field("audio").storage
        transaction.on_commit(partial(storage.delete, name))


def _audit(actor: Membership, action: AuditAction, target) -> None:
    target_type = "rights_article" if isinstance(target, Article) else "rights_version"
    audit_record(actor=actor, action=action, target_type=target_type, target_id=target.pk)


# Articles -----------------------------------------------------------------------------------------------


def _countries(actor: Membership, countries: Iterable[Area]) -> list[Area]:
    countries = list(countries)
    for area in countries:
        if area.organisation_id != actor.organisation_id or area.kind != Area.Kind.COUNTRY:
            raise RightsError(_("Choose countries of your own organisation."))
    return countries


def _topic_and_icon(topic: str, icon: str) -> tuple[str, str]:
    if topic not in Topic.values:
        raise RightsError(_("Choose one of the topics."))
    if icon and icon not in Icon.values:
        raise RightsError(_("Choose one of the icons."))
    return topic, icon or TOPIC_ICONS[Topic(topic)]


@transaction.atomic
def article_create(
    *,
    actor: Membership,
    topic: str,
    icon: str = "",
    countries: Iterable[Area] = (),
    is_key: bool = False,
    position: int | None = None,
) -> Article:
    """A new article, with no version yet: members see it once one of its versions is reviewed."""
    _require_staff(actor)
    topic, icon = _topic_and_icon(topic, icon)
    countries = _countries(actor, countries)
    if position is None:
        last = Article.objects.filter(organisation=actor.organisation).aggregate(last=Max("position"))["last"]
        position = 0 if last is None else last + 1
    article = Article.objects.create(
        organisation=actor.organisation, topic=topic, icon=icon, is_key=is_key, position=position
    )
    article.countries.set(countries)
    _audit(actor, AuditAction.RIGHTS_ARTICLE_CHANGED, article)
    return article


@transaction.atomic
def article_update(
    *,
    actor: Membership,
    article: Article,
    topic: str,
    icon: str = "",
    countries: Iterable[Area] = (),
    is_key: bool = False,
    position: int = 0,
) -> Article:
    _require_staff(actor, article)
    article.topic, article.icon = _topic_and_icon(topic, icon)
    article.is_key = is_key
    article.position = max(0, min(position, 32767))
    article.updated_at = clock.now()
    article.save()
    article.countries.set(_countries(actor, countries))
    _audit(actor, AuditAction.RIGHTS_ARTICLE_CHANGED, article)
    return article


@transaction.atomic
def article_delete(*, actor: Membership, article: Article) -> None:
    """The article, every version of it and every audio file it had."""
    _require_staff(actor, article)
    for name in article.versions.exclude(audio="").values_list("audio", flat=True):
        _delete_file_after_commit(name)
    _audit(actor, AuditAction.RIGHTS_ARTICLE_DELETED, article)
    article.delete()


# Language versions --------------------------------------------------------------------------------------


def _card_steps(steps: Iterable) -> list[list[str]]:
    """[[icon, text], ...]: rows without text are dropped, an unknown icon is refused, five at most."""
    cleaned = []
    for icon, text in steps:
        text = _text(text, limit=MAX_STEP, too_long=_("A step of the quick card can be up to %(limit)d characters."))
        if not text:
            continue
        icon = icon or Icon.CHECK
        if icon not in Icon.values:
            raise RightsError(_("Choose one of the icons."))
        cleaned.append([icon, text])
    if len(cleaned) > MAX_CARD_STEPS:
        raise RightsError(_("A quick card has up to %(count)d steps.") % {"count": MAX_CARD_STEPS})
    return cleaned


def _mark_reviewed(version: ArticleVersion, actor: Membership) -> None:
    version.review = Review.REVIEWED
    version.reviewed_by = actor
    version.reviewed_at = clock.now()


@transaction.atomic
def version_save(
    *,
    actor: Membership,
    article: Article,
    language: str,
    title: str,
    summary: str = "",
    body: str = "",
    provenance: str = Provenance.ORIGINAL,
    card_steps: Iterable = (),
    reviewed: bool = False,
) -> ArticleVersion:
    """Create or change the article's version in `language`, rendering its Markdown to sanitised HTML.

    `reviewed`: the editor has reviewed this text, so members may see it at once. Without it, a version whose
    text changed goes (back) to draft, and an unchanged reviewed version stays reviewed.
    """
    _require_staff(actor, article)
    if language not in dict(settings.LANGUAGES):
        raise RightsError(_("Choose one of the site's languages."))
    if provenance not in Provenance.values:
        raise RightsError(_("Say how this version was written."))
    text = (
        _text(
            title,
            limit=MAX_TITLE,
            too_long=_("The title can be up to %(limit)d characters."),
            missing=_("Give this version a title."),
        ),
        _text(summary, limit=MAX_SUMMARY, too_long=_("The summary can be up to %(limit)d characters.")),
        _text(body, limit=MAX_BODY, too_long=_("The text can be up to %(limit)d characters.")),
        _card_steps(card_steps),
    )
    version = ArticleVersion.objects.select_for_update().filter(article=article, language=language).first()
    if version is None:
        version = ArticleVersion(article=article, language=language)
        changed = True
    else:
        changed = (version.title, version.summary, version.body, version.card_steps) != text
    version.title, version.summary, version.body, version.card_steps = text
    version.body_html = markup.render(version.body)
    version.provenance = provenance
    if reviewed and (changed or not version.is_reviewed):
        _mark_reviewed(version, actor)
    elif changed:
        version.review, version.reviewed_by, version.reviewed_at = Review.DRAFT, None, None
    version.updated_at = clock.now()
    version.save()
    _audit(actor, AuditAction.RIGHTS_VERSION_CHANGED, version)
    # Spoken audio read the old words: make it again from the new ones (a recording is the staff's to replace).
    if changed and version.audio_synthetic and version.audio and speech_available():
        _enqueue_speech(version)
    return version


@transaction.atomic
def version_review(*, actor: Membership, version: ArticleVersion) -> ArticleVersion:
    """Members may see this version from now on."""
    _require_staff(actor, version.article)
    _mark_reviewed(version, actor)
    version.save(update_fields=["review", "reviewed_by", "reviewed_at"])
    _audit(actor, AuditAction.RIGHTS_VERSION_REVIEWED, version)
    return version


@transaction.atomic
def version_delete(*, actor: Membership, version: ArticleVersion) -> None:
    _require_staff(actor, version.article)
    _locked(version)
    _delete_file_after_commit(version.audio.name)
    _audit(actor, AuditAction.RIGHTS_VERSION_DELETED, version)
    version.delete()


# Audio --------------------------------------------------------------------------------------------------

_MP4_VIDEO_TRACK = re.compile(rb"hdlr.{8}vide", re.DOTALL)
_WEBM_VIDEO_TRACK = re.compile(rb"\x86[\x81-\x8f]V_")


def audio_kind(data: bytes) -> tuple[str, str] | None:
    """(content type, file extension) told from the file's own bytes, or None if it is not audio we serve.

    Never from the upload's name or the browser's claim: both are whatever the uploader says they are.
    """
    if data[:4] == b"OggS":
        head = data[:512]
        if b"OpusHead" in head:
            return "audio/ogg", ".opus"
        if b"\x01vorbis" in head:
            return "audio/ogg", ".ogg"
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav", ".wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg", ".mp3"
    if data[4:8] == b"ftyp" and not _MP4_VIDEO_TRACK.search(data):
        return "audio/mp4", ".m4a"
    if data[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in data[:64] and not _WEBM_VIDEO_TRACK.search(data):
        return "audio/webm", ".webm"
    return None


def _audio_store(version: ArticleVersion, data: bytes, *, synthetic: bool) -> None:
    kind = audio_kind(data)
    if kind is None:  # only our own espeak-ng output reaches here unchecked
        raise RightsError(_("This is not an audio file Sombrilla can play."))
    content_type, extension = kind
    _delete_file_after_commit(version.audio.name)
    version.audio.save(f"audio{extension}", ContentFile(data), save=False)
    version.audio_type = content_type
    version.audio_bytes = len(data)
    version.audio_synthetic = synthetic
    version.save(update_fields=["audio", "audio_type", "audio_bytes", "audio_synthetic"])


def audio_read(file) -> bytes:
    """At most one byte over the limit from an upload, so a huge file is never read whole."""
    return file.read(MAX_AUDIO_BYTES + 1)


@transaction.atomic
def audio_upload(*, actor: Membership, version: ArticleVersion, data: bytes, synthetic: bool = False) -> ArticleVersion:
    """Store a recording for this version, replacing any audio it had. Checked by size and by its own bytes:
    Ogg (Opus or Vorbis), MP3, M4A (MP4 without video), WAV or WebM (without video). `synthetic`: the file
    is a computer voice made elsewhere (the demo's), so members are told."""
    _require_staff(actor, version.article)
    if not data:
        raise RightsError(_("The file is empty."))
    if len(data) > MAX_AUDIO_BYTES:
        raise RightsError(
            _("This file is too big: audio can be up to %(mb)d MB. Try a shorter recording or a lower quality.")
            % {"mb": MAX_AUDIO_BYTES // (1024 * 1024)}
        )
    if audio_kind(data) is None:
        raise RightsError(_("This is not an audio file Sombrilla can play. Use Opus, Ogg, MP3, M4A, WAV or WebM."))
    _locked(version)
    _audio_store(version, data, synthetic=synthetic)
    _audit(actor, AuditAction.RIGHTS_AUDIO_CHANGED, version)
    return version


@transaction.atomic
def audio_remove(*, actor: Membership, version: ArticleVersion) -> ArticleVersion:
    _require_staff(actor, version.article)
    _locked(version)
    if not version.audio:
        raise RightsError(_("This version has no audio."))
    _delete_file_after_commit(version.audio.name)
    version.audio, version.audio_type, version.audio_bytes, version.audio_synthetic = "", "", 0, False
    version.save(update_fields=["audio", "audio_type", "audio_bytes", "audio_synthetic"])
    _audit(actor, AuditAction.RIGHTS_AUDIO_CHANGED, version)
    return version


def speech_available() -> bool:
    return shutil.which("espeak-ng") is not None


def _enqueue_speech(version: ArticleVersion) -> None:
    from sombrilla.rights.tasks import audio_synthesise_task

    version_id = str(version.pk)
    transaction.on_commit(lambda: audio_synthesise_task.enqueue(version_id))


@transaction.atomic
def audio_generate(*, actor: Membership, version: ArticleVersion) -> None:
    """Ask a worker to read this version aloud with espeak-ng. The audio is marked as synthetic."""
    _require_staff(actor, version.article)
    if not speech_available():
        raise RightsError(
            _("Audio cannot be made on this server: espeak-ng is not installed. Upload a recording instead.")
        )
    if version.language not in VOICES:
        raise RightsError(_("There is no voice for this language. Upload a recording instead."))
    _enqueue_speech(version)
    _audit(actor, AuditAction.RIGHTS_AUDIO_CHANGED, version)


def speech_text(version: ArticleVersion) -> str:
    """What the audio says: the title, the summary, the quick card's steps, then the text, each a sentence."""
    parts = [version.title, version.summary, *(text for _icon, text in version.card_steps)]
    parts += markup.plain_text(version.body_html).splitlines()
    sentences = [part.strip() for part in parts if part.strip()]
    # A line without a full stop would run into the next one when spoken.
    return "\n".join(s if s[-1] in ".!?。！？؟:;" else f"{s}." for s in sentences)


def _speak(text: str, language: str) -> bytes:
    """espeak-ng's WAV of `text`, encoded to Opus at 16 kbit/s when opusenc is there (a tenth of the size).

    The text goes through a file, never the command line, so nothing in it can be read as an option."""
    with tempfile.TemporaryDirectory() as work:
        source, wav, opus = Path(work) / "text.txt", Path(work) / "speech.wav", Path(work) / "speech.opus"
        source.write_text(text, encoding="utf-8")
        command = [shutil.which("espeak-ng") or "espeak-ng", "-b", "1", "-v", VOICES[language]]
        command += ["-s", str(SPEECH_WORDS_PER_MINUTE), "-w", str(wav), "-f", str(source)]
        subprocess.run(command, check=True, capture_output=True, timeout=SPEECH_TIMEOUT_SECONDS)  # noqa: S603
        opusenc = shutil.which("opusenc")
        if opusenc is None:
            return wav.read_bytes()
        command = [opusenc, "--quiet", "--bitrate", "16", "--speech", str(wav), str(opus)]
        subprocess.run(command, check=True, capture_output=True, timeout=SPEECH_TIMEOUT_SECONDS)  # noqa: S603
        return opus.read_bytes()


def audio_synthesise(*, version_id) -> ArticleVersion | None:
    """The worker's part of audio_generate: speak the version's current text and store it as its audio.

    Runs outside any transaction while espeak-ng works (it can take a while), then stores the file under a row
    lock. A version deleted meanwhile is skipped."""
    version = ArticleVersion.objects.filter(pk=version_id).first()
    if version is None:
        return None
    if not speech_available():
        raise RightsError(_("Audio cannot be made on this server: espeak-ng is not installed."))
    data = _speak(speech_text(version), version.language)
    with transaction.atomic():
        version = ArticleVersion.objects.select_for_update().filter(pk=version_id).first()
        if version is None:
            return None
        _audio_store(version, data, synthetic=True)
    logger.info("spoken audio stored for rights version %s (%d bytes)", version.pk, len(data))
    return version
