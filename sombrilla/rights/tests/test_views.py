"""The rights pages with Django's test client: what members see and are told, the audio file and who gets it,
and the staff pages, whose no-JavaScript forms keep what was typed when they are refused."""

import itertools
import re

import pytest
from django.utils.html import escape

from sombrilla.checkins.tests.test_views import _client, _main, _textarea
from sombrilla.conftest import input_value, page_shows, page_text
from sombrilla.core.tests.test_bad_input import HOSTILE, MUST_BE_REFUSED, UNESCAPED
from sombrilla.rights import services
from sombrilla.rights.models import Article, ArticleVersion, Icon, Provenance, Review, Topic
from sombrilla.rights.tests.factories import STEPS, make_article, wav_bytes, write


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def guide(carol):
    """A key article, reviewed in English with a quick card and a recording, and in Russian by a machine."""
    article = make_article(carol, topic=Topic.POLICE_CHECK, is_key=True)
    english = write(carol, article, "en", title="Police check", body="## Steps\n\n- Stay calm", card_steps=STEPS)
    services.audio_upload(actor=carol, version=english, data=wav_bytes(seconds=0.5))
    write(carol, article, "ru", title="Проверка", provenance=Provenance.MACHINE, card_steps=STEPS)
    return article


# Members ------------------------------------------------------------------------------------------------


def test_it_lists_the_guides_by_topic_with_their_icons(carol, alice, guide):
    draft_only = make_article(carol, topic=Topic.HEALTH)
    write(carol, draft_only, title="Unreviewed health guide", reviewed=False)
    safer = make_article(carol, topic=Topic.SAFER_WORK)
    write(carol, safer, title="Safer work", summary="Simple habits.")
    page = _client(alice).get("/rights/")
    main = _main(page)
    assert page.status_code == 200
    assert "Police check" in main and "Safer work" in main and "Simple habits." in main
    assert "Unreviewed health guide" not in main and "Health" not in main  # no topic without guides
    # Each topic has its icon as a link and a heading; each guide its own icon.
    assert '<a href="?topic=police_check"><svg class="i" aria-hidden="true"><use href="#i-shield"/>' in main
    assert '<h2><svg class="i" aria-hidden="true"><use href="#i-people"/></svg>Safer work</h2>' in main
    assert f'href="/rights/{guide.pk}/"' in main and ">Audio<" in main and ">Quick card<" in main


def test_it_filters_by_topic_and_country_from_the_query_string(carol, alice, guide, areas):
    kenyan = make_article(carol, topic=Topic.HEALTH, countries=[areas["kenya"]])
    write(carol, kenyan, title="Clinics in Kenya")
    client = _client(alice)
    by_topic = _main(client.get("/rights/", {"topic": "health"}))
    assert "Clinics in Kenya" in by_topic and "Police check" not in by_topic
    assert '<a href="?topic=health" aria-current="page">' in by_topic
    by_country = client.get("/rights/", {"country": str(areas["kenya"].pk)})
    assert "Clinics in Kenya" in _main(by_country) and "Police check" in _main(by_country)
    assert "selected>Kenya</option>" in _main(by_country)


@pytest.mark.parametrize(
    "query", [{"topic": "gossip"}, {"country": "not-a-uuid"}, {"topic": HOSTILE["script"]}, {"country": HOSTILE["nul"]}]
)
def test_it_answers_an_unknown_filter_with_a_message_and_every_guide(alice, guide, mallory, query):
    page = _client(alice).get("/rights/", query)
    assert page.status_code == 400
    assert page_shows(page, "This filter does not exist. Here are all the guides.")
    assert "Police check" in _main(page)
    assert not any(markup in page_text(page) for markup in UNESCAPED)


def test_it_answers_another_organisations_country_as_an_unknown_filter(alice, guide, org_b):
    from sombrilla.alerts.tests.factories import make_areas

    foreign = make_areas(org_b)["kenya"]
    assert _client(alice).get("/rights/", {"country": str(foreign.pk)}).status_code == 400


