from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from sombrilla.accounts.views import language_set
from sombrilla.api import api

urlpatterns = [
    path("", include("sombrilla.accounts.urls")),
    path("language/", language_set, name="set_language"),
    path("api/v1/", api.urls),
]

if settings.ADMIN_PATH:
    # Operators only: superusers who have passed two-factor, at a path the deployment chose.
    admin.site.__class__ = OTPAdminSite
    urlpatterns.append(path(f"{settings.ADMIN_PATH}/", admin.site.urls))
