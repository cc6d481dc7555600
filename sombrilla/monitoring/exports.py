"""A framework's figures for one year as files: the annual report (XLSX, with a summary sheet and one sheet per
strategy; CSV), and indicator data a national HIV programme's DHIS2 can import (dataValueSets JSON, ADX XML);
and reading an organisation's DHIS2 names from CSV.

Every figure comes from the engine (values.py) already protected: a hidden figure has no number here. The
report writes its mark ("<5", "…") as text; DHIS2 and ADX leave it out altogether (a number is all they can
take) and say how many they left out, in a header and, in ADX, a comment. Text that a spreadsheet would run as
a formula (starting with = + - @) is written as plain text: a string cell in XLSX, an apostrophe before it in CSV.
"""

import csv
import io
import json
import re
from decimal import Decimal
from xml.etree import ElementTree as ET

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from sombrilla.core import clock
from sombrilla.monitoring import suppression
from sombrilla.monitoring.models import ExportMapping, Kind
from sombrilla.monitoring.values import Figure, Part, Status, Value, Viewer, number_text, status_summary

ADX_NAMESPACE = "urn:ihe:qrph:adx:2015"
IDENTIFIER = r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,63}$"
_IDENTIFIER = re.compile(IDENTIFIER)
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
MAX_MAPPING_CHARS = 200_000
MAX_MAPPING_ROWS = 5_000
MAX_CODE = 100
# What makes a spreadsheet read text as a formula; tab and carriage return too, which some trim first.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


# DHIS2 names --------------------------------------------------------------------------------------------------


def mapping_parse(text: str) -> dict[str, dict[str, str]]:
    """Lines of "kind,code,identifier" (a first line "kind,code,identifier" is a header) into ExportMapping.codes.

    Every line is checked and every problem named with its line number; one bad line and nothing is taken.
    """
    kinds = ExportMapping.CodeKind.values
    codes: dict[str, dict[str, str]] = {}
    first_seen: dict[tuple[str, str], int] = {}
    errors = []
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) > MAX_MAPPING_ROWS:
        raise ExportError([_("Give at most %(max)d lines.") % {"max": MAX_MAPPING_ROWS}])
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (number == 1 and [cell.lower() for cell in cells] == ["kind", "code", "identifier"]):
            continue
        where = _("Line %(number)d") % {"number": number}
        if len(cells) != 3:
            errors.append(
                _("%(where)s: give three values (kind, code, identifier), not %(n)d.")
                % {"where": where, "n": len(cells)}
            )
            continue
        kind, code, identifier = cells
        if kind not in kinds:
            errors.append(
                _("%(where)s: the kind must be one of %(kinds)s.") % {"where": where, "kinds": ", ".join(kinds)}
            )
        if not code or len(code) > MAX_CODE or any(ord(character) < 32 for character in code):
            errors.append(_("%(where)s: give a code of up to %(max)d characters.") % {"where": where, "max": MAX_CODE})
        if not _IDENTIFIER.match(identifier):
            errors.append(
                _("%(where)s: the identifier may have letters, digits and _ . / - only, up to 64.") % {"where": where}
            )
        elif kind == ExportMapping.CodeKind.CATEGORY and not _XML_NAME.match(identifier):
            errors.append(
                _("%(where)s: a category's identifier names an ADX attribute: start it with a letter.")
                % {"where": where}
            )
        if (kind, code) in first_seen:
            errors.append(
                _("%(where)s: %(kind)s %(code)s is given twice (first on line %(first)d).")
                % {"where": where, "kind": kind, "code": code, "first": first_seen[(kind, code)]}
            )
        first_seen.setdefault((kind, code), number)
        codes.setdefault(kind, {})[code] = identifier
    if errors:
        raise ExportError(errors)
    return codes


def mapping_text(mapping: ExportMapping | None) -> str:
    """The mapping's identifiers as the lines mapping_parse reads, for editing."""
    if mapping is None:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for kind, codes in sorted((mapping.codes or {}).items()):
        for code, identifier in sorted(codes.items()):
            writer.writerow([kind, code, identifier])
    return out.getvalue()


# The annual report --------------------------------------------------------------------------------------------


