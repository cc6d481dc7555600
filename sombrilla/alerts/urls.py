from django.urls import path

from sombrilla.alerts import views

app_name = "alerts"

urlpatterns = [
    path("alerts/", views.feed, name="feed"),
    path("alerts/<uuid:alert_id>/", views.alert_detail, name="alert"),
    path("alerts/police/<uuid:police_alert_id>/", views.police_alert_detail, name="police_alert"),
    path("alerts/areas/", views.follow, name="follow"),
    path("check/", views.check, name="check"),
    path("reports/", views.my_reports, name="my_reports"),
    path("reports/new/", views.report_new, name="report"),
    path("police/new/", views.police_new, name="police_new"),
    path("moderation/", views.queue, name="queue"),
    path("moderation/reports/<uuid:report_id>/", views.moderate_report, name="moderate_report"),
    path("moderation/reports/<uuid:report_id>/referral/", views.referral, name="referral"),
    path("moderation/police/<uuid:police_alert_id>/", views.moderate_police, name="moderate_police"),
]
