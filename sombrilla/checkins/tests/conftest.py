"""People and plans for the check-in tests. The notification peers (SMTP, SMS gateway, push service) come
from the notify tests' fixtures, imported here so every check-in test can use them."""

import pytest

from sombrilla.notify.tests.conftest import no_channels, site, sms_peer, smtp_peer  # noqa: F401  fixtures


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """PINs and passphrases are hashed with a cheap hasher here; Argon2 is tested in accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
