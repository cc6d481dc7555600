"""Importing and exporting frameworks against the real database, with the shipped NSWP 2022-25 framework."""

import re

import pytest
import yaml
from django.apps import apps
from django.http import Http404

from sombrilla.monitoring import selectors, services
from sombrilla.monitoring.computations import COMPUTATIONS
from sombrilla.monitoring.models import (
    Activity,
    DataSource,
    Direction,
    Framework,
    Indicator,
    IndicatorTarget,
    Kind,
    Level,
)
from sombrilla.monitoring.services import MonitoringError
from sombrilla.monitoring.tests.factories import as_yaml, full_framework, small_framework, snapshot

pytestmark = pytest.mark.django_db

NSWP = services.SHIPPED["nswp-2022-25"]
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


@pytest.fixture
def nswp():
    return services.framework_load_shipped()


def _without_comments(text: str) -> str:
    return "".join(line for line in text.splitlines(True) if not line.startswith("#"))


def _parts():
    for model in apps.get_app_config("monitoring").get_models():
        if model is not Framework:
            yield from model.objects.all()


def test_it_holds_as_many_parts_as_the_document_lists(nswp):
    # Counted by hand in seeds/nswp-me-framework-2022-25.ru.txt: goals 1-8 ("Работа НСВП ведется для
    # достижения следующих ЦЕЛЕЙ"); strategies 1-3; results 1, 2a, 2b and 3; directions 1.1-1.5, 2A, 2B and
    # 3.1-3.5 (the document misnumbers 3.3 as a second 3.2); the bullets under "ПРИМЕРЫ МЕРОПРИЯТИЙ" of the
    # twelve directions (3+6+7+3+1 + 5+1 + 6+8+2+2+2); 8 impact indicators (the bullets under "Индикаторы
    # влияния"), 6 result indicators (2+2+1+1 under "ИНДИКАТОРЫ" of each result) and 64 direction
    # indicators (4+5+11+7+2 + 6+6 + 5+9+3+3+3 under "ПРИМЕРЫ ИНДИКАТОРОВ", sub-points not counted); and the
    # three evaluation points: the board's annual review, the mid-term evaluation 2023 and the strategy's 2024.
    assert selectors.framework_counts(framework=nswp) == {
        "goals": 8,
        "strategies": 3,
        "results": 4,
        "directions": 12,
        "activities": 46,
        "indicators": 78,
        "evaluation points": 3,
    }
    levels = {level: nswp.indicators.filter(level=level).count() for level in Level.values}
    assert levels == {Level.IMPACT: 8, Level.RESULT: 6, Level.OUTPUT: 64}


def test_it_gives_each_direction_the_documents_activities_and_indicators(nswp):
    # (activities, indicators) per direction, counted in the document as above.
    expected = {
        "1.1": (3, 4),
        "1.2": (6, 5),
        "1.3": (7, 11),
        "1.4": (3, 7),
        "1.5": (1, 2),
        "2A": (5, 6),
        "2B": (1, 6),
        "3.1": (6, 5),
        "3.2": (8, 9),
        "3.3": (2, 3),
        "3.4": (2, 3),
        "3.5": (2, 3),
    }
    found = {d.code: (d.activities.count(), d.indicators.count()) for d in Direction.objects.filter(framework=nswp)}
    assert found == expected
    by_strategy = {s.code: [d.code for d in s.directions.all()] for s in nswp.strategies.all()}
    assert by_strategy == {
        "1": ["1.1", "1.2", "1.3", "1.4", "1.5"],
        "2": ["2A", "2B"],
        "3": [f"3.{n}" for n in range(1, 6)],
    }
    served = {d.code: d.result.code for d in Direction.objects.filter(framework=nswp)}
    assert served["2A"] == "2a" and served["2B"] == "2b" and served["3.5"] == "3"


def test_it_writes_every_text_of_the_nswp_framework_in_english_and_russian(nswp):
    texts = 0
    for obj in [nswp, *_parts()]:
        for field in obj._meta.concrete_fields:
            if field.get_internal_type() != "JSONField":
                continue
            value = getattr(obj, field.name)
            if field.name == "name":
                assert value, f"{obj!r} has no name"
            if not value:
                continue
            assert set(value) == {"en", "ru"}, f"{obj} {field.name}: {sorted(value)}"
            assert CYRILLIC.search(value["ru"]), f"{obj} {field.name}: the Russian text is not in Russian"
            assert not CYRILLIC.search(value["en"]), f"{obj} {field.name}: the English text has Cyrillic in it"
            texts += 1
    assert texts > 200  # the loop did look at the texts


