"""allauth's openid_connect provider with the checks it leaves out (SOCIALACCOUNT_PROVIDERS' provider_class).

- A nonce per sign-in, kept in allauth's state for the callback and compared with the ID token's.
- PKCE (S256) on by default, whatever the provider advertises.
- The ID token always verified against the provider's published keys (accounts.oidc.tokens), and the userinfo
  answer's `sub` held to the token's.
- The raw ID token and the provider's end_session_endpoint kept in the state, so that signing out of the portal
  can sign out at the provider too (accounts.oidc.session)."""

from __future__ import annotations

import secrets
from typing import Any

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter

from accounts.oidc import tokens

NONCE_STATE_KEY = "nonce"
ID_TOKEN_STATE_KEY = "id_token"  # noqa: S105 - a key name, not a secret
END_SESSION_STATE_KEY = "end_session_endpoint"


class PortalOIDCAdapter(OpenIDConnectOAuth2Adapter):
    # Set by the callback view (accounts.oidc.views.CallbackView) from the state this sign-in stashed.
    state: dict[str, Any] | None = None

    def _jwks(self) -> dict[str, Any]:
        with get_adapter().get_requests_session() as session:
            response = session.get(self.openid_config["jwks_uri"])
            response.raise_for_status()
            keys: dict[str, Any] = response.json()
        return keys

    def complete_login(self, request, app, token, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            raise tokens.IdTokenRefused(tokens.REFUSED_MALFORMED, "missing")
        state = self.state or {}
        claims = tokens.id_token_claims(
            id_token=id_token,
            jwks=self._jwks(),
            issuer=self.openid_config["issuer"],
            client_id=app.client_id,
            nonce=state.get(NONCE_STATE_KEY),
        )
        data = {"id_token": claims}
        if app.settings.get("fetch_userinfo", True):
            userinfo = self._fetch_user_info(token.token)
            if str(userinfo.get("sub")) != str(claims["sub"]):  # OpenID Connect Core 5.3.2
                raise tokens.IdTokenRefused(tokens.REFUSED_SUBJECT, "subject")
            data["userinfo"] = userinfo
        state[ID_TOKEN_STATE_KEY] = id_token
        state[END_SESSION_STATE_KEY] = self.openid_config.get("end_session_endpoint", "")
        return self.get_provider().sociallogin_from_response(request, data)


class PortalOIDCProvider(OpenIDConnectProvider):
    package = "accounts.oidc"  # allauth builds the provider's URLs from this package's urls.py
    oauth2_adapter_class = PortalOIDCAdapter
    pkce_enabled_default = True

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        # Last, so a nonce in the request's own auth_params (allauth lets a link pass some) never wins.
        auth_params = {**auth_params, "nonce": nonce}
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )
