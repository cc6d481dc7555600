"""The only writers of monitoring records: one record from a form, many from a CSV file, and deletion.

Each function takes the acting membership and checks it is staff or an admin of the record's organisation, in
one transaction. An import writes every row of the file or none of them, and is audited; so is a deletion. The
audit entry names the record type and id only, never what the record says.
"""

from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from sombrilla.accounts.models import Membership, Organisation
from sombrilla.core import clock
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record
from sombrilla.monitoring.records import csv_import
from sombrilla.monitoring.records.csv_import import ImportRefused, Problem
from sombrilla.monitoring.records.kinds import RecordKind, key_part, record_key


class RecordsError(Exception):
    """A change to records that cannot be made; the message says why. `errors` holds the messages of single
    fields (field name -> messages) when the fault is theirs, so a form can show each beside its field."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int


def _require_staff(actor: Membership, organisation_id) -> None:
    if actor.is_suspended or not actor.is_staff_role or actor.organisation_id != organisation_id:
        raise RecordsError(_("Only staff can change monitoring records."))


def _tidy(kind: RecordKind, values: dict) -> dict:
    """Text without surrounding spaces; in the fields that identify a record, without runs of spaces either."""
    return {
        name: (" ".join(value.split()) if name in kind.key else value.strip()) if isinstance(value, str) else value
        for name, value in values.items()
    }


def _errors(kind: RecordKind, record: Model) -> dict[str, list[str]]:
    """The record's own rules (fields and `clean`). The organisation and a parent are checked by the caller, and
    sameness by `record_key`, so validating a row asks the database nothing."""
    exclude = ["organisation", *([kind.parent.field] if kind.parent else [])]
    try:
        record.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def _same_text(kind: RecordKind) -> str:
    return get_text_list([str(kind.model._meta.get_field(name).verbose_name) for name in kind.key], _("and"))


def _duplicate_of(kind: RecordKind, record: Model) -> Model | None:
    """Another record of the organisation that is the same one (text compared without case or extra spaces)."""
    query = Q()
    for name in kind.key:
        field = kind.model._meta.get_field(name)
        value = getattr(record, field.attname)
        query &= Q(**{f"{field.attname}__iexact": value}) if isinstance(value, str) else Q(**{field.attname: value})
    key = record_key(kind, record)
    candidates = kind.model.objects.filter(query, organisation_id=record.organisation_id).exclude(pk=record.pk)
    return next((found for found in candidates if record_key(kind, found) == key), None)


@transaction.atomic
def record_save(*, actor: Membership, kind: RecordKind, values: dict, record: Model | None = None) -> Model:
    """Create a record of `kind` for the actor's organisation, or change `record`, from a form's values."""
    organisation_id = record.organisation_id if record is not None else actor.organisation_id
    _require_staff(actor, organisation_id)
    values = _tidy(kind, {name: values[name] for name in kind.fields if name in values})
    if kind.parent and values[kind.parent.field].organisation_id != organisation_id:
        raise RecordsError(_("Choose one of your organisation’s records."), {kind.parent.field: [_("Not found.")]})
    if record is None:
        record = kind.model(organisation_id=organisation_id)
    for name, value in values.items():
        setattr(record, name, value)
    errors = _errors(kind, record)
    if errors:
        raise RecordsError(_("Please check the form."), errors)
    if _duplicate_of(kind, record) is not None:
        message = _("This %(record)s is recorded already (the same %(fields)s).") % {
            "record": kind.one,
            "fields": _same_text(kind),
        }
        raise RecordsError(message, {NON_FIELD_ERRORS: [message]})
    record.updated_at = clock.now()
    record.save()
    return record


@transaction.atomic
def record_delete(*, actor: Membership, kind: RecordKind, record: Model) -> None:
    """Delete a record and what belongs to it (a publication's statistics, a training's participants)."""
    _require_staff(actor, record.organisation_id)
    audit_record(actor=actor, action=AuditAction.RECORD_DELETED, target_type=kind.slug, target_id=record.pk)
    record.delete()


def _parents(kind: RecordKind, organisation: Organisation) -> dict[tuple, Model]:
    parent_model = kind.parent_model
    return {
        tuple(key_part(getattr(parent, name)) for name in kind.parent.keys): parent
        for parent in parent_model.objects.filter(organisation=organisation)
    }


def _column_of(kind: RecordKind, field: str) -> str | None:
    if field == NON_FIELD_ERRORS:
        return None
    if kind.parent and field == kind.parent.field:
        return kind.parent.columns[0]
    return field


@transaction.atomic
def records_import(*, actor: Membership, kind: RecordKind, upload) -> ImportSummary:
    """Import a CSV file of `kind` for the actor's organisation: all its rows, or none if any is wrong.

    A row that is the same record as one already kept (kinds.RecordKind.key) updates it, with the columns the
    file has; the rest are created. Raises csv_import.ImportRefused with every problem found.
    """
    _require_staff(actor, actor.organisation_id)
    organisation = actor.organisation
    table = csv_import.table_read(upload)
    problems = csv_import.header_problems(kind, table.header)
    if problems:
        raise ImportRefused(problems)
    parsed, problems = csv_import.rows_parse(kind, table)
    # The fields the file fills: an update leaves the others as they were.
    filled = [name for name in kind.fields if (kind.parent and name == kind.parent.field) or name in table.header]
    existing = {record_key(kind, record): record for record in kind.model.objects.filter(organisation=organisation)}
    parents = _parents(kind, organisation) if kind.parent else {}
    seen: dict[tuple, int] = {}
    creating, updating = [], []
    now = clock.now()
    for row in parsed:
        if not row.ok:
            continue
        values = dict(row.values)
        if kind.parent:
            named = [values.pop(f"{kind.parent.field}__{name}") for name in kind.parent.keys]
            parent = parents.get(tuple(key_part(value) for value in named))
            if parent is None:
                text = ", ".join(csv_import.shown(str(value)) for value in named)
                problems.append(Problem(kind.parent.missing % {"value": text}, row.number, kind.parent.columns[0]))
                continue
            values[kind.parent.field] = parent
        values = _tidy(kind, values)
        record = kind.model(organisation=organisation, **values)
        key = record_key(kind, record)
        if key in seen:
            problems.append(
                Problem(
                    _("the same %(fields)s as row %(row)d: a file may hold each record once")
                    % {"fields": _same_text(kind), "row": seen[key]},
                    row.number,
                )
            )
            continue
        seen[key] = row.number
        if key in existing:
            record = existing[key]
            for name, value in values.items():
                setattr(record, name, value)
        record.updated_at = now
        errors = _errors(kind, record)
        for field, messages in errors.items():
            problems.extend(Problem(message, row.number, _column_of(kind, field)) for message in messages)
        if not errors:
            (updating if key in existing else creating).append(record)
    if problems:
        raise ImportRefused(sorted(problems, key=lambda problem: problem.row or 0))
    kind.model.objects.bulk_create(creating, batch_size=500)
    kind.model.objects.bulk_update(updating, fields=[*filled, "updated_at"], batch_size=500)
    audit_record(actor=actor, action=AuditAction.RECORDS_IMPORTED, target_type=kind.slug)
    return ImportSummary(created=len(creating), updated=len(updating))
