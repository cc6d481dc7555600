"""Trend charts as small inline SVG, drawn on the server: no JavaScript, no request to anywhere, a few hundred
bytes each. Every chart carries a <title> and a <desc> that say in words what the bars show, for screen readers
and for anyone who cannot tell the bars apart.

A hidden figure is never drawn as what it is: "<5" is an outlined bar up to 5 (it is somewhere below), "…" and
"no data" draw nothing. A target is a short line across its year.
"""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from sombrilla.monitoring import suppression
from sombrilla.monitoring.values import Figure, number_text

BAR, GAP, HEIGHT = 10, 4, 28


def _height(number: Decimal, top: Decimal) -> int:
    return round(float(number / top) * (HEIGHT - 2)) if top else 0


def trend_chart(
    points: list[tuple[int, Figure]], targets: dict[int, Decimal], *, chart_id: str, title: str
) -> SafeString:
    """A bar per year. `points` are (year, figure); `targets` the target per year, where there is one. All bars
    are one path, the "<5" outlines another and the targets a third, so a chart stays a few hundred bytes."""
    small = Decimal(suppression.THRESHOLD)
    years = {year for year, _figure in points}
    heights = [figure.number for _year, figure in points if figure.number is not None]
    heights += [target for year, target in targets.items() if year in years]
    if any(figure.state == suppression.SMALL for _year, figure in points):
        heights.append(small)
    top = max(heights, default=Decimal(0))
    bars, outlines, lines, words = [], [], [], []
    for index, (year, figure) in enumerate(points):
        x = index * (BAR + GAP)
        if figure.number is not None and _height(figure.number, top):
            # A bar is a vertical stroke as wide as the bar (.spark .col): a few characters each.
            bars.append(f"M{x + BAR // 2} {HEIGHT}v-{_height(figure.number, top)}")
        elif figure.state == suppression.SMALL:
            outlines.append(f"M{x + 1} {HEIGHT - 1}v-{_height(small, top) - 1}h{BAR - 2}v{_height(small, top) - 1}z")
        target = targets.get(year)
        if target is not None:
            lines.append(f"M{x - 1} {HEIGHT - _height(target, top)}h{BAR + 2}")
        said = figure.text if not figure.missing else _("no data")
        if target is not None:
            said = _("%(value)s (target %(target)s)") % {"value": said, "target": number_text(target)}
        words.append(f"{year}: {said}")
    shapes = "".join(
        f'<path class="{name}" d="{"".join(parts)}"/>'
        for name, parts in (("col", bars), ("small", outlines), ("target", lines))
        if parts
    )
    width = max(len(points) * (BAR + GAP) - GAP, 1)
    return mark_safe(  # noqa: S308 - every text in it is escaped here; the rest are numbers
        f'<svg class="spark" viewBox="-1 0 {width + 2} {HEIGHT}" role="img" aria-labelledby="{chart_id}t {chart_id}d">'
        f'<title id="{chart_id}t">{escape(title)}</title><desc id="{chart_id}d">{escape("; ".join(words))}</desc>'
        f"{shapes}</svg>"
    )
