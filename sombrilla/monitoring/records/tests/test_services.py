"""The writers: who may write, what a record refuses, what counts as the same record, what deletion takes with it."""

import datetime

import pytest
from django.core.exceptions import NON_FIELD_ERRORS

from sombrilla.core.models import AuditEntry
from sombrilla.monitoring.records import services
from sombrilla.monitoring.records.kinds import KINDS
from sombrilla.monitoring.records.models import MemberOrganisation, Publication, PublicationStat
from sombrilla.monitoring.records.services import RecordsError
from sombrilla.monitoring.records.tests.factories import example_values, make_record

# One change per type, to a field that does not identify the record.
CHANGES = {
    "members": ("left_on", datetime.date(2025, 1, 1)),
    "governance": ("note", "changed"),
    "publications": ("languages", ["en", "pt"]),
    "publication-stats": ("downloads", 9),
    "website": ("repeat_visitors", 7),
    "website-languages": ("pages", 9),
    "communications": ("count", 9),
    "trainings": ("experienced_trainers", 9),
    "training-participants": ("young_leaders", 9),
    "support": ("region", "europe"),
    "forums": ("level", "national"),
    "campaigns": ("title", "Changed"),
    "campaign-participation": ("member_organisations", 9),
    "advocacy-tools": ("format", "video"),
    "knowledge": ("country", "UG"),
    "surveys": ("responses", 500),
}


def test_it_has_a_change_for_every_type():
    assert set(CHANGES) == set(KINDS)


@pytest.mark.parametrize("slug", list(KINDS))
def test_it_creates_changes_and_deletes_a_record_of_every_type(carol, slug):
    kind = KINDS[slug]
    record = make_record(carol, slug)
    assert record.organisation == carol.organisation
    field, new_value = CHANGES[slug]
    values = example_values(kind)
    if kind.parent:
        values[kind.parent.field] = getattr(record, kind.parent.field)
    services.record_save(actor=carol, kind=kind, values={**values, field: new_value}, record=record)
    record.refresh_from_db()
    assert getattr(record, field) == new_value
    assert kind.model.objects.count() == 1
    record_id = record.pk
    services.record_delete(actor=carol, kind=kind, record=record)
    assert not kind.model.objects.filter(pk=record_id).exists()
    entry = AuditEntry.objects.get(action="record.deleted")
    assert (entry.actor, entry.target_type, entry.target_id) == (carol, slug, record_id)


@pytest.mark.parametrize("person", ["alice", "bob", "nina", "mallory"])
def test_it_lets_no_one_but_the_organisations_staff_write_or_delete(people, person):
    actor, record = people[person], make_record(people["carol"], "members")
    kind = KINDS["members"]
    with pytest.raises(RecordsError):
        services.record_save(actor=actor, kind=kind, values={**example_values(kind), "name": "X"}, record=record)
    with pytest.raises(RecordsError):
        services.record_delete(actor=actor, kind=kind, record=record)
    if person != "mallory":  # mallory may keep records, of her own organisation
        with pytest.raises(RecordsError):
            services.record_save(actor=actor, kind=kind, values={**example_values(kind), "name": "New"})
    record.refresh_from_db()
    assert record.name == "Night Lights Collective"
    assert MemberOrganisation.objects.filter(organisation=people["carol"].organisation).count() == 1


def test_it_lets_an_admin_write(dana):
    assert make_record(dana, "members").organisation == dana.organisation


def test_it_refuses_a_parent_of_another_organisation(carol, mallory):
    foreign = make_record(mallory, "publications")
    kind = KINDS["publication-stats"]
    with pytest.raises(RecordsError) as refused:
        services.record_save(actor=carol, kind=kind, values={**example_values(kind), "publication": foreign})
    assert refused.value.errors == {"publication": ["Not found."]}
    assert not PublicationStat.objects.exists()


def test_it_refuses_the_same_record_twice_whatever_the_case_and_spaces(carol):
    make_record(carol, "members")
    kind = KINDS["members"]
    with pytest.raises(RecordsError) as refused:
        services.record_save(
            actor=carol, kind=kind, values={**example_values(kind), "name": " night  lights COLLECTIVE"}
        )
    assert refused.value.errors == {
        NON_FIELD_ERRORS: ["This member organisation is recorded already (the same name and country)."]
    }
    # Another country is another organisation.
    make_record(carol, "members", country="TZ")
    assert MemberOrganisation.objects.count() == 2


