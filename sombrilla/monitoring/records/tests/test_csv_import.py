"""CSV import: every type's template imports; every kind of bad cell is named by row and column; a file with any
fault imports nothing; the encodings, separators, limits, formula cells and duplicates the import page promises."""

import csv
import io

import pytest

from sombrilla.core.models import AuditEntry
from sombrilla.monitoring.records import csv_import, services
from sombrilla.monitoring.records.csv_import import ImportRefused
from sombrilla.monitoring.records.kinds import KINDS
from sombrilla.monitoring.records.models import Communication, MemberOrganisation, Publication
from sombrilla.monitoring.records.services import RecordsError
from sombrilla.monitoring.records.tests.factories import csv_file, make_record, parent_kind, rows_csv

MEMBERS = ["name", "country", "region", "joined_on", "left_on", "in_regional_network"]
GOOD_MEMBER = ["Night Lights Collective", "KE", "africa", "2023-03-15", "", "yes"]


def _import(actor, slug, text, **file_options):
    return services.records_import(actor=actor, kind=KINDS[slug], upload=csv_file(text, **file_options))


def _refused(actor, slug, text, **file_options) -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        _import(actor, slug, text, **file_options)
    return [str(problem) for problem in refused.value.problems]


def _template(slug) -> str:
    return csv_import.template_csv(KINDS[slug])


@pytest.mark.parametrize("slug", list(KINDS))
def test_it_imports_every_types_template_example_row(carol, slug):
    kind = KINDS[slug]
    if kind.parent:
        assert _import(carol, parent_kind(kind).slug, _template(parent_kind(kind).slug)).created == 1
    summary = _import(carol, slug, _template(slug))
    assert (summary.created, summary.updated) == (1, 0)
    record = kind.model.objects.get(organisation=carol.organisation)
    # Importing the same file again finds the record by its key and changes nothing else.
    assert (_import(carol, slug, _template(slug)).created, kind.model.objects.count()) == (0, 1)
    for column in csv_import.columns(kind):
        if kind.parent and column.name in kind.parent.columns:
            assert getattr(getattr(record, kind.parent.field), column.field) == column.parse(kind.example[column.name])
        elif kind.example.get(column.name):
            assert getattr(record, column.field) == column.parse(kind.example[column.name]), column.name


def test_it_offers_a_template_with_the_header_and_one_example_row_spreadsheets_open_as_utf8():
    for slug, kind in KINDS.items():
        text = _template(slug)
        assert text.startswith("\ufeff"), slug
        rows = list(csv.reader(io.StringIO(text[1:])))
        assert rows[0] == [column.name for column in csv_import.columns(kind)]
        assert len(rows) == 2 and any(rows[1]), slug


def test_it_names_the_row_and_column_of_a_bad_date_as_the_brief_asks(carol):
    text = rows_csv(
        MEMBERS,
        GOOD_MEMBER,
        ["Red Umbrella", "KE", "africa", "2022-01-01", "", "no"],
        ["Sister Voices", "UG", "africa", "2023-13-01", "", "no"],
    )
    assert _refused(carol, "members", text) == ["row 4, column 'joined_on': '2023-13-01' is not a date (YYYY-MM-DD)"]