def _cell_value(figure: Figure, kind: str) -> Decimal | str:
    """A number where the figure is one, else its text (a mark, yes or no, a narrative); empty without data."""
    if figure.missing:
        return ""
    if figure.number is not None and kind in (Kind.COUNT, Kind.PERCENTAGE):
        return figure.number
    return figure.text


def _rows(part: Part, year: int):
    """One row for each indicator's total and one for each of its cells: (section, indicator, value, split,
    category, figure)."""
    for section in part.sections:
        for line in section.lines:
            value = line.at(year)
            yield section, line.indicator, value, "", "", value.total
            for breakdown in value.breakdowns:
                for cell in breakdown.cells:
                    yield section, line.indicator, value, breakdown.label, cell.label, cell.figure


def _headings() -> list[str]:
    return [
        _("Section"),
        _("Code"),
        _("Indicator"),
        _("Split by"),
        _("Category"),
        _("Value"),
        _("Numerator"),
        _("Denominator"),
        _("Baseline"),
        _("Baseline year"),
        _("Target"),
        _("Status"),
        _("Source"),
    ]


def _source(value: Value) -> str:
    return {"computed": _("computed from records"), "entered": _("entered by hand")}.get(value.source, "")


def _report_row(section, indicator, value: Value, split: str, category: str, figure: Figure) -> list:
    whole = not split
    return [
        section.title,
        indicator.code,
        indicator.text(),
        split,
        category,
        _cell_value(figure, indicator.kind),
        figure.numerator if figure.numerator is not None and not figure.hidden else "",
        figure.denominator if figure.denominator is not None and not figure.hidden else "",
        indicator.baseline_value if whole and indicator.baseline_value is not None else "",
        indicator.baseline_year if whole and indicator.baseline_year else "",
        value.target if whole and value.target is not None else "",
        str(value.status_label) if whole else "",
        _source(value) if whole else "",
    ]


def legend() -> str:
    return _(
        "%(small)s: a figure from 1 to 4 drawn from members' data. %(hidden)s: a figure hidden so that a small "
        "one cannot be worked out from the total. Neither is ever given as a number."
    ) % {"small": suppression.SMALL_TEXT, "hidden": suppression.HIDDEN_TEXT}


def whose(viewer: Viewer) -> str:
    if viewer.network:
        return _("All organisations sharing figures with the network (%(n)d), added together") % {
            "n": len(viewer.organisations)
        }
    return viewer.membership.organisation.name


def _text_cell(value: str) -> str:
    """CSV: text a spreadsheet would run as a formula gets an apostrophe in front, which it shows as text."""
    return "'" + value if value.startswith(FORMULA_START) else value


