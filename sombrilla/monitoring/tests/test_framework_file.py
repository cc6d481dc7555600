"""Bad framework files: each is refused with a message that names its place in the file, and nothing is stored."""

import copy
import time

import pytest

from sombrilla.monitoring import services
from sombrilla.monitoring.framework_yaml import MAX_EVENTS
from sombrilla.monitoring.services import MonitoringError
from sombrilla.monitoring.tests.factories import as_yaml, small_framework, snapshot

pytestmark = pytest.mark.django_db


def _refused(data) -> list[str]:
    """The errors an import of `data` raises; fails if it imports, or if it stores anything at all."""
    before = snapshot()
    with pytest.raises(MonitoringError) as raised:
        services.framework_import(data=data if isinstance(data, str | bytes) else as_yaml(data))
    assert snapshot() == before
    assert str(raised.value) == "\n".join(raised.value.errors)
    return raised.value.errors


def _indicator(data: dict, **changes) -> dict:
    """`data` with the last indicator of the second strategy's direction changed (None removes a key)."""
    indicator = data["strategies"][1]["directions"][0]["indicators"][2]
    for key, value in changes.items():
        if value is None:
            indicator.pop(key, None)
        else:
            indicator[key] = value
    return data


INDICATOR = "strategies[1].directions[0].indicators[2]"


def test_it_imports_the_valid_file_the_other_tests_spoil(db):
    framework = services.framework_import(data=as_yaml(small_framework()))
    assert framework.indicators.count() == 5


def test_it_names_the_place_of_a_wrong_kind():
    assert _refused(_indicator(small_framework(), kind="sum")) == [
        f"{INDICATOR}: kind 'sum' is not one of count, yes_no, percentage, narrative"
    ]


def test_it_refuses_a_file_that_is_not_yaml():
    (error,) = _refused("code: nswp\nname: [unclosed\nperiod: {start: 2022\n")
    assert error.startswith("The file is not valid YAML: line ")
    assert "column" in error


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe\x00bad", "", "- a list\n- not a mapping\n", "just text\n"],
    ids=["not-utf8", "empty", "list", "scalar"],
)
def test_it_refuses_a_file_that_is_not_a_framework(data):
    (error,) = _refused(data)
    assert "UTF-8" in error or "expected a mapping" in error


def test_it_refuses_values_of_the_wrong_type():
    data = small_framework()
    data["period"]["start"] = "2022"
    data["name"] = "Just a string"
    data["strategies"][0]["directions"] = {"code": "1.1"}
    data["strategies"][1]["directions"][0]["code"] = 2.1
    errors = _refused(data)
    assert "period: start must be a year between 1900 and 2200, found '2022'" in errors
    assert "name must be a mapping of language codes to text (en: ...), found text" in errors
    assert "strategies[0].directions: expected a list, found a mapping" in errors
    assert (
        "strategies[1].directions[0]: code must be text, found a number; put it in quotes, e.g. code: '1.1'" in errors
    )


def test_it_refuses_unknown_keys():
    data = small_framework()
    data["strategies"][0]["resluts"] = data["strategies"][0].pop("results")
    data["owner"] = "someone"
    errors = _refused(data)
    assert "strategies[0]: unknown key 'resluts' (expected one of: code, name, approach, results, directions)" in errors
    assert (
        "unknown key 'owner' (expected one of: format, code, name, period, strategies, source, description, "
        in "\n".join(errors)
    )


def test_it_refuses_duplicate_codes_and_names_the_first_use():
    data = small_framework()
    data["strategies"][1]["directions"].append(copy.deepcopy(data["strategies"][1]["directions"][0]))
    data["strategies"][1]["directions"][1]["indicators"] = []
    data["strategies"][1]["directions"][0]["indicators"][1]["code"] = "1.1.1"
    errors = _refused(data)
    assert "strategies[1].directions[1]: code '2.1' is used already at strategies[1].directions[0]" in errors
    assert (
        "strategies[1].directions[0].indicators[1]: code '1.1.1' is used already at "
        "strategies[0].directions[0].indicators[0]"
    ) in errors


