"""Police alerts send members to the quick card for the alert's country (a police-check card first), and to
the organisation's own rights page only when there is no card, on the pages and in the API."""

from django.test import Client

from sombrilla.alerts import services as alert_services
from sombrilla.alerts.tests.factories import make_areas
from sombrilla.conftest import log_in
from sombrilla.rights.models import Topic
from sombrilla.rights.tests.factories import STEPS, make_article, write


def _police_alert(bob, carol, area):
    police = alert_services.police_alert_create(actor=bob, area=area, kind="checkpoint", minutes_ago=5)
    return alert_services.police_alert_approve(actor=carol, police_alert=police)


def _card(carol, topic, **fields):
    article = make_article(carol, topic=topic, is_key=True, **fields)
    write(carol, article, card_steps=STEPS)
    return article


def test_it_links_a_police_alert_to_the_card_for_its_country(alice, bob, carol, org_a, areas):
    org_a.rights_url = "https://rights.example/"
    org_a.save()
    alert_services.area_follow_set(actor=alice, areas=[areas["nairobi"]])
    police = _police_alert(bob, carol, areas["westlands"])
    client = log_in(Client(), alice)
    # No card yet: the organisation's own page, as before.
    assert 'href="https://rights.example/"' in client.get(f"/alerts/police/{police.pk}/").content.decode()
    arrest = _card(carol, Topic.ARREST)
    for page in (f"/alerts/police/{police.pk}/", "/alerts/"):
        assert f'href="/rights/{arrest.pk}/card/"' in client.get(page).content.decode(), page
    # A card for Kenya about police checks beats one for everywhere about arrests.
    kenya = _card(carol, Topic.POLICE_CHECK, countries=[areas["kenya"]])
    body = client.get(f"/alerts/police/{police.pk}/").content.decode()
    assert f'href="/rights/{kenya.pk}/card/"' in body and "rights.example" not in body
    assert log_in(Client(), alice).get(f"/rights/{kenya.pk}/card/").status_code == 200


def test_it_keeps_a_card_for_another_country_away_from_an_alert(alice, bob, carol, org_a, areas):
    uganda = make_areas(org_a, names=("Uganda", "Kampala", "Kawempe", "Entebbe"))
    _card(carol, Topic.POLICE_CHECK, countries=[uganda["kenya"]])
    police = _police_alert(bob, carol, areas["nairobi"])
    body = log_in(Client(), alice).get(f"/alerts/police/{police.pk}/").content.decode()
    assert "/card/" not in body and "Know your rights" not in body


def test_it_gives_the_card_in_the_api_as_a_full_url(alice, bob, carol, org_a, areas):
    org_a.rights_url = "https://rights.example/"
    org_a.save()
    police = _police_alert(bob, carol, areas["mombasa"])
    client = log_in(Client(), alice)
    assert client.get(f"/api/v1/police-alerts/{police.pk}").json()["rights_url"] == "https://rights.example/"
    card = _card(carol, Topic.POLICE_CHECK, countries=[areas["kenya"]])
    body = client.get(f"/api/v1/police-alerts/{police.pk}").json()
    assert body["rights_url"] == f"http://testserver/rights/{card.pk}/card/"
    alert_services.area_follow_set(actor=alice, areas=[areas["mombasa"]])
    feed = client.get("/api/v1/alerts").json()
    assert feed["police_alerts"][0]["rights_url"] == f"http://testserver/rights/{card.pk}/card/"


def test_it_finds_the_links_of_a_whole_feed_in_a_few_queries(
    alice, bob, carol, org_a, areas, django_assert_max_num_queries
):
    _card(carol, Topic.POLICE_CHECK, countries=[areas["kenya"]])
    alert_services.area_follow_set(actor=alice, areas=[areas["kenya"]])
    client = log_in(Client(), alice)
    for area in ("nairobi", "westlands", "mombasa"):
        _police_alert(bob, carol, areas[area])
    with django_assert_max_num_queries(20) as few:
        client.get("/api/v1/alerts")
    for _ in range(12):
        _police_alert(bob, carol, areas["westlands"])
    # Fifteen police alerts cost no more queries than three.
    with django_assert_max_num_queries(len(few.captured_queries)):
        feed = client.get("/api/v1/alerts").json()
    assert len(feed["police_alerts"]) == 15
    assert {alert["rights_url"].rsplit("/rights/", 1)[1] for alert in feed["police_alerts"]} == {
        feed["police_alerts"][0]["rights_url"].rsplit("/rights/", 1)[1]
    }
