"""Monitoring and evaluation frameworks as data: goals, strategies with their results and directions, example
activities, indicators with their disaggregations, baselines and targets, and the evaluation points.

A framework is written only by importing a YAML file (services.framework_import), so another network can load
its own; the computed values, records and dashboards that later work builds hang off these rows. Nothing here
is about a person: a framework is the same public document for everyone who reads it.

Texts are stored per language inside the row, as {"en": "...", "ru": "..."}. A framework's texts are
written together, read together and never searched by language, so a separate translation table would add a
join to every read and buy nothing; a mapping also reads and writes one to one as YAML. English is required
for every text (the file check enforces it), so `text_pick` always has something to fall back to.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from sombrilla.core import clock, crypto
from sombrilla.core.fields import EncryptedTextField

FALLBACK_LANGUAGE = "en"


def text_pick(texts: dict | None, language: str | None = None) -> str:
    """The text in `language` (by default the active one), else in its base language, else in English."""
    if not texts:
        return ""
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    for candidate in (language, language.split("-")[0], FALLBACK_LANGUAGE):
        if texts.get(candidate):
            return texts[candidate]
    return next((value for value in texts.values() if value), "")


class Level(models.TextChoices):
    IMPACT = "impact", _("impact")
    RESULT = "result", _("result")
    OUTPUT = "output", _("direction (output)")


class Kind(models.TextChoices):
    COUNT = "count", _("count")
    YES_NO = "yes_no", _("yes or no")
    PERCENTAGE = "percentage", _("percentage")
    NARRATIVE = "narrative", _("documented narrative")


class Frequency(models.TextChoices):
    QUARTERLY = "quarterly", _("every quarter")
    ANNUAL = "annual", _("every year")
    BIENNIAL = "biennial", _("every two years")


class DataSource(models.TextChoices):
    RECORDS = "records", _("computed from records")
    MANUAL = "manual", _("entered by hand")
    SURVEY = "survey", _("from a survey")


class EvaluationKind(models.TextChoices):
    ANNUAL_REVIEW = "annual_review", _("annual review")
    MID_TERM = "mid_term", _("mid-term evaluation")
    STRATEGY = "strategy", _("evaluation of the strategy")


def _texts() -> models.JSONField:
    return models.JSONField(default=dict, blank=True)


class Texts(models.Model):
    """A random id and a name in every language the framework is written in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = _texts()

    class Meta:
        abstract = True

    def text(self, field: str = "name", language: str | None = None) -> str:
        return text_pick(getattr(self, field), language)

    def __str__(self) -> str:
        code = getattr(self, "code", "")
        return f"{code} {self.text()}".strip()


class Ordered(Texts):
    """A part of a framework with its place in the document's order."""

    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position"]


class Framework(Texts):
    """One monitoring-and-evaluation framework, shared by the network (no organisation) or one organisation's."""

    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="frameworks"
    )
    code = models.SlugField(max_length=64)
    period_start = models.PositiveSmallIntegerField()
    period_end = models.PositiveSmallIntegerField()
    # Where the framework comes from (a document's title), as its authors cite it.
    source = models.CharField(max_length=500, blank=True)
    description = _texts()
    mission = _texts()
    theory_of_change = _texts()
    # How the strategies together are expected to change sex workers' lives: the head of the impact level.
    impact_statement = _texts()
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="framework_code_per_organisation"),
            # NULLs are distinct in a unique constraint, so the network's own frameworks need their own.
            models.UniqueConstraint(
                fields=["code"], condition=Q(organisation__isnull=True), name="framework_code_network"
            ),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="framework_period"),
        ]


class Part(Ordered):
    """A coded part of a framework; the code is unique within the framework (goal "1", direction "2A" ...)."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=32)

    class Meta(Ordered.Meta):
        abstract = True


def _unique_code(name: str) -> list[models.UniqueConstraint]:
    return [models.UniqueConstraint(fields=["framework", "code"], name=f"{name}_code_per_framework")]


class Goal(Part):
    """One of the goals the network works towards (NSWP: human rights, health, labour ...)."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="goals")
    description = _texts()

    class Meta(Part.Meta):
        constraints = _unique_code("goal")


class Strategy(Part):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="strategies")
    # How the strategy is expected to bring about change ("how we will achieve change").
    approach = _texts()

    class Meta(Part.Meta):
        verbose_name_plural = "strategies"
        constraints = _unique_code("strategy")


class Result(Part):
    """An expected result of a strategy; `name` is the result statement. Its indicators are at result level."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="results")
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="results")

    class Meta(Part.Meta):
        constraints = _unique_code("result")


class Direction(Part):
    """A direction of work within a strategy (NSWP 1.1 "Membership"); its indicators are outputs.

    `result` is the strategy's result the direction works towards, when the framework says so (NSWP: 2A
    serves result 2a, 2B serves 2b), so a page can show each result followed by its directions.
    """

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="directions")
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="directions")
    result = models.ForeignKey(Result, null=True, blank=True, on_delete=models.SET_NULL, related_name="directions")

    class Meta(Part.Meta):
        constraints = _unique_code("direction")


class Activity(Ordered):
    """An example activity of a direction; `name` is the whole sentence. Activities have no code of their own."""

    direction = models.ForeignKey(Direction, on_delete=models.CASCADE, related_name="activities")

    class Meta(Ordered.Meta):
        verbose_name_plural = "activities"


class Disaggregation(Part):
    """A way an indicator's value is split (region, language, format ...), with its closed list of categories."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="disaggregations")

    class Meta(Part.Meta):
        constraints = _unique_code("disaggregation")