def test_it_refuses_a_key_given_twice():
    text = as_yaml(small_framework()).replace("code: test-frame\n", "code: test-frame\ncode: other\n")
    (error,) = _refused(text)
    assert "the key 'code' appears twice" in error and "line 3" in error


def test_it_refuses_missing_required_fields():
    data = _indicator(small_framework(), kind=None, name={"ru": "Только по-русски"})
    del data["period"]
    errors = _refused(data)
    assert f"{INDICATOR}: kind is missing" in errors
    assert f"{INDICATOR}: name has no English text (en)" in errors
    assert "period is missing" in errors


def test_it_refuses_texts_in_unknown_languages_or_empty():
    data = small_framework()
    data["strategies"][0]["name"] = {"en": "Strategy", "xx": "?"}
    data["strategies"][1]["name"] = {"en": "  "}
    errors = _refused(data)
    assert "strategies[0]: name: language 'xx' is not one of en, es, ru, fr, zh-hans, ar" in errors
    assert "strategies[1]: name: the en text must be non-empty text" in errors


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"data_source": "records"}, "an indicator computed from records needs a computation"),
        ({"computation": "members.new"}, "an indicator entered by hand has no computation (found 'members.new')"),
        ({"data_source": "records", "computation": "members.all"}, "computation 'members.all' is not one of members."),
        (
            {"data_source": "records", "computation": "survey.conducted"},
            "computation 'survey.conducted' gives a yes_no, but the indicator's kind is count",
        ),
        ({"kind": "percentage"}, "numerator is missing"),
        ({"numerator": {"en": "Counted"}}, "numerator belongs only to a percentage indicator"),
        ({"disaggregations": ["region", "sex"]}, "disaggregations[1]: 'sex' is not one of the disaggregations"),
        ({"disaggregations": ["region", "region"]}, "disaggregations[1]: 'region' is named twice"),
        ({"frequency": "daily"}, "frequency 'daily' is not one of quarterly, annual, biennial"),
        (
            {"targets": [{"year": 2030, "value": 3}]},
            "targets[0]: year 2030 is outside the framework's period 2022-2025",
        ),
        ({"targets": [{"year": 2023, "value": 1}, {"year": 2023, "value": 2}]}, "already a target for 2023"),
        ({"targets": [{"year": 2023, "value": 1.5}]}, "value of a count must be a whole number, found 1.5"),
        ({"targets": [{"year": 2023, "value": -1}]}, "value must be a number of at least 0, found -1"),
        ({"targets": [{"year": 2023, "value": "ten"}]}, "value must be a number of at least 0, found 'ten'"),
        ({"targets": [{"year": 2023}]}, "targets[0]: value is missing"),
        ({"kind": "yes_no", "targets": [{"year": 2023, "value": 2}]}, "must be true or false, found 2"),
        ({"kind": "narrative", "baseline": {"value": 1, "year": 2021}}, "a documented narrative has no baseline"),
        (
            {
                "kind": "percentage",
                "numerator": {"en": "a"},
                "denominator": {"en": "b"},
                "baseline": {"value": 120, "year": 2021},
            },
            "baseline: value of a percentage must be between 0 and 100, found 120",
        ),
        (
            {
                "kind": "percentage",
                "numerator": {"en": "a"},
                "denominator": {"en": "b"},
                "baseline": {"value": 1.234, "year": 2021},
            },
            "baseline: value may have at most two decimals, found 1.234",
        ),
    ],
)
def test_it_refuses_an_indicator_that_does_not_hold_together(changes, message):
    errors = _refused(_indicator(small_framework(), **changes))
    assert any(error.startswith(INDICATOR) and message in error for error in errors), errors


