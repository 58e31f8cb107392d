"""Sign-in through a real OpenID Connect provider in a browser (tests/oidc_provider/, a separate process started
once per session): the portal's "Alberta.ca Account" button, the provider's own sign-in page, back to the portal,
the portal's second factor as the MFA policy says, home, and signing out at both ends. axe-core checks every portal
page on the way (the provider's pages are the provider's)."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.test_sign_in_journeys import set_up_authenticator
from tests.oidc_provider import people

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROVIDER_STEP = re.compile(r"/auth/oidc/[^/]+/login/(\?.*)?$")


@pytest.fixture
def provider(oidc_portal, page_watcher):
    page_watcher.allow(oidc_portal.origin)
    return oidc_portal


def through_the_provider(page, live_server, provider, axe_check, email):
    """From the portal's sign-in page to the provider's and back, signed in there as `email`."""
    page.goto(f"{live_server.url}/auth/login/")
    axe_check(page)
    page.get_by_role("link", name="Alberta.ca Account").click()
    page.wait_for_url(PROVIDER_STEP)
    axe_check(page)  # allauth's "continue to the provider" step, in the portal's design
    with page.expect_navigation(url=f"{provider.origin}/accounts/login/**"):
        page.locator("main form button[type=submit]").first.click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(people.PASSWORD)
    with page.expect_navigation(url=f"{live_server.url}/**"):
        page.get_by_role("button", name="Sign in").click()


def sign_out_at_both_ends(page, live_server, provider, axe_check, *, check_provider=True):
    with page.expect_navigation(url=f"{live_server.url}/auth/oidc/signed-out/"):
        page.get_by_role("button", name="Sign out").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    axe_check(page)
    if not check_provider:
        return
    # Signed out at the provider too: signing in again asks for the provider's password again.
    page.goto(f"{live_server.url}/auth/login/")
    page.get_by_role("link", name="Alberta.ca Account").click()
    page.wait_for_url(PROVIDER_STEP)
    with page.expect_navigation(url=f"{provider.origin}/accounts/login/**"):
        page.locator("main form button[type=submit]").first.click()
    expect(page.get_by_label("Password")).to_be_visible()


def test_a_new_person_signs_in_through_the_provider_sets_up_the_second_factor_and_signs_out(
    page, live_server, provider, axe_check
):
    through_the_provider(page, live_server, provider, axe_check, "jo.journey@example.ca")

    set_up_authenticator(page, axe_check)  # the default policy: the portal's own second factor, always
    assert urlsplit(page.url).path == "/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jo Journey")
    axe_check(page)
    assert User.objects.get(email="jo.journey@example.ca").socialaccount_set.count() == 1

    sign_out_at_both_ends(page, live_server, provider, axe_check)


def test_a_person_whose_provider_asserts_multi_factor_goes_straight_home_when_the_policy_trusts_it(
    page, live_server, provider, axe_check, settings
):
    settings.OIDC_TRUSTED_MFA_ACR = [people.ACR_MULTI_FACTOR]

    through_the_provider(page, live_server, provider, axe_check, "max.journey@example.ca")

    assert urlsplit(page.url).path == "/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Max Journey")
    axe_check(page)

    sign_out_at_both_ends(page, live_server, provider, axe_check, check_provider=False)
