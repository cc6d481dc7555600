"""The engine against hand-counted figures: every computed indicator of both shipped frameworks, for the world in
figures.py (read the two side by side), with small-cell suppression as the rules in suppression.py give it.

Each expectation lists the total and the non-zero cells of each split as they are shown: "<5" a count from 1
to 4, "…" a figure hidden so that a "<5" cannot be worked out from the total.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from sombrilla.accounts.models import Organisation
from sombrilla.alerts import services as alerts
from sombrilla.alerts.models import Alert, AlertTally, PoliceAlert, PoliceAlertTally, ScreeningTally
from sombrilla.alerts.tests.factories import make_alert, make_areas
from sombrilla.checkins import services as checkins
from sombrilla.checkins.models import CheckinTally, Plan
from sombrilla.checkins.tests.factories import lapse, make_plan
from sombrilla.core import clock
from sombrilla.monitoring import selectors, services
from sombrilla.monitoring.computations import COMPUTATIONS
from sombrilla.monitoring.indicators import COMPUTE
from sombrilla.monitoring.models import Framework, Indicator, IndicatorValue
from sombrilla.monitoring.tests import figures
from sombrilla.monitoring.tests.factories import as_yaml, small_framework
from sombrilla.monitoring.tests.figures import Y0, Y1, Y2
from sombrilla.monitoring.values import Status, indicator_values

pytestmark = pytest.mark.django_db
YEARS = (Y0, Y1, Y2)


@pytest.fixture
def frameworks(db):
    return {code: services.framework_load_shipped(code=code) for code in services.SHIPPED}


@pytest.fixture
def org_m(frameworks):
    # Seven accounts now (figures.organisation), on Sombrilla since 1 January of Y0.
    org = figures.organisation("org-m", members=7)
    figures.platform(org)
    figures.network_records(org)
    return org


def values_of(code: str, organisations, years=YEARS, network=False) -> dict:
    """{(indicator code, year): Value} for a shipped framework."""
    tree = selectors.framework_tree(framework=Framework.objects.get(code=code, organisation=None))
    indicators = list(tree.impact_indicators)
    for strategy in tree.strategies.all():
        for result in strategy.results.all():
            indicators += result.indicators.all()
        for direction in strategy.directions.all():
            indicators += direction.indicators.all()
    found = indicator_values(indicators=indicators, organisations=organisations, years=years, network=network)
    by_id = {indicator.pk: indicator.code for indicator in indicators}
    return {(by_id[pk], year): value for (pk, year), value in found.items()}


def shown(value) -> dict:
    """The total and each split's cells other than "0", as the page shows them."""
    out = {"total": value.total.text}
    for breakdown in value.breakdowns:
        cells = {cell.code: cell.figure.text for cell in breakdown.cells if cell.figure.text != "0"}
        if cells:
            out[breakdown.code] = cells
    return out


def test_it_has_a_function_for_every_computation_key():
    assert set(COMPUTE) == set(COMPUTATIONS)


