"""The directory's pages with Django's test client, as a phone with JavaScript off uses them: filters in the
query string, rating, asking for a referral, reading the answer; staff adding services, moderating notes and
answering requests. Refused forms keep what was typed; hostile text is escaped; outsiders get a 404."""

import itertools
import re

import pytest
from django.test import Client

from sombrilla.conftest import input_value, log_in, page_shows, page_text
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.core.tests.test_bad_input import HOSTILE, MUST_BE_REFUSED, UNESCAPED
from sombrilla.directory import services
from sombrilla.directory.models import Cost, Rating, Referral, Service, ServiceKind
from sombrilla.directory.tests.factories import make_service
from sombrilla.notify.models import Delivery

pytestmark = pytest.mark.django_db


def _client(membership=None) -> Client:
    client = Client(raise_request_exception=False)
    return log_in(client, membership) if membership is not None else client


def _main(response) -> str:
    """The page without the shared shell (nav, footer), which names the logged-in person."""
    return page_text(response).split('<main id="main">', 1)[1].split("</main>", 1)[0]


def _textarea(response, name: str) -> str | None:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page_text(response), re.S)
    return match.group(1) if match else None


def _follow(client, response):
    assert response.status_code == 302, response.status_code
    return client.get(response["Location"])


# The member's pages ---------------------------------------------------------------------------------------


def test_it_lists_services_with_their_stars_and_filters_them_from_the_query_string(alice, bob, carol, areas):
    clinic = make_service(carol, area=areas["westlands"])
    make_service(carol, name="Rights Desk", kind=ServiceKind.LEGAL_AID, area=areas["mombasa"], cost=Cost.PAID)
    services.rating_save(actor=bob, service=clinic, stars=4)
    services.rating_save(actor=carol, service=clinic, stars=5)
    client = _client(alice)
    every = _main(client.get("/services/"))
    assert "Westlands Community Clinic" in every and "Rights Desk" in every
    assert "★ 4.5" in every and "2 ratings" in every and "No ratings yet" in every
    nairobi = client.get("/services/", {"area": str(areas["nairobi"].pk), "free": "on"})
    assert nairobi.status_code == 200
    assert "Westlands Community Clinic" in _main(nairobi) and "Rights Desk" not in _main(nairobi)
    assert "<details open>" in page_text(nairobi)  # the filters in use stay in sight
    legal = _main(client.get("/services/", {"kind": "legal_aid", "language": "kiswahili"}))
    assert "Rights Desk" in legal and "Westlands Community Clinic" not in legal


def test_it_shows_a_bad_filter_with_its_error_and_applies_the_good_ones(alice, carol, clinic):
    make_service(carol, name="Rights Desk", kind=ServiceKind.LEGAL_AID)
    response = _client(alice).get("/services/", {"kind": "bakery", "language": "x" * 61, "area": "nowhere"})
    assert response.status_code == 400
    assert page_text(response).count('class="errorlist') == 3
    response = _client(alice).get("/services/", {"kind": "bakery", "free": "on", "language": "kiswahili"})
    assert response.status_code == 400
    assert "Westlands Community Clinic" in _main(response)


def test_it_pages_a_long_list_and_keeps_the_filters_in_the_page_links(alice, carol):
    for number in range(35):
        make_service(carol, name=f"Clinic {number:02}")
    response = _client(alice).get("/services/", {"free": "on"})
    assert "Clinic 29" in _main(response) and "Clinic 30" not in _main(response)
    assert 'href="?free=on&amp;page=2"' in page_text(response)
    assert "Clinic 34" in _main(_client(alice).get("/services/", {"free": "on", "page": "2"}))


def test_the_service_page_shows_the_details_the_average_and_notes_without_their_authors(org_a, people, clinic):
    from sombrilla.conftest import make_member

    alice, bob = people["alice"], people["bob"]
    erin = make_member(org_a, "erin")
    rating = services.rating_save(actor=alice, service=clinic, stars=4, note="The nurse explained everything.")
    services.rating_moderate(actor=bob, rating=rating, publish=True)
    services.rating_save(actor=people["carol"], service=clinic, stars=2, note="Waiting for a moderator.")
    response = _client(erin).get(f"/services/{clinic.pk}/")
    main = _main(response)
    assert "Behind the market, blue door" in main and "English, Kiswahili" in main
    assert "★ 4.0" in main and "1 rating" in main
    assert "The nurse explained everything." in main and "A member" in main
    assert "alice" not in main and "Waiting for a moderator." not in main
    assert "carol" not in main


