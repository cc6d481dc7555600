"""The demo records give every computation over records a figure, in every year of the framework."""

import pytest

from sombrilla.monitoring.computations import COMPUTATIONS
from sombrilla.monitoring.indicators import COMPUTE, Scope
from sombrilla.monitoring.records.demo import YEARS, demo_load
from sombrilla.monitoring.records.kinds import KINDS

# Sombrilla's own figures ("platform.") come from its use; every other computation counts records.
RECORD_KEYS = [key for key in COMPUTATIONS if not key.startswith("platform.")]
# Elected every two years, as the framework says.
BIENNIAL = {"governance.president_elected"}


@pytest.fixture
def demo(carol):
    return demo_load(organisation=carol.organisation, author=carol)


def test_it_gives_every_computation_over_records_a_figure_every_year(carol, demo):
    scope = Scope(organisations=(carol.organisation,), years=YEARS)
    assert len(RECORD_KEYS) == 31
    for key in RECORD_KEYS:
        found = COMPUTE[key](scope)
        years = [year for year in YEARS if year in found and found[year].total]
        assert years == (list(YEARS[1::2]) if key in BIENNIAL else list(YEARS)), key


def test_it_makes_records_of_every_type_through_the_services(carol, demo):
    made = sum(kind.model.objects.filter(organisation=carol.organisation).count() for kind in KINDS.values())
    assert made == demo > 500
    for slug, kind in KINDS.items():
        assert kind.model.objects.filter(organisation=carol.organisation).exists(), slug


def test_it_splits_the_demo_by_every_region_and_both_kinds_of_translation(carol, demo):
    regions = set(KINDS["members"].model.objects.values_list("region", flat=True))
    assert len(regions) == 5
    assert set(KINDS["website-languages"].model.objects.values_list("translation", flat=True)) == {
        "online",
        "community",
    }


def test_it_refuses_an_author_of_another_organisation(carol, mallory):
    with pytest.raises(ValueError):
        demo_load(organisation=carol.organisation, author=mallory)
