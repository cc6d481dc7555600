"""The schema itself must not be able to hold who someone is."""

import re

from django.apps import apps

# Field names that would hold an identity or a trace of one. Matching by name is blunt on purpose:
# a new field called e.g. `contact_email` must be argued for in review, not slip in.
FORBIDDEN = re.compile(
    r"e_?mail|phone|mobile|msisdn|first_name|last_name|full_name|real_name|legal_name|birth|dob|"
    r"passport|national_id|id_number|photo|avatar|selfie|address_ip|ip_address|remote_addr|user_agent|"
    r"latitude|longitude|last_login_ip"
)


def _sombrilla_fields():
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if getattr(field, "concrete", False):
                yield model, field


def test_it_has_no_field_for_an_identity_anywhere_in_the_schema():
    offenders = [
        f"{model._meta.label}.{field.name}"
        for model, field in _sombrilla_fields()
        if FORBIDDEN.search(field.name) or FORBIDDEN.search(getattr(field, "column", "") or "")
    ]
    assert offenders == []


def test_it_stores_no_generic_ip_address_field():
    from django.db.models import GenericIPAddressField

    assert [
        f"{model._meta.label}.{field.name}"
        for model, field in _sombrilla_fields()
        if isinstance(field, GenericIPAddressField)
    ] == []


def test_it_addresses_every_own_model_by_a_random_uuid():
    from django.db.models import UUIDField

    sequential = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "core"}
        and model.__name__ != "MembershipTally"  # aggregate rows, never in a URL or the API
        and model.__name__ != "Authenticator"  # django-otp's table; its id lives only in the session
        and model.__name__ != "Session"  # keyed by Django's random session key, never sequential
        and not isinstance(model._meta.pk, UUIDField)
    ]
    assert sequential == []


def test_it_has_a_migration_for_every_model_change(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