def test_a_member_rates_without_javascript_and_sees_where_the_note_stands(alice, bob, clinic):
    client = _client(alice)
    page = _follow(client, client.post(f"/services/{clinic.pk}/rating/", {"stars": "4", "note": "Kind nurses."}))
    assert page_shows(page, "Thank you. A moderator reads your note before other members see it.")
    assert page_shows(page, "Your note is waiting for a moderator; your stars count once it is published.")
    assert re.search(r'<input[^>]*value="4"[^>]*checked', page_text(page))
    assert _textarea(page, "note") == "Kind nurses."
    services.rating_moderate(actor=bob, rating=Rating.objects.get(), publish=False, reason="It names a nurse.")
    assert page_shows(client.get(f"/services/{clinic.pk}/"), "Your note was not published: It names a nurse.")
    page = _follow(client, client.post(f"/services/{clinic.pk}/rating/", {"stars": "5"}))
    assert page_shows(page, "Thank you. Your rating counts now.")
    assert list(Rating.objects.values_list("stars", "status")) == [(5, "published")]
    page = _follow(client, client.post(f"/services/{clinic.pk}/rating/delete/"))
    assert page_shows(page, "Your rating is deleted.") and not Rating.objects.exists()
    page = _follow(client, client.post(f"/services/{clinic.pk}/rating/delete/"))
    assert page_shows(page, "You have not rated this service.")


def test_a_refused_rating_keeps_the_note_as_typed(alice, clinic):
    client = _client(alice)
    response = client.post(f"/services/{clinic.pk}/rating/", {"note": "No stars chosen but a long note."})
    assert response.status_code == 400
    assert _textarea(response, "note") == "No stars chosen but a long note."
    response = client.post(f"/services/{clinic.pk}/rating/", {"stars": "9", "note": "Nine stars!"})
    assert response.status_code == 400 and _textarea(response, "note") == "Nine stars!"
    assert not Rating.objects.exists()


def test_a_member_asks_for_a_referral_and_reads_the_answer(alice, carol, clinic):
    client = _client(alice)
    page = _follow(client, client.post(f"/services/{clinic.pk}/referral/", {"message": "Can someone come with me?"}))
    assert page_shows(page, "Your request is with staff. Their answer will appear here.")
    assert "Westlands Community Clinic" in _main(page) and "Can someone come with me?" in _main(page)
    referral = Referral.objects.get()
    services.referral_answer(actor=carol, referral=referral, answer="Yes: Grace meets you there at 10.")
    page = client.get("/services/referrals/")
    assert "Yes: Grace meets you there at 10." in _main(page) and page_shows(page, "answered")
    # The inbox entry leads to this page.
    assert 'href="/services/referrals/"' in page_text(client.get("/inbox/"))
    page = _follow(client, client.post(f"/services/referrals/{referral.pk}/close/"))
    assert page_shows(page, "Your request is closed.")
    page = _follow(client, client.post(f"/services/referrals/{referral.pk}/close/"))
    assert page_shows(page, "This request is already closed.")


def test_a_refused_referral_request_keeps_the_message_as_typed(alice, clinic):
    client = _client(alice)
    response = client.post("/services/referrals/", {"message": "A bed for tonight, please."})
    assert response.status_code == 400
    assert _textarea(response, "message") == "A bed for tonight, please."
    response = client.post(f"/services/{clinic.pk}/referral/", {"message": "x" * 1001})
    assert response.status_code == 400 and _textarea(response, "message") == "x" * 1001
    for _ in range(5):
        services.referral_request(actor=alice, kind=ServiceKind.OTHER)
    response = client.post("/services/referrals/", {"kind": "shelter", "message": "One more."})
    assert response.status_code == 400
    assert page_shows(response, "You have 5 requests waiting already. Staff will answer them first.")
    assert _textarea(response, "message") == "One more."
    page = _follow(client, client.post(f"/services/referrals/{Referral.objects.first().pk}/close/"))
    page = _follow(client, client.post("/services/referrals/", {"kind": "shelter", "message": "One more."}))
    assert page_shows(page, "Your request is with staff. Their answer will appear here.")