BAD_CELLS = [
    # (type, column, cell, the message after "row 2, column '<column>': ")
    ("members", "joined_on", "15/03/2023", "'15/03/2023' is not a date (YYYY-MM-DD)"),
    ("members", "joined_on", "", "is empty; it is required"),
    (
        "members",
        "region",
        "Afrika",
        "'Afrika' is not one of: africa, asia-pacific, europe, latin-america, north-america-caribbean",
    ),
    ("members", "in_regional_network", "maybe", "'maybe' is not yes or no"),
    ("members", "country", "Kenya", "'Kenya' is not a country's two-letter ISO code (KE, MX, TH …)"),
    ("members", "name", "x" * 201, "longer than 200 characters (201)"),
    ("members", "name", "a\x00b", "contains a NUL character, which is not text"),
    ("members", "left_on", "2020-01-01", "An organisation cannot leave before it joined."),
    ("website", "unique_visitors", "-3", "'-3' is not a whole number of 0 or more"),
    ("website", "unique_visitors", "1.5", "'1.5' is not a whole number of 0 or more"),
    ("website", "unique_visitors", "99999999999", "'99999999999' is too large (at most 2147483647)"),
    ("website", "repeat_visitors", "50000", "Repeat visitors are part of the unique visitors."),
    ("website", "period_end", "2023-12-31", "The period ends before it starts."),
    ("website-languages", "language", "english", "'english' is not an ISO language code (en, fr, es, ru …)"),
    ("publications", "languages", "", "is empty; it is required"),
    ("publications", "languages", "en xq", "'xq' in 'en xq' is not an ISO language code (en, fr, es, ru …)"),
    ("campaigns", "year", "24", "'24' is not a year between 1990 and 2100"),
    ("campaigns", "day", "march-8", "'march-8' is not one of: march-3, june-2, september-14, december-17"),
    ("publication-stats", "publication", "No Such Guide", "There is no publication titled “No Such Guide”."),
    ("publication-stats", "language", "de", "The publication has no edition in “de” (its languages: en fr es ru)."),
    (
        "training-participants",
        "training_title",
        "Regional leadership camp",
        "There is no training “Regional leadership camp, 2024-09-10”.",
    ),
    ("governance", "region", "", "Say which region nominated its candidates."),
    ("surveys", "programme_changes", "500", "More than the 142 who answered."),
]


@pytest.mark.parametrize(("slug", "column", "cell", "message"), BAD_CELLS, ids=lambda v: str(v)[:20])
def test_it_explains_what_is_wrong_with_a_cell_by_row_and_column(carol, slug, column, cell, message):
    kind = KINDS[slug]
    if kind.parent:
        make_record(carol, parent_kind(kind).slug)
    example = dict(kind.example)
    if slug == "governance":
        example["kind"] = "regional-nomination"
    example[column] = cell
    header = [c.name for c in csv_import.columns(kind)]
    text = rows_csv(header, [_quoted(example.get(name, "")) for name in header])
    assert _refused(carol, slug, text) == [f"row 2, column '{column}': {message}"]
    assert kind.model.objects.filter(organisation=carol.organisation).count() == 0


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def test_it_names_a_rule_about_the_whole_row_by_row(carol):
    make_record(carol, "trainings")
    header = ["training_title", "training_date", "region", "new_leaders", "young_leaders"]
    text = rows_csv(header, ["Regional leadership academy", "2024-09-10", "africa", "0", "0"])
    assert _refused(carol, "training-participants", text) == ["row 2: Count at least one new or young leader."]


def test_it_names_a_row_with_more_cells_than_the_header(carol):
    text = rows_csv(MEMBERS, GOOD_MEMBER + ["extra"])
    assert _refused(carol, "members", text) == ["row 2: it has 7 cells but the header has 6 columns"]


def test_it_lists_every_problem_of_a_file_in_row_order(carol):
    text = rows_csv(
        MEMBERS,
        ["A", "KE", "africa", "2023-01-01", "", "no"],
        ["B", "ZZ", "mars", "2023-01-01", "", "no"],
        ["C", "KE", "africa", "2023-02-30", "", "perhaps"],
    )
    assert _refused(carol, "members", text) == [
        "row 3, column 'country': 'ZZ' is not a country's two-letter ISO code (KE, MX, TH …)",
        "row 3, column 'region': 'mars' is not one of: africa, asia-pacific, europe, latin-america, "
        "north-america-caribbean",
        "row 4, column 'joined_on': '2023-02-30' is not a date (YYYY-MM-DD)",
        "row 4, column 'in_regional_network': 'perhaps' is not yes or no",
    ]


def test_it_imports_nothing_from_a_file_with_one_bad_row(carol):
    make_record(carol, "members", name="Kept as it was", country="KE")
    rows = [[f"Collective {n}", "KE", "africa", "2023-01-01", "", "no"] for n in range(30)]
    rows[17][3] = "2023-01-32"
    # The first row would update the record already kept: that is undone too.
    rows[0] = ["Kept as it was", "KE", "europe", "2023-01-01", "", "no"]
    problems = _refused(carol, "members", rows_csv(MEMBERS, *rows))
    assert problems == ["row 19, column 'joined_on': '2023-01-32' is not a date (YYYY-MM-DD)"]
    kept = MemberOrganisation.objects.get()
    assert (kept.name, kept.region, kept.in_regional_network) == ("Kept as it was", "africa", True)
    assert not AuditEntry.objects.filter(action="records.imported").exists()


