from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class AccountsConfig(AppConfig):
    name = "sombrilla.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.models import update_last_login

        # Last-login times are a record of when someone was active: not kept.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
