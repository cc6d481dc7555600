from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse
from django_otp.admin import OTPAdminSite

from sombrilla.accounts.views import language_set
from sombrilla.api import api


class OperatorAdminSite(OTPAdminSite):
    """Django's admin for superusers who have passed two-factor; they log in through the site's own pages,
    which know how to check an Authenticator."""

    def login(self, request, extra_context=None):
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))


urlpatterns = [
    path("", include("sombrilla.accounts.urls")),
    path("language/", language_set, name="set_language"),
    path("api/v1/", api.urls),
]

if settings.ADMIN_PATH:
    admin.site.__class__ = OperatorAdminSite
    urlpatterns.append(path(f"{settings.ADMIN_PATH}/", admin.site.urls))
