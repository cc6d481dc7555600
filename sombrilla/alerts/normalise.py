"""Client identifiers in one canonical form, so the same phone, handle, email or plate typed two ways
hashes the same. Runs before anything else touches an identifier; never logs what it is given.
"""

import re
import unicodedata

import phonenumbers

from sombrilla.alerts.models import IdentifierKind
from sombrilla.core import crypto

_SPACES = re.compile(r"\s+")
# Spaces and every kind of dash or dot people put between the groups of a plate.
_PLATE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.·]+")


def _clean(value: str) -> str:
    """NFKC folds full-width and look-alike forms (Ｊ, ０) into their plain equivalents."""
    return unicodedata.normalize("NFKC", value).strip()


def _handle(value: str) -> str:
    return _SPACES.sub("", _clean(value)).casefold().lstrip("@")


def identifier_normalise(kind: str, value: str, *, default_country: str = "") -> tuple[str, str] | None:
    """Return (kind, normalised value), or None for an empty value.

    Phone numbers become E.164 using the organisation's country for numbers without a country code; a
    number that cannot be read as a phone number is kept as a handle rather than refused, so nothing a
    member knows about a client is lost.
    """
    kind = IdentifierKind(kind)
    cleaned = _clean(value)
    if not cleaned:
        return None
    if kind == IdentifierKind.PHONE:
        try:
            number = phonenumbers.parse(cleaned, (default_country or "").upper() or None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_possible_number(number):
            return kind, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        kind, normalised = IdentifierKind.HANDLE, _handle(cleaned)
    elif kind == IdentifierKind.PLATE:
        normalised = _PLATE_SEPARATORS.sub("", cleaned).upper()
    elif kind == IdentifierKind.HANDLE:
        normalised = _handle(cleaned)
    elif kind == IdentifierKind.EMAIL:
        normalised = _SPACES.sub("", cleaned).casefold()
    else:
        normalised = _SPACES.sub(" ", cleaned).casefold()
    # Punctuation alone ("-", "@") identifies no one and would match every other empty-ish entry.
    if not any(character.isalnum() for character in normalised):
        return None
    return kind, normalised


def identifier_key(kind: str, normalised: str) -> str:
    """The keyed hash identifiers are matched by; the kind keeps a plate and a handle with the same text apart."""
    return crypto.identifier_hash(f"client-{kind}", normalised)
