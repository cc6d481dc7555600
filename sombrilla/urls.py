from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import include, path, reverse
from django.views.defaults import page_not_found
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
    path("", include("sombrilla.core.urls")),
    path("", include("sombrilla.notify.urls")),
    path("", include("sombrilla.alerts.urls")),
    path("", include("sombrilla.checkins.urls")),
    path("", include("sombrilla.rights.urls")),
    path("", include("sombrilla.directory.urls")),
    path("", include("sombrilla.monitoring.records.urls")),
    path("", include("sombrilla.monitoring.urls")),
    path("language/", language_set, name="set_language"),
    path("api/v1/", api.urls),
]


def not_found(request, exception):
    """A path under the API that matches no operation (an id that is not a UUID, say) is answered in JSON, as
    the API answers everything; any other path gets the site's 404 page."""
    if request.path_info.startswith("/api/"):
        # The very answer ninja gives an unknown object, so a malformed id and an unknown one look alike.
        return JsonResponse({"detail": "Not Found"}, status=404, content_type="application/json; charset=utf-8")
    return page_not_found(request, exception)


handler404 = not_found

if settings.ADMIN_PATH:
    admin.site.__class__ = OperatorAdminSite
    urlpatterns.append(path(f"{settings.ADMIN_PATH}/", admin.site.urls))
