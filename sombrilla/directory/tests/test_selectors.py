"""The directory's reads: filters (child areas included), the stars counted in one query, notes without their
authors, the moderation and referral queues, and 404 for anything outside the reader's organisation or rights."""

import dataclasses

import pytest
from django.http import Http404

from sombrilla.alerts.tests.factories import make_areas
from sombrilla.directory import selectors, services
from sombrilla.directory.models import Cost, ServiceKind
from sombrilla.directory.selectors import Filters
from sombrilla.directory.tests.factories import make_service

pytestmark = pytest.mark.django_db


def _names(actor, **filters) -> list[str]:
    return [service.name for service in selectors.services_list(actor=actor, filters=Filters(**filters))]


@pytest.fixture
def listed(carol, areas):
    """Five services across kinds, costs and areas: Kenya > Nairobi > Westlands, and Mombasa."""
    return {
        "clinic": make_service(carol, name="A Clinic", area=areas["westlands"], languages="English, Kiswahili"),
        "night": make_service(
            carol, name="B Night", kind=ServiceKind.PREP_PEP, area=areas["nairobi"], anonymous=False, cost=Cost.LOW
        ),
        "lawyers": make_service(
            carol, name="C Lawyers", kind=ServiceKind.LEGAL_AID, area=areas["kenya"], sex_worker_friendly=False
        ),
        "shelter": make_service(
            carol, name="D Shelter", kind=ServiceKind.SHELTER, area=areas["mombasa"], languages="Somali", cost="paid"
        ),
        "nowhere": make_service(carol, name="E Line", kind=ServiceKind.MENTAL_HEALTH, languages="FRENCH"),
    }


class TestList:
    def test_it_filters_by_kind_cost_anonymity_friendliness_and_language(self, alice, listed):
        assert _names(alice) == ["A Clinic", "B Night", "C Lawyers", "D Shelter", "E Line"]
        assert _names(alice, kind=ServiceKind.LEGAL_AID) == ["C Lawyers"]
        assert _names(alice, anonymous=True) == ["A Clinic", "C Lawyers", "D Shelter", "E Line"]
        assert _names(alice, free=True) == ["A Clinic", "C Lawyers", "E Line"]
        assert _names(alice, sex_worker_friendly=True) == ["A Clinic", "B Night", "D Shelter", "E Line"]
        assert _names(alice, language=" french ") == ["E Line"]
        assert _names(alice, language="swahili") == ["A Clinic", "B Night", "C Lawyers"]
        assert _names(alice, free=True, anonymous=True, language="kiswahili") == ["A Clinic", "C Lawyers"]

    def test_an_area_takes_in_the_areas_inside_it(self, alice, listed, areas):
        assert _names(alice, area_id=areas["kenya"].pk) == ["A Clinic", "B Night", "C Lawyers", "D Shelter"]
        assert _names(alice, area_id=areas["nairobi"].pk) == ["A Clinic", "B Night"]
        assert _names(alice, area_id=areas["westlands"].pk) == ["A Clinic"]
        assert _names(alice, area_id=areas["mombasa"].pk) == ["D Shelter"]

    def test_it_shows_only_the_readers_organisation_and_hides_inactive_services_from_members(
        self, alice, carol, olga, mallory, listed
    ):
        theirs = make_service(mallory, name="Other Org Clinic")
        services.service_set_active(actor=carol, service=listed["night"], active=False)
        assert "B Night" not in _names(alice)
        assert [s.name for s in selectors.services_list(actor=carol, include_inactive=True)][:2] == [
            "A Clinic",
            "B Night",
        ]
        assert _names(olga) == ["Other Org Clinic"]
        assert theirs.name not in _names(alice)
        # An area id of another organisation filters to nothing rather than leaking its services.
        elsewhere = make_areas(mallory.organisation, names=("Mexico", "CDMX", "Roma", "Puebla"))
        assert _names(alice, area_id=elsewhere["kenya"].pk) == []

    def test_analysts_get_a_404(self, nina, listed):
        with pytest.raises(Http404):
            selectors.services_list(actor=nina)

    def test_it_counts_the_stars_of_every_service_in_one_query(self, people, listed, django_assert_num_queries):
        for person, stars in (("alice", 5), ("bob", 1), ("carol", 2), ("dana", 3)):
            for service in listed.values():
                services.rating_save(actor=people[person], service=service, stars=stars)
        services.rating_save(actor=people["alice"], service=listed["clinic"], stars=5, note="Pending note.")
        with django_assert_num_queries(1):
            shown = [
                (s.name, s.area.name if s.area else None, s.stars_average, s.stars_count)
                for s in selectors.services_list(
                    actor=people["alice"], filters=Filters(area_id=listed["clinic"].area_id)
                )
            ]
        # alice's note waits for a moderator, so her five stars do not count yet: bob 1, carol 2, dana 3.
        assert shown == [("A Clinic", "Westlands", 2.0, 3)]
        every = {s.name: (s.stars_average, s.stars_count) for s in selectors.services_list(actor=people["alice"])}
        assert every["B Night"] == (2.75, 4)

    def test_a_service_page_404s_outside_the_organisation_for_analysts_and_when_hidden(
        self, alice, carol, nina, mallory, listed
    ):
        clinic = listed["clinic"]
        assert selectors.service_get_for_member(actor=alice, service_id=clinic.pk) == clinic
        services.service_set_active(actor=carol, service=clinic, active=False)
        for actor in (alice, nina, mallory):
            with pytest.raises(Http404):
                selectors.service_get_for_member(actor=actor, service_id=clinic.pk)
        assert selectors.service_get_for_staff(actor=carol, service_id=clinic.pk) == clinic
        for actor in (alice, mallory):
            with pytest.raises(Http404):
                selectors.service_get_for_staff(actor=actor, service_id=clinic.pk)


