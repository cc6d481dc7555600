"""Records speak the framework's language: their categories are the codes of the NSWP framework's
disaggregations, so a computed figure splits by a record's own value."""

from pathlib import Path

import yaml

from sombrilla.monitoring.records import models as m

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "nswp-2022-25.yaml"


def _categories() -> dict[str, list[str]]:
    framework = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    return {d["code"]: [c["code"] for c in d["categories"]] for d in framework["disaggregations"]}


def test_it_uses_the_frameworks_codes_for_regions_themes_days_levels_and_translation():
    categories = _categories()
    assert m.Region.values == categories["region"]
    assert m.Theme.values == categories["theme"]
    assert m.CommemorativeDay.values == categories["commemorative-day"]
    assert m.Level.values == categories["level"]
    assert m.Translation.values == categories["translation"]
    assert m.SupportKind.values[:3] == categories["support-type"]


def test_it_maps_every_format_to_one_of_the_frameworks_format_categories():
    assert set(m.FORMAT_CATEGORY) == set(m.Format)
    assert set(m.FORMAT_CATEGORY.values()) == set(_categories()["format"])


def test_it_knows_the_four_commemorative_days_of_the_document():
    days = [label.split(":")[0] for label in m.CommemorativeDay.labels]
    assert days == ["3 March", "2 June", "14 September", "17 December"]


def test_it_keeps_counts_of_participants_and_never_who_they_are():
    assert {f.name for f in m.TrainingParticipant._meta.concrete_fields} == {
        "id",
        "organisation",
        "created_at",
        "updated_at",
        "training",
        "region",
        "new_leaders",
        "young_leaders",
    }
