"""The engine: each indicator's value for some organisations and years, computed when asked and never stored.

An indicator with a `computation` is computed by its function in indicators.py (COMPUTE); any other indicator
takes the figures its organisations entered by hand (IndicatorValue). Either way the result is a Value per
indicator and year: the total, and the total split by each of the indicator's disaggregations, every figure
already as it may be shown. Figures drawn from members' data (Computation.people) pass small-cell suppression
(suppression.py) here, before anything leaves the engine: a hidden figure keeps only its mark ("<5", "…"), never
its number, so no page or export can show it by mistake. Nothing here is ever a row about a person.

Who sees what: staff and admins see their own organisation; network analysts see the organisations that share
with the network, added together (`network`), without any split that belongs to one organisation (its areas)
and without organisations' own narratives (only how many documented one).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sombrilla.accounts.models import Membership, Organisation, Role
from sombrilla.monitoring import suppression
from sombrilla.monitoring.computations import COMPUTATIONS
from sombrilla.monitoring.indicators import COMPUTE, ZERO, Extra, Number, Ratio, Raw, Scope
from sombrilla.monitoring.models import Indicator, IndicatorValue, Kind

NONE = "none"


class Status:
    """How a value stands against its target. Shown as a colour, an icon and a word, never colour alone."""

    ON_TRACK = "on-track"
    BEHIND = "behind"
    NO_TARGET = "no-target"
    NO_DATA = "no-data"
    LABELS = {
        ON_TRACK: gettext_lazy("on track"),
        BEHIND: gettext_lazy("behind"),
        NO_TARGET: gettext_lazy("no target"),
        NO_DATA: gettext_lazy("no data"),
    }
    ICONS = {ON_TRACK: "check", BEHIND: "alert", NO_TARGET: "flag", NO_DATA: "note"}
    ORDER = (ON_TRACK, BEHIND, NO_TARGET, NO_DATA)


@dataclass(frozen=True)
class Figure:
    """One figure as it may be shown. `number` is None when there is no data or the figure is hidden."""

    text: str
    number: Decimal | None = None
    state: str = suppression.SHOWN
    numerator: Decimal | None = None
    denominator: Decimal | None = None

    @property
    def hidden(self) -> bool:
        return self.state in (suppression.SMALL, suppression.HIDDEN)

    @property
    def missing(self) -> bool:
        return self.state == NONE


NO_FIGURE = Figure("—", state=NONE)


@dataclass(frozen=True)
class Cell:
    code: str
    label: str
    figure: Figure


@dataclass(frozen=True)
class Breakdown:
    """The figure split one way. `own`: the organisation's own categories (its areas), not the framework's, so
    there is nothing to map them to in another system."""

    code: str
    label: str
    cells: tuple[Cell, ...]
    own: bool = False


@dataclass
class Value:
    indicator: Indicator
    year: int
    total: Figure = NO_FIGURE
    breakdowns: list[Breakdown] = field(default_factory=list)
    status: str = Status.NO_DATA
    target: Decimal | None = None
    # "computed", "entered" or "" (nothing yet).
    source: str = ""
    # One organisation's narrative, or for a network how many organisations documented one.
    narrative: str = ""
    products: list = field(default_factory=list)

    @property
    def suppressed(self) -> bool:
        return self.total.hidden or any(cell.figure.hidden for row in self.breakdowns for cell in row.cells)

    @property
    def status_label(self) -> str:
        return Status.LABELS[self.status]

    @property
    def status_icon(self) -> str:
        return Status.ICONS[self.status]


# Who sees which organisations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """The organisations a person's monitoring pages add up, and whether that is the network's view."""

    membership: Membership
    organisations: tuple[Organisation, ...]
    network: bool

    @property
    def can_enter(self) -> bool:
        return not self.network


def viewer_for(membership: Membership | None) -> Viewer:
    """Staff and admins: their organisation. Analysts: every organisation sharing with the network. Anyone else
    gets a 404, exactly as for a page that does not exist."""
    if membership is None or membership.is_suspended:
        raise Http404
    if membership.role in (Role.STAFF, Role.ADMIN):
        return Viewer(membership, (membership.organisation,), network=False)
    if membership.role == Role.ANALYST:
        sharing = tuple(Organisation.objects.filter(shares_with_network=True).order_by("pk"))
        return Viewer(membership, sharing, network=True)
    raise Http404


# Formatting ------------------------------------------------------------------------------------------------


def number_text(number: Decimal) -> str:
    """12, 12.5 (never 12.50 or 1.2E+1): figures read the same in every language the site has."""
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _yes_no_text(yes: Decimal, answered: int, network: bool) -> str:
    if not network:
        return _("yes") if yes else _("no")
    return ngettext("yes in %(yes)s of %(n)s organisation", "yes in %(yes)s of %(n)s organisations", answered) % {
        "yes": number_text(yes),
        "n": answered,
    }


def _figure(kind: str, number: Number | None, answered: int, network: bool) -> Figure:
    if number is None:
        return NO_FIGURE
    if isinstance(number, Ratio):
        percent = number.percent
        if percent is None:
            return Figure("—", state=NONE, numerator=number.numerator, denominator=number.denominator)
        return Figure(f"{number_text(percent)}%", percent, numerator=number.numerator, denominator=number.denominator)
    if kind == Kind.YES_NO:
        return Figure(_yes_no_text(number, answered, network), number)
    return Figure(number_text(number), number)


# Status ----------------------------------------------------------------------------------------------------


def _status(indicator: Indicator, raw: Raw | None, target: Decimal | None, state: str, network: bool) -> str:
    """Higher is better for every indicator the frameworks have. A figure shown as "<5" is judged only where
    anything from 1 to 4 gives the same answer, so the status never tells more than the figure."""
    if raw is None or raw.total is None or state == NONE:
        return Status.NO_DATA
    if indicator.kind == Kind.NARRATIVE or target is None:
        return Status.NO_TARGET
    total = raw.total
    if isinstance(total, Ratio):
        if total.percent is None:
            return Status.NO_DATA
        return Status.ON_TRACK if total.percent >= target else Status.BEHIND
    if indicator.kind == Kind.YES_NO and network:
        # Across organisations, a yes/no target is met when every organisation that answered says yes.
        met = total >= raw.answered if target else True
        return Status.ON_TRACK if met else Status.BEHIND
    if state == suppression.SMALL:
        if target > suppression.THRESHOLD - 1:
            return Status.BEHIND
        if target <= 1:
            return Status.ON_TRACK
        return Status.NO_DATA
    return Status.ON_TRACK if total >= target else Status.BEHIND


# Building a value ------------------------------------------------------------------------------------------


def _rows(indicator: Indicator, raw: Raw, network: bool) -> list[tuple[str, str, list[tuple[str, str]], dict]]:
    """(code, label, [(category code, label)], numbers) for each split: the framework's, then the organisation's."""
    rows = [
        (
            disaggregation.code,
            disaggregation.text(),
            [(category.code, category.text()) for category in disaggregation.categories.all()],
            raw.by.get(disaggregation.code, {}),
        )
        for disaggregation in indicator.disaggregations.all()
    ]
    if not network:
        for code, extra in raw.extra.items():
            rows.append((code, extra.label, [(cell, label) for cell, label, _n in extra.cells], _extra_numbers(extra)))
    return rows


def _extra_numbers(extra: Extra) -> dict:
    return {cell: number for cell, _label, number in extra.cells}


def _present(indicator: Indicator, raw: Raw | None, computed: bool, network: bool) -> tuple[Figure, list[Breakdown]]:
    if raw is None or (raw.total is None and not raw.by):
        return NO_FIGURE, []
    # Only computed figures count members; one entered by hand may have its categories without a total.
    people = computed and COMPUTATIONS[indicator.computation].people
    rows = _rows(indicator, raw, network)
    # A computed figure counts nothing in a category it does not mention; a figure entered by hand is simply
    # not there for a category nobody entered.
    missing = ZERO if computed else None
    numbers = [[row[3].get(code, missing) for code, _label in row[2]] for row in rows]
    if people:
        protected = suppression.protect(int(raw.total), [[int(n or 0) for n in row] for row in numbers])
        total_state, states = protected.total, protected.rows
    else:
        total_state, states = suppression.SHOWN, [[suppression.SHOWN] * len(row) for row in numbers]
    total = _shown(indicator, raw.total, total_state, raw.answered, network)
    breakdowns = []
    for (code, label, categories, _found), row, row_states in zip(rows, numbers, states, strict=True):
        cells = tuple(
            Cell(category, name, _shown(indicator, number, state, raw.answered, network))
            for (category, name), number, state in zip(categories, row, row_states, strict=True)
        )
        breakdowns.append(Breakdown(code, label, cells, own=code in raw.extra))
    return total, breakdowns


def _shown(indicator: Indicator, number: Number | None, state: str, answered: int, network: bool) -> Figure:
    if state != suppression.SHOWN and not isinstance(number, Ratio) and number is not None:
        return Figure(suppression.shown_text(int(number), state), state=state)
    return _figure(indicator.kind, number, answered, network)


def _value(indicator: Indicator, year: int, raw: Raw | None, *, computed: bool, network: bool, entry=None) -> Value:
    target = next((t.value for t in indicator.targets.all() if t.year == year), None)
    value = Value(indicator=indicator, year=year, target=target)
    if indicator.kind == Kind.NARRATIVE:
        return _narrative(value, entry, network)
    value.total, value.breakdowns = _present(indicator, raw, computed, network)
    value.status = _status(indicator, raw, target, value.total.state, network)
    if not value.total.missing:
        value.source = "computed" if computed else "entered"
    return value


def _narrative(value: Value, entry, network: bool) -> Value:
    """One organisation reads its own narrative and the knowledge products it links; a network, how many
    organisations documented one (their texts are their own)."""
    if not entry:
        return value
    if network:
        value.narrative = ngettext(
            "documented by %(n)s organisation", "documented by %(n)s organisations", len(entry)
        ) % {"n": len(entry)}
    else:
        value.narrative = entry[0].narrative
        value.products = list(entry[0].products.all())
    value.total = Figure(value.narrative)
    value.source = "entered"
    value.status = Status.NO_TARGET
    return value


# Figures entered by hand -----------------------------------------------------------------------------------


def _entered_number(indicator: Indicator, entry: IndicatorValue) -> Number | None:
    if indicator.kind == Kind.PERCENTAGE:
        if entry.numerator is None or entry.denominator is None:
            return None
        return Ratio(entry.numerator, entry.denominator)
    if indicator.kind == Kind.YES_NO:
        return None if entry.yes_no is None else Decimal(int(entry.yes_no))
    return entry.value


def _add(a: Number | None, b: Number | None) -> Number | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _entered(indicators: list[Indicator], scope: Scope) -> tuple[dict, dict]:
    """Raw figures added up across the scope's organisations, and the narrative entries, by (indicator, year)."""
    entries = (
        IndicatorValue.objects.filter(indicator__in=indicators, organisation__in=scope.ids, year__in=scope.years)
        .select_related("category__disaggregation")
        .prefetch_related("products")
        .order_by("organisation_id", "pk")
    )
    by_id = {indicator.pk: indicator for indicator in indicators}
    raws: dict[tuple, Raw] = {}
    narratives: dict[tuple, list] = defaultdict(list)
    for entry in entries:
        indicator = by_id[entry.indicator_id]
        key = (entry.indicator_id, entry.year)
        if indicator.kind == Kind.NARRATIVE:
            if entry.category_id is None:
                narratives[key].append(entry)
            continue
        number = _entered_number(indicator, entry)
        if number is None:
            continue
        raw = raws.setdefault(key, Raw())
        if entry.category_id is None:
            raw.total = _add(raw.total, number)
            raw.answered += 1
        else:
            cells = raw.by.setdefault(entry.category.disaggregation.code, {})
            cells[entry.category.code] = _add(cells.get(entry.category.code), number)
    return raws, narratives


