"""The ID token checks on their own (accounts.oidc.tokens), with tokens signed by keys made here: each refusal names
the check the token failed; the journeys through the real provider are in test_oidc_sign_in.py."""

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.oidc import tokens

ISSUER = "https://id.example.ca/o"
CLIENT_ID = "tracs-portal"
NONCE = "n-0S6_WzA2Mj"
PROVIDER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWKS = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(PROVIDER_KEY.public_key())), "kid": "k1"}]}


def token(*, key=PROVIDER_KEY, kid="k1", algorithm="RS256", **claims):
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "sub": "248289761001",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
    }
    body.update(claims)
    body = {name: value for name, value in body.items() if value is not None}
    return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid})


def check(id_token, nonce=NONCE):
    return tokens.id_token_claims(
        id_token=id_token, jwks=JWKS, issuer=ISSUER, client_id=CLIENT_ID, nonce=nonce
    )


def test_a_valid_token_gives_its_claims():
    assert check(token(acr="urn:alberta:loa:2fa"))["acr"] == "urn:alberta:loa:2fa"


def refused(id_token, nonce=NONCE):
    with pytest.raises(tokens.IdTokenRefused) as refusal:
        check(id_token, nonce)
    return refusal.value


@pytest.mark.parametrize(
    ("make_token", "code", "message"),
    [
        (lambda: token(key=OTHER_KEY), "signature", tokens.REFUSED_SIGNATURE),
        (lambda: token(kid="unknown"), "signature", tokens.REFUSED_SIGNATURE),
        (
            lambda: jwt.encode({"iss": ISSUER}, "the client secret", algorithm="HS256"),
            "signature",
            tokens.REFUSED_SIGNATURE,
        ),
        (lambda: jwt.encode({"iss": ISSUER}, "", algorithm="none"), "signature", tokens.REFUSED_SIGNATURE),
        (lambda: token(aud="another-client"), "audience", tokens.REFUSED_AUDIENCE),
        (
            lambda: token(aud=[CLIENT_ID, "another-client"], azp="another-client"),
            "audience",
            tokens.REFUSED_AUDIENCE,
        ),
        (lambda: token(nonce="replayed"), "nonce", tokens.REFUSED_NONCE),
        (lambda: token(nonce=None), "nonce", tokens.REFUSED_NONCE),
        (lambda: token(exp=int(time.time()) - 120), "expired", tokens.REFUSED_EXPIRED),
        (lambda: token(iat=int(time.time()) + 600), "expired", tokens.REFUSED_EXPIRED),
        (lambda: token(iss="https://elsewhere.example/o"), "issuer", tokens.REFUSED_ISSUER),
        (lambda: token(sub=None), "malformed", tokens.REFUSED_MALFORMED),
        (lambda: "not.a.token", "malformed", tokens.REFUSED_MALFORMED),
    ],
    ids=[
        "other key",
        "unknown key id",
        "HMAC",
        "unsigned",
        "other audience",
        "several audiences, other azp",
        "other nonce",
        "no nonce",
        "expired",
        "issued in the future",
        "other issuer",
        "no subject",
        "not a JWT",
    ],
)
def test_a_bad_token_is_refused_naming_the_check(make_token, code, message):
    # Made when the test runs, not when it is collected: a token minted at collection has expired by the time a
    # long suite reaches it, and would be refused for that instead of the check under test.
    refusal = refused(make_token())

    assert (refusal.code, refusal.message) == (code, message)


def test_a_token_is_refused_when_the_sign_in_sent_no_nonce():
    assert refused(token(), nonce=None).code == "nonce"


def test_several_audiences_with_the_portal_as_azp_are_accepted():
    assert check(token(aud=[CLIENT_ID, "api"], azp=CLIENT_ID))["sub"] == "248289761001"


def test_a_minute_of_clock_difference_is_allowed():
    assert check(token(exp=int(time.time()) - 30))["sub"] == "248289761001"


@pytest.mark.parametrize(
    ("claims", "trusted_acr", "trusted_amr", "asserted"),
    [
        ({"acr": "urn:alberta:loa:2fa"}, [], [], False),  # the default policy trusts nothing
        ({"acr": "urn:alberta:loa:2fa"}, ["urn:alberta:loa:2fa"], [], True),
        ({"acr": "urn:alberta:loa:1"}, ["urn:alberta:loa:2fa"], [], False),
        ({"amr": ["pwd", "otp"]}, [], ["otp", "hwk"], True),
        ({"amr": ["pwd"]}, [], ["otp", "hwk"], False),
        ({"amr": "otp"}, [], ["otp"], False),  # amr is a list (RFC 8176); a bare string is not read as one
        ({}, ["urn:alberta:loa:2fa"], ["otp"], False),
    ],
)
def test_the_mfa_policy(claims, trusted_acr, trusted_amr, asserted):
    assert (
        tokens.provider_asserted_mfa(claims=claims, trusted_acr=trusted_acr, trusted_amr=trusted_amr)
        is asserted
    )