def test_it_answers_404_to_other_organisations_and_analysts_and_changes_nothing(alice, nina, olga, mallory, clinic):
    referral = services.referral_request(actor=alice, service=clinic)
    for person in (olga, mallory, nina):
        client = _client(person)
        assert client.get(f"/services/{clinic.pk}/").status_code == 404
        assert client.post(f"/services/{clinic.pk}/rating/", {"stars": "1"}).status_code == 404
        assert client.post(f"/services/{clinic.pk}/referral/", {}).status_code == 404
        assert client.post(f"/services/referrals/{referral.pk}/close/").status_code == 404
    staff_b = _client(mallory)
    assert staff_b.get(f"/staff/services/{clinic.pk}/").status_code == 404
    assert staff_b.post(f"/staff/services/{clinic.pk}/delete/").status_code == 404
    assert staff_b.get(f"/staff/services/referrals/{referral.pk}/").status_code == 404
    assert "Westlands" not in _main(staff_b.get("/staff/services/"))
    assert not Rating.objects.exists() and Service.objects.filter(pk=clinic.pk).exists()
    assert Referral.objects.get().status == Referral.Status.OPEN
    assert not AuditEntry.objects.filter(actor=mallory).exists()


def test_a_hidden_service_is_gone_from_the_members_pages(alice, carol, clinic):
    services.service_set_active(actor=carol, service=clinic, active=False)
    client = _client(alice)
    assert "Westlands Community Clinic" not in _main(client.get("/services/"))
    assert client.get(f"/services/{clinic.pk}/").status_code == 404


def test_hostile_notes_and_messages_are_escaped_everywhere_they_are_shown(alice, bob, carol, clinic):
    hostile = HOSTILE["script"] + HOSTILE["attribute"]
    rating = services.rating_save(actor=alice, service=clinic, stars=3, note=hostile)
    referral = services.referral_request(actor=alice, service=clinic, message=hostile)
    checked = [_client(bob).get("/staff/services/ratings/")]
    services.rating_moderate(actor=bob, rating=rating, publish=True)
    services.referral_answer(actor=carol, referral=referral, answer=hostile)
    checked += [
        _client(alice).get(f"/services/{clinic.pk}/"),
        _client(alice).get("/services/referrals/"),
        _client(carol).get(f"/staff/services/referrals/{referral.pk}/"),
        _client(bob).get("/staff/services/ratings/"),
    ]
    for response in checked:
        assert response.status_code == 200
        assert "&lt;script&gt;" in page_text(response)
        for markup in UNESCAPED:
            assert markup not in page_text(response)


# Staff pages ----------------------------------------------------------------------------------------------


SERVICE_FORM = {
    "name": "Safe House",
    "kind": "shelter",
    "area": "",
    "address": "",
    "call_first": "on",
    "public_number": "+254 700 000 106",
    "opening_hours": "24 hours",
    "languages": "Kiswahili",
    "anonymous": "on",
    "cost": "free",
    "cost_note": "",
    "sex_worker_friendly": "on",
    "about": "Emergency beds; the address is given by phone.",
}