def test_it_computes_every_platform_indicator_as_counted_by_hand(org_m):
    got = values_of("sombrilla-platform", [org_m])
    expected = {
        # Accounts at the end of a year: 7 now, less those who joined after it, plus those who left after it.
        # Y2 (this year): 7 now. Y1: 7 - 2 joined in Y2 + 3 left in Y2 = 8. Y0: 7 - (4 + 2) + (1 + 3) = 5.
        ("P1.1", Y0): {"total": "5"},
        ("P1.1", Y1): {"total": "8"},
        ("P1.1", Y2): {"total": "7"},
        # Joins and departures (tallies): 1, 4, 2 joined and 0, 1, 3 left; every count of 1 to 4 shows as <5.
        ("P1.2", Y0): {"total": "<5"},
        ("P1.2", Y1): {"total": "<5"},
        ("P1.2", Y2): {"total": "<5"},
        ("P1.3", Y0): {"total": "0"},
        ("P1.3", Y1): {"total": "<5"},
        ("P1.3", Y2): {"total": "<5"},
        # Y0: 20 physical violence + 9 robbery + 3 condom = 32, all in Nairobi. Condom (3) is <5; alone it would
        # be 32 - 20 - 9, so the next smallest, robbery (9), is hidden too: together 12, which leaves the 3
        # anything from 1 to 4 (12 less robbery's least, 5, is 7).
        ("P2.1", Y0): {
            "total": "32",
            "incident-category": {"physical_violence": "20", "robbery": "…", "condom": "<5"},
            "area": {str(figures_area("Nairobi")): "32"},
        },
        # Y1: 6 + 3 + 5 + 2 + 1 = 17; by category physical violence 6, robbery 3 + 5 = 8, non-payment 2,
        # threats 1. The two small ones (2 and 1) make 3; with physical violence (6) hidden too, 9 less the
        # least of the others (1 + 5) leaves non-payment at most 3, which says it is not 4: robbery (8) goes
        # too, and 17 - (1 + 5 + 5) = 6 leaves each small one free. By area: Nairobi 6 + 3 = 9, Mombasa
        # 5 + 2 = 7, no area 1: the 1 hides Mombasa (7), then 8 - 5 = 3 < 4 hides Nairobi (9) as well.
        ("P2.1", Y1): {
            "total": "17",
            "incident-category": {"physical_violence": "…", "robbery": "…", "non_payment": "<5", "threats": "<5"},
            "area": {str(figures_area("Mombasa")): "…", str(figures_area("Nairobi")): "…", "none": "<5"},
        },
        ("P2.1", Y2): {"total": "0"},
        # Y1: six alerts; robbery in five, threats in one (with robbery), other in one. Threats and other are
        # <5 (1 and 1); hiding robbery (5) too makes 7, and 7 - (1 + 5) = 1 would pin each small one to 1, with
        # nothing left to hide: so none of the three says "<5" (rule 4), all three are "…". The total is shown.
        ("P2.2", Y1): {"total": "6", "incident-category": {"robbery": "…", "threats": "…", "other": "…"}},
        # Y2: two alerts about police: the total and the cell are both <5.
        ("P2.2", Y2): {"total": "<5", "incident-category": {"police": "<5"}},
        ("P2.2", Y0): {"total": "0"},
        # Police alerts: 12 raids, 7 patrols, 2 checkpoints = 21. Checkpoints (2) are <5; patrols (7) hidden
        # with them make 9, and 9 - 5 = 4: safe.
        ("P2.3", Y1): {"total": "21", "police-kind": {"raid": "12", "patrol": "…", "checkpoint": "<5"}},
        # Screenings: Y1 10 + 20 + 3 = 33 (31 December counts in Y1); Y2 4 (1 January).
        ("P2.4", Y0): {"total": "0"},
        ("P2.4", Y1): {"total": "33"},
        ("P2.4", Y2): {"total": "<5"},
        # Check-in plans Y1: 12 + 8 = 20. Alerts raised: 2 due, 12 SOS, 1 silent = 15; the two small ones make 3,
        # SOS (12) hidden with them makes 15, and 15 - (1 + 5) = 9 leaves each free.
        ("P3.1", Y1): {"total": "20"},
        ("P3.1", Y2): {"total": "0"},
        ("P3.2", Y1): {"total": "15", "escalation-reason": {"due": "<5", "sos": "…", "silent": "<5"}},
        # Deliveries outside the app that are finished: push 8 sent of 10, email 3 of 4 (one undeliverable),
        # SMS 0 of 1: 11 of 15 = 73.3 %. The in-app ones and the pending push ones are not counted. Messages,
        # not people: nothing is hidden.
        ("P4.1", Y1): {"total": "73.3%", "channel": {"push": "80%", "email": "75%", "sms": "0%"}},
        ("P4.1", Y0): {"total": "—"},
        # Reviewed versions: en (original), es (community, and machine in a second article), ru (machine); the
        # French one is a draft. 3 languages; machine (online) in es and ru; community in es. Only this year.
        ("P5.1", Y2): {"total": "3", "translation": {"online": "2", "community": "1"}},
        ("P5.1", Y1): {"total": "—"},
    }
    assert {key: shown(got[key]) for key in expected} == expected


def figures_area(name: str):
    """The id of an area of org-m, as the area split names its cells."""
    from sombrilla.accounts.models import Area

    return Area.objects.get(name=name, organisation__slug="org-m").pk


