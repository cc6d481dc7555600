import re

from django.urls import include, path, re_path

from sombrilla.monitoring.records import views
from sombrilla.monitoring.records.kinds import KINDS

app_name = "records"

# The record type is a closed list in the pattern itself, not an id: records are addressed by UUID below it.
_KIND = "|".join(re.escape(slug) for slug in KINDS)

urlpatterns = [
    path("me/records/", views.hub, name="hub"),
    re_path(
        rf"^me/records/(?P<kind>{_KIND})/",
        include(
            [
                path("", views.record_list, name="list"),
                path("new/", views.record_new, name="new"),
                path("import/", views.records_import, name="import"),
                path("template.csv", views.record_template, name="template"),
                path("<uuid:record_id>/", views.record, name="record"),
                path("<uuid:record_id>/delete/", views.record_delete, name="delete"),
            ]
        ),
    ),
]
