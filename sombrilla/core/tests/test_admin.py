"""Django's admin: operators only (superusers past two-factor), at the configured path, never at /admin/."""

from django.conf import settings
from django.test import Client

from sombrilla.accounts.models import Account, Authenticator


def _operator(db):
    account = Account.objects.create_superuser(pseudonym="operator", password="operator-passphrase-1")
    Authenticator.objects.create(user=account, name="operator", confirmed=True)
    return account


def test_it_is_not_at_the_default_path(db):
    assert settings.ADMIN_PATH and settings.ADMIN_PATH != "admin"
    assert Client().get("/admin/").status_code == 404


def test_it_sends_an_anonymous_visitor_to_the_sites_own_login(db):
    response = Client().get(f"/{settings.ADMIN_PATH}/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/?next=")
    assert b'name="otp_token"' not in response.content  # the site's login, not the admin's own form


def test_it_refuses_a_superuser_who_has_not_passed_two_factor(db):
    client = Client()
    client.force_login(_operator(db), backend="sombrilla.accounts.backends.AccountBackend")
    response = client.get(f"/{settings.ADMIN_PATH}/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/account/two-factor/")


def test_it_opens_for_a_superuser_past_two_factor(db):
    operator = _operator(db)
    client = Client()
    client.force_login(operator, backend="sombrilla.accounts.backends.AccountBackend")
    session = client.session
    session["otp_device_id"] = Authenticator.objects.get(user=operator).persistent_id
    session.save()
    assert client.get(f"/{settings.ADMIN_PATH}/").status_code == 200


def test_it_keeps_members_and_staff_out_even_past_two_factor(carol):
    from sombrilla.conftest import log_in

    response = log_in(Client(), carol).get(f"/{settings.ADMIN_PATH}/")
    assert response.status_code == 302


def test_it_creates_an_operator_with_djangos_createsuperuser(db, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "operator-passphrase-9")
    call_command("createsuperuser", "--noinput", "--pseudonym_key", "Operator", verbosity=0)
    operator = Account.objects.get(is_superuser=True)
    assert (operator.pseudonym, operator.pseudonym_key) == ("Operator", "operator")
    assert operator.check_password("operator-passphrase-9")
