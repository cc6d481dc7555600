"""The directory's services against the real database: who may do what (every role, other organisations),
services' details, one rating per member, what counts in the average, moderation, referral requests with the
answer's notification, the audit and the retention purge."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from sombrilla.accounts import services as account_services
from sombrilla.accounts.models import Role
from sombrilla.alerts.tests.factories import make_areas
from sombrilla.conftest import make_member
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.directory import selectors, services
from sombrilla.directory.models import Cost, Rating, Referral, Service, ServiceKind
from sombrilla.directory.services import DirectoryError, ServiceDetails
from sombrilla.directory.tests.factories import make_service
from sombrilla.notify.models import Channel, Delivery, Dispatch, Topic
from sombrilla.notify.selectors import inbox_list

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str) -> list:
    """Column values as the database holds them, past the model's decryption."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own names
        return [row[0] for row in cursor.fetchall()]


def _audited(action) -> list:
    return list(AuditEntry.objects.filter(action=action).values_list("actor__account__pseudonym", "target_id"))


def _suspended(org, pseudonym, role=Role.MEMBER):
    member = make_member(org, pseudonym, role)
    account_services.membership_suspend(actor=member.organisation.memberships.get(role=Role.ADMIN), membership=member)
    member.refresh_from_db()
    return member


# Services ---------------------------------------------------------------------------------------------


class TestServices:
    def test_staff_and_admins_add_change_hide_and_delete_services_and_each_change_is_audited(self, carol, dana, areas):
        service = make_service(carol, area=areas["westlands"])
        assert (service.organisation, service.area, service.active) == (carol.organisation, areas["westlands"], True)
        details = ServiceDetails(
            name="  Night Clinic ", kind=ServiceKind.PREP_PEP, call_first=True, public_number="1190"
        )
        services.service_update(actor=dana, service=service, details=details)
        service.refresh_from_db()
        assert (service.name, service.kind, service.area, service.address) == ("Night Clinic", "prep_pep", None, "")
        services.service_set_active(actor=carol, service=service, active=False)
        service.refresh_from_db()
        assert not service.active
        services.service_set_active(actor=dana, service=service, active=True)
        assert Service.objects.get().active
        service_id = service.pk
        services.service_delete(actor=carol, service=service)
        assert not Service.objects.exists()
        assert [who for who, _target in _audited(AuditAction.SERVICE_CHANGED)].count("carol") == 3
        assert {target for _who, target in _audited(AuditAction.SERVICE_CHANGED)} == {service_id}

    @pytest.mark.parametrize("person", ["alice", "bob", "nina"])
    def test_nobody_but_staff_may_add_a_service(self, people, person):
        with pytest.raises(DirectoryError, match="Only staff"):
            make_service(people[person])
        assert not Service.objects.exists()

    def test_suspended_staff_may_not_add_a_service(self, org_a, dana):
        with pytest.raises(DirectoryError, match="Only staff"):
            make_service(_suspended(org_a, "sid", Role.STAFF))

    def test_staff_of_another_organisation_change_nothing(self, clinic, mallory):
        details = ServiceDetails(name="Taken over", kind=ServiceKind.OTHER, address="x")
        for change in (
            lambda: services.service_update(actor=mallory, service=clinic, details=details),
            lambda: services.service_set_active(actor=mallory, service=clinic, active=False),
            lambda: services.service_delete(actor=mallory, service=clinic),
        ):
            with pytest.raises(DirectoryError, match="Only staff"):
                change()
        clinic.refresh_from_db()
        assert (clinic.name, clinic.active) == ("Westlands Community Clinic", True)

    def test_an_area_of_another_organisation_is_refused(self, carol, org_b):
        elsewhere = make_areas(org_b, names=("Mexico", "CDMX", "Roma", "Puebla"))
        with pytest.raises(DirectoryError, match="your organisation's areas"):
            make_service(carol, area=elsewhere["nairobi"])

    @pytest.mark.parametrize(
        ("details", "message"),
        [
            ({"name": "  "}, "Give the service a name."),
            ({"name": "x" * 121}, "A name is up to 120 characters."),
            ({"kind": "bakery"}, "Choose what kind of service it is."),
            ({"cost": "priceless"}, "Choose what it costs."),
            ({"address": ""}, 'Give an address, or tick "call first".'),
            ({"address": "", "call_first": True}, "needs its phone number"),
            ({"public_number": "call Tony"}, "That does not look like a phone number."),
            ({"public_number": "12"}, "That does not look like a phone number."),
            ({"public_number": "+1" + "2" * 25}, "That does not look like a phone number."),
            ({"about": "x" * 1001}, "The description is up to 1000 characters."),
            ({"languages": "x" * 201}, "Languages are up to 200 characters."),
        ],
    )
    def test_it_refuses_details_that_do_not_make_a_usable_entry(self, carol, details, message):
        with pytest.raises(DirectoryError, match=message):
            make_service(carol, **details)

    @pytest.mark.parametrize("number", ["1190", "+254 700 000 101", "(020) 271-0000", "0800.720.500 ext. 12"])
    def test_it_takes_a_phone_number_as_people_write_it(self, carol, number):
        assert make_service(carol, public_number=number, cost=Cost.LOW).public_number == number


