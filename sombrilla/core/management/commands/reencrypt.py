"""Move every encrypted field to the newest key, so an old key can be retired."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from sombrilla.core.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the first key in FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            with transaction.atomic():
                # values_list decrypts with whichever key fits; update() encrypts again with the newest.
                for pk, *values in model._default_manager.values_list("pk", *names).iterator():
                    updates = {name: value for name, value in zip(names, values, strict=True) if value}
                    if updates:
                        model._default_manager.filter(pk=pk).update(**updates)
                        total += 1
        self.stdout.write(f"Re-encrypted {total} rows with the newest key.")