def test_staff_add_edit_hide_and_delete_a_service(carol, alice, areas):
    client = _client(carol)
    page = _follow(client, client.post("/staff/services/new/", {**SERVICE_FORM, "area": str(areas["mombasa"].pk)}))
    assert page_shows(page, "The service is saved.") and "Safe House" in _main(page)
    service = Service.objects.get()
    assert (service.area, service.call_first, service.anonymous, service.public_number) == (
        areas["mombasa"],
        True,
        True,
        "+254 700 000 106",
    )
    edit = client.get(f"/staff/services/{service.pk}/")
    assert input_value(edit, "name") == "Safe House" and input_value(edit, "public_number") == "+254 700 000 106"
    _follow(client, client.post(f"/staff/services/{service.pk}/", {**SERVICE_FORM, "name": "Safe House Mombasa"}))
    service.refresh_from_db()
    assert (service.name, service.area) == ("Safe House Mombasa", None)
    page = _follow(client, client.post(f"/staff/services/{service.pk}/active/", {"active": "0"}))
    assert page_shows(page, "Members no longer see it.") and not Service.objects.get().active
    assert _client(alice).get(f"/services/{service.pk}/").status_code == 404
    page = _follow(client, client.post(f"/staff/services/{service.pk}/active/", {"active": "1"}))
    assert page_shows(page, "Members see it again.") and Service.objects.get().active
    page = _follow(client, client.post(f"/staff/services/{service.pk}/delete/"))
    assert page_shows(page, "The service and its ratings are deleted.") and not Service.objects.exists()


def test_a_refused_service_keeps_everything_typed(carol):
    client = _client(carol)
    typed = {**SERVICE_FORM, "call_first": "", "address": "", "about": "Beds for two weeks."}
    response = client.post("/staff/services/new/", typed)
    assert response.status_code == 400
    assert page_shows(response, 'Give an address, or tick "call first".')
    assert input_value(response, "name") == "Safe House" and input_value(response, "opening_hours") == "24 hours"
    assert _textarea(response, "about") == "Beds for two weeks."
    response = client.post("/staff/services/new/", {**SERVICE_FORM, "public_number": "ask Tony"})
    assert response.status_code == 400 and page_shows(response, "That does not look like a phone number.")
    assert input_value(response, "public_number") == "ask Tony"
    assert not Service.objects.exists()


def test_members_and_moderators_are_kept_out_of_the_staff_pages(alice, bob, clinic):
    for person in (alice, bob):
        client = _client(person)
        for path in ("/staff/services/", "/staff/services/new/", f"/staff/services/{clinic.pk}/"):
            assert client.get(path).status_code == 404, path
        assert client.post(f"/staff/services/{clinic.pk}/delete/").status_code == 404
        assert client.get("/staff/services/referrals/").status_code == 404
    assert _client(alice).get("/staff/services/ratings/").status_code == 404
    assert _client(bob).get("/staff/services/ratings/").status_code == 200
    assert Service.objects.filter(pk=clinic.pk).exists()


def test_a_moderator_sees_who_wrote_a_note_and_publishes_or_rejects_it(alice, bob, erin, clinic):
    first = services.rating_save(actor=alice, service=clinic, stars=5, note="Go early on Saturdays.")
    second = services.rating_save(actor=erin, service=clinic, stars=1, note="The doctor Kamau was rude.")
    client = _client(bob)
    queue = client.get("/staff/services/ratings/")
    assert "alice" in _main(queue) and "erin" in _main(queue) and "Go early on Saturdays." in _main(queue)
    page = _follow(client, client.post(f"/staff/services/ratings/{first.pk}/", {"action": "publish"}))
    assert page_shows(page, "Published.")
    refused = client.post(f"/staff/services/ratings/{second.pk}/", {"action": "reject", "reason": "  "})
    assert refused.status_code == 400 and page_shows(refused, "Say why, for the member who wrote it.")
    too_long = client.post(f"/staff/services/ratings/{second.pk}/", {"action": "reject", "reason": "y" * 501})
    # The reason as typed, in the form of the note it was for.
    assert too_long.status_code == 400 and f'name="reason" maxlength="500" value="{"y" * 501}"' in page_text(too_long)
    page = _follow(
        client,
        client.post(f"/staff/services/ratings/{second.pk}/", {"action": "reject", "reason": "It names a doctor."}),
    )
    assert page_shows(page, "Rejected. The member sees your reason.")
    assert dict(Rating.objects.values_list("membership__account__pseudonym", "status")) == {
        "alice": "published",
        "erin": "rejected",
    }
    # Published notes can be taken down from the same page.
    assert "Take down" in _main(page) and "Go early on Saturdays." in _main(page)
    assert AuditEntry.objects.filter(action=AuditAction.RATING_MODERATED, actor=bob).count() == 2


