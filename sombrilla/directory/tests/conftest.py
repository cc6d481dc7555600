"""People, areas and a service for the directory tests."""

import pytest

from sombrilla.alerts.tests.factories import make_areas
from sombrilla.directory.tests.factories import make_service


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Nothing here is about passphrases; Argon2 for every person of every test costs seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def areas(org_a):
    """Kenya > Nairobi > Westlands, and Kenya > Mombasa."""
    return make_areas(org_a)


@pytest.fixture
def clinic(carol, areas):
    """An anonymous, free, sex-worker-friendly HIV testing clinic in Westlands that carol vouches for."""
    return make_service(carol, area=areas["westlands"])
