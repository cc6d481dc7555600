"""Every export parsed back and its numbers checked against the hand-counted world of figures.py (the same
figures test_values.py explains): XLSX (openpyxl), CSV (the csv module), DHIS2 dataValueSets JSON and ADX XML;
hidden figures never exported as numbers; text that a spreadsheet would run as a formula stays text; the DHIS2
names an organisation sets are used; and a bad mapping file is refused line by line."""

import csv
import io
import json
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from openpyxl import load_workbook

from sombrilla.accounts.models import Role
from sombrilla.conftest import log_in, make_member
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.monitoring import exports, services
from sombrilla.monitoring.models import ExportMapping, Indicator
from sombrilla.monitoring.tests import figures
from sombrilla.monitoring.tests.figures import Y1

pytestmark = pytest.mark.django_db
ADX = "{urn:ihe:qrph:adx:2015}"
HOSTILE = '=HYPERLINK("http://evil.invalid","click")'
# Hidden in Y1 (test_values.py says why): 2B.4 Africa and Europe; 2B.5 and 2B.6 the total and Europe; 3.1.1 both
# regions and both levels.
HIDDEN_IN_Y1 = 2 + 2 + 2 + 4


@pytest.fixture
def staff(db):
    for code in services.SHIPPED:
        services.framework_load_shipped(code=code)
    org = figures.organisation("org-m", members=7)
    figures.platform(org)
    figures.network_records(org)
    member = make_member(org, "officer", Role.STAFF)
    narrative = Indicator.objects.get(framework__code="nswp-2022-25", code="R1.1")
    services.indicator_value_save(actor=member, indicator=narrative, year=Y1, narrative=HOSTILE, evidence_note="-x")
    return member


def _get(member, path: str, **params):
    response = log_in(Client(), member).get(path, {"year": Y1, **params})
    assert response.status_code == 200, response.content[:300]
    return response


def test_it_exports_the_annual_report_as_a_workbook_with_the_hand_counted_numbers(staff):
    response = _get(staff, "/me/report.xlsx")
    assert response["Content-Disposition"] == f'attachment; filename="nswp-2022-25-{Y1}.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "Impact", "Strategy 1", "Strategy 2", "Strategy 3"]
    rows = [[cell.value for cell in row] for row in book["Strategy 1"].iter_rows()]
    header = rows[0]
    value, split, category = header.index("Value"), header.index("Split by"), header.index("Category")

    def found(code, split_by="", in_category=""):
        return next(
            row[value]
            for row in rows[1:]
            if row[1] == code and (row[split] or "") == split_by and (row[category] or "") == in_category
        )

    # Publications distributed: 137 in all, 110 in English (numbers, not text).
    assert found("1.3.7") == 137
    assert found("1.3.7", "Language", "English") == 110
    assert found("1.3.7", "Format", "Infographic") == 17
    assert found("1.2.1") == "yes"
    strategy_2 = [[cell.value for cell in row] for row in book["Strategy 2"].iter_rows()]
    # Leaders trained by the network: 16, Africa hidden and Europe under 5, as marks, never numbers.
    trained = {(row[3] or "", row[4] or ""): row[5] for row in strategy_2 if row[1] == "2B.4"}
    assert trained == {
        ("", ""): 16,
        ("NSWP region", "Africa"): "…",
        ("NSWP region", "Europe"): "<5",
        **{
            ("NSWP region", name): 0
            for name in ("Asia and the Pacific", "Latin America", "North America and the Caribbean")
        },
    }
    # The narrative starts with "=": stored as a string cell, so no spreadsheet runs it as a formula.
    narrative = next(row for row in book["Strategy 1"].iter_rows() if row[1].value == "R1.1")
    assert (narrative[5].value, narrative[5].data_type) == (HOSTILE, "s")
    summary = [[cell.value for cell in row] for row in book["Summary"].iter_rows()]
    assert summary[0][0] == "NSWP Monitoring and Evaluation Framework 2022–25"
    assert ["Year", Y1] in [row[:2] for row in summary]
    # Strategy 3 has 24 indicators (R3.1, 3.1.1-3.1.5, 3.2.1-3.2.9 and three each in 3.3, 3.4 and 3.5): 10
    # computed with a figure and no target, 14 entered by hand and not yet entered.
    assert next(row for row in summary if row[0] and str(row[0]).startswith("Strategy 3"))[1:] == [24, 0, 0, 10, 14]


