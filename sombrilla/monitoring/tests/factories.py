"""Framework files for tests, built as Python data and written as YAML, and a snapshot of everything stored."""

import copy

import yaml
from django.apps import apps
from django.db import models

from sombrilla.monitoring.framework_yaml import FORMAT

# Fields a round trip may change: row ids are new in a fresh database, and the timestamps say when it happened.
NOT_CARRIED = {"id", "created_at", "updated_at"}
# Models an organisation's own data lives in, which no framework file carries (figures, DHIS2 names).
NOT_IN_FILE = {"IndicatorValue", "ExportMapping"}


def _t(en: str, **others: str) -> dict:
    return {"en": en, **others}


def _indicator(code: str, kind: str = "count", **extra) -> dict:
    return {"code": code, "name": _t(f"Indicator {code}"), "kind": kind, **extra}


def small_framework(code: str = "test-frame") -> dict:
    """A valid framework with two strategies; the second's first direction has three indicators."""
    return {
        "format": FORMAT,
        "code": code,
        "name": _t("Test framework"),
        "period": {"start": 2022, "end": 2025},
        "disaggregations": [
            {"code": "region", "name": _t("Region"), "categories": [{"code": "africa", "name": _t("Africa")}]}
        ],
        "strategies": [
            {
                "code": "1",
                "name": _t("First strategy"),
                "results": [{"code": "1", "name": _t("First result"), "indicators": [_indicator("R1.1", "narrative")]}],
                "directions": [{"code": "1.1", "name": _t("First direction"), "indicators": [_indicator("1.1.1")]}],
            },
            {
                "code": "2",
                "name": _t("Second strategy"),
                "directions": [
                    {
                        "code": "2.1",
                        "name": _t("Second direction"),
                        "activities": [{"name": _t("Doing things")}],
                        "indicators": [_indicator("2.1.1"), _indicator("2.1.2"), _indicator("2.1.3")],
                    }
                ],
            },
        ],
    }


def full_framework() -> dict:
    """A framework using every feature of the file format, with awkward texts and codes, in six languages."""
    data = copy.deepcopy(small_framework("every-feature"))
    every_language = _t(
        "Line one: with a colon, # a hash, 'quotes' and \"double quotes\"\nline two",
        es="Español: ñ",
        ru="Русский текст",
        fr="Français : « guillemets »",
        ar="نص عربي",
        **{"zh-hans": "中文文本"},
    )
    data.update(
        source="A source: with a colon",
        description=every_language,
        mission=_t("Mission", ru="Миссия"),
        theory_of_change=_t("Change\n\nin two paragraphs", ru="Изменения"),
        goals=[
            {"code": "1", "name": _t("Goal"), "description": _t("Goal text", ru="Цель")},
            {"code": "yes", "name": _t("A code YAML would read as true")},
        ],
        impact={
            "statement": _t("Impact statement", ru="Влияние"),
            "indicators": [_indicator("I1", "narrative", definition=_t("Told in case studies"))],
        },
        evaluation_points=[
            {"code": "annual", "kind": "annual_review", "name": _t("Every year")},
            {
                "code": "mid",
                "kind": "mid_term",
                "year": 2023,
                "name": _t("Mid-term"),
                "description": _t("Half way", ru="Середина"),
            },
            {"code": "end", "kind": "strategy", "year": 2024, "name": _t("End")},
        ],
    )
    data["disaggregations"].append(
        {
            "code": "no",
            "name": _t("A code YAML would read as false", ru="Код"),
            "categories": [
                {"code": "1.10", "name": _t("Looks like a number")},
                {"code": "null", "name": _t("Looks like nothing")},
            ],
        }
    )
    first = data["strategies"][0]
    first["approach"] = _t("How", ru="Как")
    first["directions"][0]["result"] = "1"
    first["directions"][0]["indicators"] = [
        _indicator(
            "1.1.1",
            "count",
            definition=_t("What is counted", es="Qué se cuenta"),
            disaggregations=["no", "region"],
            frequency="quarterly",
            data_source="records",
            computation="members.new",
            baseline={"value": 12, "year": 2021},
            targets=[{"year": 2022, "value": 15}, {"year": 2025, "value": 30}],
        ),
        _indicator(
            "1.1.2",
            "percentage",
            numerator=_t("Reports on time"),
            denominator=_t("Reports due"),
            baseline={"value": 62.5, "year": 2022},
            targets=[{"year": 2023, "value": 80}, {"year": 2024, "value": 33.33}],
        ),
        _indicator(
            "1.1.3",
            "yes_no",
            frequency="biennial",
            data_source="survey",
            computation="survey.conducted",
            baseline={"value": False, "year": 2020},
            targets=[{"year": 2023, "value": True}],
        ),
        _indicator("1.1.4", "count", data_source="survey"),
    ]
    return data


