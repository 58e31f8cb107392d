"""Sign-in through a real OpenID Connect provider (tests/oidc_provider/, started once per session): the portal's
side through Django's test client, the provider's side through HTTP, as a browser would go between them.

Discovery, the authorization code with PKCE and a nonce, the ID token's checks, linking or creating the person,
the MFA policy, signing out at both ends, and a provider that is down."""

from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.models import AccessLogEntry, User
from accounts.oidc import tokens
from accounts.oidc.errors import UNAVAILABLE
from tests.accounts.factories import UserFactory
from tests.oidc_provider import people
from tests.oidc_provider.fixture import free_port
from tests.oidc_provider.server import PROVIDER_ID

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("openid_connect_login", kwargs={"provider_id": PROVIDER_ID})


def start(client):
    """The portal's sign-in button: a POST that redirects to the provider's authorization endpoint."""
    response = client.post(LOGIN_URL)
    assert response.status_code == 302, response.content
    return response["Location"]


def at_provider(authorize_url, email, browser=None):
    """The person signs in at the provider, which sends them back to the portal's callback: its path and query."""
    browser = browser or requests.Session()
    page = browser.get(authorize_url, timeout=10)  # the provider's sign-in page (not signed in there yet)
    answer = browser.post(
        page.url,
        data={
            "username": email,
            "password": people.PASSWORD,
            "next": parse_qs(urlsplit(page.url).query)["next"][0],
            "csrfmiddlewaretoken": browser.cookies["provider_csrftoken"],
        },
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    back = browser.get(
        urljoin(page.url, answer.headers["Location"]), allow_redirects=False, timeout=10
    )  # authorize, signed in
    callback = urlsplit(back.headers["Location"])
    assert callback.netloc == "testserver", back.headers["Location"]
    return f"{callback.path}?{callback.query}"


def sign_in(client, email, browser=None):
    return client.get(at_provider(start(client), email, browser))


def signed_in_user(client):
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def test_the_authorization_request_uses_pkce_and_a_nonce(client, oidc_portal):
    query = parse_qs(urlsplit(start(client)).query)

    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["nonce"][0]) >= 32
    assert set(query["scope"][0].split()) == {"openid", "profile", "email"}


def test_first_sign_in_creates_the_person_and_asks_for_the_portals_second_factor(client, oidc_portal):
    response = sign_in(client, "pat.password@example.ca")

    person = User.objects.get(email="pat.password@example.ca")
    assert signed_in_user(client) == person
    assert person.full_name == "Pat Password"  # from the provider's name claim
    assert EmailAddress.objects.filter(user=person, email=person.email, verified=True).exists()
    assert SocialAccount.objects.filter(user=person, provider=PROVIDER_ID).count() == 1
    assert client.get(response["Location"]).url.startswith(reverse("two_factor_setup"))
    assert client.get(reverse("home")).url.startswith(reverse("two_factor_setup"))


def test_a_verified_email_links_to_the_existing_person(client, oidc_portal):
    lin = UserFactory(email="lin.linked@example.ca")  # with a verified address and an authenticator

    sign_in(client, lin.email)

    assert signed_in_user(client) == lin
    assert User.objects.filter(email=lin.email).count() == 1
    assert SocialAccount.objects.get(provider=PROVIDER_ID).user == lin
    assert client.get(reverse("home")).url.startswith(reverse("two_factor_verify"))  # lin's own authenticator


def test_linking_to_an_address_tracs_never_confirmed_locks_out_whoever_registered_it(client, oidc_portal):
    """Someone may have registered the victim's address in TRACS without confirming it, knowing the password: the
    provider's verified claim links the account to the address's owner, wipes that password (allauth), and the
    portal's own confirmation e-mail comes before any sign-in."""
    squatted = UserFactory(email="lin.linked@example.ca")
    EmailAddress.objects.filter(user=squatted).update(verified=False)

    response = sign_in(client, squatted.email)

    squatted.refresh_from_db()
    assert not squatted.has_usable_password()
    assert SocialAccount.objects.get().user == squatted
    assert response.url == reverse("account_email_verification_sent")
    assert signed_in_user(client) is None


def test_an_unverified_email_claim_never_links_to_the_person_who_has_it(client, oidc_portal):
    una = UserFactory(email="una.unverified@example.ca")

    response = sign_in(client, una.email)

    assert response.status_code == 409
    assert "did not confirm that the address is yours" in response.content.decode()
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists()
    assert User.objects.filter(email=una.email).count() == 1


def test_a_staff_account_is_never_linked_by_email(client, oidc_portal):
    UserFactory(email="lin.linked@example.ca", is_staff=True)

    response = sign_in(client, "lin.linked@example.ca")

    assert response.status_code == 409
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists()


def test_an_unverified_email_claim_for_a_new_person_waits_for_the_portals_own_confirmation(
    client, oidc_portal
):
    response = sign_in(client, "una.unverified@example.ca")

    assert response.url == reverse("account_email_verification_sent")
    assert signed_in_user(client) is None
    assert not EmailAddress.objects.filter(email="una.unverified@example.ca", verified=True).exists()