def test_it_shows_an_article_with_its_audio_size_and_a_link_to_its_card(alice, guide):
    main = _main(_client(alice).get(f"/rights/{guide.pk}/"))
    assert "<h2>Steps</h2>\n<ul>\n<li>Stay calm</li>" in main
    assert f'<audio controls preload="none" src="/rights/{guide.pk}/audio/?lang=en"></audio>' in main
    assert "(7.9\xa0KB)" in main  # half a second of 8 kHz WAV, so a member on costly data can choose
    assert f'href="/rights/{guide.pk}/card/"' in main
    assert "machine" not in main and "not in your language" not in main


MACHINE_NOTICE = (
    '<p class="msg warning" role="status" lang="{lang}"><svg class="i" aria-hidden="true"><use href="#i-alert"/>'
)
LANGUAGE_NOTICE = (
    '<p class="msg warning" role="status" lang="{lang}"><svg class="i" aria-hidden="true"><use href="#i-language"/>'
)


def test_it_tells_the_member_about_a_machine_translation_and_another_language(alice, guide):
    """Told in the member's own language (whatever the catalogue says), beside text in the version's."""
    alice.account.language = "ru"
    alice.account.save()
    russian = _main(_client(alice).get(f"/rights/{guide.pk}/"))
    assert "Проверка" in russian and "<audio" not in russian  # the recording is the English version's
    assert MACHINE_NOTICE.format(lang="ru") in russian and "#i-language" not in russian
    alice.account.language = "fr"
    alice.account.save()
    french = _main(_client(alice).get(f"/rights/{guide.pk}/"))
    assert '<article lang="en" dir="ltr">' in french and "Police check" in french
    assert LANGUAGE_NOTICE.format(lang="fr") in french and "English" in french and "#i-alert" not in french


def test_it_says_in_english_when_the_guide_is_in_another_language(carol, alice):
    article = make_article(carol)
    write(carol, article, "es", title="Si te detienen", provenance=Provenance.MACHINE)
    main = _main(_client(alice).get(f"/rights/{article.pk}/"))
    assert "This guide is not in your language yet. Here it is in Español." in main
    assert "A machine translated this guide. Some words may be wrong." in main
    assert '<article lang="es" dir="ltr">' in main


def test_it_shows_the_quick_card_with_icons_on_one_printable_screen(alice, guide):
    page = _client(alice).get(f"/rights/{guide.pk}/card/")
    main = _main(page)
    steps = re.findall(
        r'<li><svg class="i" aria-hidden="true"><use href="#i-(\w+)"/></svg><span>([^<]+)</span></li>', main
    )
    assert steps == [(str(icon), escape(text)) for icon, text in STEPS]
    assert 'class="steps"' in main and f'href="/rights/{guide.pk}/"' in main
    assert len(page.content) < 14 * 1024  # before compression, even


def test_it_prints_the_card_without_the_sites_chrome(settings):
    """The print rules live in the one stylesheet (inline styles are refused by the CSP)."""
    css = (settings.BASE_DIR / "static" / "css" / "site.css").read_text()
    rules = css.split("@media print{", 1)[1]
    for hidden in (".bar", ".nav", ".foot", ".noprint"):
        assert hidden in rules.split("{", 1)[0]
    assert ".steps li{break-inside:avoid}" in rules


def test_it_answers_404_for_drafts_cards_of_plain_articles_and_other_organisations(carol, alice, olga, mallory, guide):
    draft = make_article(carol, is_key=True)
    write(carol, draft, card_steps=STEPS, reviewed=False)
    plain = make_article(carol)
    write(carol, plain, card_steps=STEPS)
    client = _client(alice)
    for path in (f"/rights/{draft.pk}/", f"/rights/{draft.pk}/card/", f"/rights/{plain.pk}/card/"):
        assert client.get(path).status_code == 404, path
    for outsider in (olga, mallory):
        for path in (f"/rights/{guide.pk}/", f"/rights/{guide.pk}/card/", f"/rights/{guide.pk}/audio/"):
            assert _client(outsider).get(path).status_code == 404, path
        assert "Police check" not in _main(_client(outsider).get("/rights/"))