# The engine's front door ---------------------------------------------------------------------------------


def indicator_values(
    *, indicators: Iterable[Indicator], organisations: Iterable[Organisation], years: Iterable[int], network: bool
) -> dict[tuple, Value]:
    """{(indicator id, year): Value} for every indicator and year asked for.

    Each computation runs once for all the years, whatever number of indicators name it. Indicators should
    come with their targets and their disaggregations' categories prefetched (selectors.framework_tree).
    """
    indicators = list(indicators)
    scope = Scope(tuple(organisations), tuple(sorted(set(years))), network=network)
    if not scope.organisations or not scope.years:
        return {}
    computed: dict[str, dict[int, Raw]] = {}
    for indicator in indicators:
        key = indicator.computation
        if key and key not in computed:
            computed[key] = COMPUTE[key](scope) if key in COMPUTE else {}
    raws, narratives = _entered([indicator for indicator in indicators if not indicator.computation], scope)
    found = {}
    for indicator in indicators:
        for year in scope.years:
            key = (indicator.pk, year)
            if indicator.computation:
                raw = computed[indicator.computation].get(year)
                found[key] = _value(indicator, year, raw, computed=True, network=network)
            else:
                found[key] = _value(
                    indicator, year, raws.get(key), computed=False, network=network, entry=narratives.get(key)
                )
    return found


