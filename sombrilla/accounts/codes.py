"""Human-typable one-time codes (invitations, recovery): 60 random bits, shown once, stored as a keyed hash."""

import secrets

from sombrilla.core import crypto

# Crockford's base32: no I, L, O or U, so codes survive being read aloud or copied by hand.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(value: str) -> str:
    cleaned = "".join(ch for ch in value.upper() if ch.isalnum()).translate(_LOOKALIKES)
    return cleaned[:24]


def code_hash(kind: str, value: str) -> str:
    return crypto.identifier_hash(kind, normalise_code(value))