def test_it_names_only_known_computations_of_the_indicators_kind(nswp):
    computed = Indicator.objects.filter(framework=nswp).exclude(computation="")
    assert computed.count() == 32
    for indicator in computed:
        assert COMPUTATIONS[indicator.computation].kind == indicator.kind
        assert indicator.data_source in (DataSource.RECORDS, DataSource.SURVEY)
    assert not Indicator.objects.filter(framework=nswp, data_source=DataSource.RECORDS, computation="").exists()
    # The document states no baselines or targets, so none were invented.
    assert not Indicator.objects.filter(framework=nswp, baseline_value__isnull=False).exists()
    assert not IndicatorTarget.objects.exists()
    assert Indicator.objects.get(framework=nswp, code="1.2.3").frequency == "biennial"
    percentage = Indicator.objects.get(framework=nswp, code="1.4.3")
    assert percentage.kind == Kind.PERCENTAGE and percentage.numerator["ru"] and percentage.denominator["en"]


def test_it_splits_indicators_the_way_the_document_implies(nswp):
    def split(code):
        return [d.code for d in Indicator.objects.get(framework=nswp, code=code).disaggregations.order_by("position")]

    assert split("1.3.1") == ["translation"]  # online vs community translation
    assert split("1.3.7") == split("1.3.8") == ["language", "format"]
    assert split("3.2.1") == ["format", "theme"]
    assert split("3.4.2") == ["region", "theme"]
    assert split("3.4.1") == ["commemorative-day"]
    days = nswp.disaggregations.get(code="commemorative-day").categories.all()
    assert [c.text("name", "en").split(":")[0] for c in days] == ["3 March", "2 June", "14 September", "17 December"]
    assert nswp.disaggregations.get(code="region").categories.count() == 5  # "во всех пяти регионах НСВП"


