"""Journeys through an account's details in a real browser: an owner sets up direct deposit with a fresh
two-factor code (a wrong code first), updates the mailing address and adds a contact person; a visitor reads
a program's help. axe-core checks every page, error pages included."""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django_otp.oath import totp
from playwright.sync_api import expect

from programs.models import AccountChange, Address, Contact, DirectDeposit
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import ProgramAccountFactory, owner_grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KEY = "3132333435363738393031323334353637383930"


def _unused_code(user) -> str:
    """A code the device takes now: of a step after the one the sign-in used (django-otp refuses a step already
    used) and at its drift's step or the one after, so it still passes if the server's clock is one step on.
    django-otp moves the drift when the sign-in's code was computed in the step before the server checked it
    (a step boundary crossed under load); a fixed "next step" code then fell outside its tolerance."""
    device = user.totpdevice_set.get()
    while True:
        now = int(time.time()) // 30
        step = max(device.last_t + 1, now + device.drift)
        if step <= now + device.drift + 1:
            return f"{totp(bytes.fromhex(KEY), step=30, t0=0, digits=6, drift=step - now):06d}"
        time.sleep(0.5)


@pytest.fixture
def owner_and_account(db):
    account = ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.")
    owner = UserFactory(two_factor=False, full_name="Olivia Owner", email="olivia@example.ca")
    owner.totpdevice_set.create(name="Authenticator app", key=KEY, confirmed=True)
    owner_grant(account=account, user=owner)
    co_owner = UserFactory(email="oscar@example.ca")
    owner_grant(account=account, user=co_owner)
    return owner, account


def test_owner_sets_up_direct_deposit_with_two_factor_confirmation(
    page, live_server, axe_check, sign_in, owner_and_account
):
    owner, account = owner_and_account
    sign_in(page, live_server, owner.email, PASSWORD, KEY, axe=False)
    page.goto(f"/accounts/{account.number}/")
    page.get_by_role("navigation", name="Account menu").get_by_role(
        "link", name="Manage Direct Deposit"
    ).click()
    expect(page.get_by_test_id("refunds-by-cheque")).to_contain_text("10020 100 Street NW")
    axe_check(page)

    page.get_by_role("link", name="Set up direct deposit").click()
    axe_check(page)
    page.get_by_label("Institution number").fill("001")
    page.get_by_label("Transit (branch) number").fill("12345")
    page.get_by_label("Account number", exact=True).fill("9876543210")
    page.get_by_label("Account number again").fill("9876543210")
    page.get_by_label("Name of the account holder").fill("Prairie Fuels Ltd.")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Save direct deposit").click()

    expect(page.locator("#id_otp_token_error")).to_contain_text("That code is not correct")
    expect(page.get_by_label("Institution number")).to_have_value("001")
    expect(page.get_by_label("Account number", exact=True)).to_have_value("")
    axe_check(page)
    assert not DirectDeposit.objects.exists()

    page.wait_for_timeout(1100)  # the throttle after one wrong code lasts one second
    page.get_by_label("Account number", exact=True).fill("9876543210")
    page.get_by_label("Account number again").fill("9876543210")
    page.get_by_label("Code from your authenticator app").fill(_unused_code(owner))
    page.get_by_role("button", name="Save direct deposit").click()

    page.wait_for_url(re.compile(r"/direct-deposit/$"))
    expect(page.get_by_role("status")).to_contain_text("bank account ending in 3210")
    expect(page.get_by_test_id("direct-deposit")).to_contain_text("ending in 3210")
    assert "9876543210" not in page.content()
    axe_check(page)
    assert DirectDeposit.objects.get(account=account).account_number_last4 == "3210"
    told = [m for m in mail.outbox if "direct deposit was set up" in m.body]
    assert sorted(told[0].to) == ["olivia@example.ca", "oscar@example.ca"]
    assert "9876543210" not in told[0].body

    page.get_by_role("link", name="Remove direct deposit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove direct deposit?")
    axe_check(page)


def test_owner_updates_the_mailing_address_and_adds_a_contact(
    page, live_server, axe_check, sign_in, owner_and_account
):
    owner, account = owner_and_account
    sign_in(page, live_server, owner.email, PASSWORD, KEY, axe=False)
    page.goto(f"/accounts/{account.number}/")
    page.get_by_role("navigation", name="Account menu").get_by_role(
        "link", name="View/Update Contact Information"
    ).click()
    axe_check(page)

    page.get_by_role("link", name="Change the mailing address").click()
    page.get_by_label("Postal code").fill("V6B 1A1")
    page.get_by_role("button", name="Save the address").click()
    expect(page.locator("#id_postal_code_error")).to_contain_text("Postal codes in Alberta start with T")
    axe_check(page)
    page.get_by_label("City or town").fill("Red Deer")
    page.get_by_label("Postal code").fill("t4n6e5")
    page.get_by_role("button", name="Save the address").click()
    page.wait_for_url(re.compile(r"/contact-information/$"))
    expect(page.get_by_role("status")).to_contain_text("Mailing address saved")
    expect(page.locator("address").first).to_contain_text("T4N 6E5")

    page.get_by_role("link", name="Add a contact person").click()
    axe_check(page)
    page.get_by_label("Full name").fill("Carla Controller")
    page.get_by_label("Phone").fill("780 555 0123")
    page.get_by_role("button", name="Save the contact person").click()
    page.wait_for_url(re.compile(r"/contact-information/$"))
    expect(page.get_by_test_id("contact-row")).to_contain_text("780-555-0123")
    axe_check(page)

    assert Address.objects.get(account=account, kind="mailing").postal_code == "T4N 6E5"
    assert Contact.objects.get(account=account).is_primary
    assert AccountChange.objects.filter(account=account).count() == 2


def test_a_visitor_reads_the_help_of_a_program(page, live_server, axe_check, db):
    page.goto(f"{live_server.url}/help/")
    axe_check(page)
    page.get_by_role("link", name="Fuel Tax", exact=True).click()
    assert urlsplit(page.url).path == "/help/fuel_tax/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Fuel Tax in TRACS")
    axe_check(page)
