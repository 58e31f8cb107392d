from django.conf import settings


def portal(request):
    """What the base layout needs on every page: the idle timeout, for the warning before sign-out."""
    return {"session_idle_seconds": settings.SESSION_COOKIE_AGE}
