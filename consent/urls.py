from django.urls import path

from consent import views

# Every account-scoped path carries the account number as `number` (consent.access.account_view).
urlpatterns = [
    path("", views.home, name="home"),
    path("enrol/", views.account_enrol, name="account_enrol"),
    path("accounts/<str:number>/", views.account_detail, name="account_detail"),
    path("accounts/<str:number>/access/", views.access_list, name="access_list"),
    path("accounts/<str:number>/access/add/", views.access_add, name="access_add"),
    path("accounts/<str:number>/access/<int:grant_id>/pin/", views.access_pin, name="access_pin"),
    path("accounts/<str:number>/access/<int:grant_id>/edit/", views.access_edit, name="access_edit"),
    path("accounts/<str:number>/access/<int:grant_id>/revoke/", views.access_revoke, name="access_revoke"),
    path(
        "accounts/<str:number>/consents/<int:consent_id>/revoke/", views.consent_revoke, name="consent_revoke"
    ),
    path("accounts/<str:number>/access-log/", views.access_log, name="access_log"),
]
