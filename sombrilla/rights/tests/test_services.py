"""Rights services and selectors: who may write, organisation scoping, review going back to draft, which
version a member gets, the translation gaps, the counts for M&E, quick cards for places, offline URLs."""

import pytest
from django.http import Http404
from django.test import override_settings
from django.utils import translation

from sombrilla.accounts.services import PermissionDenied, membership_suspend
from sombrilla.alerts.tests.factories import make_areas
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.rights import selectors, services
from sombrilla.rights.models import Article, ArticleVersion, Icon, Provenance, Review, Topic
from sombrilla.rights.tests.factories import STEPS, make_article, wav_bytes, write

# Who may write ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["alice", "bob", "nina", "mallory"])
def test_it_lets_only_staff_and_admins_of_the_organisation_write(people, person):
    """Members, moderators, analysts and staff of another organisation: refused by the services themselves."""
    actor = people[person]
    if person != "mallory":
        with pytest.raises(PermissionDenied):
            services.article_create(actor=actor, topic=Topic.ARREST)
    article = make_article(people["carol"])
    version = services.audio_upload(actor=people["dana"], version=write(people["dana"], article), data=wav_bytes())
    for attempt in (
        lambda: services.article_update(actor=actor, article=article, topic=Topic.HEALTH),
        lambda: services.article_delete(actor=actor, article=article),
        lambda: services.version_save(actor=actor, article=article, language="en", title="Taken over"),
        lambda: services.version_review(actor=actor, version=version),
        lambda: services.version_delete(actor=actor, version=version),
        lambda: services.audio_upload(actor=actor, version=version, data=wav_bytes()),
        lambda: services.audio_remove(actor=actor, version=version),
        lambda: services.audio_generate(actor=actor, version=version),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert Article.objects.get().topic == Topic.ARREST
    version.refresh_from_db()
    assert (version.title, bool(version.audio)) == ("Guide (en)", True)
    assert not AuditEntry.objects.filter(actor=actor).exists()


def test_it_refuses_a_suspended_staff_member(people):
    carol = people["carol"]
    membership_suspend(actor=people["dana"], membership=carol)
    carol.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.article_create(actor=carol, topic=Topic.ARREST)


def test_it_answers_404_to_another_organisations_staff_and_members(people, olga):
    article = make_article(people["carol"], is_key=True)
    version = write(people["carol"], article, card_steps=STEPS)
    mallory = people["mallory"]
    with pytest.raises(Http404):
        selectors.article_get_for_staff(actor=mallory, article_id=article.pk)
    with pytest.raises(Http404):
        selectors.version_get_for_staff(actor=mallory, version_id=version.pk)
    for member in (mallory, olga):
        with pytest.raises(Http404):
            selectors.article_get_for_member(membership=member, article_id=article.pk)
        with pytest.raises(Http404):
            selectors.card_get_for_member(membership=member, article_id=article.pk)
        assert selectors.articles_for_member(member) == []
    assert selectors.article_get_for_member(membership=people["alice"], article_id=article.pk).version == version


def test_it_refuses_countries_of_another_organisation_or_that_are_not_countries(people, org_b, areas):
    carol = people["carol"]
    elsewhere = make_areas(org_b)
    with pytest.raises(services.RightsError, match="countries of your own organisation"):
        services.article_create(actor=carol, topic=Topic.ARREST, countries=[elsewhere["kenya"]])
    with pytest.raises(services.RightsError, match="countries of your own organisation"):
        services.article_create(actor=carol, topic=Topic.ARREST, countries=[areas["nairobi"]])
    article = services.article_create(actor=carol, topic=Topic.ARREST, countries=[areas["kenya"]])
    assert list(article.countries.all()) == [areas["kenya"]]


def test_it_gives_an_article_its_topics_icon_and_the_next_position(carol):
    first = services.article_create(actor=carol, topic=Topic.DIGITAL_SAFETY)
    second = services.article_create(actor=carol, topic=Topic.HIV_PREP, icon=Icon.PHONE)
    assert (first.icon, first.position) == (Icon.LOCK, 0)
    assert (second.icon, second.position) == (Icon.PHONE, 1)
    with pytest.raises(services.RightsError):
        services.article_create(actor=carol, topic="gossip")
    with pytest.raises(services.RightsError):
        services.article_create(actor=carol, topic=Topic.HEALTH, icon="javascript")


def test_it_audits_every_change_by_article_or_version(carol):
    article = make_article(carol)
    version = write(carol, article, reviewed=False, body="A secret plan")
    targets = {article.pk, version.pk}
    services.version_review(actor=carol, version=version)
    version = services.audio_upload(actor=carol, version=version, data=wav_bytes())
    services.audio_remove(actor=carol, version=version)
    services.version_delete(actor=carol, version=version)
    services.article_delete(actor=carol, article=article)
    actions = list(AuditEntry.objects.filter(actor=carol).order_by("at").values_list("action", flat=True))
    assert actions == [
        AuditAction.RIGHTS_ARTICLE_CHANGED,
        AuditAction.RIGHTS_VERSION_CHANGED,
        AuditAction.RIGHTS_VERSION_REVIEWED,
        AuditAction.RIGHTS_AUDIO_CHANGED,
        AuditAction.RIGHTS_AUDIO_CHANGED,
        AuditAction.RIGHTS_VERSION_DELETED,
        AuditAction.RIGHTS_ARTICLE_DELETED,
    ]
    assert set(AuditEntry.objects.values_list("target_id", flat=True)) == targets


# Versions and review ------------------------------------------------------------------------------------


def test_it_renders_sanitised_html_when_saving(carol):
    version = write(carol, make_article(carol), body="## Steps\n\n- **Stay calm**\n\n<script>alert(1)</script>")
    assert version.body_html.startswith("<h2>Steps</h2>\n<ul>\n<li><strong>Stay calm</strong></li>")
    assert "<script" not in version.body_html


def test_it_puts_a_reviewed_version_back_to_draft_when_its_text_changes(carol, dana):
    article = make_article(carol)
    version = write(carol, article, title="Original", reviewed=True)
    assert (version.review, version.reviewed_by) == (Review.REVIEWED, carol)
    # Only the provenance changes: the reviewed text is the same, so it stays reviewed.
    version = write(dana, article, title="Original", provenance=Provenance.COMMUNITY, reviewed=False)
    assert (version.review, version.reviewed_by) == (Review.REVIEWED, carol)
    changed = write(dana, article, title="Changed", reviewed=False)
    assert (changed.review, changed.reviewed_by, changed.reviewed_at) == (Review.DRAFT, None, None)
    assert selectors.articles_for_member(carol) == []  # members no longer see it
    again = write(dana, article, title="Changed again", reviewed=True)
    assert (again.review, again.reviewed_by) == (Review.REVIEWED, dana)
    steps_changed = write(dana, article, title="Changed again", card_steps=STEPS[:2], reviewed=False)
    assert steps_changed.review == Review.DRAFT


def test_it_marks_a_draft_reviewed(carol, dana):
    version = write(carol, make_article(carol), reviewed=False)
    services.version_review(actor=dana, version=version)
    version.refresh_from_db()
    assert (version.review, version.reviewed_by) == (Review.REVIEWED, dana)
    assert version.reviewed_at is not None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  "}, "Give this version a title."),
        ({"title": "x" * 121}, "The title can be up to 120 characters"),
        ({"summary": "x" * 301}, "The summary can be up to 300 characters"),
        ({"body": "x" * 20_001}, "The text can be up to 20000 characters"),
        ({"title": "a\x00b"}, "cannot be stored"),
        ({"language": "tlh"}, "one of the site's languages"),
        ({"provenance": "rumour"}, "Say how this version was written"),
        ({"card_steps": [(Icon.CHECK, f"step {n}") for n in range(6)]}, "up to 5 steps"),
        ({"card_steps": [("skull", "Run")]}, "Choose one of the icons"),
        ({"card_steps": [(Icon.CHECK, "x" * 121)]}, "A step of the quick card can be up to 120"),
    ],
)
def test_it_refuses_a_version_it_cannot_store_with_a_reason(carol, fields, message):
    article = make_article(carol)
    arguments = {"actor": carol, "article": article, "language": "en", "title": "Guide", **fields}
    with pytest.raises(services.RightsError, match=message):
        services.version_save(**arguments)
    assert not ArticleVersion.objects.exists()


