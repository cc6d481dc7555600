"""Demo monitoring records: four years (2022–2025, the NSWP framework's period) of a network secretariat's
records across every type, enough for every computation in monitoring/computations.py to give a figure. Made
through the services, as real records are. Demo mode only: every organisation name here is invented."""

import datetime
import random

from sombrilla.accounts.models import Membership, Organisation
from sombrilla.monitoring.records import models as m
from sombrilla.monitoring.records import services
from sombrilla.monitoring.records.kinds import KINDS

YEARS = (2022, 2023, 2024, 2025)
COUNTRIES = {
    m.Region.AFRICA: ("KE", "UG", "ZA", "NG", "ZW", "MW", "TZ"),
    m.Region.ASIA_PACIFIC: ("TH", "IN", "KH", "MM", "ID", "NZ", "FJ"),
    m.Region.EUROPE: ("DE", "ES", "FR", "KG", "UA", "GB", "RS"),
    m.Region.LATIN_AMERICA: ("MX", "CO", "AR", "BR", "PE", "EC"),
    m.Region.NORTH_AMERICA_CARIBBEAN: ("US", "CA", "JM", "DO", "TT"),
}
_FIRST = ("Night", "Red", "Sister", "Rainbow", "Open", "Free", "Brave", "Street", "Silver", "Bright")
_SECOND = ("Lights", "Umbrella", "Voices", "Wings", "Hands", "Roads", "Rose", "Circle", "Harbour", "Bridge")
_LAST = ("Collective", "Alliance", "Network", "Project", "Union")
PUBLICATIONS = [
    ("Smart Guide to Decriminalisation", m.Format.SMART_GUIDE, m.Theme.CRIMINALISATION),
    ("Briefing Paper: Sex Workers and Universal Health Coverage", m.Format.BRIEFING_PAPER, m.Theme.HEALTH),
    ("Policy Brief: Labour Rights for Sex Workers", m.Format.POLICY_BRIEF, m.Theme.LABOUR),
    ("Community Guide: Documenting Violence", m.Format.COMMUNITY_GUIDE, m.Theme.VIOLENCE),
    ("Global Report: Migrant Sex Workers", m.Format.REPORT, m.Theme.MIGRATION),
    ("Case Study: Peer-led Savings Groups", m.Format.CASE_STUDY, m.Theme.ECONOMIC),
    ("Stigma Explained (video)", m.Format.VIDEO, m.Theme.STIGMA),
    ("Know Your Rights (infographic)", m.Format.INFOGRAPHIC, m.Theme.HUMAN_RIGHTS),
]
LANGUAGES = ["en", "fr", "es", "ru", "zh"]
CASE_STUDY_SUMMARY = (
    "How a sex worker-led organisation changed local policing practice, told by its members; what the network's "
    "support added, and what is still to change."
)
FORUMS = [
    "UNAIDS Programme Coordinating Board",
    "Global Fund Community Rights and Gender advisory group",
    "Regional consultation on HIV prevention",
    "National AIDS council meeting",
]


def _day(year: int, month: int, day_of_month: int = 15) -> datetime.date:
    return datetime.date(year, month, day_of_month)


def demo_load(*, organisation: Organisation, author: Membership) -> int:
    """Create the demo records for `organisation`, written by `author` (its staff); returns how many were made."""
    if author.organisation_id != organisation.pk:
        raise ValueError("the author must be staff of the organisation")
    rng = random.Random(2022)  # the same demo every time  # noqa: S311 - invented figures, not secrets
    made = 0

    def save(slug: str, **values):
        nonlocal made
        made += 1
        return services.record_save(actor=author, kind=KINDS[slug], values=values)

    regions = list(COUNTRIES)
    for number in range(48):
        region = regions[number % len(regions)]
        joined = _day(2016 + number % 10, 1 + number % 12, 1 + number % 28)
        save(
            "members",
            name=f"{_FIRST[number % 10]} {_SECOND[(number + number // 10) % 10]} {_LAST[number // 10]}",
            country=COUNTRIES[region][number % len(COUNTRIES[region])],
            region=region,
            joined_on=joined,
            left_on=_day(2024, 6, 30) if number % 17 == 5 and joined.year < 2024 else None,
            in_regional_network=number % 3 != 0,
        )
    for year in YEARS:
        _governance(save, year)
        _communication(save, year, rng)
        _capacity(save, year, rng)
        _advocacy(save, year, rng)
    return made


