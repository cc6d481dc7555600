from django.urls import path

from sombrilla.directory import views

app_name = "directory"

urlpatterns = [
    path("services/", views.service_list, name="list"),
    path("services/<uuid:service_id>/", views.service, name="service"),
    path("services/<uuid:service_id>/rating/", views.rate, name="rate"),
    path("services/<uuid:service_id>/rating/delete/", views.rating_delete, name="rating_delete"),
    path("services/<uuid:service_id>/referral/", views.refer, name="refer"),
    path("services/referrals/", views.referrals, name="referrals"),
    path("services/referrals/<uuid:referral_id>/close/", views.referral_close, name="referral_close"),
    path("staff/services/", views.staff_list, name="staff_list"),
    path("staff/services/new/", views.staff_new, name="staff_new"),
    path("staff/services/<uuid:service_id>/", views.staff_edit, name="staff_edit"),
    path("staff/services/<uuid:service_id>/active/", views.staff_active, name="staff_active"),
    path("staff/services/<uuid:service_id>/delete/", views.staff_delete, name="staff_delete"),
    path("staff/services/ratings/", views.ratings, name="ratings"),
    path("staff/services/ratings/<uuid:rating_id>/", views.rating_moderate, name="rating_moderate"),
    path("staff/services/referrals/", views.staff_referrals, name="staff_referrals"),
    path("staff/services/referrals/<uuid:referral_id>/", views.staff_referral, name="staff_referral"),
    path("staff/services/referrals/<uuid:referral_id>/close/", views.staff_referral_close, name="staff_referral_close"),
]
