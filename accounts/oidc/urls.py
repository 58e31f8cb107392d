"""allauth includes these under /auth/ (it builds every provider's URLs from its package); the names are the
ones allauth's openid_connect provider reverses."""

from django.urls import include, path, re_path

from accounts.oidc import views

urlpatterns = [
    path("oidc/signed-out/", views.signed_out, name="oidc_signed_out"),
    re_path(
        r"^oidc/(?P<provider_id>[^/]+)/",
        include(
            [
                path("login/", views.login, name="openid_connect_login"),
                path("login/callback/", views.callback, name="openid_connect_callback"),
            ]
        ),
    ),
]