def test_it_drops_empty_steps_and_defaults_their_icon(carol):
    version = write(carol, make_article(carol), card_steps=[("", "Stay calm"), (Icon.PHONE, "  "), ("", "")])
    assert version.card_steps == [["check", "Stay calm"]]


def test_it_keeps_one_version_per_language(carol):
    article = make_article(carol)
    write(carol, article, "es", title="Primera")
    write(carol, article, "es", title="Segunda")
    assert list(article.versions.values_list("title", flat=True)) == ["Segunda"]


# The best version for a member --------------------------------------------------------------------------


def _titles(readings) -> list[str]:
    return [reading.version.title for reading in readings]


def test_it_gives_members_the_reviewed_version_in_their_language_first(carol, alice):
    article = make_article(carol)
    write(carol, article, "en", title="English")
    write(carol, article, "es", title="Español", provenance=Provenance.COMMUNITY)
    write(carol, article, "ru", title="Русский (draft)", reviewed=False)
    with translation.override("es"):
        [reading] = selectors.articles_for_member(alice)
    assert reading.version.title == "Español" and reading.in_reader_language
    # No reviewed Russian: the site's default language, and the member is told it is not theirs.
    with translation.override("ru"):
        [reading] = selectors.articles_for_member(alice)
    assert reading.version.title == "English" and not reading.in_reader_language
    assert reading.language == "ru"