def _governance(save, year: int) -> None:
    save("governance", kind=m.GovernanceEvent.Kind.BOARD_MEETING, date=_day(year, 5, 20), note="Annual meeting")
    for month in (2, 5, 8, 11):
        save("governance", kind=m.GovernanceEvent.Kind.TELECONFERENCE, date=_day(year, month, 3))
    if year % 2:  # the president is elected every two years
        save("governance", kind=m.GovernanceEvent.Kind.PRESIDENT_ELECTION, date=_day(year, 5, 21))
    for region in COUNTRIES:
        save("governance", kind=m.GovernanceEvent.Kind.REGIONAL_NOMINATION, date=_day(year, 3, 1), region=region)


def _communication(save, year: int, rng: random.Random) -> None:
    grow = 1 + (year - YEARS[0]) / 10
    start, end = _day(year, 1, 1), _day(year, 12, 31)
    save(
        "website",
        period_start=start,
        period_end=end,
        unique_visitors=int(41000 * grow),
        repeat_visitors=int(11000 * grow),
    )
    for language in LANGUAGES:
        for translation in (m.Translation.ONLINE, m.Translation.COMMUNITY):
            if language == "en" and translation == m.Translation.ONLINE:
                continue
            save(
                "website-languages",
                period_start=start,
                period_end=end,
                language=language,
                translation=translation,
                pages=rng.randint(40, 400),
                page_views=rng.randint(2000, 30000),
            )
    for channel in ("members-global", "members-africa", "members-latin-america"):
        save("communications", kind=m.Communication.Kind.MAILING_LIST, channel=channel, date=start)
        for month in range(1, 13):
            save(
                "communications",
                kind=m.Communication.Kind.MAILING_LIST_MESSAGE,
                channel=channel,
                date=_day(year, month, 10),
                count=rng.randint(2, 9),
            )
    for month in range(1, 13):
        save(
            "communications",
            kind=m.Communication.Kind.SOCIAL_MEDIA_POST,
            channel="NSWP on social media",
            date=_day(year, month, 20),
            count=rng.randint(8, 30),
        )
    # Two publications a year, each with its figures for every language it is in.
    index = year - YEARS[0]
    for position in (index, index + len(YEARS)):
        title, format_, theme = PUBLICATIONS[position]
        languages = LANGUAGES if position % 2 == 0 else LANGUAGES[:3]
        publication = save(
            "publications",
            title=title,
            format=format_,
            languages=languages,
            published_on=_day(year, 2 + position, 1),
            theme=theme,
        )
        for language in languages:
            save(
                "publication-stats",
                publication=publication,
                language=language,
                period_start=start,
                period_end=end,
                distributed=rng.randint(50, 600),
                downloads=rng.randint(100, 2500),
            )


def _capacity(save, year: int, rng: random.Random) -> None:
    for number, kind in enumerate(
        (
            m.SupportKind.SOUTH_EXCHANGE,
            m.SupportKind.REGIONAL_WORKSHOPS,
            m.SupportKind.REPORTING,
            m.SupportKind.FINANCIAL_MANAGEMENT,
            m.SupportKind.ORGANISATIONAL_DEVELOPMENT,
        )
    ):
        region = list(COUNTRIES)[number]
        save(
            "support",
            recipient_kind=m.TechnicalSupport.RecipientKind.REGIONAL_NETWORK,
            recipient=f"{region.label} regional sex worker network (demo)",
            region=region,
            kind=kind,
            date=_day(year, 2 + number * 2, 12),
        )
        save(
            "support",
            recipient_kind=m.TechnicalSupport.RecipientKind.NATIONAL_ORGANISATION,
            recipient=f"{_FIRST[number]} {_SECOND[number]} {_LAST[number]}",
            region=region,
            kind=m.SupportKind.PROGRAMME_MANAGEMENT,
            date=_day(year, 3 + number * 2, 8),
        )
    for number, trainer_kind in enumerate(
        (m.Training.TrainerKind.NETWORK, m.Training.TrainerKind.EXPERIENCED_LEADER, m.Training.TrainerKind.NETWORK)
    ):
        region = list(COUNTRIES)[(year + number) % len(COUNTRIES)]
        training = save(
            "trainings",
            title=f"Leadership academy {number + 1}",
            date=_day(year, 3 + number * 3, 10),
            region=region,
            trainer_kind=trainer_kind,
            experienced_trainers=rng.randint(2, 5) if trainer_kind == m.Training.TrainerKind.EXPERIENCED_LEADER else 0,
        )
        for participant_region in {region, list(COUNTRIES)[(year + number + 1) % len(COUNTRIES)]}:
            save(
                "training-participants",
                training=training,
                region=participant_region,
                new_leaders=rng.randint(3, 12),
                young_leaders=rng.randint(2, 8),
            )
    save(
        "surveys",
        year=year,
        responses=120 + (year - YEARS[0]) * 9,
        organisational_development=70 + (year - YEARS[0]) * 6,
        law_policy_changes=30 + (year - YEARS[0]) * 3,
        programme_changes=45 + (year - YEARS[0]) * 4,
        narrative="Members in three regions reported new national networks and better access to services.",
    )


