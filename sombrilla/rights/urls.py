from django.urls import path

from sombrilla.rights import views

app_name = "rights"

urlpatterns = [
    path("rights/", views.index, name="index"),
    path("rights/<uuid:article_id>/", views.article, name="article"),
    path("rights/<uuid:article_id>/card/", views.card, name="card"),
    path("rights/<uuid:article_id>/audio/", views.audio, name="audio"),
    path("staff/rights/", views.staff_list, name="staff_list"),
    path("staff/rights/new/", views.staff_new, name="staff_new"),
    path("staff/rights/<uuid:article_id>/", views.staff_article, name="staff_article"),
    path("staff/rights/<uuid:article_id>/delete/", views.staff_delete, name="staff_delete"),
    # The language is a query parameter (?language=es): every object in a path is a UUID.
    path("staff/rights/<uuid:article_id>/version/", views.staff_version, name="staff_version"),
    path("staff/rights/versions/<uuid:version_id>/review/", views.staff_version_review, name="staff_version_review"),
    path("staff/rights/versions/<uuid:version_id>/delete/", views.staff_version_delete, name="staff_version_delete"),
    path("staff/rights/versions/<uuid:version_id>/audio/", views.staff_audio, name="staff_audio"),
    path(
        "staff/rights/versions/<uuid:version_id>/audio/generate/",
        views.staff_audio_generate,
        name="staff_audio_generate",
    ),
    path("staff/rights/versions/<uuid:version_id>/audio/remove/", views.staff_audio_remove, name="staff_audio_remove"),
]
