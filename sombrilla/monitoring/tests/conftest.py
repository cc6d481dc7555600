import pytest


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Monitoring does not depend on the hasher; Argon2 for every account the figures need takes seconds.
    Autouse, so it is in place before the people fixtures hash their passphrases."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
