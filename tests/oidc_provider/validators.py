"""What the test provider says about a person: the standard claims from its test people (people.py), `acr` and
`amr` in the ID token, and, for the people made to misbehave, an ID token that fails one of the relying party's
checks."""

import json
import time

from django.db import router, transaction
from jwcrypto import jwk, jwt
from oauth2_provider.models import IDToken
from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.oidc_provider import people

# Another key than the provider's: a token signed with it, under the provider's key id, has a wrong signature.
_FORGER = jwk.JWK.generate(kty="RSA", size=2048)


class ProviderValidator(OAuth2Validator):
    oidc_claim_scope = {
        "sub": "openid",
        "email": "email",
        "email_verified": "email",
        "name": "profile",
        "given_name": "profile",
        "family_name": "profile",
    }

    def get_additional_claims(self, request):
        person = people.person(request.user.username)
        return {
            "email": person.email,
            "email_verified": person.email_verified,
            "name": person.name,
            "given_name": person.given_name,
            "family_name": person.family_name,
        }

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        person = people.person(request.user.username)
        claims["acr"] = person.acr
        claims["amr"] = list(person.amr)
        return claims, expiration_time

    def finalize_id_token(self, id_token, token, token_handler, request):
        """django-oauth-toolkit's own, with the misbehaviours applied to the claims or the signing key."""
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        key = request.client.jwk_key
        misbehaviour = people.person(request.user.username).misbehaviour
        if misbehaviour == people.WRONG_AUDIENCE:
            id_token["aud"] = "another-client"
        elif misbehaviour == people.WRONG_NONCE:
            id_token["nonce"] = "a-nonce-the-portal-never-sent"
        elif misbehaviour == people.EXPIRED:
            now = int(time.time())
            id_token.update(iat=now - 3600, exp=now - 1800, auth_time=now - 3600)
        elif misbehaviour == people.WRONG_SIGNATURE:
            key = _FORGER
        header = {"typ": "JWT", "alg": request.client.algorithm, "kid": request.client.jwk_key.thumbprint()}
        signed = jwt.JWT(header=json.dumps(header), claims=json.dumps(id_token, default=str))
        signed.make_signed_token(key)
        with transaction.atomic(using=router.db_for_write(IDToken)):
            saved = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = saved
        request.id_token = saved
        return signed.serialize()