def test_it_computes_every_nswp_indicator_from_the_records_as_counted_by_hand(org_m):
    got = values_of("nswp-2022-25", [org_m])
    expected = {
        # Members at the end of a year: Y0 A and D (D leaves in Y1); Y1 A, B, C; Y2 A, C, E (B left in Y2).
        ("1.1.1", Y0): {"total": "2", "region": {"africa": "1", "asia-pacific": "1"}},
        ("1.1.1", Y1): {"total": "3", "region": {"africa": "2", "europe": "1"}},
        ("1.1.1", Y2): {"total": "3", "region": {"africa": "1", "europe": "2"}},
        # Joined: A and D in Y0, B and C in Y1, E in Y2. Organisations, not people: nothing hidden.
        ("1.1.2", Y0): {"total": "2", "region": {"africa": "1", "asia-pacific": "1"}},
        ("1.1.2", Y1): {"total": "2", "region": {"africa": "1", "europe": "1"}},
        ("1.1.2", Y2): {"total": "1", "region": {"europe": "1"}},
        # Also in a regional network: A (from Y0) and C (from Y1).
        ("1.1.3", Y0): {"total": "1", "region": {"africa": "1"}},
        ("1.1.3", Y1): {"total": "2", "region": {"africa": "1", "europe": "1"}},
        # Two board meetings in Y1, none in Y0.
        ("1.2.1", Y0): {"total": "no"},
        ("1.2.1", Y1): {"total": "yes"},
        ("1.2.2", Y1): {"total": "3"},
        # The president was elected in Y0 only.
        ("1.2.3", Y0): {"total": "yes"},
        ("1.2.3", Y1): {"total": "no"},
        # Regional nominations in Y1 from Africa and Europe.
        ("1.2.4", Y1): {
            "total": "yes",
            "region": {
                "africa": "yes",
                "asia-pacific": "no",
                "europe": "yes",
                "latin-america": "no",
                "north-america-caribbean": "no",
            },
        },
        # Languages with pages in Y1: en (online), es (community and online); French has 0 pages.
        ("1.3.1", Y1): {"total": "2", "translation": {"online": "2", "community": "1"}},
        ("1.3.2", Y1): {"total": "250"},
        ("1.3.3", Y1): {"total": "50"},
        # Mailing lists "members" (on two days, counted once) and "board"; messages 5 + 7; posts 3 + 4 + 10.
        ("1.3.4", Y1): {"total": "2"},
        ("1.3.5", Y1): {"total": "12"},
        ("1.3.6", Y1): {"total": "17"},
        # Distributed: report en 100 + fr 20, infographic en 10 + pt 7 (Portuguese is "other") = 137.
        ("1.3.7", Y1): {
            "total": "137",
            "language": {"en": "110", "fr": "20", "other": "7"},
            "format": {"full": "120", "infographic": "17"},
        },
        # Downloads: 40 + 5 + 3 + 2 = 50.
        ("1.3.8", Y1): {
            "total": "50",
            "language": {"en": "43", "fr": "5", "other": "2"},
            "format": {"full": "45", "infographic": "5"},
        },
        # Regional networks supported in Y1: APNSW (twice) and ASWA, each once; by type, reporting for both.
        ("2A.1", Y1): {"total": "2", "region": {"africa": "1", "asia-pacific": "1"}},
        ("2A.4", Y1): {"total": "2", "support-type": {"south-exchange": "1", "reporting": "2"}},
        # National organisations: Org X (twice) and Org Y.
        ("2B.2", Y1): {"total": "2", "region": {"africa": "1", "europe": "1"}},
        # The Y1 survey asked about organisations and programmes, not law and policy; there was none in Y0.
        ("2A.6", Y1): {
            "total": "yes",
            "survey-topic": {"organisations": "yes", "law-policy": "no", "programmes": "yes"},
        },
        ("2A.6", Y0): {
            "total": "no",
            "survey-topic": {"organisations": "no", "law-policy": "no", "programmes": "no"},
        },
        # People: leaders trained by the network 10 + 5 from Africa and 1 from Europe = 16. Europe's 1 is <5;
        # Africa's 15 hidden with it makes 16, and 16 - 5 = 11 leaves the 1 free.
        ("2B.4", Y1): {"total": "16", "region": {"africa": "…", "europe": "<5"}},
        # 2 + 2 leaders trained by 3 experienced leaders: all under 5.
        ("2B.5", Y1): {"total": "<5", "region": {"europe": "<5"}},
        ("2B.6", Y1): {"total": "<5", "region": {"europe": "<5"}},
        # Leaders at forums: 6 (international, Africa) + 2 (regional, Europe) = 8. The 2 with the 6 make 8, and
        # 8 - 5 = 3 would say the 2 is not 4; with nothing left to hide, neither cell says "<5" (rule 4).
        ("3.1.1", Y1): {
            "total": "8",
            "region": {"africa": "…", "europe": "…"},
            "level": {"international": "…", "regional": "…"},
        },
        ("3.1.2", Y1): {"total": "2"},
        ("3.1.3", Y1): {"total": "3"},
        # Tools: a community guide (short) and a report (full) on health, a video on violence.
        ("3.2.1", Y1): {
            "total": "3",
            "format": {"full": "1", "short": "1", "video": "1"},
            "theme": {"health": "2", "violence": "1"},
        },
        ("3.2.3", Y1): {"total": "3", "region": {"africa": "2", "europe": "1"}},
        ("3.2.4", Y1): {"total": "1", "region": {"asia-pacific": "1"}},
        ("3.2.5", Y1): {"total": "2"},
        ("3.2.7", Y1): {"total": "4"},
        ("3.4.1", Y1): {"total": "2", "commemorative-day": {"march-3": "1", "december-17": "1"}},
        # Member organisations taking part: 4 + 3 + 5 = 12; Africa 4 + 3, Europe 5; health 4, violence 3 + 5.
        ("3.4.2", Y1): {
            "total": "12",
            "region": {"africa": "7", "europe": "5"},
            "theme": {"health": "4", "violence": "8"},
        },
    }
    assert {key: shown(got[key]) for key in expected} == expected


