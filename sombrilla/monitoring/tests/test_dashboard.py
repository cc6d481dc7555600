"""The monitoring pages: the dashboard against baseline and target with status and trend, an indicator's page
with its suppressed splits and the form for figures entered by hand (with evidence), the comparison of two
years, the printable report; who sees what; and bad input answered with a message, never a server error."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from sombrilla.accounts.models import Role
from sombrilla.conftest import log_in, make_member
from sombrilla.core.audit import AuditAction
from sombrilla.core.models import AuditEntry
from sombrilla.monitoring import services
from sombrilla.monitoring.models import Indicator, IndicatorValue
from sombrilla.monitoring.records.models import KnowledgeProduct
from sombrilla.monitoring.tests import figures
from sombrilla.monitoring.tests.factories import PDF, as_yaml, small_framework
from sombrilla.monitoring.tests.figures import Y0, Y1

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(db):
    for code in services.SHIPPED:
        services.framework_load_shipped(code=code)


@pytest.fixture
def officer(shipped):
    """Staff of an organisation with every figure of figures.py."""
    org = figures.organisation("org-m", members=7)
    figures.platform(org)
    figures.network_records(org)
    return make_member(org, "officer", Role.STAFF)


def _client(membership) -> Client:
    return log_in(Client(raise_request_exception=False), membership)


def _indicator(code: str, framework: str = "nswp-2022-25") -> Indicator:
    return Indicator.objects.get(code=code, framework__code=framework)


def _page(membership, path, **params) -> str:
    response = _client(membership).get(path, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_it_shows_each_indicator_against_its_baseline_and_target_with_a_status_in_words(officer):
    members = _indicator("1.1.1")
    members.baseline_value, members.baseline_year = Decimal(2), Y0 - 1
    members.save()
    members.targets.create(year=Y1, value=Decimal(4))  # 3 members at the end of Y1: behind
    _indicator("1.1.2").targets.create(year=Y1, value=Decimal(2))  # 2 joined in Y1: on track
    page = _page(officer, "/me/", year=Y1)
    row = page[page.index("1.1.1</a>") : page.index("1.1.2</a>")]
    assert "<b>3</b>" in row and "target 4" in row and f"baseline 2 ({Y0 - 1})" in row
    # The status is a colour (the class), an icon and a word: never colour alone.
    assert '<span class="tag behind"><svg class="i" aria-hidden="true"><use href="#i-alert"/></svg>behind</span>' in row
    next_row = page[page.index("1.1.2</a>") : page.index("1.1.3</a>")]
    assert 'class="tag on-track"' in next_row and "on track" in next_row
    # A manual indicator nobody entered, and one with a figure but no target.
    assert re.search(r'1\.1\.4</a>.*?class="tag no-data".*?no data', page, re.S)
    assert re.search(r'1\.2\.2</a>.*?class="tag no-target".*?no target', page, re.S)


def test_it_draws_each_trend_as_inline_svg_that_says_what_it_shows(officer):
    _indicator("1.1.1").targets.create(year=Y1, value=Decimal(4))
    page = _page(officer, "/me/", year=Y1)
    chart = re.search(r'1\.1\.1</a>.*?(<svg class="spark".*?</svg>)', page, re.S).group(1)
    # Members at the end of each year of the framework (2022-2025): none before Y0, then 2 and 3.
    years = sorted(set(range(2022, 2026)) | {Y1})
    expected = "; ".join(f"{year}: {({Y0: '2', Y1: '3 (target 4)'}).get(year, '0')}" for year in years)
    assert f'<desc id="c1-0d">{expected}</desc>' in chart
    assert '<title id="c1-0t">1.1.1 by year</title>' in chart and 'role="img"' in chart
    assert 'class="col"' in chart and 'class="target"' in chart
    assert len(chart) < 600
    # A narrative has no chart; neither has an indicator with no figure in any year.
    narrative = page[page.index("R1.1</a>") : page.index("R1.2</a>")]
    assert '<svg class="spark"' not in narrative


def test_it_draws_a_small_figure_as_an_outline_not_a_bar(officer):
    page = _page(officer, "/me/", framework="sombrilla-platform", year=Y1)
    chart = re.search(r'P1\.2</a>.*?(<svg class="spark".*?</svg>)', page, re.S).group(1)
    assert 'class="small"' in chart and 'class="col"' not in chart
    assert f"{Y1}: &lt;5" in chart


def test_it_shows_one_strategy_at_a_time_with_links_to_the_others(officer):
    page = _page(officer, "/me/", year=Y1, strategy="3")
    assert "Strategy 3: Advocate" in page and "3.4.2</a>" in page and "1.1.1</a>" not in page
    assert f'href="?framework=nswp-2022-25&amp;year={Y1}&amp;strategy=impact"' in page
    impact = _page(officer, "/me/", year=Y1, strategy="impact")
    assert "I1</a>" in impact


def test_it_shows_an_indicators_splits_with_small_cells_hidden(officer):
    reports = _indicator("P2.1", "sombrilla-platform")
    page = _page(officer, f"/me/indicators/{reports.pk}/", year=Y1)
    assert "<caption>By Incident category</caption>" in page
    assert '<tr><th scope="row">Non-payment</th><td>&lt;5</td></tr>' in page
    assert '<tr><th scope="row">Physical violence</th><td>…</td></tr>' in page
    assert '<tr><th scope="row">Kenya › Nairobi</th><td>…</td></tr>' in page
    assert "a figure hidden so that a small one cannot be worked out" in page
    # A computed indicator has no form to enter it by hand.
    assert "Enter a figure" not in page


def test_it_lets_staff_enter_a_figure_with_evidence_and_audits_it(officer, django_capture_on_commit_callbacks):
    platforms = _indicator("1.3.9")
    africa = platforms.disaggregations.get().categories.get(code="africa")
    client = _client(officer)
    upload = SimpleUploadedFile("minutes of the meeting with Ana.pdf", PDF, content_type="application/octet-stream")
    response = client.post(
        f"/me/indicators/{platforms.pk}/",
        {
            "year": Y1,
            "category": str(africa.pk),
            "value": "3",
            "evidence_note": "Minutes of 3 May",
            "attachment": upload,
        },
    )
    assert response.status_code == 302 and response["Location"].endswith(f"?year={Y1}")
    entry = IndicatorValue.objects.get()
    assert (entry.value, entry.category, entry.entered_by, entry.attachment_type) == (
        3,
        africa,
        officer,
        "application/pdf",
    )
    # The upload's own name (a person's name in it) is not kept.
    assert "Ana" not in entry.attachment.name and entry.attachment.name.startswith("monitoring/evidence/")
    assert AuditEntry.objects.filter(
        actor=officer, action=AuditAction.INDICATOR_VALUE_ENTERED, target_id=entry.pk
    ).exists()
    page = _page(officer, f"/me/indicators/{platforms.pk}/", year=Y1)
    assert '<tr><th scope="row">Africa</th><td>3</td></tr>' in page and "Minutes of 3 May" in page
    download = client.get(f"/me/values/{entry.pk}/evidence/")
    assert download["Content-Disposition"] == 'attachment; filename="evidence.pdf"'
    assert b"".join(download.streaming_content) == PDF
    assert AuditEntry.objects.filter(actor=officer, action=AuditAction.INDICATOR_EVIDENCE_VIEWED).count() == 1
    # Entering it again replaces it; deleting removes it and its file.
    client.post(
        f"/me/indicators/{platforms.pk}/", {"year": Y1, "category": str(africa.pk), "value": "4", "evidence_note": "x"}
    )
    assert IndicatorValue.objects.get().value == 4
    storage, name = entry.attachment.storage, entry.attachment.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/me/values/{entry.pk}/delete/").status_code == 302
    assert not IndicatorValue.objects.exists() and not storage.exists(name)
    assert AuditEntry.objects.filter(actor=officer, action=AuditAction.INDICATOR_VALUE_DELETED).count() == 1


def test_it_links_a_narrative_to_the_organisations_own_knowledge_products(officer, mallory):
    narrative = _indicator("R1.1")
    own = KnowledgeProduct.objects.get(title="Case Kenya")
    elsewhere = KnowledgeProduct.objects.create(
        organisation=mallory.organisation, kind="digest", title="Not yours", date=own.date
    )
    client = _client(officer)
    page = _page(officer, f"/me/indicators/{narrative.pk}/")
    assert "Case Kenya" in page and "Not yours" not in page
    response = client.post(
        f"/me/indicators/{narrative.pk}/",
        {"year": Y1, "narrative": "Exchange visits.", "products": [str(own.pk)], "evidence_note": "Reports"},
    )
    assert response.status_code == 302
    page = _page(officer, f"/me/indicators/{narrative.pk}/", year=Y1)
    assert "Exchange visits." in page and "Case Kenya (country case study" in page
    refused = client.post(
        f"/me/indicators/{narrative.pk}/",
        {"year": Y1, "narrative": "x", "products": [str(elsewhere.pk)], "evidence_note": "Reports"},
    )
    assert refused.status_code == 400 and "Select a valid choice." in refused.content.decode()
    # The products alone document it too, without a word written.
    digest = KnowledgeProduct.objects.get(title="Digest 1")
    only = {"year": Y0, "narrative": "", "products": [str(digest.pk)], "evidence_note": "Digest"}
    assert client.post(f"/me/indicators/{narrative.pk}/", only).status_code == 302
    assert "Digest 1 (digest issue" in _page(officer, f"/me/indicators/{narrative.pk}/", year=Y0)
    with pytest.raises(services.MonitoringError, match="your organisation's own knowledge products"):
        services.indicator_value_save(
            actor=officer, indicator=narrative, year=Y1, narrative="x", evidence_note="x", products=[elsewhere]
        )


def _docx(*, macros: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        kind = "application/vnd.ms-word.document.macroEnabled.main+xml" if macros else "document.main+xml"
        archive.writestr("[Content_Types].xml", f'<Types><Override ContentType="{kind}"/></Types>')
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


def _xlsx() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def _odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, ("application/pdf", ".pdf")),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, ("image/png", ".png")),
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, ("image/jpeg", ".jpg")),
        (_docx(), ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")),
        (_odt(), ("application/vnd.oasis.opendocument.text", ".odt")),
        (_xlsx(), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")),
        ("\ufeffregion,count\nAfrica,3\n".encode(), ("text/csv", ".csv")),
        (_docx(macros=True), None),
        (b"MZ\x90\x00 an executable", None),
        (b"PK\x03\x04 not really a zip", None),
        (b"<html><script>" + b"\x00", None),
        (b"\xff\xfe not text", None),
    ],
)
def test_it_tells_evidence_files_by_their_own_bytes(data, kind):
    assert services.evidence_kind(data) == kind


def _post_value(client, indicator, data, **files):
    return client.post(f"/me/indicators/{indicator.pk}/", {"evidence_note": "x", "year": Y1, **data, **files})


@pytest.mark.parametrize(
    ("code", "data", "message"),
    [
        ("1.3.9", {"value": ""}, "Give the number."),
        ("1.3.9", {"value": "-3"}, "Ensure this value is greater than or equal to 0."),
        ("1.3.9", {"value": "1e99"}, "Ensure this value is less than or equal to"),
        ("1.3.9", {"value": "3", "year": "1800"}, "Ensure this value is greater than or equal to 1990."),
        ("1.3.9", {"value": "3", "evidence_note": ""}, "This field is required."),
        ("1.3.9", {"value": "3", "category": "00000000-0000-0000-0000-000000000000"}, "Select a valid choice."),
        ("1.2.5", {"numerator": "5", "denominator": "4"}, "cannot be more than the number it is a share of"),
        ("1.2.5", {"numerator": "0", "denominator": "0"}, "must be more than 0"),
        ("1.2.5", {"numerator": "1"}, "Give both the number counted and the number it is a share of."),
        ("1.1.4", {"yes_no": "maybe"}, "Select a valid choice."),
        ("1.1.4", {}, "Say yes or no."),
        ("R1.1", {"narrative": "   "}, "Write what happened, or link the knowledge products"),
        ("R1.1", {"narrative": "x" * 10_001}, "Ensure this value has at most 10000 characters"),
    ],
)
def test_it_refuses_a_bad_figure_with_a_message_and_saves_nothing(officer, code, data, message):
    response = _post_value(_client(officer), _indicator(code), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IndicatorValue.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("tool.exe", b"MZ\x90\x00 an executable"), "Attach a PDF, PNG, JPEG, Word (docx)"),
        (SimpleUploadedFile("big.pdf", PDF + b"0" * (5 * 1024 * 1024)), "The file is over 5 MB"),
        (SimpleUploadedFile("macros.docx", _docx(macros=True)), "Attach a PDF, PNG, JPEG, Word (docx)"),
    ],
)
def test_it_refuses_evidence_that_is_too_big_or_not_a_document(officer, upload, message):
    response = _post_value(_client(officer), _indicator("1.3.9"), {"value": "2"}, attachment=upload)
    assert response.status_code == 400 and message in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_it_answers_hostile_query_strings_with_the_page_and_a_message(officer):
    client = _client(officer)
    indicator = _indicator("1.1.1")
    for value in ("abc", "-1", "99999", "<script>alert(1)</script>", "2024\x00", "x" * 5000):
        for path, param in (
            ("/me/", "year"),
            ("/me/", "framework"),
            ("/me/", "strategy"),
            ("/me/compare/", "from"),
            ("/me/compare/", "to"),
            ("/me/report/", "year"),
            (f"/me/indicators/{indicator.pk}/", "year"),
        ):
            response = client.get(path, {param: value})
            assert response.status_code in (200, 400), (path, param, value)
            assert "<script>alert" not in response.content.decode()
    assert (
        "Compare an earlier year with a later one."
        in client.get("/me/compare/", {"from": 2025, "to": 2023}).content.decode()
    )
    assert "Year: Enter a whole number." in client.get("/me/", {"year": "abc"}).content.decode()


def test_it_compares_two_years_and_links_the_evaluation_points(officer):
    page = _page(officer, "/me/compare/", **{"from": Y0, "to": Y1})
    # Members at the end of Y0 and Y1: 2 then 3, so +1.
    row = re.search(r"1\.1\.1</a>.*?</tr>", page, re.S).group(0)
    assert "<td>2</td><td>3</td><td>+1</td>" in row
    # The framework's mid-term evaluation (2023) and its evaluation of the strategy (2024) as comparisons.
    assert "/me/compare/?framework=nswp-2022-25&amp;from=2022&amp;to=2023" in page
    assert "/me/compare/?framework=nswp-2022-25&amp;from=2022&amp;to=2024" in page
    # A hidden figure is never subtracted: leaders trained by peers are <5 in Y1.
    trained = re.search(
        r"2B\.5</a>.*?</tr>", _page(officer, "/me/compare/", strategy="2", **{"from": Y0, "to": Y1}), re.S
    )
    assert "<td>0</td><td>&lt;5</td><td></td>" in trained.group(0)


def test_it_prints_the_report_a_part_at_a_time_under_a_summary_of_all(officer):
    page = _page(officer, "/me/report/", year=Y1)
    assert "<h2>Summary</h2>" in page and "Strategy 1: Unite" in page
    assert re.search(
        r"1\.3\.7 Number of NSWP publications distributed.*?Language: English 110; French 20; Other languages 7;",
        page,
        re.S,
    )
    assert "/me/report.xlsx?framework=nswp-2022-25&amp;year=" in page
    second = _page(officer, "/me/report/", year=Y1, strategy="2")
    assert "2B.4 Number of young" in second and "1.3.7 Number" not in second


def test_it_shows_a_network_analyst_the_sharing_organisations_added_up_and_nothing_to_enter(officer, nina):
    page = _page(nina, "/me/", year=Y1)
    # Organisation A (nina's) and org-m share with the network.
    assert "All organisations sharing figures with the network (2), added together" in page
    assert "DHIS2 names" not in page
    narrative = _indicator("R1.1")
    services.indicator_value_save(
        actor=officer, indicator=narrative, year=Y1, narrative="Our own words.", evidence_note="x"
    )
    detail = _page(nina, f"/me/indicators/{narrative.pk}/", year=Y1)
    assert "documented by 1 organisation" in detail and "Our own words." not in detail
    assert "Enter a figure" not in detail
    assert _client(nina).post(f"/me/indicators/{narrative.pk}/", {"year": Y1}).status_code == 404
    own = services.framework_import(data=as_yaml(small_framework("own")), organisation=officer.organisation)
    assert _client(nina).get(f"/me/indicators/{own.indicators.first().pk}/").status_code == 404


def test_it_gives_members_moderators_and_other_organisations_nothing(officer, alice, bob, mallory):
    own = services.framework_import(data=as_yaml(small_framework("own")), organisation=officer.organisation)
    indicator = own.indicators.get(code="1.1.1")
    entry = services.indicator_value_save(
        actor=officer, indicator=indicator, year=Y1, value=5, evidence_note="x", attachment=PDF
    )
    for person in (alice, bob):
        for path in ("/me/", "/me/compare/", "/me/report/", "/me/report.xlsx", "/me/export/dhis2.json"):
            assert _client(person).get(path).status_code == 404, (person, path)
    stranger = _client(mallory)
    assert stranger.get(f"/me/indicators/{indicator.pk}/").status_code == 404
    assert (
        stranger.post(f"/me/indicators/{indicator.pk}/", {"year": Y1, "value": "1", "evidence_note": "x"}).status_code
        == 404
    )
    assert stranger.get(f"/me/values/{entry.pk}/evidence/").status_code == 404
    assert stranger.post(f"/me/values/{entry.pk}/delete/").status_code == 404
    assert IndicatorValue.objects.get().value == 5
    # Her own dashboard has nothing of organisation A's: not its framework, not its figures.
    assert "own" not in [option for option in re.findall(r'<option value="([^"]+)"', _page(mallory, "/me/"))]
    with pytest.raises(services.PermissionDenied):
        services.indicator_value_delete(actor=mallory, entry=entry)


def test_it_says_so_when_no_framework_is_loaded(carol):
    page = _page(carol, "/me/")
    assert "No framework is loaded yet" in page
    assert _client(carol).get("/me/report.csv").status_code == 400


def test_it_links_the_dashboard_from_the_home_page_of_staff_and_analysts_only(carol, nina, alice):
    assert 'href="/me/"' in _page(carol, "/home/")
    assert 'href="/me/"' in _page(nina, "/home/")
    assert 'href="/me/"' not in _page(alice, "/home/")
