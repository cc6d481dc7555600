"""Monitoring pages: the dashboard (a framework's values for a year, strategy by strategy, against baseline and
target, with trends), an indicator's page (its splits, and the form for figures entered by hand), the comparison
of two years (mid-term and end of strategy), the printable annual report and its downloads (XLSX, CSV, DHIS2
JSON, ADX XML), and the staff form for DHIS2 names.

Thin, as elsewhere: parse, call the engine (values.py) or one service, render. Staff and admins see their
organisation; network analysts the organisations that share with the network, added together; anyone else gets
a 404 (values.viewer_for). Query strings are parsed by forms: a bad one gets the page with a message, or for a
download a 400 that says what is wrong, never a server error.
"""

from django.contrib import messages
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sombrilla.accounts.access import staff_required
from sombrilla.accounts.services import PermissionDenied
from sombrilla.core import clock
from sombrilla.monitoring import charts, exports, forms, selectors, services
from sombrilla.monitoring.computations import COMPUTATIONS
from sombrilla.monitoring.models import EvaluationKind, ExportMapping, Framework, Kind
from sombrilla.monitoring.values import (
    IMPACT,
    Line,
    Part,
    Status,
    Viewer,
    change,
    framework_parts,
    framework_years,
    lines_with_values,
    parts_with_values,
    status_summary,
    viewer_for,
)

REFUSED = (services.MonitoringError, PermissionDenied)


def _viewer(request) -> Viewer:
    return viewer_for(getattr(request, "membership", None))


def _frameworks(viewer: Viewer) -> list[Framework]:
    """The network's frameworks first (the first is the default), then the organisation's own, by code."""
    return list(selectors.frameworks_for_viewer(viewer).order_by(F("organisation").asc(nulls_first=True), "code"))


def _default_year(framework: Framework) -> int:
    return min(max(clock.now().year, framework.period_start), framework.period_end)


class Choice:
    """The framework and year a page is about, from its query string; `errors` says what was wrong with it."""

    def __init__(self, request, viewer: Viewer):
        self.frameworks = _frameworks(viewer)
        self.form = forms.PeriodForm(request.GET or None, frameworks=self.frameworks)
        data = self.form.cleaned_data if self.form.is_valid() else {}
        chosen = data.get("framework")
        self.framework = next((f for f in self.frameworks if f.code == chosen), None) or next(
            iter(self.frameworks), None
        )
        self.year = data.get("year") or (_default_year(self.framework) if self.framework else clock.now().year)
        self.strategy = data.get("strategy", "")
        self.errors = forms.form_errors(self.form)

    def query(self, **changes) -> str:
        params = {"framework": self.framework.code if self.framework else "", "year": self.year, **changes}
        return "?" + urlencode({key: value for key, value in params.items() if value not in ("", None)})


def _chosen_part(parts: list[Part], code: str) -> Part | None:
    """The part asked for, else the first strategy (the impact level is mostly narratives, read less often)."""
    return next((p for p in parts if p.code == code), None) or next(
        (p for p in parts if p.code != IMPACT), parts[0] if parts else None
    )


def _tree(framework: Framework):
    return selectors.framework_tree(framework=framework)


def _base_context(viewer: Viewer, choice: Choice) -> dict:
    return {
        "viewer": viewer,
        "whose": exports.whose(viewer),
        "choice": choice,
        "form": choice.form,
        "errors": choice.errors,
        "legend": exports.legend(),
    }


# The dashboard -------------------------------------------------------------------------------------------


def _chart(line: Line, years: list[int], chart_id: str):
    """The trend of one indicator over `years`, with its targets; nothing for a narrative, or a figure with no
    data in any year, which have nothing to draw."""
    points = [(year, line.at(year).total) for year in years]
    if line.indicator.kind == Kind.NARRATIVE or all(figure.missing for _year, figure in points):
        return ""
    targets = {target.year: target.value for target in line.indicator.targets.all()}
    title = _("%(code)s by year") % {"code": line.indicator.code}
    return charts.trend_chart(points, targets, chart_id=chart_id, title=title)