def test_it_keeps_the_documents_reading_order(nswp):
    codes = list(Indicator.objects.filter(framework=nswp).values_list("code", flat=True))
    assert codes[:10] == ["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "R1.1", "R1.2"]
    assert codes[10:14] == ["1.1.1", "1.1.2", "1.1.3", "1.1.4"]
    # Strategy 2 reads result 2a, direction 2A, result 2b, direction 2B.
    start = codes.index("R2a.1")
    assert codes[start : start + 10] == [
        "R2a.1",
        "R2a.2",
        "2A.1",
        "2A.2",
        "2A.3",
        "2A.4",
        "2A.5",
        "2A.6",
        "R2b.1",
        "2B.1",
    ]
    assert codes[-1] == "3.5.3"
    assert [g.code for g in nswp.goals.all()] == [str(n) for n in range(1, 9)]
    assert [p.code for p in nswp.evaluation_points.all()] == [
        "annual-board-review",
        "mid-term-2023",
        "strategy-evaluation-2024",
    ]
    assert [p.year for p in nswp.evaluation_points.all()] == [None, 2023, 2024]
    first = Activity.objects.filter(direction__framework=nswp, direction__code="1.1").first()
    assert first.text("name", "ru") == "Сохранение подотчетной и прозрачной системы членства."


def test_it_round_trips_the_shipped_framework_into_a_fresh_database_without_losing_anything(nswp):
    before = snapshot()
    exported = services.framework_export(framework=nswp)
    Framework.objects.all().delete()
    assert all(rows == [] for rows in snapshot().values())  # as fresh as a new database
    again = services.framework_import(data=exported)
    assert snapshot() == before
    assert services.framework_export(framework=again) == exported


def test_it_round_trips_every_feature_of_the_file_format(org_a):
    framework = services.framework_import(data=as_yaml(full_framework()), organisation=org_a)
    before = snapshot()
    # Every model holds rows, so every field of every model was compared.
    assert all(before.values()), [label for label, rows in before.items() if not rows]
    exported = services.framework_export(framework=framework)
    Framework.objects.all().delete()
    services.framework_import(data=exported, organisation=org_a)
    assert snapshot() == before
    assert yaml.safe_load(exported)["goals"][1]["code"] == "yes"  # quoted, so it stays text
    percentage = Indicator.objects.get(code="1.1.2")
    assert [str(t.value) for t in percentage.targets.all()] == ["80.00", "33.33"]
    assert str(percentage.baseline_value) == "62.50"
    yes_no = Indicator.objects.get(code="1.1.3")
    assert (yes_no.baseline_value, [t.value for t in yes_no.targets.all()]) == (0, [1])


def test_it_ships_the_fixture_exactly_as_the_export_writes_it(nswp):
    # Only the fixture's own comments (its notes on the transcription) differ.
    assert _without_comments(services.framework_export(framework=nswp)) == _without_comments(NSWP.read_text())


def test_it_exports_readable_yaml(nswp):
    text = services.framework_export(framework=nswp)
    body = _without_comments(text)
    assert body.startswith("format: sombrilla-framework/1\ncode: nswp-2022-25\nname:\n")
    assert "ru: Права человека\n" in body  # unicode as is, not \u escapes
    assert "\\u" not in body and "{" not in body and "!!" not in body  # block style, plain types
    assert "  - code: '1.1'\n" in body  # codes that look like numbers are quoted
    assert list(yaml.safe_load(text)) == [
        "format",
        "code",
        "name",
        "period",
        "source",
        "description",
        "mission",
        "theory_of_change",
        "goals",
        "disaggregations",
        "impact",
        "strategies",
        "evaluation_points",
    ]
    indicator = yaml.safe_load(text)["strategies"][0]["directions"][0]["indicators"][0]
    assert list(indicator) == ["code", "name", "kind", "disaggregations", "frequency", "data_source", "computation"]


def test_it_loads_the_shipped_framework_again_without_duplicating_it(nswp):
    ids = set(Indicator.objects.values_list("id", flat=True))
    services.framework_load_shipped()
    assert Framework.objects.count() == 1
    assert set(Indicator.objects.values_list("id", flat=True)) == ids


def test_it_refuses_an_existing_code_without_replace_and_changes_nothing(nswp):
    before = snapshot()
    with pytest.raises(MonitoringError, match="already a framework with the code nswp-2022-25"):
        services.framework_import(data=NSWP.read_bytes())
    assert snapshot() == before


def test_it_updates_a_framework_in_place_when_replacing(db):
    framework = services.framework_import(data=as_yaml(small_framework()))
    kept = Indicator.objects.get(code="2.1.1")
    removed = Indicator.objects.get(code="2.1.3")
    data = small_framework()
    directions = data["strategies"][1]["directions"]
    directions[0]["indicators"] = [directions[0]["indicators"][0]]
    directions[0]["indicators"][0]["name"] = {"en": "Renamed", "ru": "Переименован"}
    # 1.1.1 moves to a new direction of the second strategy.
    moved = data["strategies"][0]["directions"][0].pop("indicators")
    directions.append({"code": "2.2", "name": {"en": "New direction"}, "indicators": moved})
    again = services.framework_import(data=as_yaml(data), replace=True)
    assert again.pk == framework.pk
    kept.refresh_from_db()
    assert kept.text("name", "ru") == "Переименован"
    assert not Indicator.objects.filter(pk=removed.pk).exists()
    assert Indicator.objects.get(code="1.1.1").direction.code == "2.2"
    assert list(Indicator.objects.values_list("code", flat=True)) == ["R1.1", "2.1.1", "1.1.1"]


def test_it_keeps_the_old_framework_when_a_replacement_file_is_bad(nswp):
    before = snapshot()
    data = yaml.safe_load(NSWP.read_text())
    data["strategies"][2]["directions"][4]["indicators"][0]["kind"] = "sum"
    with pytest.raises(MonitoringError, match=r"strategies\[2\]\.directions\[4\]\.indicators\[0\]: kind 'sum'"):
        services.framework_import(data=as_yaml(data), replace=True)
    assert snapshot() == before


def test_it_refuses_a_shipped_framework_it_does_not_have(db):
    with pytest.raises(MonitoringError, match="no shipped framework unknown"):
        services.framework_load_shipped(code="unknown")


def test_it_shows_an_organisation_the_networks_frameworks_and_its_own_only(nswp, org_a, org_b):
    own = services.framework_import(data=NSWP.read_bytes(), organisation=org_a)
    assert own.pk != nswp.pk  # the same code may be used by an organisation and by the network
    other = services.framework_import(data=as_yaml(small_framework("only-b")), organisation=org_b)
    assert set(selectors.frameworks_for(organisation=org_a)) == {nswp, own}
    assert set(selectors.frameworks_for(organisation=org_b)) == {nswp, other}
    assert selectors.framework_get_for(organisation=org_a, code="nswp-2022-25") == own
    assert selectors.framework_get_for(organisation=org_b, code="nswp-2022-25") == nswp
    with pytest.raises(Http404):
        selectors.framework_get_for(organisation=org_a, code="only-b")
    assert selectors.framework_find(code="only-b") is None
    assert selectors.framework_find(code="only-b", organisation=org_b) == other


def test_it_loads_the_tree_in_a_fixed_number_of_queries(nswp, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        services.framework_export(framework=nswp)