def test_it_falls_back_to_the_original_then_any_reviewed_version(carol, alice):
    article = make_article(carol)
    write(carol, article, "es", title="Machine ES", provenance=Provenance.MACHINE)
    write(carol, article, "ru", title="Original RU", provenance=Provenance.ORIGINAL)
    write(carol, article, "en", title="English draft", reviewed=False)
    with translation.override("fr"):
        assert _titles(selectors.articles_for_member(alice)) == ["Original RU"]
    write(carol, article, "ru", title="Original RU", provenance=Provenance.COMMUNITY)
    # Neither is the original now: the first of the site's languages.
    with translation.override("fr"):
        assert _titles(selectors.articles_for_member(alice)) == ["Machine ES"]
    with override_settings(LANGUAGE_CODE="ru"), translation.override("fr"):
        assert _titles(selectors.articles_for_member(alice)) == ["Original RU"]


def test_it_hides_articles_with_no_reviewed_version(carol, alice):
    article = make_article(carol)
    write(carol, article, "en", reviewed=False)
    assert selectors.articles_for_member(alice) == []
    with pytest.raises(Http404):
        selectors.article_get_for_member(membership=alice, article_id=article.pk)


def test_it_filters_by_topic_and_by_country_keeping_articles_for_everywhere(carol, alice, org_a, areas):
    uganda = make_areas(org_a, names=("Uganda", "Kampala", "Kawempe", "Entebbe"))["kenya"]
    everywhere = make_article(carol, topic=Topic.ARREST)
    kenyan = make_article(carol, topic=Topic.HEALTH, countries=[areas["kenya"]])
    both = make_article(carol, topic=Topic.HEALTH, countries=[areas["kenya"], uganda])
    for article, title in ((everywhere, "Everywhere"), (kenyan, "Kenya"), (both, "Both")):
        write(carol, article, title=title)
    assert _titles(selectors.articles_for_member(alice)) == ["Everywhere", "Kenya", "Both"]
    assert _titles(selectors.articles_for_member(alice, topic=Topic.HEALTH)) == ["Kenya", "Both"]
    assert _titles(selectors.articles_for_member(alice, country=uganda)) == ["Everywhere", "Both"]
    assert _titles(selectors.articles_for_member(alice, topic=Topic.HEALTH, country=uganda)) == ["Both"]


def test_it_gives_the_card_from_the_best_version_that_has_steps(carol, alice):
    article = make_article(carol, is_key=True)
    write(carol, article, "en", title="English", card_steps=STEPS)
    write(carol, article, "es", title="Español")  # reviewed, but without steps
    with translation.override("es"):
        reading = selectors.card_get_for_member(membership=alice, article_id=article.pk)
    assert reading.version.title == "English" and not reading.in_reader_language
    plain = make_article(carol, is_key=False)
    write(carol, plain, card_steps=STEPS)
    with pytest.raises(Http404):  # not a key article: no card
        selectors.card_get_for_member(membership=alice, article_id=plain.pk)


# Staff views of the whole ------------------------------------------------------------------------------


def test_it_shows_staff_which_languages_lack_a_reviewed_version(carol, org_a):
    first, second = make_article(carol), make_article(carol, topic=Topic.HEALTH)
    write(carol, first, "en", title="Arrest")
    write(carol, first, "es", reviewed=False)
    write(carol, second, "ru", title="Здоровье")
    gaps = selectors.translation_gaps(org_a)
    assert [code for code, _name in gaps.languages] == ["en", "es", "ru", "fr", "zh-hans", "ar"]
    states = {row.title: [cell.state for cell in row.cells] for row in gaps.rows}
    assert states == {
        "Arrest": ["reviewed", "draft", "missing", "missing", "missing", "missing"],
        "Здоровье": ["missing", "missing", "reviewed", "missing", "missing", "missing"],
    }
    assert gaps.rows[0].lacking == ["es", "ru", "fr", "zh-hans", "ar"]
    assert gaps.lacking_per_language == [1, 2, 1, 2, 2, 2]


