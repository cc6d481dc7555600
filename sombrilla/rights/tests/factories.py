"""Rights articles and audio in a state a test needs, made through the services (the only writers).

Used by the rights tests, the role matrix (sombrilla/accounts/tests/test_access.py) and the page list
(sombrilla/core/tests/browser_pages.py).
"""

import io
import wave

from sombrilla.accounts.models import Membership
from sombrilla.rights import services
from sombrilla.rights.models import Article, ArticleVersion, Icon, Provenance, Topic

STEPS = [
    (Icon.SIREN, "Stay calm. Do not run."),
    (Icon.SHIELD, "Ask why you are stopped."),
    (Icon.PHONE, "Call your organisation."),
    (Icon.LOCK, "You can stay silent."),
    (Icon.NOTE, "Remember names and numbers."),
]


def wav_bytes(seconds: float = 0.01, rate: int = 8000) -> bytes:
    """A real WAV file of silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def make_article(author: Membership, *, topic: str = Topic.ARREST, is_key: bool = False, **fields) -> Article:
    return services.article_create(actor=author, topic=topic, is_key=is_key, **fields)


def write(
    author: Membership,
    article: Article,
    language: str = "en",
    *,
    title: str | None = None,
    body: str = "You have rights.\n\n- Stay calm.\n- Ask for a lawyer.",
    provenance: str = Provenance.ORIGINAL,
    reviewed: bool = True,
    card_steps=(),
    summary: str = "What to do.",
) -> ArticleVersion:
    return services.version_save(
        actor=author,
        article=article,
        language=language,
        title=title or f"Guide ({language})",
        summary=summary,
        body=body,
        provenance=provenance,
        card_steps=card_steps,
        reviewed=reviewed,
    )


def page_objects(people: dict) -> dict:
    """What the rights pages and the role matrix address: carol's key article, reviewed in English with a quick
    card and a (tiny) recording, and a Spanish draft members cannot see."""
    carol = people["carol"]
    article = make_article(carol, topic=Topic.POLICE_CHECK, is_key=True)
    english = write(
        carol,
        article,
        "en",
        title="Your rights during a police check",
        body="Police may stop you.\n\n## What to do\n\n- Stay calm.\n- Ask: **am I free to go?**",
        card_steps=STEPS,
    )
    services.audio_upload(actor=carol, version=english, data=wav_bytes())
    draft = write(carol, article, "es", title="Tus derechos", provenance=Provenance.COMMUNITY, reviewed=False)
    return {"rights_article": article.pk, "rights_version": english.pk, "rights_draft": draft.pk}


def full_page_objects(people: dict) -> dict:
    """The rights pages at their fullest, for the page-weight and accessibility checks: the demo's four guides
    in three languages, with the longest (arrest, with a card and audio) addressed."""
    from sombrilla.rights.demo import demo_load

    arrested, *_others = demo_load(organisation=people["carol"].organisation, author=people["carol"])
    return {"rights_article": arrested.pk, "rights_version": arrested.versions.get(language="en").pk}
