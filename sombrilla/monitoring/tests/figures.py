"""A small, hand-countable world for the engine's tests: Sombrilla's own tallies and rows, and one or two records
of every type the network keeps, each placed in a year chosen so that every figure in test_values.py can be
worked out by hand from this file.

Years are relative to the real clock: Y0 is two years ago, Y1 last year, Y2 this year (still going on). The
organisation joined Sombrilla on 1 January of Y0.
"""

from datetime import date, datetime

from django.utils import timezone

from sombrilla.accounts.models import Area, Membership, MembershipTally, Organisation
from sombrilla.alerts.models import AlertTally, IncidentTally, PoliceAlertTally, ScreeningTally
from sombrilla.checkins.models import CheckinTally
from sombrilla.conftest import make_member
from sombrilla.core import clock
from sombrilla.monitoring.records import models as records
from sombrilla.notify.models import Channel, Delivery, Dispatch, Topic
from sombrilla.rights.models import Article, ArticleVersion, Provenance, Review

Y2 = clock.now().year
Y1, Y0 = Y2 - 1, Y2 - 2


def moment(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 12, tzinfo=timezone.get_current_timezone())


def organisation(slug: str, *, members: int, shares: bool = True) -> Organisation:
    """An organisation on Sombrilla since 1 January of Y0, with `members` accounts now."""
    made = Organisation.objects.create(slug=slug, name=slug.title(), shares_with_network=shares)
    Organisation.objects.filter(pk=made.pk).update(created_at=moment(Y0, 1, 1))
    made.refresh_from_db()
    for number in range(members):
        make_member(made, f"{slug}-{number}")
    return made


def _tally(model, organisation, day: date, n: int, **fields) -> None:
    field = "day" if model is ScreeningTally else "month"
    model.objects.create(organisation=organisation, count=n, **{field: day}, **fields)


def platform(org: Organisation) -> dict:
    """Sombrilla's own use. Read with test_values.py's expected figures, which explain each one."""
    joined, left = MembershipTally.Event.JOINED, MembershipTally.Event.LEFT
    for day, event, n in (
        (date(Y0, 5, 1), joined, 1),
        (date(Y1, 3, 1), joined, 4),
        (date(Y1, 6, 1), left, 1),
        (date(Y2, 2, 1), joined, 2),
        (date(Y2, 5, 1), left, 3),
    ):
        _tally(MembershipTally, org, day, n, event=event)
    kenya = Area.objects.create(organisation=org, kind=Area.Kind.COUNTRY, name="Kenya")
    nairobi = Area.objects.create(organisation=org, kind=Area.Kind.CITY, name="Nairobi", parent=kenya)
    mombasa = Area.objects.create(organisation=org, kind=Area.Kind.CITY, name="Mombasa", parent=kenya)
    for day, area, category, n in (
        (date(Y0, 4, 1), nairobi, "physical_violence", 20),
        (date(Y0, 5, 1), nairobi, "robbery", 9),
        (date(Y0, 6, 1), nairobi, "condom", 3),
        (date(Y1, 2, 1), nairobi, "physical_violence", 6),
        (date(Y1, 3, 1), nairobi, "robbery", 3),
        (date(Y1, 4, 1), mombasa, "robbery", 5),
        (date(Y1, 5, 1), mombasa, "non_payment", 2),
        (date(Y1, 7, 1), None, "threats", 1),
    ):
        _tally(IncidentTally, org, day, n, area=area, category=category)
    for month, categories in (
        (2, ["robbery"]),
        (3, ["robbery"]),
        (4, ["robbery"]),
        (5, ["robbery"]),
        (6, ["robbery", "threats"]),
        (7, ["other"]),
    ):
        _alert(org, date(Y1, month, 1), categories)
    for month in (1, 2):
        _alert(org, date(Y2, month, 1), ["police"])
    for kind, n in (("raid", 12), ("patrol", 7), ("checkpoint", 2)):
        _tally(PoliceAlertTally, org, date(Y1, 3, 1), n, kind=kind)
    for day, n in ((date(Y1, 1, 5), 10), (date(Y1, 6, 5), 20), (date(Y1, 12, 31), 3), (date(Y2, 1, 1), 4)):
        _tally(ScreeningTally, org, day, n)
    for month, event, n in (
        (2, CheckinTally.Event.PLAN, 12),
        (8, CheckinTally.Event.PLAN, 8),
        (2, CheckinTally.Event.ESCALATED_DUE, 2),
        (3, CheckinTally.Event.ESCALATED_SOS, 12),
        (9, CheckinTally.Event.ESCALATED_SILENT, 1),
    ):
        _tally(CheckinTally, org, date(Y1, month, 1), n, event=event)
    _deliveries(org)
    _rights(org)
    return {"nairobi": nairobi, "mombasa": mombasa}


def _alert(org, month: date, categories: list[str]) -> None:
    """One alert published in `month` (the only one that month), as publishing counts it."""
    for category in ("", *categories):
        _tally(AlertTally, org, month, 1, category=category)