def test_it_counts_reviewed_versions_per_language_and_provenance(carol, mallory, org_a):
    articles = [make_article(carol) for _ in range(3)]
    write(carol, articles[0], "en")
    write(carol, articles[1], "en")
    write(carol, articles[0], "es", provenance=Provenance.COMMUNITY)
    write(carol, articles[1], "es", provenance=Provenance.MACHINE)
    write(carol, articles[2], "es", provenance=Provenance.MACHINE, reviewed=False)  # drafts do not count
    write(mallory, make_article(mallory), "es", provenance=Provenance.COMMUNITY)  # nor other organisations
    counts = selectors.language_versions_count(org_a)
    assert counts["en"] == {"original": 2, "community": 0, "machine": 0, "total": 2}
    assert counts["es"] == {"original": 0, "community": 1, "machine": 1, "total": 2}
    assert counts["ar"]["total"] == 0 and set(counts) == {"en", "es", "ru", "fr", "zh-hans", "ar"}


# Quick cards for places ---------------------------------------------------------------------------------


def test_it_finds_the_card_for_an_areas_country_then_one_for_everywhere(carol, org_a, areas):
    uganda = make_areas(org_a, names=("Uganda", "Kampala", "Kawempe", "Entebbe"))
    assert selectors.card_for_area(org_a, areas["westlands"]) is None
    everywhere = make_article(carol, topic=Topic.ARREST, is_key=True)
    write(carol, everywhere, card_steps=STEPS)
    kenyan = make_article(carol, topic=Topic.POLICE_CHECK, is_key=True, countries=[areas["kenya"]])
    write(carol, kenyan, card_steps=STEPS)
    # A district, a city and the country itself all lead to the country's card.
    for place in ("westlands", "nairobi", "kenya", "mombasa"):
        assert selectors.card_for_area(org_a, areas[place]) == kenyan, place
    assert selectors.card_for_area(org_a, uganda["westlands"]) == everywhere
    assert selectors.card_for_area(org_a, None) == everywhere


def test_it_prefers_the_asked_topics_among_cards_of_the_same_place(carol, org_a, areas):
    arrest = make_article(carol, topic=Topic.ARREST, is_key=True)
    police = make_article(carol, topic=Topic.POLICE_CHECK, is_key=True)
    for article in (arrest, police):
        write(carol, article, card_steps=STEPS)
    assert selectors.card_for_area(org_a, areas["nairobi"]) == arrest  # by position
    topics = (Topic.POLICE_CHECK, Topic.ARREST)
    assert selectors.card_for_area(org_a, areas["nairobi"], topics) == police


def test_it_ignores_cards_members_cannot_open(carol, mallory, org_a, areas):
    draft = make_article(carol, is_key=True)
    write(carol, draft, card_steps=STEPS, reviewed=False)
    no_steps = make_article(carol, is_key=True)
    write(carol, no_steps)
    not_key = make_article(carol)
    write(carol, not_key, card_steps=STEPS)
    elsewhere = make_article(mallory, is_key=True)
    write(mallory, elsewhere, card_steps=STEPS)
    assert selectors.card_for_area(org_a, areas["nairobi"]) is None
    org_a.rights_url = "https://rights.example/"
    assert selectors.rights_url_for_area(org_a, areas["nairobi"]) == "https://rights.example/"
    write(carol, draft, card_steps=STEPS, reviewed=True)
    assert selectors.rights_url_for_area(org_a, areas["nairobi"]) == f"/rights/{draft.pk}/card/"


# Offline ------------------------------------------------------------------------------------------------


def test_it_lists_the_pages_and_audio_a_device_keeps_for_offline_reading(carol, alice):
    key = make_article(carol, is_key=True)
    with_audio = write(carol, key, "en", card_steps=STEPS)
    services.audio_upload(actor=carol, version=with_audio, data=wav_bytes())
    plain = make_article(carol)
    write(carol, plain, "en")
    hidden = make_article(carol)
    write(carol, hidden, "en", reviewed=False)
    pages = ["/rights/", f"/rights/{key.pk}/", f"/rights/{key.pk}/card/", f"/rights/{plain.pk}/"]
    assert selectors.offline_urls(membership=alice, audio=False) == pages
    assert selectors.offline_urls(membership=alice, audio=True) == [
        *pages[:3],
        f"/rights/{key.pk}/audio/?lang=en",
        pages[3],
    ]
    # The audio of the version the member reads: a Spanish reader without Spanish audio gets none.
    write(carol, key, "es", card_steps=STEPS)
    with translation.override("es"):
        assert not any("/audio/" in url for url in selectors.offline_urls(membership=alice, audio=True))
