"""What a sign-in through the provider leaves in the portal's session, and what reads it: whether the provider's
multi-factor assertion stands in for the portal's second factor (the policy in settings), and where signing out
sends the person so they are signed out at the provider too (RP-initiated logout)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accounts.oidc.provider import END_SESSION_STATE_KEY, ID_TOKEN_STATE_KEY
from accounts.oidc.tokens import provider_asserted_mfa

# The user id whose sign-in the provider asserted multi-factor for (bound to the user: never carried to another).
MFA_SESSION_KEY = "oidc_mfa_user_id"
ID_TOKEN_SESSION_KEY = "oidc_id_token"  # noqa: S105 - a key name, not a secret
END_SESSION_SESSION_KEY = "oidc_end_session_endpoint"
KEYS = (MFA_SESSION_KEY, ID_TOKEN_SESSION_KEY, END_SESSION_SESSION_KEY)


def mfa_trusted(*, user: Any, claims: dict[str, Any]) -> bool:
    """The provider's assertion counts only for people who are not staff: TRA staff always pass the portal's own
    second factor, which Django admin demands (docs/adr/0017)."""
    if user.is_staff or user.is_superuser:
        return False
    return provider_asserted_mfa(
        claims=claims, trusted_acr=settings.OIDC_TRUSTED_MFA_ACR, trusted_amr=settings.OIDC_TRUSTED_MFA_AMR
    )


def sign_in_record(request: HttpRequest, *, user: Any, sociallogin: Any | None) -> None:
    """After any sign-in: forget what an earlier provider sign-in left, then keep this one's, if it is one."""
    for key in KEYS:
        request.session.pop(key, None)
    if sociallogin is None:
        return
    state = sociallogin.state or {}
    if state.get(ID_TOKEN_STATE_KEY):
        request.session[ID_TOKEN_SESSION_KEY] = state[ID_TOKEN_STATE_KEY]
        request.session[END_SESSION_SESSION_KEY] = state.get(END_SESSION_STATE_KEY, "")
    claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
    if mfa_trusted(user=user, claims=claims):
        request.session[MFA_SESSION_KEY] = user.pk


def mfa_by_provider(request: HttpRequest, *, user: Any) -> bool:
    if not user.is_authenticated or user.is_staff or user.is_superuser:
        return False
    return bool(request.session.get(MFA_SESSION_KEY) == user.pk)


def end_session_url(request: HttpRequest) -> str | None:
    """The provider's end_session_endpoint with id_token_hint and post_logout_redirect_uri (OpenID Connect
    RP-Initiated Logout 1.0), when the person signed in through the provider; None otherwise."""
    endpoint = request.session.get(END_SESSION_SESSION_KEY)
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    if not endpoint or not id_token:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("oidc_signed_out")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
