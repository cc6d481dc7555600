"""The record pages: the hub, every type's form (add, change, delete), lists filtered by year, the import page
and the template, hostile input, and who may see what (members and moderators nothing; analysts read only;
another organisation's staff nothing of organisation A)."""

import itertools
import re

import pytest
from django.test import Client

from sombrilla.conftest import log_in, page_shows, page_text
from sombrilla.core.tests.test_bad_input import HOSTILE, MUST_BE_REFUSED, UNESCAPED
from sombrilla.monitoring.records import views
from sombrilla.monitoring.records.kinds import KINDS
from sombrilla.monitoring.records.models import Campaign, GovernanceEvent, MemberOrganisation, Training
from sombrilla.monitoring.records.tests.factories import csv_file, example_parent, make_record, rows_csv

HUB = "/me/records/"


def _client(membership) -> Client:
    return log_in(Client(raise_request_exception=False), membership)


def _form_data(carol, slug) -> dict:
    """The template's example row as a person would type it into the form."""
    kind = KINDS[slug]
    data = {name: kind.example.get(name, "") for name in kind.fields}
    if kind.parent:
        data[kind.parent.field] = str(example_parent(carol, kind).pk)
    if data.get("in_regional_network") == "":
        data.pop("in_regional_network")
    return data


def _errors(response) -> str:
    return " ".join(str(error) for errors in response.context["form"].errors.values() for error in errors)


def test_it_lists_every_type_on_the_hub_with_its_count_and_links(carol):
    make_record(carol, "members")
    make_record(carol, "members", name="Second")
    response = _client(carol).get(HUB)
    body = page_text(response)
    assert response.status_code == 200
    for slug, kind in KINDS.items():
        assert page_shows(response, str(kind.name)), slug
        for path in ("", "new/", "import/", "template.csv"):
            assert f'href="/me/records/{slug}/{path}"' in body, (slug, path)
    members_row = body.split('href="/me/records/members/"')[1].split("</tr>")[0]
    assert "<td>2</td>" in members_row


def test_it_shows_the_hub_to_an_analyst_without_the_links_to_write(nina, carol):
    make_record(carol, "members")
    body = page_text(_client(nina).get(HUB))
    assert 'href="/me/records/members/"' in body
    assert "/new/" not in body and "/import/" not in body


@pytest.mark.parametrize("slug", list(KINDS))
def test_it_adds_changes_and_deletes_a_record_of_every_type_through_its_form(carol, slug):
    kind, client = KINDS[slug], _client(carol)
    assert client.get(f"/me/records/{slug}/new/").status_code == 200
    response = client.post(f"/me/records/{slug}/new/", _form_data(carol, slug))
    assert response.status_code == 302, response.context and _errors(response)
    assert response["Location"] == f"/me/records/{slug}/"
    record = kind.model.objects.get()
    page = client.get(f"/me/records/{slug}/{record.pk}/")
    assert page.status_code == 200 and page_shows(page, "Delete this record")
    listed = page_text(client.get(f"/me/records/{slug}/"))
    assert f"/me/records/{slug}/{record.pk}/" in listed
    # Sent again unchanged: the same record, no duplicate.
    assert client.post(f"/me/records/{slug}/{record.pk}/", _form_data(carol, slug)).status_code == 302
    assert kind.model.objects.count() == 1
    assert client.post(f"/me/records/{slug}/{record.pk}/delete/").status_code == 302
    assert not kind.model.objects.exists()


@pytest.mark.parametrize("slug", list(KINDS))
def test_it_answers_an_empty_form_with_what_is_required(carol, slug):
    response = _client(carol).post(f"/me/records/{slug}/new/", {})
    assert response.status_code == 400
    assert "This field is required." in _errors(response)
    assert not KINDS[slug].model.objects.exists()


@pytest.mark.parametrize("slug", list(KINDS))
def test_it_answers_hostile_input_in_every_field_of_every_form_without_a_server_error(carol, slug):
    client, base = _client(carol), _form_data(carol, slug)
    kind = KINDS[slug]
    for (name, value), field in itertools.product(HOSTILE.items(), kind.fields):
        response = client.post(f"/me/records/{slug}/new/", {**base, field: value})
        assert response.status_code in (302, 400), (field, name, response.status_code)
        for markup in UNESCAPED:
            assert markup not in page_text(response), (field, name)
        if name in MUST_BE_REFUSED and field not in ("in_regional_network",):
            assert response.status_code == 400, (field, name)
        kind.model.objects.all().delete()