def test_by_default_the_providers_multi_factor_does_not_replace_the_portals(client, oidc_portal):
    sign_in(client, "mona.multifactor@example.ca")  # amr ["pwd", "otp"], acr meaning two factors

    assert client.get(reverse("home")).url.startswith(reverse("two_factor_setup"))


@pytest.mark.parametrize(
    ("setting", "values"),
    [("OIDC_TRUSTED_MFA_ACR", [people.ACR_MULTI_FACTOR]), ("OIDC_TRUSTED_MFA_AMR", ["otp", "hwk"])],
)
def test_a_trusted_multi_factor_assertion_replaces_the_portals_second_factor(
    client, oidc_portal, settings, setting, values
):
    setattr(settings, setting, values)

    sign_in(client, "mona.multifactor@example.ca")

    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "Mona Multifactor" in home.content.decode()


def test_a_password_only_sign_in_still_needs_the_portals_second_factor_under_the_policy(
    client, oidc_portal, settings
):
    settings.OIDC_TRUSTED_MFA_ACR = [people.ACR_MULTI_FACTOR]
    settings.OIDC_TRUSTED_MFA_AMR = ["otp"]

    sign_in(client, "pat.password@example.ca")  # acr urn:alberta:loa:1, amr ["pwd"]

    assert client.get(reverse("home")).url.startswith(reverse("two_factor_setup"))


def test_staff_always_need_the_portals_second_factor():
    claims = {"acr": people.ACR_MULTI_FACTOR, "amr": ["pwd", "otp"]}
    from accounts.oidc.session import mfa_trusted

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.OIDC_TRUSTED_MFA_ACR", [people.ACR_MULTI_FACTOR], raising=False)
        assert mfa_trusted(user=User(is_staff=False), claims=claims)
        assert not mfa_trusted(user=User(is_staff=True), claims=claims)
        assert not mfa_trusted(user=User(is_superuser=True), claims=claims)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("eve.signature@example.ca", tokens.REFUSED_SIGNATURE),
        ("eve.audience@example.ca", tokens.REFUSED_AUDIENCE),
        ("eve.nonce@example.ca", tokens.REFUSED_NONCE),
        ("eve.expired@example.ca", tokens.REFUSED_EXPIRED),
    ],
)
def test_a_bad_id_token_from_the_provider_is_refused_and_nobody_is_signed_in(
    client, oidc_portal, email, message
):
    response = sign_in(client, email)

    assert response.status_code == 400
    page = response.content.decode()
    assert "You have not been signed in" in page
    assert str(message).replace("'", "&#x27;") in page
    assert signed_in_user(client) is None
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()
    event = AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.SECURITY)
    assert event.action == "OpenID Connect ID token refused"
    assert event.detail.endswith(email.split("@")[0].removeprefix("eve."))
    assert "code=" not in event.path


def test_a_callback_without_its_sign_in_is_refused(client, oidc_portal):
    path = at_provider(start(client), "pat.password@example.ca")
    client.logout()  # a new session: the state this sign-in stashed is gone

    response = client.get(path)

    assert response.status_code == 400
    assert "did not complete" in response.content.decode()
    assert not User.objects.exists()


def test_signing_out_signs_out_at_the_provider_too(client, oidc_portal, settings):
    settings.OIDC_TRUSTED_MFA_ACR = [people.ACR_MULTI_FACTOR]
    browser = requests.Session()
    sign_in(client, "mona.multifactor@example.ca", browser)

    response = client.post(reverse("account_logout"))

    end_session = urlsplit(response["Location"])
    query = parse_qs(end_session.query)
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{oidc_portal.issuer}/logout/"
    assert query["post_logout_redirect_uri"] == ["http://testserver/auth/oidc/signed-out/"]
    assert signed_in_user(client) is None
    back = browser.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.headers["Location"] == "http://testserver/auth/oidc/signed-out/"
    signed_out = client.get(urlsplit(back.headers["Location"]).path)
    assert "You have signed out" in signed_out.content.decode()
    # Signed out there too: the next sign-in asks for the password at the provider again.
    again = browser.get(start(client), allow_redirects=False, timeout=10)
    assert urlsplit(again.headers["Location"]).path == "/accounts/login/"


def test_a_local_sign_out_stays_in_the_portal(client, user):
    client.force_login(user)

    response = client.post(reverse("account_logout"))

    assert response["Location"] == "/"


def test_a_provider_that_is_down_gives_a_clear_page(client, oidc_portal, settings):
    down = f"http://127.0.0.1:{free_port()}/o"  # nothing listens there
    app = {**oidc_portal.app_settings(), "settings": {"server_url": down}}
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": [app]}
    }

    response = client.post(LOGIN_URL)

    assert response.status_code == 503
    page = response.content.decode()
    assert str(UNAVAILABLE % {"provider": "Alberta.ca Account"}) in page
    assert "Sign in another way" in page
    assert reverse("account_login") in page


def test_a_token_endpoint_that_is_down_gives_the_same_page(client, oidc_portal, settings):
    down = f"http://127.0.0.1:{free_port()}/o/token/"
    app = oidc_portal.app_settings(openid_configuration_overrides={"token_endpoint": down})
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": [app]}
    }

    response = sign_in(client, "pat.password@example.ca")

    assert response.status_code == 503
    assert "sign-in is unavailable right now" in response.content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.exists()
