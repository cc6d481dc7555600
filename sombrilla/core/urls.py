from django.urls import path

from sombrilla.core import views

app_name = "core"

urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("icon.svg", views.icon, name="icon"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline_page, name="offline"),
    path("offline/saved/", views.offline_page, {"saved": True}, name="offline_saved"),
    path("offline.json", views.offline_list, name="offline_urls"),
]
