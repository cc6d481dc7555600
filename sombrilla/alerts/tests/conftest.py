import pytest

from sombrilla.alerts.tests.factories import make_areas


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """These tests are about alerts, not passphrases: a cheap hasher keeps them quick. Autouse, so it is in
    place before the people fixtures hash their passphrases."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def areas(org_a):
    return make_areas(org_a)


@pytest.fixture
def areas_b(org_b):
    return make_areas(org_b)