def _deliveries(org) -> None:
    dispatch = Dispatch.objects.create(organisation=org, topic=Topic.TEST)
    member = Membership.objects.filter(organisation=org).first()
    sent, dead, gone, pending = (
        Delivery.Status.SENT,
        Delivery.Status.DEAD,
        Delivery.Status.UNDELIVERABLE,
        Delivery.Status.PENDING,
    )
    rows = [
        (Channel.PUSH, sent, 8),
        (Channel.PUSH, dead, 2),
        (Channel.EMAIL, sent, 3),
        (Channel.EMAIL, gone, 1),
        (Channel.SMS, dead, 1),
        (Channel.INAPP, sent, 5),
        (Channel.PUSH, pending, 4),
    ]
    number = 0
    for channel, status, n in rows:
        for _copy in range(n):
            number += 1
            Delivery.objects.create(
                dispatch=dispatch,
                membership=member,
                channel=channel,
                status=status,
                idempotency_key=f"{org.slug}-{number}",
                created_at=moment(Y1, 4),
            )


def _rights(org) -> None:
    versions = [
        ("en", Provenance.ORIGINAL, Review.REVIEWED),
        ("es", Provenance.COMMUNITY, Review.REVIEWED),
        ("ru", Provenance.MACHINE, Review.REVIEWED),
        ("fr", Provenance.COMMUNITY, Review.DRAFT),
    ]
    first = Article.objects.create(organisation=org, topic="arrest", icon="shield")
    for language, provenance, review in versions:
        ArticleVersion.objects.create(
            article=first, language=language, title=language, provenance=provenance, review=review
        )
    second = Article.objects.create(organisation=org, topic="arrest", icon="shield")
    ArticleVersion.objects.create(
        article=second, language="es", title="es", provenance=Provenance.MACHINE, review=Review.REVIEWED
    )