def _charted(lines: list[Line], years: list[int], year: int, prefix: str) -> list[dict]:
    return [
        {"line": line, "value": line.at(year), "chart": _chart(line, years, f"{prefix}{index}")}
        for index, line in enumerate(lines)
    ]


def dashboard(request):
    viewer = _viewer(request)
    choice = Choice(request, viewer)
    context = _base_context(viewer, choice)
    status = 400 if choice.errors else 200
    if choice.framework is None:
        return render(request, "monitoring/dashboard.html", context, status=status)
    parts = framework_parts(_tree(choice.framework))
    part = _chosen_part(parts, choice.strategy)
    years = framework_years(choice.framework, choice.year)
    if part is not None:
        parts_with_values([part], viewer, years)
        sections = [
            {"section": section, "rows": _charted(section.lines, years, choice.year, f"c{number}-")}
            for number, section in enumerate(part.sections)
        ]
    else:
        sections = []
    context.update(
        parts=[(p, choice.query(strategy=p.code)) for p in parts],
        part=part,
        sections=sections,
        years=years,
        point_links=_point_links(choice.framework),
    )
    return render(request, "monitoring/dashboard.html", context, status=status)


# One indicator ---------------------------------------------------------------------------------------------


def _indicator_page(request, viewer: Viewer, indicator, year: int, *, value_form=None, status: int = 200):
    years = framework_years(indicator.framework, year)
    part_code = indicator.result.strategy.code if indicator.result_id else None
    if indicator.direction_id:
        part_code = indicator.direction.strategy.code
    (line,) = lines_with_values([Line(indicator, {})], viewer, years)
    enterable = viewer.can_enter and not indicator.computation
    products = selectors.knowledge_products_of(organisation=viewer.membership.organisation) if enterable else []
    if enterable and value_form is None:
        value_form = forms.ValueForm(indicator=indicator, products=products, initial={"year": year})
    back = {"framework": indicator.framework.code, "year": year, "strategy": part_code or IMPACT}
    context = {
        "viewer": viewer,
        "whose": exports.whose(viewer),
        "indicator": indicator,
        "texts": {name: indicator.text(name) for name in ("definition", "numerator", "denominator")},
        "year": year,
        "value": line.at(year),
        "trend": [line.at(y) for y in years],
        "chart": _chart(line, years, "trend"),
        "computation": COMPUTATIONS[indicator.computation].description if indicator.computation else "",
        "value_form": value_form if enterable else None,
        "entries": selectors.entries_of(viewer=viewer, indicator=indicator) if enterable else [],
        "legend": exports.legend(),
        "back": reverse("monitoring:dashboard") + "?" + urlencode(back),
        "years": years,
    }
    return render(request, "monitoring/indicator.html", context, status=status)


def indicator(request, indicator_id):
    viewer = _viewer(request)
    found = selectors.indicator_get_for(viewer=viewer, indicator_id=indicator_id)
    year_form = forms.YearForm(request.GET or None)
    year = year_form.cleaned_data.get("year") if year_form.is_valid() else None
    year = year or _default_year(found.framework)
    if request.method != "POST":
        if year_form.errors:
            messages.error(request, " ".join(forms.form_errors(year_form)))
        return _indicator_page(request, viewer, found, year, status=400 if year_form.errors else 200)
    return _enter(request, viewer, found, year)


def _enter(request, viewer: Viewer, indicator, year: int):
    if not viewer.can_enter or indicator.computation:
        raise Http404
    products = selectors.knowledge_products_of(organisation=viewer.membership.organisation)
    form = forms.ValueForm(request.POST, request.FILES, indicator=indicator, products=products)
    if form.is_valid():
        data = form.cleaned_data
        upload = data.get("attachment")
        try:
            services.indicator_value_save(
                actor=request.membership,
                indicator=indicator,
                year=data["year"],
                category=form.chosen_category(),
                value=data.get("value"),
                numerator=data.get("numerator"),
                denominator=data.get("denominator"),
                yes_no=data.get("yes_no"),
                narrative=data.get("narrative", ""),
                evidence_note=data["evidence_note"],
                attachment=services.evidence_read(upload) if upload else None,
                products=form.chosen_products(),
            )
        except REFUSED as exc:
            for error in getattr(exc, "errors", [str(exc)]):
                form.add_error(None, error)
        else:
            messages.success(request, _("The figure is saved."))
            url = reverse("monitoring:indicator", args=[indicator.pk])
            return redirect(url + "?" + urlencode({"year": data["year"]}))
    return _indicator_page(request, viewer, indicator, year, value_form=form, status=400)