def test_it_gives_no_data_for_years_to_come_and_before_the_organisation_used_sombrilla(org_m):
    got = values_of("sombrilla-platform", [org_m], years=[Y0 - 1, Y2 + 1])
    assert {got[("P1.1", year)].status for year in (Y0 - 1, Y2 + 1)} == {Status.NO_DATA}
    assert got[("P2.4", Y2 + 1)].total.text == "—"
    nswp = values_of("nswp-2022-25", [org_m], years=[Y2 + 1])
    assert nswp[("1.1.1", Y2 + 1)].total.missing


def test_it_keeps_no_number_for_a_hidden_figure(org_m):
    """A hidden figure leaves the engine as its mark only, so no page or export can show it by mistake."""
    got = values_of("sombrilla-platform", [org_m])
    hidden = [
        cell.figure
        for value in got.values()
        for breakdown in value.breakdowns
        for cell in breakdown.cells
        if cell.figure.hidden
    ] + [value.total for value in got.values() if value.total.hidden]
    assert len(hidden) > 10
    assert all(figure.number is None and figure.text in ("<5", "…") for figure in hidden)


def test_it_judges_a_hidden_figure_only_where_any_value_under_5_gives_the_same_answer(org_m):
    new_members = Indicator.objects.get(code="P1.2")  # 4 joined in Y1, shown as <5
    for target, status in (("3", Status.NO_DATA), ("5", Status.BEHIND), ("1", Status.ON_TRACK)):
        new_members.targets.update_or_create(year=Y1, defaults={"value": Decimal(target)})
        assert values_of("sombrilla-platform", [org_m])[("P1.2", Y1)].status == status, target
    members = Indicator.objects.get(code="P1.1")  # 8 at the end of Y1
    members.targets.create(year=Y1, value=Decimal(8))
    members.targets.create(year=Y0, value=Decimal(6))
    got = values_of("sombrilla-platform", [org_m])
    assert (got[("P1.1", Y1)].status, got[("P1.1", Y0)].status, got[("P1.1", Y2)].status) == (
        Status.ON_TRACK,
        Status.BEHIND,
        Status.NO_TARGET,
    )