def network_records(org: Organisation) -> dict:
    """One or two records of every type the network keeps. Read with test_values.py's expected figures."""
    own = {"organisation": org}
    for name, region, joined_on, left_on, in_network in (
        ("A", "africa", date(Y0, 3, 1), None, True),
        ("B", "africa", date(Y1, 5, 1), date(Y2, 2, 1), False),
        ("C", "europe", date(Y1, 7, 1), None, True),
        ("D", "asia-pacific", date(Y0, 1, 1), date(Y1, 6, 1), False),
        ("E", "europe", date(Y2, 1, 1), None, False),
    ):
        records.MemberOrganisation.objects.create(
            **own,
            name=name,
            country="KE",
            region=region,
            joined_on=joined_on,
            left_on=left_on,
            in_regional_network=in_network,
        )
    kinds = records.GovernanceEvent.Kind
    for kind, day, region in (
        (kinds.BOARD_MEETING, date(Y1, 3, 1), ""),
        (kinds.BOARD_MEETING, date(Y1, 9, 1), ""),
        (kinds.TELECONFERENCE, date(Y1, 1, 10), ""),
        (kinds.TELECONFERENCE, date(Y1, 2, 10), ""),
        (kinds.TELECONFERENCE, date(Y1, 3, 10), ""),
        (kinds.REGIONAL_NOMINATION, date(Y1, 4, 1), "africa"),
        (kinds.REGIONAL_NOMINATION, date(Y1, 4, 1), "europe"),
        (kinds.PRESIDENT_ELECTION, date(Y0, 6, 1), ""),
    ):
        records.GovernanceEvent.objects.create(**own, kind=kind, date=day, region=region)
    for start, end, unique, repeat in (
        (date(Y1, 1, 1), date(Y1, 6, 30), 100, 30),
        (date(Y1, 7, 1), date(Y1, 12, 31), 150, 20),
    ):
        records.WebsiteStat.objects.create(
            **own, period_start=start, period_end=end, unique_visitors=unique, repeat_visitors=repeat
        )
    for language, translation, pages in (
        ("en", "online", 10),
        ("es", "community", 5),
        ("es", "online", 2),
        ("fr", "community", 0),
    ):
        records.WebsiteLanguageStat.objects.create(
            **own,
            period_start=date(Y1, 1, 1),
            period_end=date(Y1, 12, 31),
            language=language,
            translation=translation,
            pages=pages,
        )
    kinds = records.Communication.Kind
    for kind, channel, day, n in (
        (kinds.MAILING_LIST, "members", date(Y1, 1, 1), 1),
        (kinds.MAILING_LIST, "members", date(Y1, 7, 1), 1),
        (kinds.MAILING_LIST, "board", date(Y1, 1, 1), 1),
        (kinds.MAILING_LIST_MESSAGE, "members", date(Y1, 2, 1), 5),
        (kinds.MAILING_LIST_MESSAGE, "board", date(Y1, 2, 1), 7),
        (kinds.SOCIAL_MEDIA_POST, "page", date(Y1, 2, 1), 3),
        (kinds.SOCIAL_MEDIA_POST, "page", date(Y1, 3, 1), 4),
        (kinds.SOCIAL_MEDIA_POST, "other page", date(Y1, 3, 1), 10),
    ):
        records.Communication.objects.create(**own, kind=kind, channel=channel, date=day, count=n)
    report = records.Publication.objects.create(
        **own, title="Report", format="report", languages=["en", "fr"], published_on=date(Y1, 1, 1)
    )
    infographic = records.Publication.objects.create(
        **own, title="Infographic", format="infographic", languages=["en", "pt"], published_on=date(Y1, 1, 1)
    )
    for publication, language, distributed, downloads in (
        (report, "en", 100, 40),
        (report, "fr", 20, 5),
        (infographic, "en", 10, 3),
        (infographic, "pt", 7, 2),
    ):
        records.PublicationStat.objects.create(
            **own,
            publication=publication,
            language=language,
            period_start=date(Y1, 1, 1),
            period_end=date(Y1, 12, 31),
            distributed=distributed,
            downloads=downloads,
        )
    recipients = records.TechnicalSupport.RecipientKind
    for kind, recipient, region, support, day in (
        (recipients.REGIONAL_NETWORK, "APNSW", "asia-pacific", "south-exchange", date(Y1, 3, 1)),
        (recipients.REGIONAL_NETWORK, "APNSW", "asia-pacific", "reporting", date(Y1, 6, 1)),
        (recipients.REGIONAL_NETWORK, "ASWA", "africa", "reporting", date(Y1, 6, 1)),
        (recipients.NATIONAL_ORGANISATION, "Org X", "africa", "governance", date(Y1, 2, 1)),
        (recipients.NATIONAL_ORGANISATION, "Org Y", "europe", "other", date(Y1, 2, 1)),
        (recipients.NATIONAL_ORGANISATION, "Org X", "africa", "membership", date(Y1, 8, 1)),
    ):
        records.TechnicalSupport.objects.create(
            **own, recipient_kind=kind, recipient=recipient, region=region, kind=support, date=day
        )
    records.MemberSurvey.objects.create(
        **own, year=Y1, responses=40, organisational_development=12, law_policy_changes=None, programme_changes=3
    )
    trainers = records.Training.TrainerKind
    by_network = records.Training.objects.create(
        **own, title="Leaders", date=date(Y1, 5, 1), region="africa", trainer_kind=trainers.NETWORK
    )
    by_peers = records.Training.objects.create(
        **own,
        title="Peers",
        date=date(Y1, 6, 1),
        region="europe",
        trainer_kind=trainers.EXPERIENCED_LEADER,
        experienced_trainers=3,
    )
    for training, region, new, young in (
        (by_network, "africa", 10, 5),
        (by_network, "europe", 1, 0),
        (by_peers, "europe", 2, 2),
    ):
        records.TrainingParticipant.objects.create(
            **own, training=training, region=region, new_leaders=new, young_leaders=young
        )
    forums = records.PolicyForum.Kind
    for kind, name, level, leaders, region in (
        (forums.FORUM, "High-level meeting", "international", 6, "africa"),
        (forums.FORUM, "Regional meeting", "regional", 2, "europe"),
        (forums.DELEGATION, "Delegation 1", "international", 0, ""),
        (forums.DELEGATION, "Delegation 2", "international", 0, ""),
        (forums.DOCUMENT, "Draft 1", "international", 0, ""),
        (forums.DOCUMENT, "Draft 2", "regional", 0, ""),
        (forums.DOCUMENT, "Draft 3", "national", 0, ""),
    ):
        records.PolicyForum.objects.create(
            **own, kind=kind, name=name, level=level, date=date(Y1, 4, 1), leaders_supported=leaders, region=region
        )
    products = records.KnowledgeProduct.Kind
    made = {}
    for kind, title, region in (
        (products.CASE_STUDY, "Case Kenya", "africa"),
        (products.CASE_STUDY, "Case Uganda", "africa"),
        (products.CASE_STUDY, "Case Spain", "europe"),
        (products.INTERVIEW, "Interview", "asia-pacific"),
        (products.BRIEFING_NOTE, "Note 1", ""),
        (products.BRIEFING_NOTE, "Note 2", ""),
        (products.DIGEST, "Digest 1", ""),
        (products.DIGEST, "Digest 2", ""),
        (products.DIGEST, "Digest 3", ""),
        (products.DIGEST, "Digest 4", ""),
    ):
        made[title] = records.KnowledgeProduct.objects.create(
            **own, kind=kind, title=title, region=region, date=date(Y1, 5, 1), summary=f"What {title} found."
        )
    for title, theme, format_ in (
        ("Guide", "health", "community-guide"),
        ("Report", "health", "report"),
        ("Film", "violence", "video"),
    ):
        records.AdvocacyTool.objects.create(
            **own, title=title, theme=theme, format=format_, languages=["en"], published_on=date(Y1, 9, 1)
        )
    march = records.Campaign.objects.create(**own, day="march-3", year=Y1)
    december = records.Campaign.objects.create(**own, day="december-17", year=Y1)
    for campaign, region, theme, n in (
        (march, "africa", "health", 4),
        (december, "africa", "violence", 3),
        (december, "europe", "violence", 5),
    ):
        records.CampaignParticipation.objects.create(
            **own, campaign=campaign, region=region, theme=theme, member_organisations=n
        )
    return made
