from django.urls import path

from sombrilla.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.front, name="front"),
    path("o/<slug:slug>/", views.organisation, name="organisation"),
    path("join/", views.join, name="join"),
    path("login/", views.login_view, name="login"),
    path("recover/", views.recover, name="recover"),
    path("logout/", views.logout_view, name="logout"),
    path("home/", views.home, name="home"),
    path("account/", views.account_settings, name="settings"),
    path("account/pseudonym/", views.pseudonym_change, name="pseudonym"),
    path("account/passphrase/", views.passphrase_change, name="passphrase"),
    path("account/recovery-codes/", views.recovery_codes_new, name="recovery_codes"),
    path("account/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("account/export/", views.account_export, name="export"),
    path("account/delete/", views.account_delete, name="delete"),
    path("account/two-factor/", views.two_factor, name="two_factor"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<uuid:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("staff/members/", views.members, name="members"),
    path("staff/members/<uuid:membership_id>/", views.member_detail, name="member"),
    path("staff/vouching/", views.vouching, name="vouching"),
    path("staff/areas/", views.areas, name="areas"),
    path("staff/organisation/", views.organisation_settings, name="organisation_settings"),
    path("staff/audit/", views.audit_log, name="audit"),
]
