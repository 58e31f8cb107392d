"""The provider's test people, shared by the provider process (which creates them) and the portal's tests (which
sign in as them). `acr`/`amr` are what the provider asserts about how the person signed in; `misbehaviour` makes
the provider issue a bad ID token for that person, for the portal's refusals (tests/accounts/test_oidc_sign_in.py).
"""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD = "provider-password-1"  # noqa: S105 - a test provider's test people
CLIENT_ID = "tracs-portal"
CLIENT_SECRET = "tracs-portal-secret-for-tests-only"  # noqa: S105
# What this provider's `acr` says when the person passed two factors at the provider (the portal's tests trust it
# through OIDC_TRUSTED_MFA_ACR).
ACR_MULTI_FACTOR = "urn:alberta:loa:2fa"
ACR_PASSWORD = "urn:alberta:loa:1"

# Misbehaviours: each makes the ID token fail one check the relying party must make.
WRONG_SIGNATURE = "wrong-signature"  # signed by another key under the provider's key id
WRONG_AUDIENCE = "wrong-audience"  # issued to another client
WRONG_NONCE = "wrong-nonce"  # a nonce the portal never sent
EXPIRED = "expired"  # exp (and iat) in the past


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    given_name: str
    family_name: str
    email_verified: bool = True
    acr: str = ACR_PASSWORD
    amr: tuple[str, ...] = ("pwd",)
    misbehaviour: str = ""

    @property
    def username(self) -> str:
        return self.email


PEOPLE = (
    Person("pat.password@example.ca", "Pat Password", "Pat", "Password"),
    Person(
        "mona.multifactor@example.ca",
        "Mona Multifactor",
        "Mona",
        "Multifactor",
        acr=ACR_MULTI_FACTOR,
        amr=("pwd", "otp"),
    ),
    Person("una.unverified@example.ca", "Una Unverified", "Una", "Unverified", email_verified=False),
    Person("lin.linked@example.ca", "Lin Linked", "Lin", "Linked"),
    Person("eve.signature@example.ca", "Eve Signature", "Eve", "Signature", misbehaviour=WRONG_SIGNATURE),
    Person("eve.audience@example.ca", "Eve Audience", "Eve", "Audience", misbehaviour=WRONG_AUDIENCE),
    Person("eve.nonce@example.ca", "Eve Nonce", "Eve", "Nonce", misbehaviour=WRONG_NONCE),
    Person("eve.expired@example.ca", "Eve Expired", "Eve", "Expired", misbehaviour=EXPIRED),
    Person("jo.journey@example.ca", "Jo Journey", "Jo", "Journey"),
    Person(
        "max.journey@example.ca", "Max Journey", "Max", "Journey", acr=ACR_MULTI_FACTOR, amr=("pwd", "otp")
    ),
)
BY_EMAIL = {person.email: person for person in PEOPLE}


def person(email: str) -> Person:
    return BY_EMAIL[email]