def test_it_reads_a_file_with_a_byte_order_mark(carol):
    assert _import(carol, "members", "\ufeff" + rows_csv(MEMBERS, GOOD_MEMBER)).created == 1
    assert MemberOrganisation.objects.get().name == "Night Lights Collective"


def test_it_reads_semicolon_separated_files_as_spreadsheets_save_them_in_many_languages(carol):
    text = rows_csv(MEMBERS, ["Luces, Noche y Calle", "MX", "latin-america", "2024-02-01", "", "yes"], delimiter=";")
    assert _import(carol, "members", text).created == 1
    assert MemberOrganisation.objects.get().name == "Luces, Noche y Calle"


@pytest.mark.parametrize(("language", "yes", "no"), [("fr", "Oui", "non"), ("ru", "да", "НЕТ"), ("es", "sí", "no")])
def test_it_reads_yes_and_no_in_the_importers_language_too(carol, language, yes, no):
    from django.utils import translation

    rows = [
        ["Night Lights Collective", "KE", "africa", "2023-03-15", "", yes],
        ["Day Lights", "KE", "africa", "2023-03-15", "", no],
    ]
    with translation.override(language):
        assert _import(carol, "members", rows_csv(MEMBERS, *rows)).created == 2
    assert dict(MemberOrganisation.objects.values_list("name", "in_regional_network")) == {
        "Night Lights Collective": True,
        "Day Lights": False,
    }


def test_it_reads_quoted_cells_with_commas_and_line_breaks(carol):
    header = ["kind", "title", "country", "region", "date", "summary"]
    text = rows_csv(header, ["case-study", '"Study, part one"', "KE", "africa", "2024-01-01", '"Line one\nLine two"'])
    assert _import(carol, "knowledge", text).created == 1
    record = KINDS["knowledge"].model.objects.get()
    assert (record.title, record.summary) == ("Study, part one", "Line one\nLine two")


def test_it_refuses_a_file_that_is_not_utf8_and_says_how_to_save_it(carol):
    problems = _refused(
        carol, "members", rows_csv(MEMBERS, ["Zoë", "FR", "europe", "2023-01-01", "", "no"]), encoding="latin-1"
    )
    assert problems == [
        "The file is not UTF-8 text (byte 62). Save it from your spreadsheet as “CSV UTF-8” and try again."
    ]


def test_it_refuses_a_file_over_2_mb(carol):
    row = ",".join(["x" * 150, "KE", "africa", "2023-01-01", "", "no"])
    text = rows_csv(MEMBERS) + "\r\n".join([row] * 14_000)
    assert len(text.encode()) > csv_import.MAX_BYTES
    assert _refused(carol, "members", text) == ["The file is 2.4 MB; the limit is 2 MB. Split it into smaller files."]


def test_it_refuses_more_than_50000_rows_and_imports_exactly_50000(carol):
    header = ["kind", "channel", "date", "count"]
    rows = [f"social-media-post,p{n},2024-01-01,1" for n in range(csv_import.MAX_ROWS)]
    text = ",".join(header) + "\n" + "\n".join(rows) + "\n"
    assert len(text.encode()) < csv_import.MAX_BYTES
    assert _refused(carol, "communications", text + "social-media-post,one-more,2024-01-01,1\n") == [
        "The file has more than 50,000 rows. Split it into smaller files."
    ]
    assert Communication.objects.count() == 0
    assert _import(carol, "communications", text).created == csv_import.MAX_ROWS


def test_it_refuses_an_empty_file_and_a_file_with_only_a_header(carol):
    assert _refused(carol, "members", "\r\n\r\n") == [
        "The file is empty: it needs the header row and at least one row."
    ]
    assert _refused(carol, "members", rows_csv(MEMBERS)) == ["The file has a header row but no rows to import."]


def test_it_names_missing_unknown_and_repeated_columns_in_the_header(carol):
    header = ["Name", "country", "country", "regoin", "joined_on"]
    assert _refused(carol, "members", rows_csv(header, ["A", "KE", "KE", "africa", "2023-01-01"])) == [
        "The column 'country' appears twice in the header.",
        "The header has a column 'regoin' this type does not have. Its columns: name, country, region, joined_on, "
        "left_on, in_regional_network.",
        "The required column 'region' is missing.",
    ]


