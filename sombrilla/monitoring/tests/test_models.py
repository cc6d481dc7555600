"""Rows of a framework: texts in the reader's language, and the invariants the database itself enforces."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from sombrilla.monitoring.models import Framework, Goal, Indicator, Level, Strategy, text_pick

TEXTS = {"en": "Human rights", "ru": "Права человека", "zh-hans": "人权", "es": "Derechos humanos"}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", "Права человека"),
        ("zh-hans", "人权"),
        ("es-mx", "Derechos humanos"),  # a regional variant reads its base language
        ("fr", "Human rights"),  # no French: English
        ("ar", "Human rights"),
    ],
)
def test_it_picks_the_active_language_and_falls_back_to_english(language, expected):
    with translation.override(language):
        assert text_pick(TEXTS) == expected
        assert Goal(code="1", name=TEXTS).text() == expected


def test_it_picks_a_language_it_is_asked_for_and_copes_with_missing_texts():
    assert text_pick(TEXTS, "ru") == "Права человека"
    assert text_pick({"en": "", "ru": "Только по-русски"}, "fr") == "Только по-русски"
    assert text_pick({}, "en") == "" and text_pick(None) == ""


def test_it_names_a_part_by_code_and_text():
    with translation.override("ru"):
        assert str(Goal(code="1", name=TEXTS)) == "1 Права человека"


@pytest.mark.django_db
def test_it_lets_the_database_refuse_what_an_import_never_writes():
    framework = Framework.objects.create(code="db", name={"en": "Db"}, period_start=2022, period_end=2025)
    Goal.objects.create(framework=framework, code="1", name={"en": "One"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Goal.objects.create(framework=framework, code="1", name={"en": "Again"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Framework.objects.create(code="db", name={"en": "Network's twice"}, period_start=2022, period_end=2025)
    with pytest.raises(IntegrityError), transaction.atomic():
        Framework.objects.create(code="late", name={"en": "Ends first"}, period_start=2025, period_end=2022)
    strategy = Strategy.objects.create(framework=framework, code="1", name={"en": "S"})
    assert strategy.framework == framework
    with pytest.raises(IntegrityError), transaction.atomic():
        # A result-level indicator without its result.
        Indicator.objects.create(framework=framework, code="R1", name={"en": "R"}, kind="count", level=Level.RESULT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(
            framework=framework, code="I1", name={"en": "I"}, kind="count", level=Level.IMPACT, baseline_value=3
        )
