from django.urls import path

from accounts import views

urlpatterns = [
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/backup-codes/", views.two_factor_backup_codes, name="two_factor_backup_codes"),
    path("two-factor/", views.two_factor_manage, name="two_factor_manage"),
    path("profile/name/", views.profile_name, name="profile_name"),
    path("session/keepalive/", views.session_keepalive, name="session_keepalive"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz", views.healthz, name="healthz"),
]