def test_a_moderator_is_not_offered_a_decision_on_their_own_note(bob, clinic):
    services.rating_save(actor=bob, service=clinic, stars=5, note="My own.")
    main = _main(_client(bob).get("/staff/services/ratings/"))
    assert "Another moderator must decide on your own note." in main and "Publish" not in main


def test_staff_read_each_request_audited_answer_it_and_the_member_is_told(alice, carol, clinic):
    older = services.referral_request(actor=alice, kind=ServiceKind.SHELTER, message="A bed tonight.")
    newer = services.referral_request(actor=alice, service=clinic, message="Someone to come with me.")
    services.referral_close(actor=alice, referral=older)
    client = _client(carol)
    queue = _main(client.get("/staff/services/referrals/"))
    assert queue.index("Westlands Community Clinic") < queue.index("Shelter")  # open first
    assert "A bed tonight." not in queue and "Someone to come with me." not in queue  # read one at a time
    assert not AuditEntry.objects.filter(action=AuditAction.REFERRAL_VIEWED).exists()
    assert AuditEntry.objects.filter(action=AuditAction.REFERRAL_QUEUE_VIEWED, actor=carol).count() == 1
    page = client.get(f"/staff/services/referrals/{newer.pk}/")
    assert "Someone to come with me." in _main(page) and "alice" in _main(page)
    refused = client.post(f"/staff/services/referrals/{newer.pk}/", {"answer": "z" * 2001})
    assert refused.status_code == 400 and _textarea(refused, "answer") == "z" * 2001
    assert AuditEntry.objects.filter(action=AuditAction.REFERRAL_VIEWED, target_id=newer.pk).count() == 2
    page = _follow(client, client.post(f"/staff/services/referrals/{newer.pk}/", {"answer": "Grace meets you at 10."}))
    assert page_shows(page, "Answered. The member is told there is an answer.")
    assert list(Delivery.objects.values_list("membership__account__pseudonym", flat=True)) == ["alice"]
    assert "Grace meets you at 10." in _main(_client(alice).get("/services/referrals/"))
    page = _follow(client, client.post(f"/staff/services/referrals/{newer.pk}/close/"))
    assert page_shows(page, "The request is closed.")
    page = _follow(client, client.post(f"/staff/services/referrals/{newer.pk}/close/"))
    assert page_shows(page, "This request is already closed.")
    closed = client.get(f"/staff/services/referrals/{newer.pk}/")
    assert "Grace meets you at 10." in _main(closed) and "<textarea" not in _main(closed)


@pytest.mark.parametrize(
    ("path", "data", "fields"),
    [
        ("/services/{service}/rating/", {"stars": "4"}, ("stars", "note")),
        ("/services/{service}/referral/", {}, ("message",)),
        # Checkboxes take any value as "ticked": only the other fields can refuse anything.
        (
            "/staff/services/{service}/",
            SERVICE_FORM,
            tuple(name for name in SERVICE_FORM if SERVICE_FORM[name] != "on"),
        ),
        ("/staff/services/ratings/{rating}/", {"action": "reject", "reason": "fine"}, ("action", "reason")),
        ("/staff/services/referrals/{referral}/", {"answer": "fine"}, ("answer",)),
    ],
)
def test_it_answers_hostile_input_on_forms_about_one_object_with_a_message(people, clinic, path, data, fields):
    """The forms the shared bad-input test cannot reach (it knows no object ids)."""
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    who = alice if path.startswith("/services/") else (bob if "ratings" in path else carol)
    for (kind, value), name in itertools.product(HOSTILE.items(), fields):
        rating = services.rating_save(actor=alice, service=clinic, stars=3, note="A note.")
        referral = services.referral_request(actor=alice, service=clinic)
        url = path.format(service=clinic.pk, rating=rating.pk, referral=referral.pk)
        response = _client(who).post(url, {**data, name: value})
        context = f"{url} {name}={kind}"
        assert response.status_code < 500, context
        body = page_text(response)
        for markup in UNESCAPED:
            assert markup not in body, context
        if kind in MUST_BE_REFUSED:
            assert response.status_code == 400, context
        Referral.objects.all().delete()