@staff_required
@require_POST
def value_delete(request, value_id):
    viewer = _viewer(request)
    entry = selectors.entry_get_for(viewer=viewer, entry_id=value_id)
    services.indicator_value_delete(actor=request.membership, entry=entry)
    messages.success(request, _("The figure is deleted."))
    url = reverse("monitoring:indicator", args=[entry.indicator_id])
    return redirect(url + "?" + urlencode({"year": entry.year}))


@staff_required
def evidence(request, value_id):
    viewer = _viewer(request)
    entry = selectors.entry_get_for(viewer=viewer, entry_id=value_id)
    try:
        handle = services.evidence_open(actor=request.membership, entry=entry)
    except (services.MonitoringError, FileNotFoundError):
        raise Http404 from None
    extension = entry.attachment.name.rsplit(".", 1)[-1]
    # Always a download, never shown in the page: evidence is whatever someone uploaded.
    response = FileResponse(
        handle, content_type=entry.attachment_type, as_attachment=True, filename=f"evidence.{extension}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


# Comparing periods: mid-term and end of strategy ------------------------------------------------------------


def _point_links(framework: Framework) -> list[tuple[str, str]]:
    """The framework's evaluation points that fall in a year, as links to the comparison they call for."""
    links = []
    for point in framework.evaluation_points.exclude(year__isnull=True).order_by("year"):
        if framework.period_start < point.year:
            query = urlencode({"framework": framework.code, "from": framework.period_start, "to": point.year})
            links.append((point.text(), reverse("monitoring:compare") + "?" + query))
    return links


def compare(request):
    viewer = _viewer(request)
    frameworks = _frameworks(viewer)
    form = forms.CompareForm(request.GET or None, frameworks=frameworks)
    data = form.cleaned_data if form.is_valid() else {}
    framework = next((f for f in frameworks if f.code == data.get("framework")), None) or next(iter(frameworks), None)
    context = {
        "viewer": viewer,
        "whose": exports.whose(viewer),
        "form": form,
        "errors": forms.form_errors(form),
        "legend": exports.legend(),
    }
    status = 400 if form.errors else 200
    if framework is None:
        return render(request, "monitoring/compare.html", context, status=status)
    mid_term = framework.evaluation_points.filter(kind=EvaluationKind.MID_TERM, year__isnull=False).first()
    start = data.get("from") or framework.period_start
    end = data.get("to") or (mid_term.year if mid_term else framework.period_end)
    if start >= end:
        start, end = framework.period_start, framework.period_end
    parts = framework_parts(_tree(framework))
    part = _chosen_part(parts, data.get("strategy", ""))
    if part is not None:
        parts_with_values([part], viewer, [start, end])
    query = {"framework": framework.code, "from": start, "to": end}
    context.update(
        framework=framework,
        start=start,
        end=end,
        parts=[(p, "?" + urlencode({**query, "strategy": p.code})) for p in parts],
        part=part,
        rows=[(line, line.at(start), line.at(end), change(line.at(start), line.at(end))) for line in part.lines()]
        if part
        else [],
        point_links=_point_links(framework),
    )
    return render(request, "monitoring/compare.html", context, status=status)


# The annual report and its downloads ----------------------------------------------------------------------


def _report(request):
    """The viewer, the choice from the query string, every part with its values for the year, and what is wrong
    with the query string (then there are no parts)."""
    viewer = _viewer(request)
    choice = Choice(request, viewer)
    problem = ""
    if choice.errors:
        problem = " ".join(str(error) for error in choice.errors)
    elif choice.framework is None:
        problem = _("There is no framework to report on yet.")
    parts = None if problem else parts_with_values(framework_parts(_tree(choice.framework)), viewer, [choice.year])
    return viewer, choice, parts, problem


def _bad_request(message: str) -> HttpResponse:
    """A download has no page to show a message on: the answer says what is wrong, in words."""
    return HttpResponse(message + "\n", status=400, content_type="text/plain; charset=utf-8")


def report(request):
    viewer, choice, parts, problem = _report(request)
    context = _base_context(viewer, choice)
    if problem:
        return render(request, "monitoring/report.html", context, status=400 if choice.errors else 200)
    # One part at a time, under the summary of them all: the whole report in one page would be too heavy for a
    # phone; printed part by part (or downloaded) it is all there.
    part = _chosen_part(parts, choice.strategy)
    context.update(
        summary=[
            (p, n, counted, choice.query(strategy=p.code)) for p, n, counted in status_summary(parts, choice.year)
        ],
        statuses=[Status.LABELS[status] for status in Status.ORDER],
        part=part,
        made=clock.now(),
        query=choice.query(),
    )
    return render(request, "monitoring/report.html", context)


def _download(body, content_type: str, filename: str, omitted: int | None = None) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    if omitted is not None:
        # DHIS2 and ADX cannot carry a mark instead of a number, so hidden figures are left out; this says how many.
        response["X-Omitted-Figures"] = str(omitted)
    return response


def _name(choice: Choice, suffix: str) -> str:
    return f"{choice.framework.code}-{choice.year}.{suffix}"


def report_xlsx(request):
    viewer, choice, parts, problem = _report(request)
    if problem:
        return _bad_request(problem)
    body = exports.report_xlsx(framework=choice.framework, parts=parts, year=choice.year, viewer=viewer)
    return _download(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _name(choice, "xlsx"))


def report_csv(request):
    viewer, choice, parts, problem = _report(request)
    if problem:
        return _bad_request(problem)
    body = exports.report_csv(framework=choice.framework, parts=parts, year=choice.year)
    return _download(body.encode("utf-8"), "text/csv; charset=utf-8", _name(choice, "csv"))


def _mapping(viewer: Viewer) -> ExportMapping:
    organisation = viewer.membership.organisation
    return ExportMapping.objects.filter(organisation=organisation).first() or ExportMapping(organisation=organisation)


def _org_unit(viewer: Viewer, mapping: ExportMapping) -> str:
    return mapping.org_unit or viewer.membership.organisation.slug


def _data_export(request, write, content_type: str, suffix: str) -> HttpResponse:
    viewer, choice, parts, problem = _report(request)
    if problem:
        return _bad_request(problem)
    mapping = _mapping(viewer)
    body, omitted = write(
        framework=choice.framework,
        parts=parts,
        year=choice.year,
        mapping=mapping,
        org_unit=_org_unit(viewer, mapping),
        network=viewer.network,
    )
    return _download(body, content_type, _name(choice, suffix), omitted)


def dhis2(request):
    return _data_export(request, exports.dhis2_json, "application/json", "dhis2.json")


def adx(request):
    return _data_export(request, exports.adx_xml, "application/adx+xml", "adx.xml")


# DHIS2 names ---------------------------------------------------------------------------------------------


@staff_required
def mapping(request):
    viewer = _viewer(request)
    current = _mapping(viewer)
    if request.method == "POST":
        form = forms.MappingForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.export_mapping_save(
                    actor=request.membership, org_unit=data["org_unit"], data_set=data["data_set"], codes=data["parsed"]
                )
            except REFUSED as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The DHIS2 names are saved."))
                return redirect("monitoring:mapping")
    else:
        form = forms.MappingForm(
            initial={"org_unit": current.org_unit, "data_set": current.data_set, "codes": exports.mapping_text(current)}
        )
    context = {
        "form": form,
        "kinds": ExportMapping.CodeKind.choices,
        "default_org_unit": viewer.membership.organisation.slug,
    }
    return render(request, "monitoring/mapping.html", context, status=400 if form.errors else 200)
