import functools
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from accounts.oidc.session import mfa_by_provider
from accounts.services import user_has_confirmed_device

# Pages that must work for a person signed in with a password but not yet through two-factor. Nothing
# account-scoped, and nothing that changes the profile: managing backup codes, e-mail addresses, the password
# or linked identities needs the second factor first, or a stolen password alone would be enough to get in.
OPEN_PREFIXES = (
    "/two-factor/setup/",
    "/two-factor/verify/",
    "/auth/login/",
    "/auth/logout/",
    "/auth/inactive/",
    "/auth/signup/",
    "/auth/confirm-email/",
    "/auth/password/reset/",
    "/auth/3rdparty/login/",
    "/auth/3rdparty/signup/",
    "/auth/social/login/",
    "/auth/social/signup/",
    "/auth/oidc/",
    "/static/",
    "/privacy/",
    "/help/",
    "/contact/",
    "/session/",
    "/healthz",
    "/health/",
    "/i18n/",
)
SESSION_ENDED = _("Your session ended after 15 minutes without activity. Please sign in again.")


class ProviderMultiFactorMiddleware:
    """After django-otp's middleware: a person whose provider asserted multi-factor at this session's sign-in, in
    terms the MFA policy trusts (OIDC_TRUSTED_MFA_ACR / _AMR), counts as verified (`user.is_verified()`), so the
    portal does not ask its own second factor again. Staff never (accounts.oidc.session.mfa_trusted)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        request.user = SimpleLazyObject(functools.partial(self._trusted, request, user))
        return self.get_response(request)

    @staticmethod
    def _trusted(request, user):
        if mfa_by_provider(request, user=user):
            user.is_verified = lambda: True
        return user


class RequireTwoFactorMiddleware:
    """Two-factor is mandatory for everyone (local and OpenID Connect users, staff): a signed-in user who
    has not passed the TOTP step this session sees nothing but the set-up or verification page. The one exception
    is a provider's multi-factor the MFA policy trusts (ProviderMultiFactorMiddleware, before this one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated:
            # A session cookie the server no longer knows: the session timed out (or was ended by staff).
            if request.COOKIES.get(settings.SESSION_COOKIE_NAME) and request.session.is_empty():
                request.session_ended = True
            return self.get_response(request)
        if user.is_verified() or request.path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        step = "two_factor_verify" if user_has_confirmed_device(user=user) else "two_factor_setup"
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")


class IdleTimeoutMiddleware:
    """Sessions end after SESSION_COOKIE_AGE idle. Instead of writing the session on every request, move its
    expiry forward at most once a minute: the same 15-minute rule (within a minute) at a fraction of the writes."""

    TOUCH_EVERY_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            if now - request.session.get("_touched", 0) >= self.TOUCH_EVERY_SECONDS:
                request.session["_touched"] = now
        return self.get_response(request)


class SessionEndedMessageMiddleware:
    """Tells a person whose session timed out why they are looking at the sign-in page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Also when a form is posted after the timeout (the common case), but not on the sign-in form itself.
        ended = getattr(request, "session_ended", False)
        if ended and (request.method == "GET" or not request.path.startswith("/auth/")):
            messages.info(request, SESSION_ENDED)
        return self.get_response(request)
