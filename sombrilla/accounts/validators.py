from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


class MaximumLengthValidator:
    """Long passphrases are welcome, but not megabytes of them: Argon2 would spend its time on the input."""

    def validate(self, password, user=None):
        if len(password) > settings.PASSPHRASE_MAX_LENGTH:
            raise ValidationError(
                ngettext(
                    "Your passphrase can have at most %(max)d character.",
                    "Your passphrase can have at most %(max)d characters.",
                    settings.PASSPHRASE_MAX_LENGTH,
                )
                % {"max": settings.PASSPHRASE_MAX_LENGTH},
                code="password_too_long",
            )

    def get_help_text(self):
        return ngettext("At most %(max)d character.", "At most %(max)d characters.", settings.PASSPHRASE_MAX_LENGTH) % {
            "max": settings.PASSPHRASE_MAX_LENGTH
        }
