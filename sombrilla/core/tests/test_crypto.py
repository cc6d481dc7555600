import pytest
from django.test import override_settings

from sombrilla.core import crypto

OTHER_KEY = "b3RoZXItZmllbGQta2V5LWZvci10aGUtdGVzdHMxMjM="


def test_it_round_trips_text_and_never_returns_the_plaintext_as_ciphertext():
    token = crypto.encrypt("client drives a red car, plate KDA 123X")
    assert "KDA" not in token
    assert crypto.decrypt(token) == "client drives a red car, plate KDA 123X"


def test_it_encrypts_equal_texts_differently():
    assert crypto.encrypt("same") != crypto.encrypt("same")


def test_it_refuses_a_value_from_a_key_it_does_not_hold():
    token = crypto.encrypt("secret")
    with override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY]), pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_it_still_reads_old_values_after_a_new_key_is_added_first():
    token = crypto.encrypt("secret")
    with override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY, *crypto.settings.FIELD_ENCRYPTION_KEYS]):
        assert crypto.decrypt(token) == "secret"


def test_it_separates_identifier_kinds_and_peppers():
    phone = crypto.identifier_hash("phone", "+254712345678")
    assert phone == crypto.identifier_hash("phone", "+254712345678")
    assert phone != crypto.identifier_hash("handle", "+254712345678")
    with override_settings(IDENTIFIER_PEPPER="another-pepper"):
        assert crypto.identifier_hash("phone", "+254712345678") != phone


def test_it_rotates_the_client_key_every_day():
    today = crypto.daily_client_key("203.0.113.7", "2026-11-25")
    assert today == crypto.daily_client_key("203.0.113.7", "2026-11-25")
    assert today != crypto.daily_client_key("203.0.113.7", "2026-11-26")
    assert "203" not in today