def _advocacy(save, year: int, rng: random.Random) -> None:
    for number, name in enumerate(FORUMS):
        level = (m.Level.INTERNATIONAL, m.Level.INTERNATIONAL, m.Level.REGIONAL, m.Level.NATIONAL)[number]
        save(
            "forums",
            kind=m.PolicyForum.Kind.FORUM,
            name=name,
            level=level,
            date=_day(year, 3 + number * 2, 25),
            leaders_supported=rng.randint(1, 6),
            region=list(COUNTRIES)[(year + number) % len(COUNTRIES)],
        )
    for number in range(2):
        save(
            "forums",
            kind=m.PolicyForum.Kind.DELEGATION,
            name=("UNAIDS advisory group on HIV and sex work", "Global Fund delegation of communities")[number],
            level=m.Level.INTERNATIONAL,
            date=_day(year, 1, 15 + number),
        )
    for number in range(3):
        save(
            "forums",
            kind=m.PolicyForum.Kind.DOCUMENT,
            name=f"Draft guidance for comment {year}-{number + 1}",
            level=(m.Level.INTERNATIONAL, m.Level.REGIONAL, m.Level.NATIONAL)[number],
            date=_day(year, 4 + number * 3, 2),
        )
    themes = list(m.Theme)
    for number in range(4):
        save(
            "advocacy-tools",
            title=f"Advocacy toolkit {year}-{number + 1}",
            theme=themes[(year + number) % len(themes)],
            format=(m.Format.COMMUNITY_GUIDE, m.Format.SMART_GUIDE, m.Format.VIDEO, m.Format.POLICY_BRIEF)[number],
            languages=LANGUAGES[: 2 + number],
            published_on=_day(year, 2 + number * 3, 5),
        )
    regions = list(COUNTRIES)
    # (kind, how many a year, title, made in a country)
    for kind, how_many, title, in_a_country in (
        (m.KnowledgeProduct.Kind.CASE_STUDY, 3, "Country case study", True),
        (m.KnowledgeProduct.Kind.INTERVIEW, 5, "Key-informant interview", True),
        (m.KnowledgeProduct.Kind.BRIEFING_NOTE, 3, "Statement", False),
        (m.KnowledgeProduct.Kind.DIGEST, 4, "Sex Work Digest", False),
    ):
        for number in range(how_many):
            region = regions[(year + number) % len(regions)] if in_a_country else ""
            save(
                "knowledge",
                kind=kind,
                title=f"{title} {year}-{number + 1}",
                country=COUNTRIES[region][number] if in_a_country else "",
                region=region,
                date=_day(year, 1 + number * 2, 9),
                summary=CASE_STUDY_SUMMARY if kind == m.KnowledgeProduct.Kind.CASE_STUDY else "",
            )
    for day_code in m.CommemorativeDay:
        campaign = save("campaigns", day=day_code, year=year, title=f"#SexWorkRights{year}")
        for number, region in enumerate(regions):
            save(
                "campaign-participation",
                campaign=campaign,
                region=region,
                theme=themes[(number + year) % len(themes)],
                member_organisations=rng.randint(1, 9),
            )
