"""The demo organisation's services directory: services across kinds and areas, a few ratings (published notes,
one note waiting for a moderator) and one open referral request. Made through the services, as real data is.
Demo mode only: every name, number and address here is invented."""

from collections.abc import Sequence

from sombrilla.accounts.models import Area, Membership, Organisation
from sombrilla.directory import services
from sombrilla.directory.models import Cost, Service, ServiceKind
from sombrilla.directory.services import ServiceDetails

SERVICES = [
    # (name, kind, area, details)
    (
        "Westlands Community Clinic",
        ServiceKind.HIV_TESTING,
        "Westlands",
        {
            "address": "Behind the Sarit market, 2nd floor (blue door)",
            "public_number": "+254 700 000 101",
            "opening_hours": "Mon–Sat 8:00–20:00",
            "languages": "English, Kiswahili",
            "anonymous": True,
            "sex_worker_friendly": True,
            "about": "Rapid HIV tests with results in 20 minutes. Peer educators on site on weekdays.",
        },
    ),
    (
        "Night Clinic CBD",
        ServiceKind.PREP_PEP,
        "CBD",
        {
            "address": "Tom Mboya Street, above the pharmacy",
            "public_number": "+254 700 000 102",
            "opening_hours": "Every day 18:00–02:00",
            "languages": "English, Kiswahili, Somali",
            "anonymous": True,
            "sex_worker_friendly": True,
            "about": "PEP within 72 hours of a risk, PrEP refills without an appointment.",
        },
    ),
    (
        "Kibera Health Point",
        ServiceKind.STI,
        "Kibera",
        {
            "address": "Next to the Olympic primary school",
            "opening_hours": "Mon–Fri 9:00–17:00",
            "languages": "Kiswahili, Luo",
            "cost": Cost.LOW,
            "cost_note": "KSh 200 for a consultation; tests free",
            "sex_worker_friendly": True,
        },
    ),
    (
        "Family Health Centre",
        ServiceKind.SRH,
        "Nairobi",
        {
            "address": "Ngong Road, Block C",
            "public_number": "+254 700 000 104",
            "opening_hours": "Mon–Fri 8:00–17:00",
            "languages": "English, Kiswahili",
            "cost": Cost.PAID,
            "cost_note": "Contraception at cost price",
        },
    ),
    (
        "Rights Desk (legal aid)",
        ServiceKind.LEGAL_AID,
        "Nairobi",
        {
            "call_first": True,
            "public_number": "+254 700 000 105",
            "opening_hours": "Hotline 24 hours; office Mon–Fri",
            "languages": "English, Kiswahili, French",
            "anonymous": True,
            "sex_worker_friendly": True,
            "about": "Lawyers who visit police stations after an arrest. Call first: they come to you.",
        },
    ),
    (
        "Safe House Mombasa",
        ServiceKind.SHELTER,
        "Mombasa",
        {
            "call_first": True,
            "public_number": "+254 700 000 106",
            "opening_hours": "24 hours",
            "languages": "Kiswahili, English",
            "anonymous": True,
            "sex_worker_friendly": True,
            "about": "Emergency beds for up to two weeks. The address is given by phone.",
        },
    ),
    (
        "Needle and Syringe Programme",
        ServiceKind.HARM_REDUCTION,
        "CBD",
        {
            "address": "River Road outreach van (parks by the bus stage)",
            "opening_hours": "Tue and Thu 10:00–15:00",
            "languages": "Kiswahili",
            "anonymous": True,
        },
    ),
    (
        "Listening Line",
        ServiceKind.MENTAL_HEALTH,
        "Kenya",
        {
            "call_first": True,
            "public_number": "1190",
            "opening_hours": "Every day 7:00–23:00",
            "languages": "English, Kiswahili, Sheng",
            "anonymous": True,
            "about": "Counsellors by phone; free face-to-face sessions can be booked.",
        },
    ),
]
# (service index, member index, stars, note, publish the note)
RATINGS = [
    (0, 0, 5, "Nobody asked my name and the nurse explained everything. Go early on Saturdays.", True),
    (0, 1, 4, "", False),
    (1, 0, 5, "Open when we need it. They gave me PEP in twenty minutes.", True),
    (1, 2, 4, "", False),
    (2, 1, 3, "Friendly staff but a long wait. Bring water.", True),
    (4, 3, 5, "They came to the station within an hour.", False),
]


def demo_load(*, organisation: Organisation, author: Membership, members: Sequence[Membership]) -> list[Service]:
    """The demo directory. `author` is a staff member (who also publishes the notes); `members` rate, in order,
    and need at least four. Returns the services made."""
    areas = {area.name: area for area in Area.objects.filter(organisation=organisation)}
    made = [
        services.service_create(
            actor=author, details=ServiceDetails(name=name, kind=kind, area=areas.get(area), **details)
        )
        for name, kind, area, details in SERVICES
    ]
    for service_index, member_index, stars, note, publish in RATINGS:
        rating = services.rating_save(actor=members[member_index], service=made[service_index], stars=stars, note=note)
        if note and publish:
            services.rating_moderate(actor=author, rating=rating, publish=True)
    services.referral_request(
        actor=members[1],
        kind=ServiceKind.SHELTER,
        message="I need somewhere safe for a few nights in Nairobi, from this weekend.",
    )
    return made