# Ratings ----------------------------------------------------------------------------------------------


class TestRatings:
    @pytest.mark.parametrize("person", ["alice", "bob", "carol", "dana"])
    def test_every_member_of_the_organisation_may_rate(self, people, clinic, person):
        rating = services.rating_save(actor=people[person], service=clinic, stars=4)
        assert (rating.stars, rating.status) == (4, Rating.Status.PUBLISHED)

    def test_analysts_suspended_members_and_outsiders_may_not_rate(self, org_a, nina, mallory, clinic, dana):
        for actor, message in (
            (nina, "Only members"),
            (_suspended(org_a, "sam"), "Only members"),
            (mallory, "not in your organisation's list"),
        ):
            with pytest.raises(DirectoryError, match=message):
                services.rating_save(actor=actor, service=clinic, stars=5)
        assert not Rating.objects.exists()

    def test_a_hidden_service_cannot_be_rated(self, alice, carol, clinic):
        services.service_set_active(actor=carol, service=clinic, active=False)
        with pytest.raises(DirectoryError, match="not in your organisation's list"):
            services.rating_save(actor=alice, service=clinic, stars=5)

    @pytest.mark.parametrize("stars", [0, 6, -1, True, "5", 4.5])
    def test_it_takes_one_to_five_whole_stars(self, alice, clinic, stars):
        with pytest.raises(DirectoryError, match="Choose from 1 to 5 stars."):
            services.rating_save(actor=alice, service=clinic, stars=stars)

    def test_a_note_is_at_most_500_characters(self, alice, clinic):
        with pytest.raises(DirectoryError, match="A note is up to 500 characters."):
            services.rating_save(actor=alice, service=clinic, stars=3, note="x" * 501)
        assert services.rating_save(actor=alice, service=clinic, stars=3, note=" " + "x" * 500 + " ").note == "x" * 500

    def test_one_rating_per_member_and_service_a_new_one_replaces_it(self, alice, clinic):
        first = services.rating_save(actor=alice, service=clinic, stars=2)
        second = services.rating_save(actor=alice, service=clinic, stars=5, note="Better now.")
        assert first.pk == second.pk
        assert list(Rating.objects.values_list("stars", "note", "status")) == [(5, "Better now.", "pending")]

    def test_the_database_itself_holds_one_rating_per_member_and_only_one_to_five_stars(self, alice, clinic):
        services.rating_save(actor=alice, service=clinic, stars=2)
        with pytest.raises(IntegrityError), transaction.atomic():
            Rating.objects.create(service=clinic, membership=alice, stars=3)
        Rating.objects.all().delete()
        for stars in (0, 6):
            with pytest.raises(IntegrityError), transaction.atomic():
                Rating.objects.create(service=clinic, membership=alice, stars=stars)

    def test_stars_alone_count_at_once_and_a_note_waits_for_a_moderator(self, alice, bob, clinic):
        assert services.rating_save(actor=alice, service=clinic, stars=4).status == Rating.Status.PUBLISHED
        pending = services.rating_save(actor=bob, service=clinic, stars=1, note="Rude at reception.")
        assert pending.status == Rating.Status.PENDING
        assert _stars(clinic) == (4.0, 1)

    def test_changing_only_the_stars_keeps_a_published_note_published(self, alice, bob, clinic):
        rating = services.rating_save(actor=alice, service=clinic, stars=4, note="Kind nurses.")
        services.rating_moderate(actor=bob, rating=rating, publish=True)
        assert services.rating_save(actor=alice, service=clinic, stars=2, note="Kind nurses.").status == "published"
        assert _stars(clinic) == (2.0, 1)
        # A changed note is read again before anyone sees it, and its stars wait with it.
        assert services.rating_save(actor=alice, service=clinic, stars=2, note="Kind nurses, long wait.").status == (
            "pending"
        )
        assert _stars(clinic) == (None, 0)

    def test_the_average_counts_only_published_ratings_of_members_not_suspended(self, org_a, people, clinic):
        alice, bob, carol, dana = (people[name] for name in ("alice", "bob", "carol", "dana"))
        erin = make_member(org_a, "erin")
        services.rating_save(actor=alice, service=clinic, stars=5)
        services.rating_save(actor=bob, service=clinic, stars=1, note="Waiting for a moderator.")
        rejected = services.rating_save(actor=carol, service=clinic, stars=1, note="Names a nurse.")
        services.rating_moderate(actor=bob, rating=rejected, publish=False, reason="It names someone.")
        services.rating_save(actor=erin, service=clinic, stars=2)
        assert _stars(clinic) == (3.5, 2)
        account_services.membership_suspend(actor=dana, membership=erin)
        assert _stars(clinic) == (5.0, 1)
        account_services.membership_restore(actor=dana, membership=erin)
        assert _stars(clinic) == (3.5, 2)

    def test_moderators_and_staff_publish_or_reject_with_a_reason_and_are_audited(self, people, clinic):
        alice, bob, carol = people["alice"], people["bob"], people["carol"]
        rating = services.rating_save(actor=alice, service=clinic, stars=5, note="Good.")
        with pytest.raises(DirectoryError, match="Say why"):
            services.rating_moderate(actor=bob, rating=rating, publish=False, reason="  ")
        rejected = services.rating_moderate(actor=bob, rating=rating, publish=False, reason="Too short to help.")
        assert (rejected.status, rejected.reject_reason, rejected.moderated_by) == (
            "rejected",
            "Too short to help.",
            bob,
        )
        with pytest.raises(DirectoryError, match="already been dealt with"):
            services.rating_moderate(actor=carol, rating=rating, publish=False, reason="Again.")
        published = services.rating_moderate(actor=carol, rating=rating, publish=True)
        assert (published.status, published.reject_reason, published.moderated_by) == ("published", "", carol)
        # A published note can be taken down the same way.
        services.rating_moderate(actor=people["dana"], rating=rating, publish=False, reason="Reported by its clinic.")
        assert _audited(AuditAction.RATING_MODERATED) == [("dana", rating.pk), ("carol", rating.pk), ("bob", rating.pk)]

    def test_members_analysts_outsiders_and_the_author_may_not_moderate(self, people, clinic, org_a):
        alice, bob = people["alice"], people["bob"]
        rating = services.rating_save(actor=bob, service=clinic, stars=5, note="My own note.")
        for actor, message in (
            (alice, "Only moderators"),
            (people["nina"], "Only moderators"),
            (people["mallory"], "Only moderators"),
            (_suspended(org_a, "sue", Role.MODERATOR), "Only moderators"),
            (bob, "Another moderator must decide on your own note."),
        ):
            with pytest.raises(DirectoryError, match=message):
                services.rating_moderate(actor=actor, rating=rating, publish=True)
        rating.refresh_from_db()
        assert rating.status == Rating.Status.PENDING
        assert not AuditEntry.objects.filter(action=AuditAction.RATING_MODERATED).exists()

    def test_a_member_deletes_only_their_own_rating(self, alice, bob, clinic):
        rating = services.rating_save(actor=alice, service=clinic, stars=5)
        with pytest.raises(DirectoryError, match="not yours"):
            services.rating_delete(actor=bob, rating=rating)
        services.rating_delete(actor=alice, rating=rating)
        assert not Rating.objects.exists()

    def test_leaving_the_organisation_takes_the_members_ratings_with_it(self, alice, clinic):
        from sombrilla.conftest import PASSPHRASE

        services.rating_save(actor=alice, service=clinic, stars=5, note="Kind.")
        account_services.account_delete(account=alice.account, passphrase=PASSPHRASE)
        assert not Rating.objects.exists()

    def test_notes_and_reasons_are_encrypted_at_rest(self, alice, bob, clinic):
        rating = services.rating_save(actor=alice, service=clinic, stars=5, note="The nurse Wanjiru is kind.")
        services.rating_moderate(actor=bob, rating=rating, publish=False, reason="It names Wanjiru.")
        stored = " ".join(_raw("directory_rating", "note") + _raw("directory_rating", "reject_reason"))
        assert "Wanjiru" not in stored and stored.strip()