# A framework with its values, as pages and reports read it ----------------------------------------------------


@dataclass
class Line:
    """One indicator with its value for each year asked for."""

    indicator: Indicator
    values: dict[int, Value]

    def at(self, year: int) -> Value:
        return self.values.get(year) or Value(self.indicator, year)

    @property
    def single(self) -> Value:
        """The value, when only one year was asked for (the annual report)."""
        return next(iter(self.values.values()), None) or Value(self.indicator, 0)


def change(before: Value, after: Value) -> str:
    """How a figure moved between two years, from shown numbers only: never from a hidden one, which would give
    it away. Percentages move in points."""
    first, last = before.total.number, after.total.number
    if first is None or last is None or before.indicator.kind not in (Kind.COUNT, Kind.PERCENTAGE):
        return ""
    moved = last - first
    text = ("+" if moved > 0 else "") + number_text(moved)
    if before.indicator.kind == Kind.PERCENTAGE:
        return _("%(change)s points") % {"change": text}
    return text


@dataclass
class Section:
    """A result, a direction or the impact level, with its indicators."""

    code: str
    title: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class Part:
    """A strategy (or the impact level, code "impact") and its sections, results each followed by the directions
    that serve them."""

    code: str
    title: str
    sections: list[Section] = field(default_factory=list)

    def lines(self) -> list[Line]:
        return [line for section in self.sections for line in section.lines]


