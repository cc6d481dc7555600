"""The computations an indicator can name as its `computation`: each key says what Sombrilla will count from
its records, and of what kind the value is. Later work implements each key; a framework file may only name
the keys listed here, so an indicator can never wait for a computation nobody will write.

Figures drawn from individual people (`people`: the leaders trained, and every figure of Sombrilla's own use:
members, reports, screenings, check-ins) are subject to small-cell suppression when they are shown
(suppression.py); the rest count organisations, events, messages and documents. Each key is implemented by one
function in indicators.py.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sombrilla.monitoring.models import Kind


@dataclass(frozen=True)
class Computation:
    kind: str
    description: str | Promise
    people: bool = False


COMPUTATIONS: dict[str, Computation] = {
    # Membership (member organisation records: joined, left, region, also in a regional network).
    "members.total": Computation(Kind.COUNT, _("Member organisations at the end of the period; by region.")),
    "members.new": Computation(Kind.COUNT, _("Member organisations that joined during the period; by region.")),
    "members.in_regional_network": Computation(
        Kind.COUNT,
        _("Member organisations at the end of the period that are also members of a regional network; by region."),
    ),
    # Governance (board meetings, teleconferences, elections and nominations).
    "governance.board_meeting_held": Computation(Kind.YES_NO, _("Yes if a board meeting was held in the period.")),
    "governance.teleconferences": Computation(Kind.COUNT, _("Board teleconferences held in the period.")),
    "governance.president_elected": Computation(
        Kind.YES_NO, _("Yes if an election of the president was held in the period.")
    ),
    "governance.regional_nominations": Computation(
        Kind.YES_NO, _("Yes if regional candidates for the board were nominated in the period; by region.")
    ),
    # Communication (website statistics imported per period, mailing lists, social media, publications).
    "website.languages": Computation(
        Kind.COUNT,
        _("Languages the website has content in at the end of the period; by translation type (online or community)."),
    ),
    "website.unique_visitors": Computation(Kind.COUNT, _("Unique website visitors in the period.")),
    "website.repeat_visitors": Computation(Kind.COUNT, _("Returning website visitors in the period.")),
    "communications.mailing_lists": Computation(Kind.COUNT, _("Mailing lists active in the period.")),
    "communications.mailing_list_messages": Computation(Kind.COUNT, _("Messages sent to mailing lists in the period.")),
    "communications.social_media_posts": Computation(Kind.COUNT, _("Posts on social-media pages in the period.")),
    "publications.distributed": Computation(
        Kind.COUNT, _("Publications distributed in the period (distribution counts); by format and language.")
    ),
    "publications.downloads": Computation(
        Kind.COUNT, _("Publications downloaded from the website in the period; by format and language.")
    ),
    # Capacity building (technical support, trainings and their participants, the member survey).
    "support.regional_networks": Computation(
        Kind.COUNT,
        _("Regional networks given technical or organisational support in the period, each once; by region and type."),
    ),
    "support.national_organisations": Computation(
        Kind.COUNT,
        _("National organisations given technical or organisational support in the period, each once; by region."),
    ),
    "survey.conducted": Computation(
        Kind.YES_NO, _("Yes if the annual member survey ran in the period; by the topics it asked about.")
    ),
    "trainings.leaders_trained_by_network": Computation(
        Kind.COUNT, _("Young and new leaders trained by the network in the period, each once; by region."), people=True
    ),
    "trainings.leaders_trained_by_peers": Computation(
        Kind.COUNT,
        _("Young and new leaders trained by experienced leaders in the period, each once; by region."),
        people=True,
    ),
    "trainings.experienced_trainers": Computation(
        Kind.COUNT,
        _("Experienced leaders who trained young and new leaders in the period, each once; by region."),
        people=True,
    ),
    # Policy forums (forums, delegations, documents commented on).
    "forums.leaders_supported": Computation(
        Kind.COUNT,
        _("Leaders who took part in policy forums with the network's support, each once; by forum level and region."),
        people=True,
    ),
    "forums.delegations": Computation(
        Kind.COUNT, _("Delegations and advisory bodies with a representative of the network in the period.")
    ),
    "forums.documents_commented": Computation(
        Kind.COUNT, _("Draft documents by others that the network commented on in the period.")
    ),
    # Evidence and advocacy (case studies, interviews, briefing notes, digests, advocacy tools).
    "research.country_case_studies": Computation(Kind.COUNT, _("Country case studies carried out; by region.")),
    "research.key_informant_interviews": Computation(Kind.COUNT, _("Key-informant interviews carried out; by region.")),
    "research.briefing_notes": Computation(Kind.COUNT, _("Briefing notes and statements prepared for publication.")),
    "research.digests": Computation(Kind.COUNT, _("Issues of the digest prepared for publication.")),
    "advocacy_tools.produced": Computation(
        Kind.COUNT, _("Advocacy tools produced in the period; by theme and format.")
    ),
    # Mobilisation (campaigns on the commemorative days, members taking part).
    "campaigns.commemorative_days": Computation(
        Kind.COUNT, _("Campaigns the network promoted on the commemorative days; by day.")
    ),
    "campaigns.participating_members": Computation(
        Kind.COUNT, _("Member organisations that took part in mobilisation campaigns, each once; by theme and region.")
    ),
    # Sombrilla's own use (the shipped "sombrilla-platform" framework), from the unlinked tallies that outlive
    # the purges (accounts.MembershipTally; alerts.IncidentTally, AlertTally, PoliceAlertTally and ScreeningTally;
    # checkins.CheckinTally) and, where there is none, from the rows still held.
    "platform.members": Computation(
        Kind.COUNT, _("Accounts in the organisation at the end of the period (every role)."), people=True
    ),
    "platform.members_new": Computation(Kind.COUNT, _("Accounts that joined during the period."), people=True),
    "platform.members_left": Computation(Kind.COUNT, _("Accounts deleted during the period."), people=True),
    "platform.reports": Computation(
        Kind.COUNT,
        _(
            "Incidents reported that happened in the period, from reports whose authors agreed to anonymous "
            "statistics; a report naming several categories counts once in each; by category and area."
        ),
        people=True,
    ),
    "platform.alerts": Computation(
        Kind.COUNT,
        _(
            "Alerts about clients published in the period; an alert naming several categories counts once in each; "
            "by category."
        ),
        people=True,
    ),
    "platform.police_alerts": Computation(
        Kind.COUNT, _("Police alerts published in the period; by kind."), people=True
    ),
    "platform.screenings": Computation(Kind.COUNT, _("Client identifiers checked in the period."), people=True),
    "platform.checkin_plans": Computation(
        Kind.COUNT, _("Check-in plans made in the period, SOS included."), people=True
    ),
    "platform.checkin_escalations": Computation(
        Kind.COUNT, _("Check-in plans that raised an alert in the period; by reason."), people=True
    ),
    "platform.delivery_success": Computation(
        Kind.PERCENTAGE,
        _(
            "Notifications outside the app (push, email, SMS) made in the period that were delivered, of those "
            "finished and still held; by channel."
        ),
    ),
    "platform.rights_languages": Computation(
        Kind.COUNT,
        _(
            "Languages with reviewed rights guides now (the current period only); by translation type: online "
            "(machine) or by the community."
        ),
    ),
}
