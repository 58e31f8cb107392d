"""A person's full name, as on their identity document: asked at sign-up (required, trimmed, limited in length),
filled from the identity provider's name claim for an OpenID Connect sign-up, asked of a person who has none
at their next sign-in and on the home page, and used to greet them: never their e-mail address."""

import pytest
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.core.cache import cache
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.adapters import SocialAccountAdapter
from accounts.models import FULL_NAME_MAX_LENGTH, FULL_NAME_REQUIRED, FULL_NAME_TOO_LONG, AccessLogEntry, User
from tests.accounts.factories import PASSWORD, UserFactory
from tests.conftest import sign_in


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # allauth's sign-up limit counts per address in the locmem cache
    yield
    cache.clear()


def sign_up(client, email, full_name):
    return client.post(
        "/auth/signup/",
        {"full_name": full_name, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def verified(user):
    """The person verified their address and set up an authenticator (as tests/e2e walks through)."""
    user.emailaddress_set.update(verified=True)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user


@pytest.mark.django_db
def test_the_signup_form_asks_for_the_name_on_the_identity_document_first(client):
    page = client.get("/auth/signup/").content.decode()
    assert 'name="full_name"' in page
    assert "as on your identity document" in page
    assert f'maxlength="{FULL_NAME_MAX_LENGTH}"' in page
    assert 'autocomplete="name"' in page
    assert page.index('name="full_name"') < page.index('name="email"')


@pytest.mark.django_db
@pytest.mark.parametrize("blank", ["", "   "])
def test_signing_up_without_a_name_says_so_next_to_the_field(client, blank):
    response = sign_up(client, "new.filer@example.ca", blank)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_full_name_error"' in page
    assert str(FULL_NAME_REQUIRED) in page
    assert not User.objects.filter(email="new.filer@example.ca").exists()


@pytest.mark.django_db
def test_a_name_longer_than_the_limit_is_refused(client):
    response = sign_up(client, "new.filer@example.ca", "A" * (FULL_NAME_MAX_LENGTH + 1))
    assert response.status_code == 200
    assert str(FULL_NAME_TOO_LONG % {"limit": FULL_NAME_MAX_LENGTH, "length": FULL_NAME_MAX_LENGTH + 1}) in (
        response.content.decode()
    )
    assert not User.objects.filter(email="new.filer@example.ca").exists()


@pytest.mark.django_db
def test_the_name_is_saved_trimmed_and_greets_the_person_on_home(client):
    response = sign_up(client, "new.filer@example.ca", "  Jeanne   Marie  Tremblay ")
    assert response.status_code == 302
    user = verified(User.objects.get(email="new.filer@example.ca"))
    assert user.full_name == "Jeanne Marie Tremblay"

    # A fresh client: without sign-up's flash message ("Confirmation e-mail sent to ...").
    home = sign_in(type(client)(), user).get(reverse("home")).content.decode()
    assert "Welcome, Jeanne Marie Tremblay</h1>" in home
    assert "new.filer@example.ca" not in home


@pytest.mark.django_db
@pytest.mark.parametrize(
    "claims",
    [
        {"email": "p@example.ca", "name": "  Pat  Lee ", "first_name": "Pat"},  # the name claim, trimmed
        {
            "email": "p@example.ca",
            "first_name": "Pat",
            "last_name": "Lee",
        },  # without it, given and family names
    ],
)
def test_an_identity_providers_name_claims_fill_the_name(claims):
    login = SocialLogin(user=User(), account=SocialAccount(provider="openid_connect"))
    user = SocialAccountAdapter().populate_user(None, login, claims)
    assert user.full_name == "Pat Lee"


@pytest.mark.django_db
def test_an_identity_provider_without_a_name_leaves_it_to_be_asked():
    login = SocialLogin(user=User(), account=SocialAccount(provider="openid_connect"))
    user = SocialAccountAdapter().populate_user(None, login, {"email": "p@example.ca"})
    assert user.full_name == ""


@pytest.fixture
def nameless(db):
    return UserFactory(full_name="", email="no.name@example.ca")


@pytest.mark.django_db
def test_a_person_without_a_name_is_asked_for_it_at_the_next_sign_in(client, nameless):
    response = client.post("/auth/login/", {"login": nameless.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("profile_name") + "?next=/"


@pytest.mark.django_db
def test_a_person_with_a_name_goes_home_after_sign_in(client, user):
    response = client.post("/auth/login/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_home_asks_a_person_without_a_name_for_it_and_never_greets_by_e_mail(client, nameless):
    home = sign_in(client, nameless).get(reverse("home")).content.decode()
    assert "<h1>Welcome</h1>" in home
    assert "Welcome, no.name@example.ca" not in home
    assert f'href="{reverse("profile_name")}"' in home


@pytest.mark.django_db
def test_the_name_page_saves_the_name_and_goes_on(client, nameless):
    sign_in(client, nameless)
    page = client.get(reverse("profile_name") + "?next=/").content.decode()
    assert 'name="full_name"' in page
    response = client.post(reverse("profile_name"), {"full_name": " Noor  Haddad ", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    nameless.refresh_from_db()
    assert nameless.full_name == "Noor Haddad"
    assert AccessLogEntry.objects.filter(actor=nameless, action="full name changed").exists()
    assert "Welcome, Noor Haddad</h1>" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_name_page_refuses_a_blank_name_next_to_the_field(client, nameless):
    sign_in(client, nameless)
    response = client.post(reverse("profile_name"), {"full_name": "  "})
    assert response.status_code == 400
    assert str(FULL_NAME_REQUIRED) in response.content.decode()
    nameless.refresh_from_db()
    assert nameless.full_name == ""


@pytest.mark.django_db
def test_the_name_page_never_sends_the_person_to_another_site(client, nameless):
    sign_in(client, nameless)
    response = client.post(
        reverse("profile_name"), {"full_name": "Noor Haddad", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_the_name_page_needs_a_sign_in(client):
    response = client.get(reverse("profile_name"))
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/")