class DisaggregationCategory(Ordered):
    disaggregation = models.ForeignKey(Disaggregation, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(max_length=32)

    class Meta(Ordered.Meta):
        verbose_name_plural = "disaggregation categories"
        constraints = [
            models.UniqueConstraint(fields=["disaggregation", "code"], name="category_code_per_disaggregation")
        ]


class Indicator(Part):
    """What is measured, how, how often and from where.

    An impact indicator belongs to the framework alone, a result indicator to a result, an output indicator to a
    direction. `computation` names the function that derives the value from Sombrilla's records (see
    computations.COMPUTATIONS); it is blank for indicators entered by hand. `position` runs through the whole
    framework, so ordering by it reads the indicators in the document's order.
    """

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="indicators")
    level = models.CharField(max_length=8, choices=Level.choices)
    result = models.ForeignKey(Result, null=True, blank=True, on_delete=models.CASCADE, related_name="indicators")
    direction = models.ForeignKey(Direction, null=True, blank=True, on_delete=models.CASCADE, related_name="indicators")
    definition = _texts()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # A percentage is numerator / denominator × 100: both say what is counted.
    numerator = _texts()
    denominator = _texts()
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.ANNUAL)
    data_source = models.CharField(max_length=16, choices=DataSource.choices, default=DataSource.MANUAL)
    computation = models.CharField(max_length=64, blank=True)
    # Yes/no values are stored as 1 and 0.
    baseline_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(null=True, blank=True)
    disaggregations = models.ManyToManyField(Disaggregation, blank=True, related_name="indicators")

    class Meta(Part.Meta):
        constraints = [
            *_unique_code("indicator"),
            models.CheckConstraint(
                condition=(
                    Q(level=Level.IMPACT, result__isnull=True, direction__isnull=True)
                    | Q(level=Level.RESULT, result__isnull=False, direction__isnull=True)
                    | Q(level=Level.OUTPUT, result__isnull=True, direction__isnull=False)
                ),
                name="indicator_level_matches_parent",
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True, baseline_year__isnull=True)
                | Q(baseline_value__isnull=False, baseline_year__isnull=False),
                name="indicator_baseline_has_year",
            ),
        ]


class IndicatorTarget(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField()
    value = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="target_once_per_year")]

    def __str__(self) -> str:
        return f"{self.year}: {self.value}"


class EvaluationPoint(Part):
    """When the framework is used to judge progress: a review every year (no year) or an evaluation in one."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="evaluation_points")
    kind = models.CharField(max_length=16, choices=EvaluationKind.choices)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    description = _texts()

    class Meta(Part.Meta):
        constraints = _unique_code("evaluation_point")


# Values entered by hand, and how an organisation's figures are named for a national HIV programme -------------


def evidence_path(_value, filename: str) -> str:
    """A random name: the file name says nothing about the indicator or the organisation, and an upload's own
    name is never kept (it often holds a person's name or a place)."""
    return f"monitoring/evidence/{crypto.random_token(18)}{Path(filename).suffix.lower()}"


class IndicatorValue(models.Model):
    """One figure an organisation entered by hand for an indicator that is not computed: for one year, and for
    one category of a disaggregation or (no category) the indicator as a whole.

    Which field holds the figure follows the indicator's kind: `value` (count), `numerator` and `denominator`
    (percentage), `yes_no`, or `narrative` (documented narrative, which may also link the knowledge products
    it draws on). Entering a figure again replaces it; the audit log keeps who changed it and when. Free text
    is encrypted, since evidence may name people or places.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Protected: a corrected framework file cannot silently drop the figures recorded against an indicator.
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="entries")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="indicator_values")
    year = models.PositiveSmallIntegerField()
    category = models.ForeignKey(
        DisaggregationCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    numerator = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    denominator = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    yes_no = models.BooleanField(null=True, blank=True)
    narrative = EncryptedTextField(blank=True)
    evidence_note = EncryptedTextField()
    attachment = models.FileField(upload_to=evidence_path, blank=True)
    # Found from the file's own bytes when it was stored, so it is served as what it really is.
    attachment_type = models.CharField(max_length=100, blank=True)
    products = models.ManyToManyField("records.KnowledgeProduct", blank=True, related_name="indicator_values")
    entered_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "organisation", "year", "category"], name="indicator_value_once_per_category"
            ),
            # NULLs are distinct in a unique constraint, so the whole-indicator figure needs its own.
            models.UniqueConstraint(
                fields=["indicator", "organisation", "year"],
                condition=Q(category__isnull=True),
                name="indicator_value_once_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}"


class ExportMapping(models.Model):
    """How one organisation's figures are named in a DHIS2 instance (a national HIV programme's): its org unit,
    the data set, and identifiers by code. Without an entry a code stands for itself.

    `codes` maps a kind to {code: identifier}: "dataElement" (an indicator's code, or "CODE/DISAGGREGATION" for
    its figures split one way), "categoryOptionCombo" ("DISAGGREGATION/CATEGORY", dataValueSets JSON), and for ADX
    "category" (a disaggregation's code, the attribute's name) and "categoryOption" ("DISAGGREGATION/CATEGORY").
    """

    class CodeKind(models.TextChoices):
        DATA_ELEMENT = "dataElement", _("data element")
        COMBO = "categoryOptionCombo", _("category option combination")
        CATEGORY = "category", _("category (ADX)")
        OPTION = "categoryOption", _("category option (ADX)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="export_mapping"
    )
    org_unit = models.CharField(max_length=64, blank=True)
    data_set = models.CharField(max_length=64, blank=True)
    codes = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    def identifier(self, kind: str, code: str, default: str | None = None) -> str:
        return (self.codes or {}).get(kind, {}).get(code) or (code if default is None else default)
