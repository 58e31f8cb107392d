"""Sign-in journeys in a real browser: each demo person signs in with a computed TOTP code and reaches their
home page; a new person sets up an authenticator; the layout holds on a phone. axe-core checks every page.

Each test seeds its own people (the database is emptied between live-server tests), so no TOTP time step
is ever used twice for one device.
"""

import base64
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accounts import demo
from accounts.roles import ROLES_BY_KEY
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("key", [person.key for person in demo.PEOPLE])
def test_demo_person_signs_in_and_reaches_home(page, live_server, axe_check, sign_in, key):
    demo.seed()
    person = next(p for p in demo.PEOPLE if p.key == key)

    sign_in(page, live_server, person.email, demo.DEMO_PASSWORD, demo.totp_key_hex(person.email))

    assert urlsplit(page.url).path == "/"
    expect(page.get_by_role("heading", level=1)).to_contain_text(person.full_name)
    expect(page.locator(".portal-header__name")).to_contain_text(person.full_name)
    axe_check(page)
    if person.is_staff:
        page.get_by_role("link", name="TRA staff administration").click()
        page.wait_for_url(re.compile(r"/admin/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Tax and Revenue Administration")
        # A role holder, not a superuser: the index names the roles (docs/staff-roles.md).
        names = [ROLES_BY_KEY[role].name for role in person.staff_roles]
        expect(page.locator(".staff-roles")).to_have_text(f"Your staff roles: {', '.join(names)}")
        axe_check(page)


def set_up_authenticator(page, axe_check):
    """From the two-factor set-up page: read the secret, confirm a code, keep the backup codes, go on."""
    from django_otp.oath import totp

    assert urlsplit(page.url).path == "/two-factor/setup/"
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    axe_check(page)
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    code = f"{totp(base64.b32decode(secret), step=30, t0=0, digits=6):06d}"
    page.fill("input[name=token]", code)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()

    assert urlsplit(page.url).path == "/two-factor/backup-codes/"
    codes = page.get_by_test_id("backup-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    assert all(re.fullmatch(r"[a-z0-9]{10}", code) for code in codes)
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="I have saved my codes, continue").click()


def password_sign_in(page, live_server, email):
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


def test_new_person_sets_up_authenticator_then_reaches_home(page, live_server, axe_check, sign_in):
    user = UserFactory(two_factor=False)

    password_sign_in(page, live_server, user.email)
    set_up_authenticator(page, axe_check)

    assert urlsplit(page.url).path == "/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    axe_check(page)
    user.refresh_from_db()
    assert user.totpdevice_set.get().confirmed


def test_new_person_signs_up_with_their_name_and_verifies_through_the_demo_mail(
    page, live_server, axe_check, settings, tmp_path
):
    """What a new person does under `make run`: sign up with their name, open the verification e-mail in the
    demo's mail catcher (/dev/mail/), confirm, sign in, set up an authenticator and be greeted by name."""
    from django.core.cache import cache

    cache.clear()  # allauth's sign-up limit per address
    settings.TRACS_DEV_MAIL = True
    settings.TRACS_DEV_MAIL_DIR = tmp_path / "mail"
    settings.EMAIL_BACKEND = "tracs.dev_mail.EmailBackend"

    page.goto(f"{live_server.url}/auth/signup/")
    axe_check(page)
    page.get_by_label("Full name").fill("  Jeanne Marie Tremblay ")
    page.get_by_label("Email").fill("jeanne@example.ca")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert urlsplit(page.url).path == "/auth/confirm-email/"

    page.goto(f"{live_server.url}/dev/mail/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Confirm Your Email Address")).click()
    axe_check(page)
    with page.expect_navigation():
        page.locator("main pre a[href*='/auth/confirm-email/']").click()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()

    password_sign_in(page, live_server, "jeanne@example.ca")
    set_up_authenticator(page, axe_check)
    assert urlsplit(page.url).path == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Jeanne Marie Tremblay")
    axe_check(page)


def test_home_fits_a_phone_screen(page, live_server, axe_check, sign_in):
    user = UserFactory(two_factor=False)
    key = "3132333435363738393031323334353637383930"
    user.totpdevice_set.create(name="Authenticator app", key=key, confirmed=True)
    page.set_viewport_size({"width": 375, "height": 667})

    sign_in(page, live_server, user.email, PASSWORD, key)

    assert urlsplit(page.url).path == "/"
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], (
        f"home scrolls sideways on a phone: content {widths[0]}px wide in a {widths[1]}px screen"
    )
    axe_check(page)
