"""Reading record files: a CSV file in, rows of typed values out, and every problem named by row and column.

The format, stated on each type's import page: UTF-8 (with or without the byte-order mark spreadsheets add),
comma- or semicolon-separated (whichever the header row uses), the header row first with the type's column
names, dates as YYYY-MM-DD, at most 2 MB and 50,000 rows. Rows are numbered as a spreadsheet numbers them: the
header is row 1.

A cell is kept as the text it is. A cell that starts with = + - or @ is not a formula here and stays text, so
an export that writes it to a spreadsheet must write it as text too. Nothing here writes to the database: the
service (services.records_import) validates the rows as records and writes all of them, or none.
"""

import csv
import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sombrilla.monitoring.records import models as m
from sombrilla.monitoring.records.kinds import RecordKind

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 50_000
# Problems listed on the page; the rest are counted. A file with thousands of faults needs its first few fixed.
PROBLEMS_SHOWN = 100
_SHOWN_VALUE = 40
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WHOLE = re.compile(r"\d+")
_YEAR = re.compile(r"\d{4}")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: with a row and column when it is one cell's fault."""

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.row is not None and self.column is not None:
            return _("row %(row)d, column '%(column)s': %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        if self.row is not None:
            return _("row %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        return self.message


class ImportRefused(Exception):
    """The file cannot be imported; `problems` says why, all of them (up to the file's end)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(problem) for problem in problems[:3]))
        self.problems = problems


class CellError(Exception):
    pass


def shown(value: str) -> str:
    """A cell as a message quotes it: cut short, so a huge cell cannot flood the page."""
    return value if len(value) <= _SHOWN_VALUE else value[: _SHOWN_VALUE - 1] + "…"


# Cells -----------------------------------------------------------------------------------------------------------


def _text(max_length: int | None) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if "\x00" in value:
            raise CellError(_("contains a NUL character, which is not text"))
        if max_length is not None and len(value) > max_length:
            raise CellError(
                _("longer than %(max)d characters (%(length)d)") % {"max": max_length, "length": len(value)}
            )
        return value

    return parse


def _choice(choices: list[tuple[str, str]]) -> Callable[[str], str]:
    codes = [code for code, _label in choices]

    def parse(value: str) -> str:
        code = value.lower()
        if code not in codes:
            raise CellError(
                _("'%(value)s' is not one of: %(codes)s") % {"value": shown(value), "codes": ", ".join(codes)}
            )
        return code

    return parse


def _date(value: str) -> datetime.date:
    try:
        if _DATE.fullmatch(value):
            return datetime.date.fromisoformat(value)
    except ValueError:
        pass
    raise CellError(_("'%(value)s' is not a date (YYYY-MM-DD)") % {"value": shown(value)})


def _count(value: str) -> int:
    if not _WHOLE.fullmatch(value):
        raise CellError(_("'%(value)s' is not a whole number of 0 or more") % {"value": shown(value)})
    number = int(value)
    if number > m.COUNT_MAX:
        raise CellError(_("'%(value)s' is too large (at most %(max)d)") % {"value": shown(value), "max": m.COUNT_MAX})
    return number


def _year(value: str) -> int:
    if not _YEAR.fullmatch(value) or not m.YEAR_MIN <= int(value) <= m.YEAR_MAX:
        raise CellError(
            _("'%(value)s' is not a year between %(min)d and %(max)d")
            % {"value": shown(value), "min": m.YEAR_MIN, "max": m.YEAR_MAX}
        )
    return int(value)


def _bool(value: str) -> bool:
    """English words always, and the importer's own language's: a file typed in French says « oui »."""
    word = value.lower()
    if word in _YES or word == pgettext("a yes/no cell in a CSV file", "yes").lower():
        return True
    if word in _NO or word == pgettext("a yes/no cell in a CSV file", "no").lower():
        return False
    raise CellError(_("'%(value)s' is not yes or no") % {"value": shown(value)})


def _country(value: str) -> str:
    code = value.upper()
    if code not in m.COUNTRIES:
        raise CellError(
            _("'%(value)s' is not a country's two-letter ISO code (KE, MX, TH …)") % {"value": shown(value)}
        )
    return code


def _language(value: str) -> str:
    code = value.lower()
    if not m.is_language(code):
        raise CellError(_("'%(value)s' is not an ISO language code (en, fr, es, ru …)") % {"value": shown(value)})
    return code


def _languages(value: str) -> list[str]:
    codes = [code for code in m.LANGUAGES_SEPARATOR.split(value) if code]
    if not codes:
        raise CellError(_("give at least one language"))
    for code in codes:
        if not m.is_language(code.lower()):
            raise CellError(
                _("'%(code)s' in '%(value)s' is not an ISO language code (en, fr, es, ru …)")
                % {"code": shown(code), "value": shown(value)}
            )
    return m.languages_normalise(codes)


# Columns ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a type's file: the field it fills, how a cell becomes a value, and what to write in it."""

    name: str
    field: str
    parse: Callable[[str], object]
    required: bool
    # The value an empty optional cell gives.
    empty: object
    describe: str


def _describe_choices(choices) -> str:
    named = (code if str(label) == code else f"{code} ({label})" for code, label in choices if code)
    return _("one of: %(codes)s") % {"codes": "; ".join(named)}


def _column_for(field: models.Field, name: str | None = None) -> Column:
    """How a model field is written in a file, from the field itself: its type, choices, length and default."""
    name = name or field.name
    label = str(field.verbose_name)
    optional = field.blank or (field.has_default() and field.get_default() not in field.empty_values)
    empty = field.get_default() if field.has_default() else (None if field.null else "")
    if field.choices:
        parse, describe = _choice(field.choices), _describe_choices(field.choices)
    elif isinstance(field, models.DateField):
        parse, describe = _date, _("a date, YYYY-MM-DD")
    elif isinstance(field, models.BooleanField):
        parse, describe = _bool, _("yes or no")
    elif isinstance(field, models.JSONField):
        parse, describe = _languages, _("separated by spaces")
    elif isinstance(field, models.PositiveSmallIntegerField):
        parse, describe = _year, _("a year, e.g. 2024")
    elif isinstance(field, models.PositiveIntegerField):
        parse, describe = _count, _("a whole number")
    elif field.name == "country":
        parse, describe = _country, _("a country’s two-letter ISO code, e.g. KE")
    elif field.name == "language":
        parse, describe = _language, _("an ISO language code, e.g. en")
    else:
        limit = field.max_length or max(
            (v.limit_value for v in field.validators if hasattr(v, "limit_value")), default=None
        )
        parse = _text(limit)
        describe = _("text, up to %(max)d characters") % {"max": limit} if limit else _("text")
    help_text = f" ({field.help_text})" if field.help_text else ""
    return Column(name, field.name, parse, not optional, empty, f"{label}{help_text}: {describe}")


def columns(kind: RecordKind) -> list[Column]:
    """The type's columns in file order. A parent is named by its own fields: a publication by its title."""
    found = []
    for name in kind.fields:
        field = kind.model._meta.get_field(name)
        if kind.parent and name == kind.parent.field:
            parent_model = field.related_model
            for column, key in zip(kind.parent.columns, kind.parent.keys, strict=True):
                parent_field = parent_model._meta.get_field(key)
                spec = _column_for(parent_field, column)
                described = _("the %(parent)s’s %(field)s: %(what)s") % {
                    "parent": parent_model._meta.verbose_name,
                    "field": parent_field.verbose_name,
                    "what": spec.describe.split(": ", 1)[-1],
                }
                found.append(Column(column, key, spec.parse, True, None, described))
        else:
            found.append(_column_for(field))
    return found


def template_csv(kind: RecordKind) -> str:
    """The header row and one example row, with the byte-order mark spreadsheet programs look for."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = [column.name for column in columns(kind)]
    writer.writerow(names)
    writer.writerow([kind.example.get(name, "") for name in names])
    return "\ufeff" + out.getvalue()


# Files -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number, cells); empty lines left out


def table_read(upload) -> Table:
    """The file's header and rows, or ImportRefused when it is too big, too long, not UTF-8 or not CSV."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ImportRefused([Problem(_too_big(upload.size))])
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportRefused([Problem(_too_big(len(data)))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            [
                Problem(
                    _(
                        "The file is not UTF-8 text (byte %(position)d). Save it from your spreadsheet as "
                        "“CSV UTF-8” and try again."
                    )
                    % {"position": exc.start + 1}
                )
            ]
        ) from None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise ImportRefused([Problem(_("The file is empty: it needs the header row and at least one row."))])
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in cells]
                continue
            if len(rows) == MAX_ROWS:
                raise ImportRefused(
                    [
                        Problem(
                            _("The file has more than %(max)s rows. Split it into smaller files.")
                            % {"max": f"{MAX_ROWS:,}"}
                        )
                    ]
                )
            rows.append((number, cells))
    except csv.Error as exc:
        raise ImportRefused([Problem(_("not readable as CSV: %(error)s") % {"error": exc}, row=number + 1)]) from None
    if not rows:
        raise ImportRefused([Problem(_("The file has a header row but no rows to import."))])
    return Table(header or [], rows)


def _too_big(size: int) -> str:
    return _("The file is %(size).1f MB; the limit is 2 MB. Split it into smaller files.") % {
        "size": size / 1024 / 1024
    }


@dataclass
class ParsedRow:
    number: int
    values: dict  # field -> value (a parent's key fields under "<parent field>__<key>" until resolved)
    ok: bool


def header_problems(kind: RecordKind, header: list[str]) -> list[Problem]:
    known = {column.name: column for column in columns(kind)}
    problems = []
    for name in sorted({name for name in header if header.count(name) > 1}):
        problems.append(Problem(_("The column '%(column)s' appears twice in the header.") % {"column": shown(name)}))
    for name in header:
        if name not in known:
            problems.append(
                Problem(
                    _("The header has a column '%(column)s' this type does not have. Its columns: %(columns)s.")
                    % {"column": shown(name), "columns": ", ".join(known)}
                )
            )
    for column in known.values():
        if column.required and column.name not in header:
            problems.append(Problem(_("The required column '%(column)s' is missing.") % {"column": column.name}))
    return problems


def rows_parse(kind: RecordKind, table: Table) -> tuple[list[ParsedRow], list[Problem]]:
    """Every row's cells as typed values, and a problem for every cell that is not what its column holds."""
    spec = [column for column in columns(kind) if column.name in table.header]
    positions = {column.name: table.header.index(column.name) for column in spec}
    parent_columns = set(kind.parent.columns) if kind.parent else set()
    parsed, problems = [], []
    for number, cells in table.rows:
        values, ok = {}, True
        if len(cells) > len(table.header):
            problems.append(
                Problem(
                    _("it has %(cells)d cells but the header has %(columns)d columns")
                    % {"cells": len(cells), "columns": len(table.header)},
                    row=number,
                )
            )
            ok = False
        for column in spec:
            position = positions[column.name]
            cell = cells[position].strip() if position < len(cells) else ""
            target = f"{kind.parent.field}__{column.field}" if column.name in parent_columns else column.field
            if not cell:
                if column.required:
                    problems.append(Problem(_("is empty; it is required"), row=number, column=column.name))
                    ok = False
                else:
                    values[target] = column.empty
                continue
            try:
                values[target] = column.parse(cell)
            except CellError as exc:
                problems.append(Problem(str(exc), row=number, column=column.name))
                ok = False
        parsed.append(ParsedRow(number, values, ok))
    return parsed, problems
