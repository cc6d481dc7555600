import pytest

from sombrilla.accounts.models import Role
from sombrilla.alerts.tests.factories import make_areas
from sombrilla.conftest import make_member


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


@pytest.fixture
def erin(org_a, alice):
    """A member alice vouched for: the same invitation chain as alice."""
    return make_member(org_a, "erin", Role.MEMBER, invited_by=alice)


@pytest.fixture
def frank(org_a, carol):
    """A member staff invited: a chain of his own."""
    return make_member(org_a, "frank", Role.MEMBER, invited_by=carol)


@pytest.fixture
def olga(org_b, mallory):
    """A member of organisation B."""
    return make_member(org_b, "olga", Role.MEMBER, invited_by=mallory)