def test_it_lets_a_record_keep_its_own_key_when_changed(carol):
    record = make_record(carol, "members")
    kind = KINDS["members"]
    services.record_save(actor=carol, kind=kind, values={**example_values(kind), "region": "europe"}, record=record)
    record.refresh_from_db()
    assert record.region == "europe"


def test_it_lets_two_organisations_keep_the_same_record(carol, mallory):
    make_record(carol, "publications")
    make_record(mallory, "publications")
    assert Publication.objects.count() == 2


def test_it_tidies_text_and_codes(carol):
    record = make_record(carol, "members", name="  Night   Lights  ", country="ke")
    assert (record.name, record.country) == ("Night Lights", "KE")
    publication = make_record(carol, "publications", languages=["EN", "fr", "en"])
    assert publication.languages == ["en", "fr"]


RULES = [
    # (type, changes, field, message)
    (
        "members",
        {"joined_on": datetime.date(2024, 1, 1), "left_on": datetime.date(2023, 1, 1)},
        "left_on",
        "An organisation cannot leave before it joined.",
    ),
    ("members", {"country": "XX"}, "country", "“XX” is not a country’s two-letter ISO code (KE, MX, TH …)."),
    ("publications", {"languages": []}, "languages", "This field cannot be blank."),
    (
        "publications",
        {"languages": ["english"]},
        "languages",
        "“english” is not an ISO language code (en, fr, es, ru …).",
    ),
    ("website", {"period_end": datetime.date(2023, 1, 1)}, "period_end", "The period ends before it starts."),
    (
        "website",
        {"unique_visitors": 5, "repeat_visitors": 6},
        "repeat_visitors",
        "Repeat visitors are part of the unique visitors.",
    ),
    (
        "governance",
        {"kind": "regional-nomination", "region": ""},
        "region",
        "Say which region nominated its candidates.",
    ),
    (
        "trainings",
        {"trainer_kind": "experienced-leader", "experienced_trainers": 0},
        "experienced_trainers",
        "Say how many experienced leaders gave the training (at least one).",
    ),
    (
        "training-participants",
        {"new_leaders": 0, "young_leaders": 0},
        NON_FIELD_ERRORS,
        "Count at least one new or young leader.",
    ),
    (
        "forums",
        {"kind": "document", "leaders_supported": 2},
        "leaders_supported",
        "A document commented on has no leaders taking part.",
    ),
    (
        "knowledge",
        {"kind": "interview", "region": ""},
        "region",
        "Case studies and interviews are counted by region: give one.",
    ),
    ("surveys", {"responses": 10, "law_policy_changes": 11}, "law_policy_changes", "More than the 10 who answered."),
    ("surveys", {"year": 1900}, "year", "A year between 1990 and 2100."),
    ("communications", {"count": 0}, "count", "Count at least one."),
    (
        "campaign-participation",
        {"member_organisations": 0},
        "member_organisations",
        "Count at least one member organisation.",
    ),
    (
        "publication-stats",
        {"language": "de"},
        "language",
        "The publication has no edition in “de” (its languages: en fr es ru).",
    ),
    (
        "website",
        {"unique_visitors": 2**31},
        "unique_visitors",
        "Ensure this value is less than or equal to 2147483647.",
    ),
]


@pytest.mark.parametrize(("slug", "changes", "field", "message"), RULES, ids=lambda v: str(v)[:24])
def test_it_refuses_what_a_record_cannot_be_with_a_message_for_its_field(carol, slug, changes, field, message):
    kind = KINDS[slug]
    values = example_values(kind)
    if kind.parent:
        values[kind.parent.field] = getattr(make_record(carol, slug), kind.parent.field)
        kind.model.objects.all().delete()
    with pytest.raises(RecordsError) as refused:
        services.record_save(actor=carol, kind=kind, values={**values, **changes})
    assert message in refused.value.errors[field]
    assert not kind.model.objects.exists()


def test_it_deletes_what_belongs_to_a_record_with_it(carol):
    stat = make_record(carol, "publication-stats")
    services.record_delete(actor=carol, kind=KINDS["publications"], record=stat.publication)
    assert not PublicationStat.objects.exists()