class TestNotes:
    def test_published_notes_carry_no_author_and_leave_out_pending_rejected_and_suspended(self, org_a, people, clinic):
        from sombrilla.accounts import services as account_services
        from sombrilla.conftest import make_member

        alice, bob, carol, dana = (people[name] for name in ("alice", "bob", "carol", "dana"))
        erin = make_member(org_a, "erin")
        for actor, stars, note in ((alice, 5, "Kind nurses."), (erin, 4, "Quick."), (carol, 1, "Names someone.")):
            rating = services.rating_save(actor=actor, service=clinic, stars=stars, note=note)
            services.rating_moderate(actor=bob, rating=rating, publish=note != "Names someone.", reason="Names.")
        services.rating_save(actor=dana, service=clinic, stars=2, note="Waiting.")
        services.rating_save(actor=bob, service=clinic, stars=3)
        notes = selectors.published_notes(service=clinic)
        assert {(n.stars, n.note) for n in notes} == {(5, "Kind nurses."), (4, "Quick.")}
        assert {field.name for field in dataclasses.fields(notes[0])} == {"stars", "note", "created_at"}
        account_services.membership_suspend(actor=dana, membership=erin)
        assert [n.note for n in selectors.published_notes(service=clinic)] == ["Kind nurses."]

    def test_moderators_see_the_queue_oldest_first_with_authors_and_others_get_a_404(self, people, clinic, mallory):
        alice, bob = people["alice"], people["bob"]
        first = services.rating_save(actor=alice, service=clinic, stars=5, note="First.")
        second = services.rating_save(actor=people["carol"], service=clinic, stars=4, note="Second.")
        services.rating_save(actor=people["dana"], service=clinic, stars=4)
        make_service(mallory, name="Elsewhere")
        queue = list(selectors.ratings_to_moderate(actor=bob))
        assert queue == [first, second]
        assert queue[0].membership.account.pseudonym == "alice"
        for person in ("alice", "nina"):
            with pytest.raises(Http404):
                selectors.ratings_to_moderate(actor=people[person])
            with pytest.raises(Http404):
                selectors.rating_get_for_moderator(actor=people[person], rating_id=first.pk)
        assert list(selectors.ratings_to_moderate(actor=mallory)) == []
        with pytest.raises(Http404):
            selectors.rating_get_for_moderator(actor=mallory, rating_id=first.pk)


class TestReferrals:
    def test_the_staff_queue_shows_open_requests_first_the_longest_waiting_on_top(self, people, clinic, olga):
        from datetime import timedelta

        from sombrilla.core import clock

        alice, carol = people["alice"], people["carol"]
        made = []
        for days in range(5):
            with clock.travel(timedelta(minutes=days)):
                made.append(services.referral_request(actor=alice, kind=ServiceKind.OTHER, message=str(days)))
        services.referral_answer(actor=carol, referral=made[0], answer="Answered.")
        services.referral_close(actor=alice, referral=made[1])
        services.referral_request(actor=olga, kind=ServiceKind.OTHER)
        assert [r.message for r in selectors.referrals_for_staff(actor=carol)] == ["2", "3", "4", "0", "1"]
        assert [r.message for r in selectors.referrals_for_staff(actor=carol, status="answered")] == ["0"]
        for person in ("alice", "bob", "nina"):
            with pytest.raises(Http404):
                selectors.referrals_for_staff(actor=people[person])
        with pytest.raises(Http404):
            selectors.referral_get_for_staff(actor=people["mallory"], referral_id=made[2].pk)

    def test_members_see_only_their_own_requests(self, alice, erin, clinic):
        mine = services.referral_request(actor=alice, service=clinic)
        theirs = services.referral_request(actor=erin, service=clinic)
        assert list(selectors.referrals_of(actor=alice)) == [mine]
        assert selectors.referral_get_for_member(actor=alice, referral_id=mine.pk) == mine
        with pytest.raises(Http404):
            selectors.referral_get_for_member(actor=alice, referral_id=theirs.pk)


def test_offline_urls_are_the_list_and_each_active_service_of_the_members_organisation(
    alice, carol, nina, mallory, listed
):
    services.service_set_active(actor=carol, service=listed["night"], active=False)
    make_service(mallory, name="Elsewhere")
    expected = ["/services/"] + [f"/services/{listed[key].pk}/" for key in ("clinic", "lawyers", "shelter", "nowhere")]
    assert selectors.offline_urls(membership=alice) == expected
    assert selectors.offline_urls(membership=carol) == expected
    assert selectors.offline_urls(membership=nina) == []
    # Every URL is a page the member can open.
    from django.test import Client

    from sombrilla.conftest import log_in

    client = log_in(Client(), alice)
    assert all(client.get(url).status_code == 200 for url in expected)