def test_it_adds_up_the_sharing_organisations_for_the_network_without_their_areas(org_m):
    other = figures.organisation("org-n", members=3)
    ScreeningTally.objects.create(organisation=other, day=figures.moment(Y1, 2).date(), count=10)
    private = figures.organisation("org-p", members=50, shares=False)
    ScreeningTally.objects.create(organisation=private, day=figures.moment(Y1, 2).date(), count=1000)
    sharing = Organisation.objects.filter(shares_with_network=True)
    got = values_of("sombrilla-platform", sharing, network=True)
    # Screenings: 33 (org-m) + 10 (org-n); accounts at the end of Y1: 8 + 3 (org-n has no tallies: 3 now).
    assert got[("P2.4", Y1)].total.text == "43"
    assert got[("P1.1", Y1)].total.text == "11"
    # The split by area belongs to one organisation: the network's view has only the framework's categories.
    assert [breakdown.code for breakdown in got[("P2.1", Y1)].breakdowns] == ["incident-category"]
    # Board meetings across organisations: yes in one of the two.
    nswp = values_of("nswp-2022-25", sharing, network=True)
    assert nswp[("1.2.1", Y1)].total.text == "yes in 1 of 2 organisations"


def _enter(actor, code, year, **fields):
    indicator = Indicator.objects.get(code=code, framework__code="nswp-2022-25")
    return services.indicator_value_save(actor=actor, indicator=indicator, year=year, evidence_note="minutes", **fields)


def test_it_takes_figures_entered_by_hand_and_adds_them_up_for_the_network(frameworks, people, org_b):
    carol, mallory = people["carol"], people["mallory"]
    platforms = Indicator.objects.get(code="1.3.9").disaggregations.get().categories
    _enter(carol, "1.3.9", Y1, value=Decimal(4))
    _enter(carol, "1.3.9", Y1, value=Decimal(3), category=platforms.get(code="africa"))
    _enter(carol, "1.3.9", Y1, value=Decimal(1), category=platforms.get(code="europe"))
    _enter(mallory, "1.3.9", Y1, value=Decimal(6))
    _enter(carol, "1.2.5", Y1, numerator=Decimal(3), denominator=Decimal(4))
    _enter(mallory, "1.2.5", Y1, numerator=Decimal(1), denominator=Decimal(4))
    _enter(carol, "1.1.4", Y1, yes_no=True)
    _enter(mallory, "1.1.4", Y1, yes_no=False)
    _enter(carol, "R1.1", Y1, narrative="Members met in Nairobi and shared what works.")
    own = values_of("nswp-2022-25", [carol.organisation], years=[Y1])
    # Entered by hand, about the organisation's work rather than members: shown as entered, 4 and 1 included;
    # a region nobody entered has no figure (not 0).
    none = dict.fromkeys(["asia-pacific", "latin-america", "north-america-caribbean"], "—")
    assert shown(own[("1.3.9", Y1)]) == {"total": "4", "region": {"africa": "3", "europe": "1", **none}}
    assert own[("1.3.9", Y1)].source == "entered"
    # 3 of 4 new board members inducted: 75 %.
    assert (own[("1.2.5", Y1)].total.text, own[("1.1.4", Y1)].total.text) == ("75%", "yes")
    assert own[("R1.1", Y1)].narrative == "Members met in Nairobi and shared what works."
    network = values_of("nswp-2022-25", [carol.organisation, org_b], years=[Y1], network=True)
    # 4 + 6; (3 + 1) of (4 + 4) = 50 %; one of the two said yes; one narrative, whose text stays its own.
    assert network[("1.3.9", Y1)].total.text == "10"
    assert network[("1.2.5", Y1)].total.text == "50%"
    assert network[("1.1.4", Y1)].total.text == "yes in 1 of 2 organisations"
    assert network[("R1.1", Y1)].narrative == "documented by 1 organisation"
    assert "Nairobi" not in repr(network[("R1.1", Y1)])


def _without_comments(text: str) -> str:
    return "".join(line for line in text.splitlines(True) if not line.startswith("#"))


def test_it_ships_the_platform_framework_in_english_and_russian_exactly_as_the_export_writes_it(frameworks):
    platform = frameworks["sombrilla-platform"]
    shipped = services.SHIPPED["sombrilla-platform"].read_text()
    assert _without_comments(services.framework_export(framework=platform)) == _without_comments(shipped)
    indicators = list(Indicator.objects.filter(framework=platform))
    # Every platform key has its indicator, and every indicator is computed.
    assert sorted(i.computation for i in indicators) == sorted(k for k in COMPUTATIONS if k.startswith("platform."))
    for indicator in indicators:
        assert set(indicator.name) == {"en", "ru"}, indicator.code
        assert COMPUTATIONS[indicator.computation].kind == indicator.kind


