"""The page a sign-in through the provider ends on when it could not happen or was refused: in the portal's
design, saying why, with a way to try again or sign in another way. Never a 500 for a provider that is down.
Used by the sign-in views and by allauth's error hook (accounts.adapters.SocialAccountAdapter)."""

from __future__ import annotations

import logging
from dataclasses import replace

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from requests import RequestException

from accounts.models import AccessLogEntry
from accounts.oidc.tokens import IdTokenRefused
from accounts.services import access_log_record
from tracs.actors import actor_from_request

logger = logging.getLogger(__name__)

UNAVAILABLE = _("%(provider)s sign-in is unavailable right now")
UNAVAILABLE_DETAIL = _(
    "TRACS could not reach %(provider)s. Nothing was changed. Try again in a few minutes, or sign in another way."
)
REFUSED = _("You have not been signed in")
REFUSED_DETAIL = _(
    "TRACS refused the answer from %(provider)s, so no one was signed in and nothing was created."
)
NOT_COMPLETED_DETAIL = _(
    "The sign-in with %(provider)s did not complete (it may have been started in another tab or taken too long). "
    "Nothing was changed."
)


def authentication_error_response(
    request: HttpRequest, *, provider, exception: BaseException | None
) -> HttpResponse:
    """The page for a provider that is down (503), an ID token refused (400), or a sign-in that did not complete."""
    name = provider.name
    context = {"provider_name": name, "retry_url": provider.get_login_url(request)}
    if isinstance(exception, RequestException):
        logger.warning("OpenID Connect provider unreachable", extra={"provider": provider.sub_id})
        context.update(
            heading=UNAVAILABLE % {"provider": name}, detail=UNAVAILABLE_DETAIL % {"provider": name}
        )
        status = 503
    elif isinstance(exception, IdTokenRefused):
        logger.warning(
            "OpenID Connect ID token refused", extra={"provider": provider.sub_id, "check": exception.code}
        )
        context.update(heading=REFUSED, detail=REFUSED_DETAIL % {"provider": name}, reason=exception.message)
        # A forged, replayed or misdirected answer is a security event. The path without its query: the
        # authorization code and state are not kept.
        with transaction.atomic():
            access_log_record(
                actor=replace(actor_from_request(request), path=request.path),
                kind=AccessLogEntry.Kind.SECURITY,
                action="OpenID Connect ID token refused",
                detail=f"{provider.sub_id}: {exception.code}",
            )
        status = 400
    else:
        logger.info("OpenID Connect sign-in did not complete", extra={"provider": provider.sub_id})
        context.update(heading=REFUSED, detail=NOT_COMPLETED_DETAIL % {"provider": name})
        status = 400
    return render(request, "accounts/oidc_error.html", context, status=status)
