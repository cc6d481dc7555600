"""Services, ratings and referral requests in the state a test needs, made through the services (the only writers).

Used by the directory tests, the role matrix (sombrilla/accounts/tests/test_access.py) and the page list
(sombrilla/core/tests/browser_pages.py).
"""

from sombrilla.accounts import services as account_services
from sombrilla.accounts.models import Area
from sombrilla.directory import services
from sombrilla.directory.demo import demo_load
from sombrilla.directory.models import Service, ServiceKind
from sombrilla.directory.services import ServiceDetails

CLINIC = {
    "address": "Behind the market, blue door",
    "opening_hours": "Mon–Sat 8:00–20:00",
    "languages": "English, Kiswahili",
    "anonymous": True,
    "sex_worker_friendly": True,
}


def make_service(actor, *, name: str = "Westlands Community Clinic", kind: str = ServiceKind.HIV_TESTING, **details):
    """A service `actor` (staff) vouches for; `details` override the clinic's defaults."""
    return services.service_create(actor=actor, details=ServiceDetails(name=name, kind=kind, **{**CLINIC, **details}))


def make_demo_areas(organisation) -> dict[str, Area]:
    """The demo's areas (Kenya > Nairobi > Westlands, Kibera, CBD; Kenya > Mombasa), keyed by name."""

    def add(name, kind, parent=None):
        return account_services.area_create(actor=None, organisation=organisation, name=name, kind=kind, parent=parent)

    kenya = add("Kenya", "country")
    nairobi = add("Nairobi", "city", kenya)
    areas = {"Kenya": kenya, "Nairobi": nairobi, "Mombasa": add("Mombasa", "city", kenya)}
    for district in ("Westlands", "Kibera", "CBD"):
        areas[district] = add(district, "district", nairobi)
    return areas


def page_objects(people: dict) -> dict:
    """What the role matrix addresses: a service carol vouches for, alice's rating of it with a note waiting for a
    moderator, and alice's open referral request for it. Keyed for the pages and, with `_id`, for the API."""
    alice, carol = people["alice"], people["carol"]
    service = make_service(carol)
    rating = services.rating_save(actor=alice, service=service, stars=4, note="matrix note")
    referral = services.referral_request(actor=alice, service=service, message="matrix message")
    ids = {"service": service.pk, "rating": rating.pk, "referral": referral.pk}
    return {**ids, **{f"{name}_id": value for name, value in ids.items()}}


def full_page_objects(people: dict) -> dict:
    """The directory pages at their fullest, for the page budget: the demo's eight services with their ratings
    (alice's published note on the first), a note of carol's waiting for bob, and alice's requests: one answered,
    one open."""
    alice, bob, carol, dana = people["alice"], people["bob"], people["carol"], people["dana"]
    make_demo_areas(alice.organisation)
    made: list[Service] = demo_load(organisation=alice.organisation, author=carol, members=[alice, bob, dana, carol])
    answered = services.referral_request(
        actor=alice, kind=ServiceKind.LEGAL_AID, message="A lawyer who speaks Kiswahili, for a court date next month."
    )
    services.referral_answer(
        actor=carol,
        referral=answered,
        answer="Call the Rights Desk and ask for Wanjiru; she knows you are calling and speaks Kiswahili.",
    )
    referral = services.referral_request(
        actor=alice, service=made[1], message="Can someone come with me the first time? I am nervous."
    )
    return {"service": made[0].pk, "referral": referral.pk}
