"""Records in the state a test needs, made through the services (the only writers), and CSV files to import.

Used by the record tests, the role matrix (sombrilla/accounts/tests/test_access.py) and the page list
(sombrilla/core/tests/browser_pages.py).
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from sombrilla.monitoring.records import csv_import, services
from sombrilla.monitoring.records.demo import demo_load
from sombrilla.monitoring.records.kinds import KINDS, RecordKind


def parent_kind(kind: RecordKind) -> RecordKind:
    return next(other for other in KINDS.values() if other.model is kind.parent_model)


def example_values(kind: RecordKind) -> dict:
    """The values of the type's template example row, as a form hands them to the service (no parent)."""
    values = {}
    for column in csv_import.columns(kind):
        if kind.parent and column.name in kind.parent.columns:
            continue
        cell = kind.example.get(column.name, "")
        values[column.field] = column.parse(cell) if cell else column.empty
    return values


def example_parent(actor, kind: RecordKind):
    """The parent the type's example row names (the parent type's example), made for `actor` if not there yet."""
    parent = parent_kind(kind)
    key = {name: example_values(parent)[name] for name in parent.key}
    return parent.model.objects.filter(organisation=actor.organisation, **key).first() or make_record(
        actor, parent.slug
    )


def make_record(actor, slug: str, **overrides):
    """A record like the template's example row (with the example parent), for `actor`."""
    kind = KINDS[slug]
    values = example_values(kind)
    if kind.parent and kind.parent.field not in overrides:
        values[kind.parent.field] = example_parent(actor, kind)
    return services.record_save(actor=actor, kind=kind, values={**values, **overrides})


def object_key(slug: str) -> str:
    return "records_" + slug.replace("-", "_")


def page_objects(people: dict) -> dict:
    """What the role matrix addresses: a member organisation kept by organisation A (made by carol). The other
    types share the same views and decorators; test_views.py walks every type."""
    return {object_key("members"): make_record(people["carol"], "members").pk}


def full_page_objects(people: dict) -> dict:
    """The record pages at their fullest, for the page budget: the demo's four years of records."""
    carol = people["carol"]
    demo_load(organisation=carol.organisation, author=carol)
    model = KINDS["trainings"].model
    return {object_key("trainings"): model.objects.filter(organisation=carol.organisation).first().pk}


def csv_file(text: str, *, name: str = "records.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def rows_csv(header: list[str], *rows: list[str], delimiter: str = ",") -> str:
    """A CSV text; cells are written as given (a test quotes a cell itself when it needs to)."""
    return "\r\n".join(delimiter.join(cells) for cells in [header, *rows]) + "\r\n"
