"""The rights API: the member's best reviewed versions, the language negotiated from ?lang=, Accept-Language or
the account, and every answer saying which language it is really in and whether a machine translated it."""

import pytest
from django.test import Client

from sombrilla.alerts.tests.factories import make_areas
from sombrilla.conftest import PASSPHRASE, log_in
from sombrilla.rights import services
from sombrilla.rights.models import Provenance, Topic
from sombrilla.rights.tests.factories import STEPS, make_article, wav_bytes, write

API = "/api/v1/rights/articles"


@pytest.fixture
def guide(carol):
    article = make_article(carol, topic=Topic.POLICE_CHECK, is_key=True)
    english = write(carol, article, "en", title="Police check", body="**Stay calm**", card_steps=STEPS)
    services.audio_upload(actor=carol, version=english, data=wav_bytes())
    write(carol, article, "es", title="Control policial", provenance=Provenance.COMMUNITY, card_steps=STEPS[:2])
    write(carol, article, "ru", title="Проверка", provenance=Provenance.MACHINE)
    write(carol, article, "fr", title="Brouillon", reviewed=False)
    return article


def _get(membership, path, **options):
    return log_in(Client(), membership).get(path, **options)


def _titles_and_languages(response) -> list[tuple]:
    return [(item["title"], item["language"], item["requested_language"]) for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("query", "header", "account", "expected"),
    [
        ({}, None, "en", ("Police check", "en", "en")),
        ({}, None, "es", ("Control policial", "es", "es")),
        ({"lang": "es"}, None, "en", ("Control policial", "es", "es")),
        ({"lang": "ES "}, None, "en", ("Control policial", "es", "es")),
        ({}, "ru,en;q=0.5", "es", ("Проверка", "ru", "ru")),
        ({}, "es-MX,es;q=0.9", "en", ("Control policial", "es", "es")),
        ({"lang": "en"}, "ru", "es", ("Police check", "en", "en")),
        # A language with only a draft: the default language's version, and the answer says so.
        ({"lang": "fr"}, None, "en", ("Police check", "en", "fr")),
        ({}, "tlh, *", "ru", ("Проверка", "ru", "ru")),
        ({}, "zh-CN", "en", ("Police check", "en", "zh-hans")),
        ({}, None, "", ("Police check", "en", "en")),
    ],
)
def test_it_negotiates_the_language_from_the_query_the_header_then_the_account(
    alice, guide, query, header, account, expected
):
    alice.account.language = account
    alice.account.save()
    headers = {"Accept-Language": header} if header else {}
    response = _get(alice, API, data=query, headers=headers)
    assert response.status_code == 200
    assert _titles_and_languages(response) == [expected]


def test_it_says_how_each_version_was_written(alice, guide):
    russian = _get(alice, API, data={"lang": "ru"}).json()["items"][0]
    assert (russian["provenance"], russian["machine_translation"], russian["in_requested_language"]) == (
        "machine",
        True,
        True,
    )
    french = _get(alice, API, data={"lang": "fr"}).json()["items"][0]
    assert (french["provenance"], french["machine_translation"], french["in_requested_language"]) == (
        "original",
        False,
        False,
    )
    assert french["audio_url"] == f"http://testserver/rights/{guide.pk}/audio/?lang=en"
    assert french["audio_bytes"] == guide.versions.get(language="en").audio_bytes
    assert (french["topic"], french["icon"], french["countries"], french["has_card"]) == (
        "police_check",
        "shield",
        [],
        True,
    )


def test_it_refuses_an_unknown_language_with_the_ones_it_has(alice, guide):
    response = _get(alice, API, data={"lang": "tlh"})
    assert response.status_code == 400
    assert response.json()["detail"] == "Unknown language: use one of en, es, ru, fr, zh-hans, ar."
    assert _get(alice, API, data={"lang": "x" * 50}).status_code == 422


def test_it_filters_by_topic_and_country(carol, alice, guide, areas, org_b):
    kenyan = make_article(carol, topic=Topic.HEALTH, countries=[areas["kenya"]])
    write(carol, kenyan, title="Clinics")
    assert [item["title"] for item in _get(alice, API, data={"topic": "health"}).json()["items"]] == ["Clinics"]
    by_country = _get(alice, API, data={"country": str(areas["kenya"].pk)}).json()
    assert [item["title"] for item in by_country["items"]] == ["Police check", "Clinics"]
    assert by_country["items"][1]["countries"] == ["Kenya"]
    foreign = make_areas(org_b)["kenya"]
    refused = _get(alice, API, data={"country": str(foreign.pk)})
    assert refused.status_code == 400 and refused.json()["detail"] == "Your organisation has no such country."
    assert _get(alice, API, data={"topic": "gossip"}).status_code == 422
    assert _get(alice, API, data={"country": "not-a-uuid"}).status_code == 422


def test_it_gives_an_article_with_its_sanitised_body(alice, guide):
    body = _get(alice, f"{API}/{guide.pk}", data={"lang": "es"}).json()
    assert (body["title"], body["language"], body["body_html"]) == (
        "Control policial",
        "es",
        "<p>You have rights.</p>\n<ul>\n<li>Stay calm.</li>\n<li>Ask for a lawyer.</li>\n</ul>",
    )
    english = _get(alice, f"{API}/{guide.pk}").json()
    assert english["body_html"] == "<p><strong>Stay calm</strong></p>"


def test_it_gives_the_quick_card_in_the_best_language_that_has_one(alice, guide):
    card = _get(alice, f"{API}/{guide.pk}/card", data={"lang": "es"}).json()
    assert (card["title"], card["language"], card["in_requested_language"]) == ("Control policial", "es", True)
    assert card["steps"] == [{"icon": str(icon), "text": text} for icon, text in STEPS[:2]]
    # The Russian version has no steps: the card comes in the default language, and says so.
    russian = _get(alice, f"{API}/{guide.pk}/card", data={"lang": "ru"}).json()
    assert (russian["language"], russian["requested_language"], len(russian["steps"])) == ("en", "ru", 5)


def test_it_answers_404_for_drafts_plain_articles_and_other_organisations(carol, alice, olga, mallory, guide):
    draft = make_article(carol)
    write(carol, draft, reviewed=False)
    plain = make_article(carol)
    write(carol, plain)
    assert _get(alice, f"{API}/{draft.pk}").status_code == 404
    assert _get(alice, f"{API}/{plain.pk}/card").status_code == 404
    for outsider in (olga, mallory):
        assert _get(outsider, f"{API}/{guide.pk}").status_code == 404
        assert _get(outsider, f"{API}/{guide.pk}/card").status_code == 404
        assert _get(outsider, API).json() == {"items": [], "count": 0}
    assert _get(alice, f"{API}/not-a-uuid").status_code == 404


def test_it_refuses_analysts_and_strangers(nina, guide):
    assert _get(nina, API).status_code == 403
    assert Client().get(API).status_code == 401
    assert Client().get(f"{API}/{guide.pk}/card").status_code == 401


def test_it_answers_a_bearer_token_as_it_answers_the_session(alice, guide, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    alice.account.set_password(PASSPHRASE)
    alice.account.save()
    token = (
        Client()
        .post("/api/v1/auth/token", {"pseudonym": "alice", "passphrase": PASSPHRASE}, content_type="application/json")
        .json()["token"]
    )
    response = Client().get(API, headers={"Authorization": f"Bearer {token}", "Accept-Language": "es"})
    assert _titles_and_languages(response) == [("Control policial", "es", "es")]