def test_it_keeps_figures_entered_by_hand_through_a_corrected_framework_file(people):
    carol = people["carol"]
    data = small_framework("own")
    framework = services.framework_import(data=as_yaml(data), organisation=carol.organisation)
    indicator = framework.indicators.get(code="2.1.3")
    services.indicator_value_save(actor=carol, indicator=indicator, year=Y1, value=Decimal(9), evidence_note="x")
    data["strategies"][1]["directions"][0]["indicators"].pop()  # 2.1.3 left out of the corrected file
    with pytest.raises(services.MonitoringError, match="recorded data still uses"):
        services.framework_import(data=as_yaml(data), organisation=carol.organisation, replace=True)
    assert framework.indicators.filter(code="2.1.3").exists()
    # A file that keeps the indicator updates it in place: the figure stays with it.
    data["strategies"][1]["directions"][0]["indicators"].append(
        {"code": "2.1.3", "name": {"en": "Renamed"}, "kind": "count"}
    )
    services.framework_import(data=as_yaml(data), organisation=carol.organisation, replace=True)
    assert IndicatorValue.objects.get().indicator.text() == "Renamed"


def test_it_counts_check_ins_from_tallies_that_outlive_the_purge_of_the_plans(frameworks, people):
    """Through the real check-in services: three plans (one an SOS made on the spot), one lapsing without a
    check-in and one checked in with the duress PIN; then every plan is purged and the figures stay."""
    alice = people["alice"]
    checkins.safety_settings_update(membership=alice, grace_minutes=15, pin="2468", duress_pin="1357")
    lapse(make_plan(alice), 60 + 15 + 1)
    checkins.plan_check_in(actor=alice, plan=make_plan(alice), pin="1357")
    checkins.plan_sos(actor=alice)
    with clock.travel(timedelta(days=400)):
        Plan.objects.update(delete_after=clock.now())
        checkins.plans_purge()
    assert not Plan.objects.exists()
    got = values_of("sombrilla-platform", [alice.organisation], years=[Y2])
    # 3 plans; alerts raised: 1 lapsed (due), 1 SOS, 1 in silence (duress): each under 5, and so the total.
    assert shown(got[("P3.1", Y2)]) == {"total": "<5"}
    assert shown(got[("P3.2", Y2)]) == {"total": "<5", "escalation-reason": {"due": "<5", "sos": "<5", "silent": "<5"}}
    assert {row.event: row.count for row in CheckinTally.objects.all()} == {
        "plan": 3,
        "escalated_due": 1,
        "escalated_sos": 1,
        "escalated_silent": 1,
    }


def test_it_counts_alerts_and_police_alerts_from_tallies_that_outlive_the_purge(frameworks, people):
    """Through the real alert services: five alerts about clients and six police alerts published, one police
    alert waiting and one rejected; then everything expires and is purged, and the figures stay."""
    alice, bob = people["alice"], people["bob"]
    areas = make_areas(alice.organisation)
    for number in range(5):
        make_alert(bob, alice, areas["nairobi"], phone=f"+25470000000{number}")
    for _number in range(6):
        police_alert = alerts.police_alert_create(actor=alice, area=areas["nairobi"], kind="raid", minutes_ago=0)
        alerts.police_alert_approve(actor=bob, police_alert=police_alert)
    alerts.police_alert_create(actor=alice, area=areas["nairobi"], kind="patrol", minutes_ago=0)
    refused = alerts.police_alert_create(actor=alice, area=areas["nairobi"], kind="checkpoint", minutes_ago=0)
    alerts.police_alert_reject(actor=bob, police_alert=refused)
    with clock.travel(timedelta(days=400)):
        alerts.alerts_purge()
    assert not Alert.objects.exists() and not PoliceAlert.objects.exists()
    got = values_of("sombrilla-platform", [alice.organisation], years=[Y2])
    # Each report (make_report) names non-payment and threats: every alert counts once in each.
    assert shown(got[("P2.2", Y2)]) == {"total": "5", "incident-category": {"non_payment": "5", "threats": "5"}}
    assert shown(got[("P2.3", Y2)]) == {"total": "6", "police-kind": {"raid": "6"}}
    assert set(AlertTally.objects.values_list("category", "count")) == {("", 5), ("non_payment", 5), ("threats", 5)}
    assert list(PoliceAlertTally.objects.values_list("kind", "count")) == [("raid", 6)]
