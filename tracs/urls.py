from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from tracs import health, views

urlpatterns = [
    path("", include("consent.urls")),
    path("", include("filings.urls")),
    path("", include("assessments.urls")),
    path("", include("accounts.urls")),
    path("", include("programs.urls")),
    path("auth/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("i18n/catalog.js", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Liveness (the process answers) and readiness (what a request needs answers): tracs/health.py.
    path("health/", health.liveness, name="health"),
    path("health/ready/", health.ReadinessView.as_view(), name="health_ready"),
    # Stale scheduled jobs, for a monitor outside TRACS (never part of readiness): docs/operations.md.
    path("health/jobs/", health.ScheduledJobsView.as_view(), name="health_jobs"),
    path("favicon.ico", views.favicon, name="favicon"),
    # The demo's mail catcher: 404 unless TRACS_DEV_MAIL, which production refuses (tracs/dev_mail.py).
    path("dev/mail/", views.dev_mail_list, name="dev_mail"),
    path("dev/mail/<str:name>/", views.dev_mail_message, name="dev_mail_message"),
]

handler400 = "tracs.errors.bad_request"
handler403 = "tracs.errors.permission_denied"
handler404 = "tracs.errors.page_not_found"
handler500 = "tracs.errors.server_error"

if settings.DEBUG:  # pragma: no cover - media is served by the web server or object storage otherwise
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