def _stars(service) -> tuple:
    found = selectors.service_get_for_member(
        actor=service.organisation.memberships.get(role=Role.ADMIN), service_id=service.pk
    )
    return found.stars_average, found.stars_count


# Referrals --------------------------------------------------------------------------------------------


class TestReferrals:
    @pytest.mark.parametrize("person", ["alice", "bob", "carol", "dana"])
    def test_every_member_may_ask_for_a_referral_to_a_service_or_for_a_need(self, people, clinic, person):
        to_clinic = services.referral_request(actor=people[person], service=clinic, message=" Can I go today? ")
        assert (to_clinic.service, to_clinic.kind, to_clinic.message, to_clinic.status) == (
            clinic,
            ServiceKind.HIV_TESTING,
            "Can I go today?",
            Referral.Status.OPEN,
        )
        need = services.referral_request(actor=people[person], kind=ServiceKind.SHELTER)
        assert (need.service, need.kind, need.organisation) == (None, "shelter", clinic.organisation)

    def test_analysts_suspended_members_and_outsiders_may_not_ask(self, org_a, nina, olga, clinic, dana):
        for actor, service, message in (
            (nina, None, "Only members"),
            (_suspended(org_a, "sam"), None, "Only members"),
            (olga, clinic, "not in your organisation's list"),
        ):
            with pytest.raises(DirectoryError, match=message):
                services.referral_request(actor=actor, service=service, kind=ServiceKind.SHELTER)
        assert not Referral.objects.exists()

    def test_a_request_needs_a_service_or_a_need_and_a_short_message(self, alice, clinic):
        with pytest.raises(DirectoryError, match="Choose what you need help with."):
            services.referral_request(actor=alice, kind="a bed")
        with pytest.raises(DirectoryError, match="A message is up to 1000 characters."):
            services.referral_request(actor=alice, service=clinic, message="x" * 1001)

    def test_a_member_may_have_five_requests_waiting_at_once(self, alice, carol):
        waiting = [services.referral_request(actor=alice, kind=ServiceKind.OTHER) for _ in range(5)]
        with pytest.raises(DirectoryError, match="5 requests waiting already"):
            services.referral_request(actor=alice, kind=ServiceKind.OTHER)
        services.referral_answer(actor=carol, referral=waiting[0], answer="Try the Rights Desk.")
        assert services.referral_request(actor=alice, kind=ServiceKind.OTHER).status == Referral.Status.OPEN

    def test_the_answer_reaches_the_member_alone_through_the_notification_pipeline(self, alice, bob, carol, clinic):
        referral = services.referral_request(actor=alice, service=clinic, message="Where do I go?")
        services.referral_answer(actor=carol, referral=referral, answer=" Ask for Grace at the desk. ")
        referral.refresh_from_db()
        assert (referral.status, referral.answer, referral.answered_by) == (
            "answered",
            "Ask for Grace at the desk.",
            carol,
        )
        dispatch = Dispatch.objects.get()
        assert (dispatch.topic, dispatch.target_id, dispatch.url) == (
            Topic.REFERRAL_ANSWERED,
            referral.pk,
            "/services/referrals/",
        )
        deliveries = list(Delivery.objects.values_list("membership__account__pseudonym", "channel"))
        assert deliveries == [("alice", Channel.INAPP)]
        assert [entry.dispatch_id for entry in inbox_list(membership=alice)] == [dispatch.pk]
        assert not inbox_list(membership=bob).exists()
        # Nothing of the request or the answer travels with the notification.
        assert str(Topic(dispatch.topic).label) == "Your referral request has an answer"
        assert _audited(AuditAction.REFERRAL_ANSWERED) == [("carol", referral.pk)]

    def test_the_answer_and_its_notification_commit_or_roll_back_together(self, alice, carol):
        referral = services.referral_request(actor=alice, kind=ServiceKind.LEGAL_AID)
        with pytest.raises(RuntimeError), transaction.atomic():
            services.referral_answer(actor=carol, referral=referral, answer="Call the Rights Desk.")
            assert Delivery.objects.filter(membership=alice).count() == 1  # written inside the answer's transaction
            raise RuntimeError("the request fails after the answer was written")
        referral.refresh_from_db()
        assert (referral.status, referral.answer) == ("open", "")
        assert not Dispatch.objects.exists() and not Delivery.objects.exists()

    def test_staff_may_correct_an_answer_and_the_member_is_told_again(self, alice, carol, dana):
        referral = services.referral_request(actor=alice, kind=ServiceKind.LEGAL_AID)
        services.referral_answer(actor=carol, referral=referral, answer="Call on Monday.")
        services.referral_answer(actor=dana, referral=referral, answer="Call on Tuesday instead.")
        referral.refresh_from_db()
        assert (referral.answer, referral.answered_by) == ("Call on Tuesday instead.", dana)
        assert Delivery.objects.filter(membership=alice).count() == 2

    def test_only_staff_of_the_organisation_answer_an_open_request(self, people, alice, carol):
        referral = services.referral_request(actor=alice, kind=ServiceKind.LEGAL_AID)
        for person in ("alice", "bob", "nina", "mallory"):
            with pytest.raises(DirectoryError, match="Only staff"):
                services.referral_answer(actor=people[person], referral=referral, answer="Hi")
        with pytest.raises(DirectoryError, match="Write your answer"):
            services.referral_answer(actor=carol, referral=referral, answer="  ")
        with pytest.raises(DirectoryError, match="An answer is up to 2000 characters."):
            services.referral_answer(actor=carol, referral=referral, answer="x" * 2001)
        services.referral_close(actor=alice, referral=referral)
        with pytest.raises(DirectoryError, match="This request is closed."):
            services.referral_answer(actor=carol, referral=referral, answer="Too late?")
        assert not Dispatch.objects.exists()

    def test_the_member_or_staff_close_a_request_and_only_staff_closing_is_audited(self, people, alice, carol):
        own = services.referral_request(actor=alice, kind=ServiceKind.SHELTER)
        closed = services.referral_close(actor=alice, referral=own)
        assert closed.status == "closed" and closed.closed_at is not None
        with pytest.raises(DirectoryError, match="already closed"):
            services.referral_close(actor=alice, referral=own)
        other = services.referral_request(actor=alice, kind=ServiceKind.SHELTER)
        for person in ("bob", "nina", "mallory"):
            with pytest.raises(DirectoryError, match="Only staff"):
                services.referral_close(actor=people[person], referral=other)
        services.referral_close(actor=carol, referral=other)
        assert _audited(AuditAction.REFERRAL_CLOSED) == [("carol", other.pk)]

    def test_every_staff_reading_of_a_request_is_audited_but_not_the_members_own(self, alice, carol):
        referral = services.referral_request(actor=alice, kind=ServiceKind.SHELTER, message="Tonight if possible.")
        services.referral_viewed(actor=alice, referral=referral)
        services.referral_viewed(actor=carol, referral=referral)
        services.referral_viewed(actor=carol, referral=referral)
        assert _audited(AuditAction.REFERRAL_VIEWED) == [("carol", referral.pk)] * 2
        # The audit names the request, never what it says.
        assert "Tonight" not in repr(list(AuditEntry.objects.values()))

    def test_messages_and_answers_are_encrypted_at_rest(self, alice, carol):
        referral = services.referral_request(actor=alice, kind=ServiceKind.SHELTER, message="I sleep at Kibera stage.")
        services.referral_answer(actor=carol, referral=referral, answer="Grace at the Safe House expects you.")
        stored = " ".join(_raw("directory_referral", "message") + _raw("directory_referral", "answer"))
        assert "Kibera" not in stored and "Grace" not in stored

    def test_a_deleted_service_leaves_the_requests_about_it_with_their_need(self, alice, carol, clinic):
        referral = services.referral_request(actor=alice, service=clinic)
        services.service_delete(actor=carol, service=clinic)
        referral.refresh_from_db()
        assert (referral.service, referral.kind) == (None, ServiceKind.HIV_TESTING)


