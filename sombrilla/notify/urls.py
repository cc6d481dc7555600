from django.urls import path

from sombrilla.notify import views

app_name = "notify"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("notifications/", views.preferences, name="preferences"),
    path("notifications/test/", views.test_send, name="test"),
    path("notifications/push/", views.push_subscribe, name="push_subscribe"),
    path("notifications/push/remove/", views.push_unsubscribe, name="push_unsubscribe"),
    path("staff/deliveries/", views.deliveries, name="deliveries"),
    path("staff/deliveries/<uuid:delivery_id>/retry/", views.delivery_retry, name="delivery_retry"),
]
