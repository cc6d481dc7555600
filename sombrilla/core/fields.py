"""A text field stored encrypted at rest; reads decrypt, writes encrypt with the newest key."""

from django.db import models

from sombrilla.core import crypto


class EncryptedTextField(models.TextField):
    """Holds sensitive text. Never indexed, never filtered on: ciphertexts differ for equal plaintexts."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