def test_it_refuses_a_direction_serving_another_strategys_result():
    data = small_framework()
    data["strategies"][1]["directions"][0]["result"] = "1"
    assert _refused(data) == ["strategies[1].directions[0]: result '1' is not one of this strategy's results (-)"]


def test_it_reports_every_error_of_a_file_at_once():
    data = _indicator(small_framework(), kind="sum")
    data["period"]["end"] = 2020
    data["strategies"][0]["code"] = "1 1"
    assert len(_refused(data)) == 3


def test_it_refuses_a_file_of_ten_megabytes_without_reading_it_as_yaml():
    data = as_yaml(small_framework())
    data += "#" * (10 * 1024 * 1024 - len(data.encode()) - 1) + "\n"
    started = time.monotonic()
    (error,) = _refused(data)
    assert time.monotonic() - started < 2
    assert error.startswith("The file is 10.0\xa0MB; a framework file may be at most 2.0\xa0MB.")


BILLION_LAUGHS = """\
format: sombrilla-framework/1
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_it_refuses_a_yaml_bomb_before_expanding_it():
    started = time.monotonic()
    (error,) = _refused(BILLION_LAUGHS)
    assert time.monotonic() - started < 2
    assert "anchors and aliases (&name, *name) are not allowed" in error and "line 2" in error


def test_it_refuses_even_a_single_anchor():
    text = as_yaml(small_framework()).replace("name:\n  en: Test framework", "name: &n\n  en: Test framework", 1)
    (error,) = _refused(text)
    assert "anchors and aliases" in error


@pytest.mark.parametrize(
    "text",
    [
        "format: !!python/object/apply:os.system ['echo owned']\n",
        "format: !!float abc\n",
        "format: !!binary xyz\n",
        "--- !custom\nformat: x\n",
    ],
)
def test_it_refuses_tags_of_any_kind(text):
    (error,) = _refused(text)
    assert "tags (!!name) are not allowed" in error and "line 1" in error


def test_it_reads_an_impossible_date_as_text_and_a_huge_number_as_an_error():
    data = small_framework()
    data["period"]["start"] = "2022-13-45"
    assert _refused(as_yaml(data).replace("'2022-13-45'", "2022-13-45")) == [
        "period: start must be a year between 1900 and 2200, found '2022-13-45'"
    ]
    (error,) = _refused(as_yaml(small_framework()).replace("start: 2022", "start: " + "9" * 5000))
    assert error.startswith("The file is not valid YAML: ")


@pytest.mark.parametrize("depth", [25, 5000])
def test_it_refuses_nesting_deeper_than_a_framework_needs(depth):
    (error,) = _refused("format: " + "[" * depth + "]" * depth + "\n")
    assert "nested more than 20 deep" in error or "maximum nesting depth" in error


def test_it_refuses_a_small_file_with_a_huge_number_of_values_quickly():
    started = time.monotonic()
    (error,) = _refused("items: [" + "1," * 400_000 + "1]\n")
    assert time.monotonic() - started < 2
    assert f"more than {MAX_EVENTS} values" in error


def test_it_refuses_lists_and_mappings_where_codes_belong():
    data = _indicator(small_framework(), disaggregations=[["region"]], data_source="records", computation={"a": 1})
    data["strategies"][1]["directions"][0]["result"] = ["1"]
    errors = _refused(data)
    assert (
        f"{INDICATOR}.disaggregations[0]: ['region'] is not one of the disaggregations the file defines (region)"
        in errors
    )
    assert f"{INDICATOR}: computation {{'a': 1}} is not one of members.total, " in "\n".join(errors)
    assert "strategies[1].directions[0]: result ['1'] is not one of this strategy's results (-)" in errors


def test_it_says_once_that_a_required_value_is_missing():
    data = _indicator(small_framework(), code=None, kind=None)
    data["period"] = {"start": 2022}
    assert sorted(_refused(data)) == [
        "period: end is missing",
        f"{INDICATOR}: code is missing",
        f"{INDICATOR}: kind is missing",
    ]