def report_csv(*, framework, parts: list[Part], year: int) -> str:
    """The report as CSV text, with a byte-order mark so spreadsheets read it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Strategy"), _("Year"), *_headings()])
    for part in parts:
        for row in _rows(part, year):
            cells = _report_row(*row)
            writer.writerow(
                [_text_cell(part.title), year]
                + [number_text(cell) if isinstance(cell, Decimal) else _text_cell(str(cell)) for cell in cells]
            )
    return "\ufeff" + out.getvalue()


def _xlsx_put(sheet, row: list) -> None:
    sheet.append([float(cell) if isinstance(cell, Decimal) else cell for cell in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            # Stored as a string, so no spreadsheet ever runs it as a formula, whatever it starts with.
            cell.data_type = "s"


def report_xlsx(*, framework, parts: list[Part], year: int, viewer: Viewer) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("Summary")[:31]
    _xlsx_put(summary, [framework.text()])
    summary["A1"].font = Font(bold=True, size=14)
    for label, text in (
        (_("Year"), year),
        (_("Organisation"), whose(viewer)),
        (_("Made on"), clock.now().strftime("%Y-%m-%d %H:%M UTC")),
        (_("Small figures"), legend()),
    ):
        _xlsx_put(summary, [label, text])
    _xlsx_put(summary, [])
    _xlsx_put(summary, [_("Part"), _("Indicators"), *[str(Status.LABELS[status]) for status in Status.ORDER]])
    for part, indicators, counted in status_summary(parts, year):
        _xlsx_put(summary, [part.title, indicators, *counted])
        sheet = workbook.create_sheet(_sheet_title(part))
        _xlsx_put(sheet, _headings())
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in _rows(part, year):
            _xlsx_put(sheet, _report_row(*row))
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(part: Part) -> str:
    # A sheet's name has at most 31 characters and none of []:*?/\ (part codes never have them).
    title = _("Impact") if part.code == "impact" else _("Strategy %(code)s") % {"code": part.code}
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31]


# DHIS2 dataValueSets JSON and ADX XML ---------------------------------------------------------------------------


def _dhis2_value(figure: Figure, kind: str, network: bool) -> str:
    if kind == Kind.YES_NO and not network:
        return "true" if figure.number else "false"
    return number_text(figure.number)


def data_values(*, parts: list[Part], year: int, mapping: ExportMapping, network: bool):
    """(data element, disaggregation code or "", category code or "", value text) for every figure that may be
    sent, and how many hidden figures were left out. Narratives and the organisation's own splits (its areas,
    which no national programme knows) are not sent."""
    found, omitted = [], 0
    for part in parts:
        for line in part.lines():
            indicator, value = line.indicator, line.at(year)
            if indicator.kind == Kind.NARRATIVE:
                continue
            figures = [(indicator.code, "", "", value.total)]
            figures += [
                (f"{indicator.code}/{breakdown.code}", breakdown.code, cell.code, cell.figure)
                for breakdown in value.breakdowns
                if not breakdown.own
                for cell in breakdown.cells
            ]
            for element, split, category, figure in figures:
                if figure.hidden:
                    omitted += 1
                elif figure.number is not None:
                    identifier = mapping.identifier(ExportMapping.CodeKind.DATA_ELEMENT, element)
                    found.append((identifier, split, category, _dhis2_value(figure, indicator.kind, network)))
    return found, omitted


def dhis2_json(*, framework, parts: list[Part], year: int, mapping: ExportMapping, org_unit: str, network: bool):
    """{"dataSet", "period", "orgUnit", "dataValues": [...]} as DHIS2's dataValueSets import reads it; a split
    figure names its category option combination. Returns (UTF-8 bytes, how many hidden figures were left out)."""
    rows, omitted = data_values(parts=parts, year=year, mapping=mapping, network=network)
    period = str(year)
    values = []
    for element, split, category, value in rows:
        item = {"dataElement": element, "period": period, "orgUnit": org_unit}
        if split:
            item["categoryOptionCombo"] = mapping.identifier(ExportMapping.CodeKind.COMBO, f"{split}/{category}")
        item["value"] = value
        values.append(item)
    data = {"dataSet": mapping.data_set or framework.code, "period": period, "orgUnit": org_unit, "dataValues": values}
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"), omitted


def _xml_name(identifier: str) -> str:
    """An attribute name ADX can carry: a code that does not start with a letter gets an underscore."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", identifier)
    return name if _XML_NAME.match(name) else "_" + name


def adx_xml(*, framework, parts: list[Part], year: int, mapping: ExportMapping, org_unit: str, network: bool):
    """ADX (IHE QRPH): one group for the organisation and the year, a dataValue per figure, each split figure
    with its disaggregation as an attribute (the category) holding its category option. Returns (bytes, how
    many hidden figures were left out)."""
    rows, omitted = data_values(parts=parts, year=year, mapping=mapping, network=network)
    ET.register_namespace("", ADX_NAMESPACE)
    root = ET.Element(f"{{{ADX_NAMESPACE}}}adx", exported=clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
    if omitted:
        root.append(ET.Comment(" " + omitted_note(omitted) + " "))
    group = ET.SubElement(
        root,
        f"{{{ADX_NAMESPACE}}}group",
        orgUnit=org_unit,
        dataSet=mapping.data_set or framework.code,
        period=f"{year}-01-01/P1Y",
    )
    for element, split, category, value in rows:
        attributes = {"dataElement": element}
        if split:
            name = _xml_name(mapping.identifier(ExportMapping.CodeKind.CATEGORY, split))
            attributes[name] = mapping.identifier(ExportMapping.CodeKind.OPTION, f"{split}/{category}", category)
        attributes["value"] = value
        ET.SubElement(group, f"{{{ADX_NAMESPACE}}}dataValue", attributes)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), omitted


def omitted_note(omitted: int) -> str:
    return _(
        "%(n)d figures drawn from members' data are left out: under 5, or hidden so that one under 5 cannot be "
        "worked out."
    ) % {"n": omitted}