# Retention --------------------------------------------------------------------------------------------


def _at(days: float):
    return clock.travel(timedelta(days=days))


class TestPurge:
    def test_it_deletes_for_real_requests_answered_or_closed_90_days_ago_and_keeps_the_rest(self, alice, carol):
        answered_long_ago = services.referral_request(actor=alice, kind=ServiceKind.SHELTER, message="old answered")
        services.referral_answer(actor=carol, referral=answered_long_ago, answer="old answer")
        closed_long_ago = services.referral_request(actor=alice, kind=ServiceKind.SHELTER, message="old closed")
        services.referral_close(actor=alice, referral=closed_long_ago)
        open_long_ago = services.referral_request(actor=alice, kind=ServiceKind.SHELTER, message="still waiting")
        answered_then_closed = services.referral_request(actor=alice, kind=ServiceKind.OTHER, message="closed later")
        services.referral_answer(actor=carol, referral=answered_then_closed, answer="an answer")
        with _at(80):
            services.referral_close(actor=alice, referral=answered_then_closed)
            recent = services.referral_request(actor=alice, kind=ServiceKind.OTHER, message="recent")
            services.referral_answer(actor=carol, referral=recent, answer="recent answer")
        with _at(90 - 0.01):
            assert services.referrals_purge() == 0
        with _at(90.01):
            assert services.referrals_purge() == 2
        remaining = {open_long_ago.pk, answered_then_closed.pk, recent.pk}
        assert set(Referral.objects.values_list("pk", flat=True)) == remaining
        # Gone from the table itself, with the notifications about them.
        assert len(_raw("directory_referral", "id")) == 3
        assert set(Dispatch.objects.values_list("target_id", flat=True)) == {answered_then_closed.pk, recent.pk}
        with _at(170.01):
            assert services.referrals_purge() == 2
        assert list(Referral.objects.values_list("pk", flat=True)) == [open_long_ago.pk]
        assert not Dispatch.objects.exists() and not Delivery.objects.exists()

    def test_it_runs_as_a_task_scheduled_with_the_worker(self, alice, settings):
        from django_tasks import TaskResultStatus

        from sombrilla.directory.tasks import referrals_purge_enqueue, referrals_purge_task

        assert ("sombrilla.directory.tasks.referrals_purge_enqueue", 3600) in settings.SCHEDULED_JOBS
        services.referral_close(actor=alice, referral=services.referral_request(actor=alice, kind=ServiceKind.OTHER))
        with _at(91):
            queued = referrals_purge_enqueue()
        assert referrals_purge_task.get_result(queued.id).status == TaskResultStatus.READY
        with _at(91):
            assert referrals_purge_task.call() == 1
        assert not Referral.objects.exists()

    def test_deleting_a_members_requests_takes_their_notifications_too(self, alice, erin, carol):
        mine = services.referral_request(actor=alice, kind=ServiceKind.OTHER)
        services.referral_answer(actor=carol, referral=mine, answer="Here.")
        theirs = services.referral_request(actor=erin, kind=ServiceKind.OTHER)
        services.referral_answer(actor=carol, referral=theirs, answer="There.")
        services.referrals_delete_for(membership=alice)
        assert list(Referral.objects.values_list("pk", flat=True)) == [theirs.pk]
        assert list(Dispatch.objects.values_list("target_id", flat=True)) == [theirs.pk]