def test_it_exports_the_report_as_csv_that_spreadsheets_read_as_utf8_and_never_as_formulas(staff):
    response = _get(staff, "/me/report.csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    header = rows[0]
    assert header[:3] == ["Strategy", "Year", "Section"]
    by_key = {(row[3], row[5], row[6]): row for row in rows[1:]}
    assert by_key[("1.3.8", "", "")][7] == "50"
    assert by_key[("1.3.8", "Language", "French")][7] == "5"
    assert by_key[("3.1.1", "NSWP region", "Africa")][7] == "…"
    assert by_key[("2B.5", "", "")][7] == "<5"
    # The narrative gets an apostrophe in front, which a spreadsheet shows as text; its quotes survive CSV.
    assert by_key[("R1.1", "", "")][7] == "'" + HOSTILE
    assert all(len(row) == len(header) for row in rows)


def _dhis2(member, **params):
    response = _get(member, "/me/export/dhis2.json", **params)
    return response, json.loads(response.content)


def test_it_exports_dhis2_data_value_sets_leaving_hidden_figures_out(staff):
    response, data = _dhis2(staff)
    assert (data["period"], data["orgUnit"], data["dataSet"]) == (str(Y1), "org-m", "nswp-2022-25")
    values = {(v["dataElement"], v.get("categoryOptionCombo", "")): v["value"] for v in data["dataValues"]}
    assert all(v["period"] == str(Y1) and v["orgUnit"] == "org-m" for v in data["dataValues"])
    assert values[("1.3.7", "")] == "137"
    assert values[("1.3.7/language", "language/en")] == "110"
    assert values[("1.3.7/format", "format/full")] == "120"
    assert values[("1.2.4/region", "region/africa")] == "true"
    assert values[("1.2.4/region", "region/latin-america")] == "false"
    assert values[("2B.4", "")] == "16"
    # Hidden figures are not there at all, and the header says how many were left out.
    assert ("2B.4/region", "region/europe") not in values and ("2B.5", "") not in values
    assert response["X-Omitted-Figures"] == str(HIDDEN_IN_Y1)
    # Narratives are not data values.
    assert not any(element.startswith("R1.1") for element, _combo in values)


def test_it_names_figures_as_the_organisation_mapped_them_for_dhis2(staff):
    codes = exports.mapping_parse(
        "kind,code,identifier\ndataElement,1.3.7,DE137abcdef\ncategoryOptionCombo,language/en,COCen\n"
    )
    services.export_mapping_save(actor=staff, org_unit="OU12345678a", data_set="DS1", codes=codes)
    _response, data = _dhis2(staff)
    values = {(v["dataElement"], v.get("categoryOptionCombo", "")): v["value"] for v in data["dataValues"]}
    assert (data["orgUnit"], data["dataSet"]) == ("OU12345678a", "DS1")
    assert values[("DE137abcdef", "")] == "137"
    assert values[("1.3.7/language", "COCen")] == "110"
    assert AuditEntry.objects.filter(actor=staff, action=AuditAction.EXPORT_MAPPING_CHANGED).count() == 1


def test_it_exports_adx_with_disaggregations_as_attributes(staff):
    codes = exports.mapping_parse("category,language,LANG\ncategoryOption,language/en,EN\n")
    services.export_mapping_save(actor=staff, org_unit="", data_set="", codes=codes)
    response = _get(staff, "/me/export/adx.xml")
    assert response["Content-Type"] == "application/adx+xml"
    assert f"<!-- {HIDDEN_IN_Y1} figures drawn from members' data are left out".encode() in response.content
    root = ET.fromstring(response.content)  # noqa: S314 - our own export, parsed back
    assert root.tag == f"{ADX}adx"
    group = root.find(f"{ADX}group")
    assert (group.get("orgUnit"), group.get("dataSet"), group.get("period")) == (
        "org-m",
        "nswp-2022-25",
        f"{Y1}-01-01/P1Y",
    )
    values = [dict(value.attrib) for value in group.findall(f"{ADX}dataValue")]
    assert {"dataElement": "1.3.7", "value": "137"} in values
    assert {"dataElement": "1.3.7/language", "LANG": "EN", "value": "110"} in values
    assert {"dataElement": "1.3.7/language", "LANG": "fr", "value": "20"} in values
    assert {"dataElement": "3.4.2/commemorative-day", "commemorative-day": "march-3", "value": "1"} not in values
    assert {"dataElement": "3.4.1/commemorative-day", "commemorative-day": "march-3", "value": "1"} in values
    # Leaders trained by peers: the total and Europe are under 5 and left out; the regions with 0 are sent.
    assert not any(
        value["dataElement"] == "2B.5" or value.get("region") == "europe"
        for value in values
        if "2B.5" in value["dataElement"]
    )
    assert {"dataElement": "2B.5/region", "region": "africa", "value": "0"} in values


def test_it_exports_aggregates_only_for_a_network_analyst(staff, org_b, nina):
    other = figures.organisation("org-n", members=2)
    services.framework_load_shipped()
    response = _get(nina, "/me/report.csv", framework="sombrilla-platform")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))
    # Screenings of org-m (33) and nothing from org-n: one figure for all; no area, which is one organisation's.
    assert [row[7] for row in rows if row[3] == "P2.4" and not row[5]] == ["33"]
    assert not any(row[5] == "Area" for row in rows)
    assert other.slug not in response.content.decode()


