"""Test data for alerts, built through the services so it is shaped exactly as real data is.

Used by the alerts tests, the role matrix (sombrilla/accounts/tests/test_access.py) and the page list
(sombrilla/core/tests/browser_pages.py).
"""

from datetime import timedelta

from sombrilla.accounts import services as account_services
from sombrilla.accounts.models import Area
from sombrilla.alerts import services
from sombrilla.alerts.models import Category
from sombrilla.core import clock

PHONE = "0712 345 678"
PHONE_E164 = "+254712345678"


def make_areas(organisation, names=("Kenya", "Nairobi", "Westlands", "Mombasa")) -> dict[str, Area]:
    """A country with a city and one of its districts, and a second city: Kenya > Nairobi > Westlands, and
    Kenya > Mombasa, keyed by those names whatever `names` calls them."""
    country, city, district, other_city = names

    def add(name, kind, parent=None):
        return account_services.area_create(actor=None, organisation=organisation, name=name, kind=kind, parent=parent)

    kenya = add(country, "country")
    nairobi = add(city, "city", kenya)
    return {
        "kenya": kenya,
        "nairobi": nairobi,
        "westlands": add(district, "district", nairobi),
        "mombasa": add(other_city, "city", kenya),
    }


def make_report(actor, area, *, phone=PHONE, plate="", handle="", **overrides):
    fields = {
        "occurred_on": clock.now().date() - timedelta(days=3),
        "categories": [Category.NON_PAYMENT, Category.THREATS],
        "account": "He refused to pay and threatened to tell my family.",
        "consent_alert": True,
        "consent_referral": False,
        "consent_statistics": True,
        "identifiers": [
            services.IdentifierIn(kind="phone", value=phone),
            services.IdentifierIn(kind="plate", value=plate),
            services.IdentifierIn(kind="handle", value=handle, platform="Telegram"),
        ],
    }
    fields.update(overrides)
    return services.report_create(actor=actor, area=area, **fields)


def make_alert(moderator, reporter, area, *, text="A client who refuses to pay and threatens.", **report_fields):
    report = make_report(reporter, area, **report_fields)
    return services.alert_publish(actor=moderator, report=report, text=text, areas=[area])


def page_objects(people) -> dict:
    """What the alert pages need to show something: alice follows Nairobi, one alert, one published and one
    waiting police alert, and one waiting report of alice's that she agreed may go to lawyers."""
    alice, bob = people["alice"], people["bob"]
    # Not "Kenya": the role matrix adds an area of that name and expects it to be new.
    areas = make_areas(alice.organisation, names=("Uganda", "Kampala", "Kawempe", "Entebbe"))
    services.area_follow_set(actor=alice, areas=[areas["nairobi"]])
    alert = make_alert(bob, alice, areas["westlands"], handle="@big_tony", plate="KDA 123A")
    report = make_report(alice, areas["nairobi"], consent_referral=True, plate="KDA 123A")
    police_alert = services.police_alert_create(actor=bob, area=areas["nairobi"], kind="checkpoint", minutes_ago=15)
    services.police_alert_approve(actor=people["carol"], police_alert=police_alert)
    pending_police = services.police_alert_create(actor=alice, area=areas["westlands"], kind="raid", minutes_ago=0)
    return {
        "area": areas["nairobi"].pk,
        "alert": alert.pk,
        "report": report.pk,
        "police_alert": police_alert.pk,
        "pending_police": pending_police.pk,
    }