def test_it_shows_a_records_rule_beside_its_field_and_keeps_what_was_typed(carol):
    data = {**_form_data(carol, "members"), "joined_on": "2024-05-01", "left_on": "2024-01-01"}
    response = _client(carol).post("/me/records/members/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["left_on"] == ["An organisation cannot leave before it joined."]
    assert 'value="Night Lights Collective"' in page_text(response)


def test_it_refuses_a_second_record_that_is_the_same_one(carol):
    make_record(carol, "members")
    response = _client(carol).post("/me/records/members/new/", _form_data(carol, "members"))
    assert response.status_code == 400
    assert page_shows(response, "This member organisation is recorded already (the same name and country).")


def test_it_refuses_a_parent_of_another_organisation_in_the_form(carol, mallory):
    foreign = make_record(mallory, "publications")
    data = {**_form_data(carol, "publication-stats"), "publication": str(foreign.pk)}
    response = _client(carol).post("/me/records/publication-stats/new/", data)
    assert response.status_code == 400
    assert "Select a valid choice." in _errors(response)


def test_it_offers_a_parents_form_to_add_what_belongs_to_it_with_the_parent_chosen(carol):
    training = make_record(carol, "trainings")
    make_record(carol, "training-participants", training=training, region="europe")
    page = page_text(_client(carol).get(f"/me/records/trainings/{training.pk}/"))
    assert "Training participants" in page and "Europe" in page
    link = f"/me/records/training-participants/new/?training={training.pk}"
    assert link.replace("&", "&amp;") in page
    form = page_text(_client(carol).get(link))
    assert f'<option value="{training.pk}" selected>' in form


def test_it_filters_a_list_by_year(carol):
    make_record(carol, "governance", date="2023-05-01")
    make_record(carol, "governance", date="2024-05-01", note="the 2024 meeting")
    client = _client(carol)
    assert GovernanceEvent.objects.count() == 2
    page = page_text(client.get("/me/records/governance/?year=2023"))
    assert "2023-05-01" in page and "2024-05-01" not in page
    assert '<option value="2024">' in page and '<option value="2023" selected>' in page
    assert "2024-05-01" in page_text(client.get("/me/records/governance/"))
    campaigns = [make_record(carol, "campaigns", year=year) for year in (2023, 2024)]
    assert Campaign.objects.count() == 2
    page = page_text(client.get("/me/records/campaigns/?year=2024"))
    assert f"/me/records/campaigns/{campaigns[1].pk}/" in page and str(campaigns[0].pk) not in page


def test_it_lists_member_organisations_of_a_year_as_those_members_during_it(carol):
    make_record(carol, "members", name="Left in 2022", joined_on="2015-01-01", left_on="2022-06-30")
    make_record(carol, "members", name="Member since 2018", joined_on="2018-01-01")
    make_record(carol, "members", name="Joined in 2024", joined_on="2024-03-01")
    page = page_text(_client(carol).get("/me/records/members/?year=2023"))
    assert "Member since 2018" in page
    assert "Left in 2022" not in page and "Joined in 2024" not in page


def test_it_lists_what_belongs_to_a_parent_by_the_parents_year(carol):
    training = make_record(carol, "trainings", date="2023-02-02", title="Old")
    make_record(carol, "training-participants", training=training)
    make_record(carol, "training-participants", region="europe")
    page = page_text(_client(carol).get("/me/records/training-participants/?year=2024"))
    assert "Regional leadership academy" in page and "Old (2023-02-02)" not in page


@pytest.mark.parametrize("query", ["?year=abc", "?year=1850", "?year=" + HOSTILE["script"], "?page=zzz"])
def test_it_answers_a_bad_filter_with_a_message_not_an_error(carol, query):
    make_record(carol, "governance")
    response = _client(carol).get("/me/records/governance/" + query)
    assert response.status_code in (200, 400)
    if "year" in query:
        assert response.status_code == 400 and "Select a valid choice." in page_text(response)
    assert "<script>alert" not in page_text(response)


def test_it_pages_a_long_list(carol):
    for number in range(views.PAGE_SIZE + 5):
        make_record(carol, "communications", channel=f"list {number:02d}")
    client = _client(carol)
    first = page_text(client.get("/me/records/communications/?year=2024"))
    assert first.count('<th scope="row">') == views.PAGE_SIZE
    assert "?year=2024&amp;page=2" in first
    assert page_text(client.get("/me/records/communications/?year=2024&page=2")).count('<th scope="row">') == 5


# Import and template ------------------------------------------------------------------------------------------


def test_it_imports_a_file_from_the_import_page(carol):
    client = _client(carol)
    page = client.get("/me/records/members/import/")
    assert page.status_code == 200
    assert page_shows(page, "Matched by name and country")
    assert "joined_on" in page_text(page) and "a date, YYYY-MM-DD" in page_text(page)
    text = rows_csv(["name", "country", "region", "joined_on"], ["Red Umbrella", "KE", "africa", "2023-01-01"])
    response = client.post("/me/records/members/import/", {"file": csv_file(text)}, follow=True)
    assert response.redirect_chain[-1][0] == "/me/records/members/"
    assert page_shows(response, "Imported: 1 new, 0 updated.")
    assert MemberOrganisation.objects.get().name == "Red Umbrella"


def test_it_lists_the_problems_of_a_refused_file_and_imports_nothing(carol):
    rows = [[f"Collective {n}", "KE", "africa", "2023-02-30", "", "no"] for n in range(130)]
    header = ["name", "country", "region", "joined_on", "left_on", "in_regional_network"]
    response = _client(carol).post("/me/records/members/import/", {"file": csv_file(rows_csv(header, *rows))})
    assert response.status_code == 400
    body = page_text(response)
    assert "Nothing was imported." in body
    assert "row 2, column &#x27;joined_on&#x27;: &#x27;2023-02-30&#x27; is not a date (YYYY-MM-DD)" in body
    assert body.count("<li>row ") == 100
    assert "and 30 more problems." in body
    assert not MemberOrganisation.objects.exists()


def test_it_asks_for_a_file_when_none_is_sent(carol):
    response = _client(carol).post("/me/records/members/import/", {})
    assert response.status_code == 400
    assert "This field is required." in _errors(response)


def test_it_escapes_hostile_cells_and_file_names_shown_back(carol):
    text = rows_csv(["name", HOSTILE["script"]], ["x", "y"])
    response = _client(carol).post("/me/records/members/import/", {"file": csv_file(text, name=HOSTILE["attribute"])})
    assert response.status_code == 400
    assert "<script>alert" not in page_text(response) and "<img src=x" not in page_text(response)


def test_it_downloads_a_types_template(nina):
    response = _client(nina).get("/me/records/members/template.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="members-template.csv"'
    assert response.content.decode("utf-8-sig").startswith("name,country,region,joined_on,left_on,in_regional_network")


# Who may see what -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["alice", "bob"])
def test_it_answers_members_and_moderators_with_404_everywhere(people, person):
    record = make_record(people["carol"], "members")
    client = _client(people[person])
    for path in (
        HUB,
        "/me/records/members/",
        "/me/records/members/new/",
        f"/me/records/members/{record.pk}/",
        "/me/records/members/import/",
        "/me/records/members/template.csv",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/me/records/members/{record.pk}/delete/").status_code == 404
    assert client.post(f"/me/records/members/{record.pk}/", _form_data(people["carol"], "members")).status_code == 404
    assert MemberOrganisation.objects.filter(pk=record.pk).exists()


def test_it_lets_an_analyst_read_records_and_change_nothing(nina, carol):
    training = make_record(carol, "trainings")
    make_record(carol, "training-participants", training=training)
    client = _client(nina)
    assert "Regional leadership academy" in page_text(client.get("/me/records/trainings/"))
    page = client.get(f"/me/records/trainings/{training.pk}/")
    assert page.status_code == 200
    body = page_text(page)
    content = body.split('<main id="main">')[1].split("</main>")[0]
    assert "<form" not in content and "<input" not in content and "Delete" not in content
    assert "<dt>Trained by</dt><dd>experienced leaders</dd>" in body
    assert "Training participants" in body and "/new/" not in body
    data = {"title": "Renamed", "date": "2024-09-10", "region": "africa", "trainer_kind": "network"}
    assert client.post(f"/me/records/trainings/{training.pk}/", data).status_code == 404
    assert client.post(f"/me/records/trainings/{training.pk}/delete/").status_code == 404
    assert client.get("/me/records/trainings/new/").status_code == 404
    assert client.get("/me/records/trainings/import/").status_code == 404
    training.refresh_from_db()
    assert training.title == "Regional leadership academy"


def test_it_shows_another_organisations_staff_nothing_of_organisation_a(mallory, carol):
    records = {slug: make_record(carol, slug) for slug in KINDS}
    client = _client(mallory)
    for slug, record in records.items():
        assert client.get(f"/me/records/{slug}/{record.pk}/").status_code == 404, slug
        assert client.post(f"/me/records/{slug}/{record.pk}/delete/").status_code == 404, slug
        assert str(record.pk) not in page_text(client.get(f"/me/records/{slug}/"))
    hub = page_text(client.get(HUB))
    assert "<td>1</td>" not in hub
    assert Training.objects.filter(organisation=carol.organisation).count() == 1


def test_it_keeps_a_year_asked_for_in_a_link_even_without_records(carol):
    response = _client(carol).get("/me/records/trainings/?year=2019")
    assert response.status_code == 200
    assert '<option value="2019" selected>' in page_text(response)
    assert page_shows(response, "No records in 2019.")


@pytest.mark.parametrize("value", [HOSTILE["script"], "not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_it_ignores_a_hostile_or_unknown_parent_asked_for_in_advance(carol, value):
    make_record(carol, "trainings")
    response = _client(carol).get("/me/records/training-participants/new/", {"training": value})
    assert response.status_code == 200
    assert "<script>alert" not in page_text(response)
    assert not re.search(r'<option value="[^"]+" selected>', page_text(response).split("<main")[1])
