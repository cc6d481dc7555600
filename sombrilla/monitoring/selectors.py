"""Reads of monitoring frameworks. A framework is either the network's (no organisation: every organisation
reads it) or one organisation's own, which no other organisation sees: outsiders get 404, exactly as for a
framework that does not exist.
"""

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404

from sombrilla.accounts.models import Organisation
from sombrilla.monitoring.models import (
    Activity,
    Direction,
    Disaggregation,
    Framework,
    Indicator,
    IndicatorValue,
    Level,
    Result,
    Strategy,
)


def frameworks_for(*, organisation: Organisation) -> QuerySet[Framework]:
    """The frameworks an organisation works with: the network's and its own."""
    return Framework.objects.filter(Q(organisation__isnull=True) | Q(organisation=organisation))


def framework_get_for(*, organisation: Organisation, code: str) -> Framework:
    """The framework with `code` that the organisation may read; its own wins over the network's."""
    found = (
        frameworks_for(organisation=organisation)
        .filter(code=code)
        .order_by(F("organisation").asc(nulls_last=True))
        .first()
    )
    if found is None:
        raise Http404
    return found


def framework_find(*, code: str, organisation: Organisation | None = None) -> Framework | None:
    """Exactly the framework `code` of `organisation` (None: the network's), for operators' commands."""
    return Framework.objects.filter(code=code, organisation=organisation).first()


def framework_tree(*, framework: Framework) -> Framework:
    """The framework with every part loaded in a fixed number of queries, in the document's order.

    Adds `impact_indicators` (a list); strategies, results, directions and their indicators are prefetched.
    """
    indicators = Indicator.objects.prefetch_related("targets", "disaggregations")
    return Framework.objects.prefetch_related(
        "goals",
        "evaluation_points",
        Prefetch("disaggregations", queryset=Disaggregation.objects.prefetch_related("categories")),
        Prefetch("indicators", queryset=indicators.filter(level=Level.IMPACT), to_attr="impact_indicators"),
        Prefetch(
            "strategies",
            queryset=Strategy.objects.prefetch_related(
                Prefetch("results", queryset=Result.objects.prefetch_related(Prefetch("indicators", indicators))),
                Prefetch(
                    "directions",
                    queryset=Direction.objects.select_related("result").prefetch_related(
                        "activities", Prefetch("indicators", indicators)
                    ),
                ),
            ),
        ),
    ).get(pk=framework.pk)


def framework_counts(*, framework: Framework) -> dict[str, int]:
    """How many of each part the framework has, for a summary line."""
    return {
        "goals": framework.goals.count(),
        "strategies": framework.strategies.count(),
        "results": framework.results.count(),
        "directions": framework.directions.count(),
        "activities": Activity.objects.filter(direction__framework=framework).count(),
        "indicators": framework.indicators.count(),
        "evaluation points": framework.evaluation_points.count(),
    }


# Figures entered by hand and the indicators they belong to (sombrilla.monitoring.values.Viewer) -------------


def frameworks_for_viewer(viewer) -> QuerySet[Framework]:
    """Staff and admins: the network's frameworks and their organisation's own. A network analyst adds up
    several organisations, so only the network's frameworks, which they all share."""
    if viewer.network:
        return Framework.objects.filter(organisation__isnull=True)
    return frameworks_for(organisation=viewer.membership.organisation)


def indicator_get_for(*, viewer, indicator_id) -> Indicator:
    """An indicator of a framework the viewer reads, with what its pages show; 404 for any other."""
    indicator = (
        Indicator.objects.filter(pk=indicator_id, framework__in=frameworks_for_viewer(viewer))
        .select_related("framework", "result__strategy", "direction__strategy")
        .prefetch_related("targets", Prefetch("disaggregations", Disaggregation.objects.prefetch_related("categories")))
        .first()
    )
    if indicator is None:
        raise Http404
    return indicator


def entry_get_for(*, viewer, entry_id) -> IndicatorValue:
    """A figure the viewer's own organisation entered; 404 for anyone else's, and for a network analyst."""
    if viewer.network:
        raise Http404
    entry = (
        IndicatorValue.objects.filter(pk=entry_id, organisation=viewer.membership.organisation)
        .select_related("indicator", "category")
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def entries_of(*, viewer, indicator: Indicator) -> QuerySet[IndicatorValue]:
    """The figures the viewer's organisation entered for an indicator, latest year first."""
    return (
        IndicatorValue.objects.filter(indicator=indicator, organisation=viewer.membership.organisation)
        .select_related("category__disaggregation", "entered_by__account")
        .prefetch_related("products")
        .order_by("-year", "category__disaggregation__position", "category__position")
    )


def knowledge_products_of(*, organisation: Organisation):
    """The knowledge products (case studies, interviews ...) an organisation recorded, for narratives to link."""
    from sombrilla.monitoring.records.models import KnowledgeProduct

    return KnowledgeProduct.objects.filter(organisation=organisation).order_by("-date", "title")
