"""Online registration in a real browser (issue 4, "Show"): a person with no account registers a business for
Fuel Tax (a bad postal code on the way, a second location added without JavaScript, a draft saved and
continued), sends it and gets a reference number -> staff find it in the admin queue and approve it -> the
registrant sees the accounts on home as owner and downloads the approval letter from the account's documents.
axe-core on every page visited (admin pages with the known findings in Django's own markup).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts import demo
from programs.models import BulkFuelLocation, Registration
from tests.e2e.test_access_journeys import _admin_axe_check, pdf_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REFERENCE = re.compile(r"REG-\d{4}-\d{6}")


def _path(page: Page) -> str:
    return urlsplit(page.url).path


def _sign_in_as(sign_in, page: Page, live_server, user) -> None:
    sign_in(page, live_server, user.email, demo.DEMO_PASSWORD, demo.totp_key_hex(user.email))


def _click(page: Page, role: str, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role(role, name=name).first.click()


@pytest.mark.pdf  # reads the new account's numbers from the letter's text
def test_register_for_fuel_tax_staff_approve_registrant_sees_account_and_letter(
    page, new_page, live_server, sign_in, axe_check
):
    users = demo.seed()
    person = users["employee"]  # a person with no account yet
    registrant = page
    _sign_in_as(sign_in, registrant, live_server, person)
    expect(registrant.get_by_text("You do not have access to any program account yet.")).to_be_visible()
    axe_check(registrant)

    # Home -> Online Registration -> the Program Name menu.
    _click(registrant, "link", "Online Registration")
    assert _path(registrant) == "/registration/"
    axe_check(registrant)
    _click(registrant, "link", "Start a new registration")
    expect(registrant.get_by_role("heading", name="Other programs")).to_be_visible()
    expect(registrant.get_by_text("AT4804")).to_be_visible()
    axe_check(registrant)
    registrant.get_by_label("Fuel Tax").check()
    _click(registrant, "button", "Start")
    assert re.fullmatch(r"/registration/\d+/business/", _path(registrant))
    axe_check(registrant)

    # Part 1, with a bad postal code first: the error is next to its field and the rest is kept.
    registrant.get_by_label("Legal name of the business").fill("Chinook Bulk Fuels Ltd.")
    registrant.get_by_label("Operating name").fill("Chinook Fuels")
    registrant.get_by_label("Type of business").select_option("corporation")
    registrant.get_by_label("Date the activities start (or started)").fill("2026-02-01")
    registrant.get_by_label("Mailing address line 1").fill("4920 50 Avenue")
    registrant.get_by_label("City or town").fill("Red Deer")
    registrant.get_by_label("Postal code").fill("T4N 4A")
    _click(registrant, "button", "Save and continue")
    expect(registrant.locator("#id_postal_code_error")).to_have_text(
        "Enter a postal code like T5J 0N3: letter, digit, letter, space, digit, letter, digit."
    )
    expect(registrant.get_by_label("Legal name of the business")).to_have_value("Chinook Bulk Fuels Ltd.")
    expect(registrant.locator(".error-summary")).to_be_focused()
    axe_check(registrant)
    registrant.get_by_label("Postal code").fill("t4n 4a1")
    _click(registrant, "button", "Save and continue")

    # Part 2: reasons, among them selling marked fuel (a TEFS account too).
    assert _path(registrant).endswith("/reasons/")
    axe_check(registrant)
    registrant.get_by_label("Import fuel into Alberta for resale").check()
    registrant.get_by_label("Sell fuel exempt from tax, including marked fuel").check()
    _click(registrant, "button", "Save and continue")

    # Part 3: two bulk fuel locations, the second row added without JavaScript.
    assert _path(registrant).endswith("/locations/")
    axe_check(registrant)
    registrant.locator("#id_locations-0-name").fill("Red Deer bulk plant")
    registrant.locator("#id_locations-0-line1").fill("7710 Edgar Industrial Drive")
    registrant.locator("#id_locations-0-city").fill("Red Deer")
    registrant.locator("#id_locations-0-postal_code").fill("T4P 3R2")
    registrant.locator("#id_locations-0-capacity_litres").fill("250,000")
    _click(registrant, "button", "Add another location")
    expect(registrant.locator("#id_locations-0-name")).to_have_value("Red Deer bulk plant")
    expect(registrant.get_by_role("group", name="Location 2")).to_be_visible()
    axe_check(registrant)
    registrant.locator("#id_locations-1-name").fill("Innisfail cardlock tanks")
    registrant.locator("#id_locations-1-line1").fill("NE-12-35-28-W4")
    registrant.locator("#id_locations-1-city").fill("Red Deer County")
    registrant.locator("#id_locations-1-capacity_litres").fill("60000")
    _click(registrant, "button", "Save and continue")

    # Part 4: contacts, then the draft is saved for later.
    assert _path(registrant).endswith("/contacts/")
    axe_check(registrant)
    registrant.locator("#id_contacts-0-name").fill("Casey Controller")
    registrant.locator("#id_contacts-0-title").fill("Controller")
    registrant.locator("#id_contacts-0-phone").fill("(403) 555-0142")
    registrant.locator("#id_contacts-0-email").fill("casey@chinook.example.ca")
    _click(registrant, "button", "Save and come back later")
    expect(registrant.get_by_role("status")).to_contain_text("Your draft registration is saved.")
    expect(registrant.get_by_test_id("registration-status")).to_have_text("Draft (not sent to TRA)")
    axe_check(registrant)

    # Continued from home: the next part still to do is banking.
    _click(registrant, "link", "Home")
    _click(registrant, "link", "Online Registration")
    expect(registrant.get_by_role("cell", name="Chinook Bulk Fuels Ltd.")).to_be_visible()
    _click(registrant, "link", "Continue")
    _click(registrant, "link", "Continue the registration")
    assert _path(registrant).endswith("/banking/")
    axe_check(registrant)
    registrant.get_by_label("By direct deposit to a bank account").check()
    registrant.get_by_label("Institution number").fill("001")
    registrant.get_by_label("Transit (branch) number").fill("12345")
    registrant.get_by_label("Account number", exact=True).fill("987654321")
    registrant.get_by_label("Account number again").fill("987654321")
    registrant.get_by_label("Name of the account holder").fill("Chinook Bulk Fuels Ltd.")
    _click(registrant, "button", "Save and continue")

    # Review and send: pending, with a reference number shown and e-mailed.
    assert _path(registrant).endswith("/review/")
    expect(registrant.get_by_text("ending in 4321")).to_be_visible()
    assert "987654321" not in registrant.content()
    axe_check(registrant)
    registrant.get_by_label("I certify that the information given").check()
    _click(registrant, "button", "Send the registration to TRA")
    expect(registrant.get_by_test_id("registration-status")).to_have_text("Pending review by TRA")
    reference = registrant.get_by_test_id("reference-number").inner_text().strip()
    assert REFERENCE.fullmatch(reference)
    expect(registrant.get_by_role("status")).to_contain_text(f"its reference number is {reference}")
    axe_check(registrant)
    received = [m for m in mail.outbox if m.to == [person.email] and reference in m.subject]
    assert len(received) == 1

    # Staff find it in the queue (filtered to pending), read it, and approve it.
    staff = new_page()
    _sign_in_as(sign_in, staff, live_server, users["staff"])
    staff.goto("/admin/programs/registration/")
    _admin_axe_check(staff)
    with staff.expect_navigation():
        staff.locator("#changelist-filter").get_by_role("link", name="Pending review by TRA").click()
    expect(staff.locator("#result_list")).to_contain_text(reference)
    _admin_axe_check(staff)
    with staff.expect_navigation():
        staff.get_by_role("link", name=reference).click()
    expect(staff.get_by_text("None given: approval allocates a new BIN.")).to_be_visible()
    expect(staff.get_by_text("Fuel Tax, Tax Exempt Fuel Sales (marked fuel)")).to_be_visible()
    _admin_axe_check(staff)
    staff.goto(f"/admin/programs/registration/?q={reference}")
    staff.locator("#action-toggle").check()
    staff.locator("select[name=action]").select_option("approve_registrations")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Go").click()
    expect(staff.locator(".messagelist")).to_contain_text(f"Registration {reference} approved")
    _admin_axe_check(staff)

    registration = Registration.objects.get(reference_number=reference)
    assert registration.status == Registration.Status.APPROVED
    assert registration.letter_issued_at is not None
    bin_ = registration.taxpayer.bin
    numbers = sorted(registration.accounts.values_list("number", flat=True))
    assert numbers == [f"{bin_}-01-001", f"{bin_}-02-001"]
    bflos = sorted(
        BulkFuelLocation.objects.filter(account__number=numbers[1]).values_list("number", flat=True)
    )
    assert len(bflos) == 2
    letter_mail = [
        m for m in mail.outbox if m.to == [person.email] and "approval letter is available" in m.subject
    ]
    assert len(letter_mail) == 1
    assert bin_ in letter_mail[0].body

    # The registrant: approved, the accounts on home with role owner, the letter in the account's documents.
    registrant.reload()
    expect(registrant.get_by_test_id("registration-status")).to_have_text("Approved")
    expect(registrant.get_by_text(f"Business Identification Number (BIN): {bin_}")).to_be_visible()
    axe_check(registrant)
    _click(registrant, "link", "Home")
    rows = registrant.locator("table.accounts-list tbody tr")
    expect(rows).to_have_count(2)
    for row, number in zip(rows.all(), numbers, strict=True):
        expect(row).to_contain_text(number)
        expect(row).to_contain_text("Chinook Bulk Fuels Ltd.")
        expect(row.locator("td").nth(3)).to_have_text("Account owner")
    axe_check(registrant)
    _click(registrant, "link", numbers[1])
    expect(registrant.get_by_text(bflos[0])).to_be_visible()
    axe_check(registrant)
    _click(registrant, "link", "Submit Documents")
    letter_row = registrant.get_by_test_id("document-row")
    expect(letter_row).to_have_count(1)
    expect(letter_row).to_contain_text("Letter from TRA")
    axe_check(registrant)
    with registrant.expect_download() as download:
        letter_row.get_by_role("link", name=f"approval-letter-{reference}.pdf").click()
    letter = Path(download.value.path()).read_bytes()
    assert letter.startswith(b"%PDF-")
    text = pdf_text(letter)
    assert bin_ in text
    assert numbers[0] in text
    for bflo in bflos:
        assert bflo in text
