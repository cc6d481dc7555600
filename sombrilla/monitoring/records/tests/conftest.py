"""People and files for the record tests."""

import pytest


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Nothing here is about passphrases; Argon2 for every person of every test costs seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