def test_it_answers_a_bad_query_string_with_a_message_not_a_file(staff):
    client = log_in(Client(), staff)
    for path in ("/me/report.xlsx", "/me/report.csv", "/me/export/dhis2.json", "/me/export/adx.xml"):
        for params in ({"year": "abc"}, {"year": "99999"}, {"framework": "<script>"}, {"year": "2024\x00"}):
            response = client.get(path, params)
            assert response.status_code == 400, (path, params)
            assert response["Content-Type"] == "text/plain; charset=utf-8"
            assert response.content.decode().startswith(("Year: ", "Framework: ")), response.content


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dataElement,1.1.1", "Line 1: give three values (kind, code, identifier), not 2."),
        ("kind,code,identifier\nelement,1.1.1,X", "Line 2: the kind must be one of dataElement"),
        ("dataElement,1.1.1,has space", "Line 1: the identifier may have letters, digits"),
        ('dataElement,1.1.1,"a""b"', "Line 1: the identifier may have letters, digits"),
        ("category,region,1region", "Line 1: a category's identifier names an ADX attribute"),
        ("dataElement,1.1.1,A\ndataElement,1.1.1,B", "Line 2: dataElement 1.1.1 is given twice (first on line 1)."),
        ("dataElement,,A", "Line 1: give a code of up to 100 characters."),
    ],
)
def test_it_refuses_a_bad_mapping_line_by_line(text, message):
    with pytest.raises(exports.ExportError) as refused:
        exports.mapping_parse(text)
    assert any(error.startswith(message) for error in refused.value.errors), refused.value.errors


def test_it_reads_a_mapping_and_writes_it_back_the_same():
    text = "categoryOptionCombo,region/africa,AFR\ndataElement,1.1.1,DE1\n"
    codes = exports.mapping_parse("kind,code,identifier\n\n" + text)
    assert codes == {"dataElement": {"1.1.1": "DE1"}, "categoryOptionCombo": {"region/africa": "AFR"}}
    assert exports.mapping_text(ExportMapping(codes=codes)) == text


def test_it_imports_nothing_from_a_mapping_file_with_an_error(staff):
    client = log_in(Client(), staff)
    upload = io.BytesIO(b"dataElement,1.1.1,GOOD\ndataElement,1.1.2,bad id\n")
    upload.name = "mapping.csv"
    response = client.post("/me/mapping/", {"org_unit": "OU1", "file": upload})
    assert response.status_code == 400
    assert "Line 2: the identifier may have letters" in response.content.decode()
    assert not ExportMapping.objects.exists()
    good = io.BytesIO("\ufeffkind,code,identifier\ndataElement,1.1.1,GOOD\n".encode())
    good.name = "mapping.csv"
    assert client.post("/me/mapping/", {"org_unit": "OU1", "file": good}).status_code == 302
    assert ExportMapping.objects.get().codes == {"dataElement": {"1.1.1": "GOOD"}}


def test_it_keeps_a_decimal_figure_as_a_number_in_every_export(staff):
    percentage = Indicator.objects.get(framework__code="nswp-2022-25", code="1.4.3")
    services.indicator_value_save(
        actor=staff, indicator=percentage, year=Y1, numerator=Decimal(2), denominator=Decimal(3), evidence_note="x"
    )
    _response, data = _dhis2(staff)
    assert {"dataElement": "1.4.3", "period": str(Y1), "orgUnit": "org-m", "value": "66.7"} in data["dataValues"]
    book = load_workbook(io.BytesIO(_get(staff, "/me/report.xlsx").content))
    row = next(row for row in book["Strategy 1"].iter_rows() if row[1].value == "1.4.3")
    assert (row[5].value, row[6].value, row[7].value) == (66.7, 2, 3)
