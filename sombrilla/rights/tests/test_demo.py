"""The demo rights content loads through the services: four guides in English, Spanish and Russian, two quick
cards, one spoken card, and one machine translation members are told about."""

from django.test import Client
from django.utils import translation

from sombrilla.conftest import log_in
from sombrilla.rights import selectors
from sombrilla.rights.demo import AUDIO, demo_load
from sombrilla.rights.models import ArticleVersion, Provenance, Review, Topic


def test_it_loads_the_demo_guides_once(carol, alice, org_a, areas, media):
    articles = demo_load(organisation=org_a, author=carol)
    assert [article.topic for article in articles] == [
        Topic.ARREST,
        Topic.POLICE_CHECK,
        Topic.SAFER_WORK,
        Topic.DIGITAL_SAFETY,
    ]
    versions = ArticleVersion.objects.filter(article__organisation=org_a)
    assert versions.count() == 12 and not versions.exclude(review=Review.REVIEWED).exists()
    assert {(v.language, v.provenance) for v in versions} == {
        ("en", Provenance.ORIGINAL),
        ("es", Provenance.COMMUNITY),
        ("ru", Provenance.COMMUNITY),
        ("ru", Provenance.MACHINE),
    }
    assert versions.filter(provenance=Provenance.MACHINE).count() == 1
    assert [a.is_key for a in articles] == [True, True, False, False]
    assert all(len(v.card_steps) == 5 for v in versions.filter(article__is_key=True))
    assert all(v.body_html.startswith(("<p>", "<ul>")) and "##" not in v.body_html for v in versions)
    spoken = versions.exclude(audio="").get()
    assert (spoken.article, spoken.language, spoken.audio_synthetic) == (articles[0], "en", True)
    assert spoken.audio_bytes == len(AUDIO.read_bytes()) < 150 * 1024
    assert list(articles[1].countries.all()) == [areas["kenya"]]
    assert selectors.card_for_area(org_a, areas["westlands"], selectors.POLICE_TOPICS) == articles[1]
    assert demo_load(organisation=org_a, author=carol) == articles  # a second run adds nothing
    assert ArticleVersion.objects.count() == 12


def test_it_shows_the_demo_guides_to_members_in_their_language(carol, alice, org_a, media):
    articles = demo_load(organisation=org_a, author=carol)
    with translation.override("ru"):
        titles = [reading.version.title for reading in selectors.articles_for_member(alice)]
    assert titles == [
        "Если вас задержали",
        "Ваши права при проверке полицией",
        "Безопасная работа",
        "Цифровая безопасность",
    ]
    alice.account.language = "ru"
    alice.account.save()
    page = log_in(Client(), alice).get(f"/rights/{articles[3].pk}/").content.decode()
    assert '<use href="#i-alert"/>' in page  # the machine translation notice
    alice.account.language = "en"
    alice.account.save()
    english = log_in(Client(), alice).get(f"/rights/{articles[0].pk}/").content.decode()
    assert f'src="/rights/{articles[0].pk}/audio/?lang=en"' in english
