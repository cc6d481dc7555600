"""Fixtures for the rights tests: audio files go to a directory of the test's own, so a test can see what is
stored and what is deleted."""

import pytest

from sombrilla.alerts.tests.factories import make_areas


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Passphrases are hashed with a cheap hasher here; Argon2 is tested in accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def areas(org_a):
    """Kenya > Nairobi > Westlands, and Kenya > Mombasa."""
    return make_areas(org_a)


def stored_audio(media) -> list[str]:
    """The audio files in storage, by name."""
    folder = media / "rights" / "audio"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []
