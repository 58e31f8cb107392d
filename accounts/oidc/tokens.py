"""The ID token checks (OpenID Connect Core 1.0, 3.1.3.7) and the policy on a provider's multi-factor assertion.
Plain functions over plain values, so each refusal is tested with tokens signed by a key of the test's own."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

import jwt
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.utils.translation import gettext_lazy as _

# Asymmetric algorithms only: "none" and the HMAC family (whose key would be the client secret) are never accepted.
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat")
# Clock difference allowed between the provider and the portal, in seconds.
LEEWAY_SECONDS = 60

REFUSED_SIGNATURE = _("The answer from the sign-in service was not signed with its key.")
REFUSED_AUDIENCE = _("The answer from the sign-in service was meant for another service, not TRACS.")
REFUSED_NONCE = _(
    "The answer from the sign-in service does not belong to this sign-in (it may be an old answer played again)."
)
REFUSED_EXPIRED = _("The answer from the sign-in service has expired or is not valid yet.")
REFUSED_ISSUER = _("The answer did not come from the sign-in service TRACS is set up to use.")
REFUSED_MALFORMED = _("The answer from the sign-in service could not be read.")
REFUSED_SUBJECT = _("The sign-in service described a different person in its two answers.")


class IdTokenRefused(OAuth2Error):
    """An ID token that fails a check. An OAuth2Error, so allauth's callback stops the sign-in and hands it to the
    authentication error page (accounts.oidc.views) with nothing created and no one signed in."""

    def __init__(self, message: Any, code: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


def _signing_key(*, header: Mapping[str, Any], jwks: Mapping[str, Any]) -> Any:
    for jwk in jwks.get("keys", []):
        if jwk.get("kid") == header.get("kid") and jwk.get("use", "sig") == "sig":
            try:
                return jwt.PyJWK.from_json(json.dumps(jwk), algorithm=header["alg"]).key
            except jwt.PyJWTError as e:
                raise IdTokenRefused(REFUSED_SIGNATURE, "signature") from e
    raise IdTokenRefused(REFUSED_SIGNATURE, "signature")


def id_token_claims(
    *, id_token: str, jwks: Mapping[str, Any], issuer: str, client_id: str, nonce: str | None
) -> dict[str, Any]:
    """The claims of a valid ID token; IdTokenRefused naming the first check it fails: signature by one of the
    provider's published keys (an asymmetric algorithm), issuer, audience (and `azp` when there are several),
    expiry and issue time, and the nonce this sign-in sent."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as e:
        raise IdTokenRefused(REFUSED_MALFORMED, "malformed") from e
    if header.get("alg") not in ALGORITHMS:
        raise IdTokenRefused(REFUSED_SIGNATURE, "signature")
    key = _signing_key(header=header, jwks=jwks)
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key=key,
            algorithms=[header["alg"]],
            audience=client_id,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.InvalidSignatureError as e:
        raise IdTokenRefused(REFUSED_SIGNATURE, "signature") from e
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError) as e:
        raise IdTokenRefused(REFUSED_EXPIRED, "expired") from e
    except jwt.InvalidAudienceError as e:
        raise IdTokenRefused(REFUSED_AUDIENCE, "audience") from e
    except jwt.InvalidIssuerError as e:
        raise IdTokenRefused(REFUSED_ISSUER, "issuer") from e
    except jwt.PyJWTError as e:
        raise IdTokenRefused(REFUSED_MALFORMED, "malformed") from e
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise IdTokenRefused(REFUSED_AUDIENCE, "audience")
    if not nonce or not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise IdTokenRefused(REFUSED_NONCE, "nonce")
    return claims


def provider_asserted_mfa(
    *, claims: Mapping[str, Any], trusted_acr: Iterable[str], trusted_amr: Iterable[str]
) -> bool:
    """Whether the provider says, in a verified ID token, that this sign-in used more than one factor, in terms the
    operator chose to trust (OIDC_TRUSTED_MFA_ACR: an `acr` value; OIDC_TRUSTED_MFA_AMR: any one of these among the
    `amr` values, RFC 8176). Both empty, the default: never, and the portal asks its own second factor."""
    acr = claims.get("acr")
    if isinstance(acr, str) and acr in set(trusted_acr):
        return True
    amr = claims.get("amr")
    return isinstance(amr, list) and bool(
        set(trusted_amr) & {value for value in amr if isinstance(value, str)}
    )
