"""Monitoring-record pages: the hub, each type's list with its year filter, the entry form, the CSV import and
its template. Staff and admins write; network analysts read the same pages without the forms. Thin, as
elsewhere: parse, call one service or selector, render.

A form refused by a service is shown again with what was typed and a 400; a form accepted flashes a message and
redirects, so reloading the page never sends it twice.
"""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sombrilla.accounts.access import me_required, staff_required
from sombrilla.monitoring.records import csv_import, forms, selectors, services
from sombrilla.monitoring.records.csv_import import ImportRefused
from sombrilla.monitoring.records.kinds import RecordKind, kind_get
from sombrilla.monitoring.records.services import RecordsError

PAGE_SIZE = 30


def display(record, name: str) -> str:
    """A field's value as the pages show it."""
    field = record._meta.get_field(name)
    value = getattr(record, name)
    if value is None or value == "" or value == []:
        return "—"
    if field.choices:
        return getattr(record, f"get_{name}_display")()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _rows(records, names):
    return [(record, [display(record, name) for name in names]) for record in records]


def _headings(kind: RecordKind, names) -> list[str]:
    return [str(kind.model._meta.get_field(name).verbose_name) for name in names]


@me_required
def hub(request):
    counts = selectors.record_counts(actor=request.membership)
    return render(request, "records/hub.html", {"counts": counts})


@me_required
def record_list(request, kind):
    kind = kind_get(kind)
    actor = request.membership
    form = forms.YearForm(request.GET or None, years=selectors.record_years(actor=actor, kind=kind))
    year = form.cleaned_data["year"] if form.is_valid() else None
    records = Paginator(selectors.records_of(actor=actor, kind=kind, year=year), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "kind": kind,
        "form": form,
        "year": year,
        "query": query.urlencode(),
        "records": records,
        "rows": _rows(records, kind.shown),
        "headings": _headings(kind, kind.shown),
    }
    return render(request, "records/list.html", context, status=400 if form.errors else 200)


def _details(kind: RecordKind, record) -> list[tuple[str, str]]:
    """What an analyst reads instead of the form: every field with its value."""
    headings = _headings(kind, kind.fields)
    return [(heading, display(record, name)) for heading, name in zip(headings, kind.fields, strict=True)]


def _form(request, kind: RecordKind, *, record=None):
    """The same form adds a record and changes one; a parent may be chosen in advance (?training=<id>)."""
    actor = request.membership
    parents = selectors.parents_for(actor=actor, kind=kind) if kind.parent else None
    form_class = forms.record_form_class(kind.slug)
    if record is not None:
        initial = {name: getattr(record, name) for name in kind.fields}
    else:
        initial = {kind.parent.field: request.GET.get(kind.parent.field)} if kind.parent else {}
    form = form_class(request.POST if request.method == "POST" else None, initial=initial, kind=kind, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_save(actor=actor, kind=kind, values=form.cleaned_data, record=record)
        except RecordsError as exc:
            for field, errors in exc.errors.items() or [(None, [str(exc)])]:
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("records:list", kind=kind.slug)
    return _record_page(request, kind, record=record, form=form, status=400 if form.errors else 200)


def _record_page(request, kind: RecordKind, *, record=None, form=None, status=200):
    actor = request.membership
    children = []
    if record is not None:
        for child, records in selectors.children_of(actor=actor, record=record, kind=kind):
            names = [name for name in child.shown if name != child.parent.field]
            children.append((child, _headings(child, names), _rows(records, names)))
    context = {
        "kind": kind,
        "record": record,
        "form": form,
        "details": _details(kind, record) if record is not None and form is None else [],
        "children": children,
    }
    return render(request, "records/record.html", context, status=status)


@staff_required
def record_new(request, kind):
    return _form(request, kind_get(kind))


@me_required
def record(request, kind, record_id):
    kind = kind_get(kind)
    actor = request.membership
    found = selectors.record_get(actor=actor, kind=kind, record_id=record_id)
    if actor.is_staff_role:
        return _form(request, kind, record=found)
    if request.method != "GET":
        raise Http404
    return _record_page(request, kind, record=found)


@staff_required
@require_POST
def record_delete(request, kind, record_id):
    kind = kind_get(kind)
    actor = request.membership
    found = selectors.record_get(actor=actor, kind=kind, record_id=record_id)
    services.record_delete(actor=actor, kind=kind, record=found)
    messages.success(request, _("Deleted."))
    return redirect("records:list", kind=kind.slug)


@staff_required
def records_import(request, kind):
    kind = kind_get(kind)
    posted = request.method == "POST"
    form = forms.ImportForm(request.POST if posted else None, request.FILES if posted else None)
    problems, more = [], 0
    if posted and form.is_valid():
        try:
            summary = services.records_import(actor=request.membership, kind=kind, upload=form.cleaned_data["file"])
        except ImportRefused as exc:
            problems = [str(problem) for problem in exc.problems[: csv_import.PROBLEMS_SHOWN]]
            more = len(exc.problems) - len(problems)
        except RecordsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Imported: %(created)d new, %(updated)d updated.")
                % {"created": summary.created, "updated": summary.updated},
            )
            return redirect("records:list", kind=kind.slug)
    context = {
        "kind": kind,
        "form": form,
        "columns": csv_import.columns(kind),
        "problems": problems,
        "more": more,
        "max_rows": f"{csv_import.MAX_ROWS:,}",
    }
    return render(request, "records/import.html", context, status=400 if problems or form.errors else 200)


@me_required
def record_template(request, kind):
    kind = kind_get(kind)
    response = HttpResponse(csv_import.template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind.slug}-template.csv"'
    return response
