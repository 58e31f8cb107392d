"""The portal's URLs plus the baselines benchmarks compare against. Served only under bench.settings."""

from django.http import HttpResponse
from django.urls import path

from accounts.models import User
from tracs.urls import handler400, handler403, handler404, handler500
from tracs.urls import urlpatterns as portal_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def bare(request):
    """The floor: a Django view doing one query, through the same middleware, nobody signed in."""
    return HttpResponse(f"{User.objects.count()}\n", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    *portal_urlpatterns,
]
