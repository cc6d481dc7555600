"""Reads of monitoring records, scoped to the reader's organisation. Staff, admins and network analysts read;
anyone else, and anything of another organisation, gets 404, exactly like a record that does not exist."""

from django.db.models import Max, Min, Model, QuerySet
from django.http import Http404

from sombrilla.accounts.models import Membership, Role
from sombrilla.core import clock
from sombrilla.monitoring.records.kinds import KINDS, RecordKind

READERS = (Role.STAFF, Role.ADMIN, Role.ANALYST)


def _require_reader(actor: Membership) -> None:
    if actor.is_suspended or actor.role not in READERS:
        raise Http404


def records_of(*, actor: Membership, kind: RecordKind, year: int | None = None) -> QuerySet:
    """The organisation's records of `kind`, in the type's order, optionally those of one year."""
    _require_reader(actor)
    records = kind.model.objects.filter(organisation=actor.organisation)
    if kind.parent:
        records = records.select_related(kind.parent.field)
    if year is not None:
        records = records.filter(kind.in_year(year))
    return records


def record_get(*, actor: Membership, kind: RecordKind, record_id) -> Model:
    try:
        return records_of(actor=actor, kind=kind).get(pk=record_id)
    except kind.model.DoesNotExist:
        raise Http404 from None


def record_years(*, actor: Membership, kind: RecordKind) -> list[int]:
    """The years the year filter offers, newest first: from the type's first record to this year (or to its last
    record's, if later). Years without records are offered too: an empty year is an answer."""
    bounds = records_of(actor=actor, kind=kind).aggregate(first=Min(kind.year_field), last=Max(kind.year_field))
    if bounds["first"] is None:
        return []
    first, last = (value if isinstance(value, int) else value.year for value in (bounds["first"], bounds["last"]))
    return list(range(max(last, clock.now().year), first - 1, -1))


def record_counts(*, actor: Membership) -> list[tuple[RecordKind, int]]:
    """Every record type with how many records the organisation keeps of it."""
    _require_reader(actor)
    return [(kind, kind.model.objects.filter(organisation=actor.organisation).count()) for kind in KINDS.values()]


def parents_for(*, actor: Membership, kind: RecordKind) -> QuerySet:
    """The records a new record of `kind` may belong to (the publications a statistic can be about)."""
    _require_reader(actor)
    return kind.parent_model.objects.filter(organisation=actor.organisation)


def children_of(*, actor: Membership, record: Model, kind: RecordKind) -> list[tuple[RecordKind, QuerySet]]:
    """What belongs to `record`: a publication's statistics, a training's participants, a campaign's members."""
    _require_reader(actor)
    return [(child, child.model.objects.filter(**{child.parent.field: record})) for child in kind.children]