def as_yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _natural_key(obj) -> object:
    """What identifies a row regardless of its id: its code, with its parent's where codes are per parent."""
    if obj is None:
        return None
    label = obj._meta.model_name
    if label == "organisation":
        return obj.slug
    if label == "activity":
        return (obj.direction.code, obj.position)
    if label == "disaggregationcategory":
        return (obj.disaggregation.code, obj.code)
    if label == "indicatortarget":
        return (obj.indicator.code, obj.year)
    return obj.code


def snapshot() -> dict[str, list]:
    """Every row of every monitoring model with every field, foreign keys by natural key, ids left out.

    Built from the models' own field lists, so a field added later is compared too unless it is listed in
    NOT_CARRIED.
    """
    found = {}
    for model in apps.get_app_config("monitoring").get_models():
        if model.__name__ in NOT_IN_FILE:
            continue
        rows = []
        for obj in model.objects.all():
            row = {}
            for field in model._meta.get_fields():
                if field.name in NOT_CARRIED or field.auto_created and not field.concrete:
                    continue
                if isinstance(field, models.ManyToManyField):
                    row[field.name] = sorted(_natural_key(item) for item in getattr(obj, field.name).all())
                elif isinstance(field, models.ForeignKey):
                    row[field.name] = _natural_key(getattr(obj, field.name))
                elif field.concrete:
                    row[field.name] = getattr(obj, field.name)
            rows.append(row)
        found[model._meta.label] = sorted(rows, key=repr)
    return found


# Pages (the role matrix and the page budget) -------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def page_objects(people: dict) -> dict:
    """What the role matrix addresses: organisation A's own small framework, with a figure carol entered for
    its first count indicator (with a PDF as evidence); and an indicator of Sombrilla's platform framework,
    which every organisation reads."""
    from sombrilla.monitoring import services
    from sombrilla.monitoring.models import Indicator

    carol = people["carol"]
    services.framework_load_shipped(code="sombrilla-platform")
    services.framework_import(data=as_yaml(small_framework("org-a-own")), organisation=carol.organisation)
    own = Indicator.objects.get(framework__code="org-a-own", code="1.1.1")
    entry = services.indicator_value_save(
        actor=carol, indicator=own, year=2024, value=12, evidence_note="register", attachment=PDF
    )
    network = Indicator.objects.get(framework__code="sombrilla-platform", code="P2.1")
    return {"me_indicator": own.pk, "me_value": entry.pk, "me_network_indicator": network.pk}


def full_page_objects(people: dict) -> dict:
    """The monitoring pages at their fullest, for the page budget: both shipped frameworks, every record type
    and every tally of organisation A counted (tests/figures.py), and the figures entered for page_objects."""
    from sombrilla.monitoring import services
    from sombrilla.monitoring.tests import figures

    services.framework_load_shipped()
    found = page_objects(people)
    organisation = people["carol"].organisation
    # On Sombrilla since Y0, so its tallies count from then.
    type(organisation).objects.filter(pk=organisation.pk).update(created_at=figures.moment(figures.Y0, 1, 1))
    figures.platform(organisation)
    figures.network_records(organisation)
    return {**found, "me_year": figures.Y1}
