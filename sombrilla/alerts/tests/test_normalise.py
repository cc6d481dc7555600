"""Identifiers typed different ways must come out the same, and what cannot be read as a phone number is
kept as a handle rather than lost."""

import pytest

from sombrilla.alerts.models import IdentifierKind, identifier_hint
from sombrilla.alerts.normalise import identifier_key, identifier_normalise

PHONE, HANDLE, EMAIL, PLATE, NAME = (
    IdentifierKind.PHONE,
    IdentifierKind.HANDLE,
    IdentifierKind.EMAIL,
    IdentifierKind.PLATE,
    IdentifierKind.NAME,
)


@pytest.mark.parametrize(
    "typed",
    ["0712 345 678", "0712-345-678", "+254 712 345678", "(0712) 345678", "+254-712-345-678", "０７１２３４５６７８"],
)
def test_it_normalises_phone_numbers_to_e164_with_the_organisations_country(typed):
    assert identifier_normalise(PHONE, typed, default_country="KE") == (PHONE, "+254712345678")


def test_it_reads_a_number_with_a_country_code_whatever_the_organisations_country():
    assert identifier_normalise(PHONE, "+52 55 1234 5678", default_country="KE") == (PHONE, "+525512345678")
    assert identifier_normalise(PHONE, "+254712345678", default_country="") == (PHONE, "+254712345678")


def test_it_reads_the_same_local_number_differently_in_another_country():
    assert identifier_normalise(PHONE, "55 1234 5678", default_country="MX") == (PHONE, "+525512345678")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("call me on whatsapp", "callmeonwhatsapp"),
        ("12", "12"),
        ("0712 345 678", "0712345678"),  # no country to read it with
        ("@BigTony", "bigtony"),
    ],
)
def test_it_keeps_an_unreadable_phone_number_as_a_handle(typed, kept):
    assert identifier_normalise(PHONE, typed, default_country="") == (HANDLE, kept)


def test_it_keeps_a_number_too_short_for_the_country_as_a_handle():
    assert identifier_normalise(PHONE, "12345", default_country="KE") == (HANDLE, "12345")


@pytest.mark.parametrize("typed", ["KDA 123A", "kda-123a", " K D A 1 2 3 A ", "KDA–123A", "ＫＤＡ１２３Ａ", "kda.123a"])
def test_it_normalises_plates_to_upper_case_without_spaces_or_dashes(typed):
    assert identifier_normalise(PLATE, typed) == (PLATE, "KDA123A")


@pytest.mark.parametrize("typed", ["@BigTony", "bigtony", "  @BIGTONY ", "@@bigtony", "Big Tony"])
def test_it_normalises_handles_to_lower_case_without_a_leading_at(typed):
    assert identifier_normalise(HANDLE, typed) == (HANDLE, "bigtony")


def test_it_normalises_emails_to_lower_case():
    assert identifier_normalise(EMAIL, "  Tony.B@Example.ORG ") == (EMAIL, "tony.b@example.org")


def test_it_folds_case_and_spaces_of_names():
    assert identifier_normalise(NAME, "  Big   TONY ") == (NAME, "big tony")


@pytest.mark.parametrize("kind", [PHONE, HANDLE, EMAIL, PLATE, NAME])
@pytest.mark.parametrize("typed", ["", "   ", "@", " - "])
def test_it_answers_none_for_an_empty_identifier(kind, typed):
    assert identifier_normalise(kind, typed, default_country="KE") is None


def test_it_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        identifier_normalise("passport", "X123")


def test_it_hashes_the_same_identifier_the_same_way_and_kinds_apart():
    phone = identifier_normalise(PHONE, "0712 345 678", default_country="KE")
    assert identifier_key(*phone) == identifier_key(*identifier_normalise(PHONE, "+254712345678"))
    assert identifier_key(HANDLE, "kda123a") != identifier_key(PLATE, "kda123a")
    assert len(identifier_key(*phone)) == 64
    assert "712345678" not in identifier_key(*phone)


def test_it_uses_the_deployments_pepper_for_the_hash(settings):
    before = identifier_key(PHONE, "+254712345678")
    settings.IDENTIFIER_PEPPER = "another-pepper-entirely"
    assert identifier_key(PHONE, "+254712345678") != before


@pytest.mark.parametrize(
    ("kind", "value", "hint"),
    [
        (PHONE, "+254712345678", "…678"),
        (EMAIL, "tony.b@example.org", "t…@….org"),
        (PLATE, "KDA123A", "…23A"),
        (PLATE, "K1", "…"),
        (HANDLE, "bigtony", "@bi…"),
        (HANDLE, "tony", "…"),
    ],
)
def test_it_gives_hints_that_never_reveal_the_whole_identifier(kind, value, hint):
    assert identifier_hint(kind, value) == hint
    assert value not in identifier_hint(kind, value)
