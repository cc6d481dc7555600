from django.urls import path

from sombrilla.checkins import views

app_name = "checkins"

urlpatterns = [
    path("checkins/", views.home, name="home"),
    path("checkins/new/", views.plan_new, name="new"),
    path("checkins/sos/", views.sos, name="sos"),
    path("checkins/plans/<uuid:plan_id>/", views.plan, name="plan"),
    path("checkins/plans/<uuid:plan_id>/check-in/", views.check_in, name="check_in"),
    path("checkins/plans/<uuid:plan_id>/extend/", views.extend, name="extend"),
    path("checkins/plans/<uuid:plan_id>/close/", views.close, name="close"),
    path("checkins/plans/<uuid:plan_id>/report/", views.report, name="report"),
    path("checkins/buddies/", views.buddies, name="buddies"),
    path("checkins/buddies/<uuid:buddy_id>/answer/", views.buddy_answer, name="buddy_answer"),
    path("checkins/buddies/<uuid:buddy_id>/remove/", views.buddy_remove, name="buddy_remove"),
    path("checkins/settings/", views.safety_settings, name="settings"),
    path("checkins/alerts/<uuid:plan_id>/", views.alert, name="alert"),
    path("checkins/alerts/<uuid:plan_id>/respond/", views.respond, name="respond"),
    path("staff/checkins/", views.staff_plans, name="staff_plans"),
    path("staff/duty/", views.duty, name="duty"),
    path("staff/duty/<uuid:slot_id>/remove/", views.duty_remove, name="duty_remove"),
    path("c/<str:token>/", views.link, name="link"),
]