IMPACT = "impact"


def framework_years(framework, *also: int) -> list[int]:
    """The framework's years, and any other year asked about (a year outside it still has figures)."""
    return sorted(set(range(framework.period_start, framework.period_end + 1)) | set(also))


def framework_parts(tree) -> list[Part]:
    """The framework's parts in reading order, without values; `tree` comes from selectors.framework_tree."""
    parts = []
    if tree.impact_indicators:
        title = _("Impact")
        parts.append(Part(IMPACT, title, [Section("", title, [Line(i, {}) for i in tree.impact_indicators])]))
    for strategy in tree.strategies.all():
        part = Part(strategy.code, _("Strategy %(code)s: %(name)s") % {"code": strategy.code, "name": strategy.text()})
        directions = list(strategy.directions.all())
        for result in [*strategy.results.all(), None]:
            if result is not None:
                title = _("Result %(code)s: %(name)s") % {"code": result.code, "name": result.text()}
                part.sections.append(Section(result.code, title, [Line(i, {}) for i in result.indicators.all()]))
            for direction in directions:
                if direction.result_id == (result.pk if result else None):
                    title = _("Direction %(code)s: %(name)s") % {"code": direction.code, "name": direction.text()}
                    lines = [Line(i, {}) for i in direction.indicators.all()]
                    part.sections.append(Section(direction.code, title, lines))
        parts.append(part)
    return parts


def lines_with_values(lines: list[Line], viewer: Viewer, years: Iterable[int]) -> list[Line]:
    """Fill in the lines' values for `years`, computing each computation once for all of them."""
    years = list(years)
    found = indicator_values(
        indicators=[line.indicator for line in lines],
        organisations=viewer.organisations,
        years=years,
        network=viewer.network,
    )
    for line in lines:
        line.values = {year: found[(line.indicator.pk, year)] for year in years if (line.indicator.pk, year) in found}
    return lines


def parts_with_values(parts: list[Part], viewer: Viewer, years: Iterable[int]) -> list[Part]:
    lines_with_values([line for part in parts for line in part.lines()], viewer, years)
    return parts


def status_summary(parts: list[Part], year: int) -> list[tuple[Part, int, list[int]]]:
    """Each part with how many indicators it has and how many stand at each status (Status.ORDER) in `year`."""
    summary = []
    for part in parts:
        found = [line.at(year).status for line in part.lines()]
        summary.append((part, len(found), [found.count(status) for status in Status.ORDER]))
    return summary