def test_it_keeps_cells_that_look_like_formulas_as_the_text_they_are(carol, client):
    from sombrilla.conftest import log_in

    cells = ['=HYPERLINK("http://evil.example","click")', "+254 collective", "-minus", "@SUM(A1:A9)"]
    rows = [[_quoted(cell), "KE", "africa", "2023-01-01", "", "no"] for cell in cells]
    assert _import(carol, "members", rows_csv(MEMBERS, *rows)).created == 4
    assert sorted(MemberOrganisation.objects.values_list("name", flat=True)) == sorted(cells)
    page = log_in(client, carol).get("/me/records/members/").content.decode()
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)" in page


def test_it_updates_a_member_organisation_matched_by_name_and_country_rather_than_adding_it_again(carol):
    first = make_record(carol, "members", name="Night Lights Collective", country="KE", in_regional_network=False)
    text = rows_csv(
        MEMBERS,
        ["  night  LIGHTS collective ", "ke", "africa", "2023-03-15", "", "yes"],
        ["Night Lights Collective", "UG", "africa", "2023-03-15", "", "no"],
    )
    summary = _import(carol, "members", text)
    assert (summary.created, summary.updated) == (1, 1)
    first.refresh_from_db()
    # Updated in place (the same record), with the file's spelling, tidied, and the file's answer.
    assert (first.name, first.country, first.in_regional_network) == ("night LIGHTS collective", "KE", True)
    assert MemberOrganisation.objects.filter(country="UG").count() == 1
    assert MemberOrganisation.objects.count() == 2


def test_it_leaves_the_columns_a_file_does_not_have_as_they_were(carol):
    member = make_record(carol, "members", in_regional_network=True, left_on=None)
    header = ["name", "country", "region", "joined_on", "left_on"]
    _import(carol, "members", rows_csv(header, ["Night Lights Collective", "KE", "europe", "2023-03-15", "2025-01-31"]))
    member.refresh_from_db()
    assert (member.region, member.left_on.isoformat(), member.in_regional_network) == ("europe", "2025-01-31", True)


def test_it_refuses_the_same_record_twice_in_one_file(carol):
    text = rows_csv(MEMBERS, GOOD_MEMBER, ["Other", "KE", "africa", "2023-01-01", "", "no"], GOOD_MEMBER)
    assert _refused(carol, "members", text) == [
        "row 4: the same name and country as row 2: a file may hold each record once"
    ]


def test_it_matches_a_parent_by_its_own_fields_in_the_organisations_records_only(carol, mallory):
    make_record(mallory, "publications")  # organisation B's publication of the same title does not count
    header = ["publication", "language", "period_start", "period_end", "distributed", "downloads"]
    text = rows_csv(header, ["smart guide to sex workers’ rights", "en", "2024-01-01", "2024-12-31", "1", "2"])
    assert _refused(carol, "publication-stats", text) == [
        "row 2, column 'publication': There is no publication titled “smart guide to sex workers’ rights”."
    ]
    publication = make_record(carol, "publications")
    assert _import(carol, "publication-stats", text).created == 1
    assert publication.stats.get().downloads == 2


def test_it_audits_an_import_without_what_the_file_says(carol):
    _import(carol, "members", rows_csv(MEMBERS, GOOD_MEMBER))
    entry = AuditEntry.objects.get(action="records.imported")
    assert (entry.actor, entry.target_type, entry.target_id) == (carol, "members", None)


@pytest.mark.parametrize("person", ["alice", "bob", "nina"])
def test_it_lets_only_staff_import(people, person):
    with pytest.raises(RecordsError):
        _import(people[person], "members", rows_csv(MEMBERS, GOOD_MEMBER))
    assert not MemberOrganisation.objects.filter(organisation=people["carol"].organisation).exists()


def test_it_imports_mallorys_file_into_her_own_organisation_only(carol, mallory):
    _import(mallory, "members", rows_csv(MEMBERS, GOOD_MEMBER))
    assert MemberOrganisation.objects.get().organisation == mallory.organisation
    assert Publication.objects.count() == 0