def test_the_members_export_holds_their_ratings_and_requests_in_full(alice, bob, carol, clinic):
    rating = services.rating_save(actor=alice, service=clinic, stars=2, note="Long wait.")
    services.rating_moderate(actor=bob, rating=rating, publish=False, reason="Say more?")
    referral = services.referral_request(actor=alice, service=clinic, message="Tomorrow?")
    services.referral_answer(actor=carol, referral=referral, answer="Yes, at 9.")
    services.rating_save(actor=bob, service=clinic, stars=5)
    export = selectors.member_export(membership=alice)
    assert [(r["service"], r["stars"], r["note"], r["status"], r["reject_reason"]) for r in export["ratings"]] == [
        ("Westlands Community Clinic", 2, "Long wait.", "rejected", "Say more?")
    ]
    assert [(r["service"], r["message"], r["answer"], r["status"]) for r in export["referrals"]] == [
        ("Westlands Community Clinic", "Tomorrow?", "Yes, at 9.", "answered")
    ]


def test_the_demo_directory_has_services_of_every_kind_published_notes_one_waiting_and_an_open_request(people):
    from sombrilla.directory.demo import demo_load
    from sombrilla.directory.tests.factories import make_demo_areas

    alice, bob, carol, dana = (people[name] for name in ("alice", "bob", "carol", "dana"))
    make_demo_areas(alice.organisation)
    erin = make_member(alice.organisation, "erin")
    made = demo_load(organisation=alice.organisation, author=carol, members=[alice, bob, dana, erin])
    assert len(made) == 8 and {s.kind for s in made} == set(ServiceKind.values) - {ServiceKind.OTHER}
    assert all(s.area is not None for s in made)
    assert Rating.objects.filter(status="published").exclude(note="").count() == 3
    assert list(Rating.objects.filter(status="pending").values_list("membership", flat=True)) == [erin.pk]
    assert list(Referral.objects.values_list("status", "kind", "membership")) == [("open", "shelter", bob.pk)]
    assert selectors.services_list(actor=alice).get(pk=made[0].pk).stars_count == 2
