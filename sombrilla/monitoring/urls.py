from django.urls import path

from sombrilla.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("me/", views.dashboard, name="dashboard"),
    path("me/indicators/<uuid:indicator_id>/", views.indicator, name="indicator"),
    path("me/values/<uuid:value_id>/delete/", views.value_delete, name="value_delete"),
    path("me/values/<uuid:value_id>/evidence/", views.evidence, name="evidence"),
    path("me/compare/", views.compare, name="compare"),
    path("me/report/", views.report, name="report"),
    path("me/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("me/report.csv", views.report_csv, name="report_csv"),
    path("me/export/dhis2.json", views.dhis2, name="dhis2"),
    path("me/export/adx.xml", views.adx, name="adx"),
    path("me/mapping/", views.mapping, name="mapping"),
]
