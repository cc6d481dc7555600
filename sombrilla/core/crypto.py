"""Field encryption and keyed identifier hashing: the only module that touches `cryptography` or the pepper.

Apps store sensitive text through `encrypt`/`decrypt` (or core.fields.EncryptedTextField) and match
identifiers through `identifier_hash`. Nothing here may log its input or its output.
"""

import functools
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """The stored value was not encrypted with any key this deployment holds."""


def _fernet() -> MultiFernet:
    # Looked up by the keys themselves, so a change of settings (in tests, say) is seen at once. Parsing the
    # keys for every value cost a worker reading thousands of push subscriptions a fifth of each decryption.
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


@functools.lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("no configured key decrypts this value") from exc


def new_field_key() -> str:
    return Fernet.generate_key().decode("ascii")


def new_vapid_key() -> str:
    """A Web Push (VAPID) signing key: a P-256 private key, raw and base64url-encoded as push libraries read it."""
    import base64

    from cryptography.hazmat.primitives.asymmetric import ec

    value = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


def identifier_hash(kind: str, value: str) -> str:
    """A keyed hash for matching a normalised identifier without keeping it.

    The pepper lives outside the database, so a copy of the database alone cannot be
    brute-forced back to phone numbers or pseudonyms. `kind` separates domains, so the
    same string as a phone number and as a handle hash differently.
    """
    message = f"{kind}\x00{value}".encode()
    return hmac.new(settings.IDENTIFIER_PEPPER.encode(), message, hashlib.sha256).hexdigest()


def derived_secret(purpose: str, salt: bytes, length: int = 20) -> bytes:
    """A secret that exists only while the pepper does: the database keeps `salt`, never the secret.

    Used for authenticator (TOTP) secrets, so a copy of the database cannot produce anyone's codes.
    """
    return hmac.new(settings.IDENTIFIER_PEPPER.encode(), f"{purpose}\x00".encode() + salt, hashlib.sha256).digest()[
        :length
    ]


def daily_client_key(client_address: str, day: str) -> str:
    """A per-client key for short-lived cache counters that cannot be linked across days.

    The salt is derived from SECRET_KEY and the date, so yesterday's keys are unrelatable to today's
    and the address itself is never stored.
    """
    salt = hmac.new(settings.SECRET_KEY.encode(), f"client-salt\x00{day}".encode(), hashlib.sha256).digest()
    return hmac.new(salt, client_address.encode(), hashlib.sha256).hexdigest()[:32]


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