def test_it_keeps_analysts_out(nina, guide):
    for path in ("/rights/", f"/rights/{guide.pk}/", f"/rights/{guide.pk}/audio/", "/staff/rights/"):
        assert _client(nina).get(path).status_code == 404, path


# The audio file -----------------------------------------------------------------------------------------


def test_it_serves_the_audio_to_members_only_privately_with_its_type_and_length(alice, guide):
    version = guide.versions.get(language="en")
    response = _client(alice).get(f"/rights/{guide.pk}/audio/?lang=en")
    data = _body(response)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert int(response["Content-Length"]) == len(data) == version.audio_bytes
    assert response["Cache-Control"] == "private, max-age=86400"
    assert response["Accept-Ranges"] == "bytes"
    assert data == version.audio.open("rb").read()
    assert _client().get(f"/rights/{guide.pk}/audio/")["Location"].startswith("/login/")


def test_it_serves_a_byte_range_so_a_player_can_seek(alice, guide):
    whole = guide.versions.get(language="en").audio.open("rb").read()
    client = _client(alice)
    middle = client.get(f"/rights/{guide.pk}/audio/", headers={"Range": "bytes=100-199"})
    assert middle.status_code == 206 and middle.content == whole[100:200]
    assert middle["Content-Range"] == f"bytes 100-199/{len(whole)}" and middle["Content-Length"] == "100"
    tail = client.get(f"/rights/{guide.pk}/audio/", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole[-10:]
    open_ended = client.get(f"/rights/{guide.pk}/audio/", headers={"Range": f"bytes={len(whole) - 5}-"})
    assert open_ended.content == whole[-5:]
    more_than_all = client.get(f"/rights/{guide.pk}/audio/", headers={"Range": f"bytes=-{len(whole) * 2}"})
    assert more_than_all.status_code == 206 and more_than_all.content == whole
    beyond = client.get(f"/rights/{guide.pk}/audio/", headers={"Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(whole)}"
    nonsense = client.get(f"/rights/{guide.pk}/audio/", headers={"Range": "bytes=a-b, pages=1"})
    assert nonsense.status_code == 200 and _body(nonsense) == whole


def test_it_serves_the_audio_of_the_version_the_member_reads(alice, guide):
    # The Russian reader's version has no audio; asking for English audio by name still works.
    alice.account.language = "ru"
    alice.account.save()
    assert _client(alice).get(f"/rights/{guide.pk}/audio/").status_code == 404
    assert _client(alice).get(f"/rights/{guide.pk}/audio/?lang=en").status_code == 200
    # An unknown language is the site's default, like any member's unknown language.
    assert _client(alice).get(f"/rights/{guide.pk}/audio/?lang={HOSTILE['script']}").status_code == 200


# Staff --------------------------------------------------------------------------------------------------


def test_it_shows_staff_the_translation_gaps_and_counts(carol, guide):
    write(carol, make_article(carol, topic=Topic.HEALTH), "es", title="Salud", reviewed=False)
    main = _main(_client(carol).get("/staff/rights/"))
    rows = re.findall(r"<tr><th scope=\"row\"><a [^>]+>([^<]+)</a>.*?</tr>", main, re.S)
    assert rows == ["Police check", "Salud"]
    assert main.count('✓<span class="sr"> reviewed</span>') == 2
    assert main.count('✎<span class="sr"> draft</span>') == 1
    assert f'href="/staff/rights/{guide.pk}/version/?language=fr"' in main
    assert "<td>1</td><td>2</td><td>1</td><td>2</td><td>2</td><td>2</td></tr></tfoot>" in main


def test_it_creates_an_article_and_keeps_what_was_typed_when_refused(carol, areas):
    client = _client(carol)
    refused = client.post(
        "/staff/rights/new/",
        {"topic": "arrest", "icon": "lock", "position": "-4", "countries": [str(areas["kenya"].pk)]},
    )
    assert refused.status_code == 400 and not Article.objects.exists()
    assert page_shows(refused, "Ensure this value is greater than or equal to 0.")
    assert 'value="lock" selected' in page_text(refused)
    assert re.search(rf'value="{areas["kenya"].pk}"[^>]*checked', page_text(refused))
    created = client.post(
        "/staff/rights/new/", {"topic": "arrest", "icon": "", "is_key": "on", "countries": [str(areas["kenya"].pk)]}
    )
    article = Article.objects.get()
    assert created["Location"] == f"/staff/rights/{article.pk}/"
    assert (article.icon, article.is_key, list(article.countries.all())) == (Icon.SIREN, True, [areas["kenya"]])


def test_it_changes_an_articles_topic_and_place(carol, guide, areas):
    response = _client(carol).post(
        f"/staff/rights/{guide.pk}/",
        {"topic": "arrest", "icon": "key", "position": "3", "countries": [str(areas["kenya"].pk)]},
    )
    assert response["Location"] == f"/staff/rights/{guide.pk}/"
    guide.refresh_from_db()
    assert (guide.topic, guide.icon, guide.position, guide.is_key) == ("arrest", "key", 3, False)


def test_it_writes_a_version_and_keeps_every_typed_word_when_refused(carol, guide):
    path = f"/staff/rights/{guide.pk}/version/?language=es"
    sent = {
        "title": "",
        "summary": "Qué hacer.",
        "body": "## Pasos\n\n- Mantén la calma & <b>respira</b>",
        "provenance": "community",
        "step_icon_1": "phone",
        "step_text_1": "Llama a tu organización",
        "action": "save",
    }
    client = _client(carol)
    refused = client.post(path, sent)
    assert refused.status_code == 400 and page_shows(refused, "This field is required.")
    assert _textarea(refused, "body") == escape(sent["body"])
    assert _textarea(refused, "summary") == escape(sent["summary"])
    assert input_value(refused, "step_text_1") == sent["step_text_1"]
    assert re.search(r'value="community"[^>]*checked', page_text(refused))
    assert not guide.versions.filter(language="es").exists()
    saved = client.post(path, {**sent, "title": "Control policial"}, follow=True)
    assert page_shows(saved, "Saved as a draft: members do not see it yet.")
    version = guide.versions.get(language="es")
    assert (version.title, version.review, version.card_steps) == (
        "Control policial",
        Review.DRAFT,
        [["phone", "Llama a tu organización"]],
    )
    assert version.body_html == "<h2>Pasos</h2>\n<ul>\n<li>Mantén la calma &amp; &lt;b&gt;respira&lt;/b&gt;</li>\n</ul>"


def test_it_shows_a_translator_the_text_to_translate_from(carol, guide):
    write(carol, guide, "en", title="Police check", body="## Steps\n\n- <b>Stay</b> calm", card_steps=STEPS)
    main = _main(_client(carol).get(f"/staff/rights/{guide.pk}/version/?language=fr"))
    assert "<summary>The English version, to translate from</summary>" in main
    assert '<pre class="source">## Steps\n\n- &lt;b&gt;Stay&lt;/b&gt; calm</pre>' in main
    assert f"<li>{escape(STEPS[0][1])}</li>" in main
    # A language already written is edited in its own form: no source shown.
    assert "to translate from" not in _main(_client(carol).get(f"/staff/rights/{guide.pk}/version/?language=ru"))


def test_it_previews_the_sanitised_text_without_saving(carol, guide):
    path = f"/staff/rights/{guide.pk}/version/?language=fr"
    body = "**Restez calme**\n\n<img src=x onerror=alert(1)>"
    preview = _client(carol).post(
        path, {"title": "Contrôle", "body": body, "provenance": "original", "action": "preview"}
    )
    assert preview.status_code == 200
    assert "<p><strong>Restez calme</strong></p>\n<p>&lt;img src=x onerror=alert(1)&gt;</p>" in _main(preview)
    assert _textarea(preview, "body") == escape(body) and input_value(preview, "title") == "Contrôle"
    assert not guide.versions.filter(language="fr").exists()


def test_it_publishes_a_version_when_staff_tick_reviewed_and_goes_back_to_draft_otherwise(carol, alice, guide):
    path = f"/staff/rights/{guide.pk}/version/?language=en"
    client = _client(carol)
    base = {"title": "Police check", "summary": "What to do.", "body": "Changed words", "provenance": "original"}
    assert client.post(path, {**base, "reviewed": "on", "action": "save"}, follow=True).status_code == 200
    assert guide.versions.get(language="en").review == Review.REVIEWED
    answer = client.post(path, {**base, "body": "Changed again", "action": "save"}, follow=True)
    assert page_shows(answer, "Saved as a draft: members do not see it yet.")
    version = guide.versions.get(language="en")
    assert version.review == Review.DRAFT
    assert "Changed again" not in page_text(_client(alice).get(f"/rights/{guide.pk}/"))  # members get Russian now
    reviewed = client.post(f"/staff/rights/versions/{version.pk}/review/", follow=True)
    assert page_shows(reviewed, "Reviewed. Members can read it.")
    assert "Changed again" in page_text(_client(alice).get(f"/rights/{guide.pk}/"))


def test_it_answers_hostile_version_input_with_a_message_never_a_server_error(carol, guide):
    path = f"/staff/rights/{guide.pk}/version/?language=ar"
    base = {"title": "Guide", "body": "Text", "provenance": "original", "step_icon_1": "check", "action": "save"}
    client = _client(carol)
    for (kind, value), field in itertools.product(
        HOSTILE.items(), ("title", "summary", "body", "provenance", "step_icon_1", "step_text_1", "action")
    ):
        answer = client.post(path, {**base, field: value})
        where = f"{field}={kind}"
        assert answer.status_code < 500 and not any(markup in page_text(answer) for markup in UNESCAPED), where
        if kind in MUST_BE_REFUSED and field not in ("action",) and not (field == "body" and kind == "long"):
            assert answer.status_code == 400 and 'class="errorlist' in page_text(answer), where
        ArticleVersion.objects.filter(article=guide, language="ar").delete()


@pytest.mark.parametrize("language", ["", "tlh", "EN", HOSTILE["script"]])
def test_it_answers_404_for_a_language_the_site_does_not_have(carol, guide, language):
    assert _client(carol).get(f"/staff/rights/{guide.pk}/version/", {"language": language}).status_code == 404


def test_it_uploads_and_removes_audio_with_clear_messages(carol, guide, media):
    version = guide.versions.get(language="ru")
    client = _client(carol)
    back = f"/staff/rights/{guide.pk}/version/?language=ru"
    from django.core.files.uploadedfile import SimpleUploadedFile

    not_audio = SimpleUploadedFile("song.mp3", b"%PDF-1.7 not a song", content_type="audio/mpeg")
    refused = client.post(f"/staff/rights/versions/{version.pk}/audio/", {"audio": not_audio})
    assert refused["Location"] == back
    page = client.get(back)
    assert page_shows(page, "This is not an audio file Sombrilla can play. Use Opus, Ogg, MP3, M4A, WAV or WebM.")
    nothing = client.post(f"/staff/rights/versions/{version.pk}/audio/", {}, follow=True)
    assert page_shows(nothing, "This field is required.")
    upload = SimpleUploadedFile("whatever.bin", wav_bytes(), content_type="application/octet-stream")
    saved = client.post(f"/staff/rights/versions/{version.pk}/audio/", {"audio": upload}, follow=True)
    assert page_shows(saved, "The audio is saved.")
    version.refresh_from_db()
    assert version.audio_type == "audio/wav" and "whatever" not in version.audio.name
    assert f'src="/staff/rights/versions/{version.pk}/audio/"' in _main(saved)
    assert client.get(f"/staff/rights/versions/{version.pk}/audio/").status_code == 200
    removed = client.post(f"/staff/rights/versions/{version.pk}/audio/remove/", follow=True)
    assert page_shows(removed, "The audio is removed.")
    assert client.get(f"/staff/rights/versions/{version.pk}/audio/").status_code == 404


def test_it_lets_staff_hear_a_drafts_audio_but_not_members(carol, alice, guide):
    draft = write(carol, guide, "es", title="Borrador", reviewed=False)
    services.audio_upload(actor=carol, version=draft, data=wav_bytes())
    assert _client(carol).get(f"/staff/rights/versions/{draft.pk}/audio/").status_code == 200
    assert _client(alice).get(f"/staff/rights/versions/{draft.pk}/audio/").status_code == 404
    # Asking for Spanish gets the best reviewed version's audio, the English one: never the draft's.
    served = _body(_client(alice).get(f"/rights/{guide.pk}/audio/?lang=es"))
    assert served == guide.versions.get(language="en").audio.open("rb").read() != wav_bytes()


def test_it_offers_a_computer_voice_only_where_espeak_ng_is_installed(carol, guide, monkeypatch, tmp_path):
    version = guide.versions.get(language="en")
    path = f"/staff/rights/{guide.pk}/version/?language=en"
    assert f'action="/staff/rights/versions/{version.pk}/audio/generate/"' in _main(_client(carol).get(path))
    monkeypatch.setenv("PATH", str(tmp_path))
    page = _client(carol).get(path)
    assert page_shows(page, "A computer voice cannot be made here: espeak-ng is not installed on the server.")
    assert "/audio/generate/" not in _main(page)
    refused = _client(carol).post(f"/staff/rights/versions/{version.pk}/audio/generate/", follow=True)
    assert page_shows(refused, "Audio cannot be made on this server: espeak-ng is not installed.")


def test_it_asks_before_deleting_an_article_and_then_deletes_it(carol, guide):
    client = _client(carol)
    confirm = client.get(f"/staff/rights/{guide.pk}/delete/")
    assert confirm.status_code == 200 and "will be deleted in every language" in page_text(confirm)
    assert Article.objects.filter(pk=guide.pk).exists()
    done = client.post(f"/staff/rights/{guide.pk}/delete/", follow=True)
    assert page_shows(done, "The article and all its versions are deleted.")
    assert not Article.objects.exists() and not ArticleVersion.objects.exists()


def test_it_deletes_one_language_version(carol, guide):
    version = guide.versions.get(language="ru")
    done = _client(carol).post(f"/staff/rights/versions/{version.pk}/delete/", follow=True)
    assert page_shows(done, "This language version is deleted.")
    assert list(guide.versions.values_list("language", flat=True)) == ["en"]


def test_it_answers_404_to_another_organisations_staff_on_every_staff_page(mallory, guide):
    version = guide.versions.get(language="en")
    client = _client(mallory)
    for method, path in (
        ("get", f"/staff/rights/{guide.pk}/"),
        ("post", f"/staff/rights/{guide.pk}/"),
        ("get", f"/staff/rights/{guide.pk}/delete/"),
        ("post", f"/staff/rights/{guide.pk}/delete/"),
        ("get", f"/staff/rights/{guide.pk}/version/?language=en"),
        ("post", f"/staff/rights/versions/{version.pk}/review/"),
        ("post", f"/staff/rights/versions/{version.pk}/delete/"),
        ("get", f"/staff/rights/versions/{version.pk}/audio/"),
        ("post", f"/staff/rights/versions/{version.pk}/audio/remove/"),
        ("post", f"/staff/rights/versions/{version.pk}/audio/generate/"),
    ):
        assert getattr(client, method)(path).status_code == 404, (method, path)
    assert ArticleVersion.objects.filter(pk=version.pk).exclude(audio="").exists()
    assert "Police check" not in _main(client.get("/staff/rights/"))
