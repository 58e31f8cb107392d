"""Who may reach an account, in a real browser (issue 3, "Show"): every step through the pages staff and
taxpayers use, axe-core on every page visited.

1. Staff issue an enrolment PIN in Django admin and download the letter (the PIN is read from the PDF) ->
   the owner enrols -> adds an employee as delegate with two privileges and sees the one-time PIN once ->
   the employee enrols with it and sees exactly the granted functions (another function's address: 403)
   -> the owner revokes -> the employee's next request to the account is a 404.
2. Staff record an all-accounts consent (AT4931) in admin and approve it -> the representative's PIN
   arrives by e-mail -> the representative enrols with the taxpayer's BIN and sees every account of the
   taxpayer, with the consented privileges.

Portal pages get the strict `axe_check`, Django admin pages `_admin_axe_check`: just as strict (Django's own
admin markup is fixed by templates/admin/ and static/css/tracs-admin.css, static/js/tracs-admin.js).

Each person signs in once per test (django-otp refuses a TOTP code whose time step was already used). The
Celery jobs (letter, e-mails) run eagerly in the live server's thread (tests/conftest.py).
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import Page, expect

from accounts import demo
from accounts.models import Pin
from consent.menu import ACCOUNT_MENU
from consent.models import Consent, Grant
from consent.privileges import ALL, Privilege
from programs import demo as programs_demo
from programs.models import ProgramAccount, Taxpayer
from tests.e2e.conftest import check_accessibility

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PIN_PATTERN = re.compile(r"\b[2-9A-HJ-KMNP-Z]{4}-[2-9A-HJ-KMNP-Z]{4}-[2-9A-HJ-KMNP-Z]{4}\b")
PRAIRIE_BIN = "123456789"  # Prairie Fuels Ltd. (programs/demo.py): a fuel tax and a TEFS account


def _admin_axe_check(page: Page) -> None:
    """axe-core on a Django admin page: as strict as on the portal (0 serious or critical violations)."""
    check_accessibility(page)


def _people_and_accounts() -> dict:
    users = demo.seed()
    programs_demo.seed(users=users)
    return users


def _sign_in_as(sign_in, page: Page, live_server, user) -> None:
    sign_in(page, live_server, user.email, demo.DEMO_PASSWORD, demo.totp_key_hex(user.email))


def _path(page: Page) -> str:
    return urlsplit(page.url).path


def _menu(page: Page) -> list[str]:
    return [
        text.strip()
        for text in page.get_by_role("navigation", name="Account menu").get_by_role("link").all_inner_texts()
    ]


def _expected_menu(privileges, page: Page) -> list[str]:
    """The account menu a person holding `privileges` must see on the account `page` shows: every function of
    ACCOUNT_MENU (which later issues extend) that the account's program has and whose privilege is held, in
    menu order, and nothing else."""
    account = ProgramAccount.objects.get(number=_path(page).split("/")[2])
    held = {str(p) for p in privileges}
    items = []
    for item in sorted(ACCOUNT_MENU, key=lambda item: item.order):
        try:
            reverse(item.url_name, kwargs={"number": "123456789-01-001"})
        except NoReverseMatch:
            continue
        if str(item.privilege) in held and (item.applies is None or item.applies(account)):
            items.append(str(item.label))
    return items


def _admin_action(page: Page, *, changelist: str, search: str, action: str) -> None:
    """On an admin change list: search, tick every row found, run `action`."""
    page.goto(f"{changelist}?q={search}")
    _admin_axe_check(page)
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option(action)
    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()


def pdf_text(pdf: bytes) -> str:
    """The text of a WeasyPrint PDF, without a PDF library: inflate the streams, read the fonts' ToUnicode
    maps (glyph id -> character), and decode the hex strings of the text operators (Tj, TJ)."""
    # A stream is inflated from its first byte until zlib says it is whole: cutting it at "endstream" failed
    # whenever the compressed data happened to end in a carriage return (1 letter in 256, by its random PIN).
    streams = [
        zlib.decompressobj().decompress(pdf[match.end() :])
        for match in re.finditer(rb"/FlateDecode[^>]*>>\s*stream\r?\n", pdf)
    ]
    glyphs: dict[bytes, str] = {}
    for stream in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
            for glyph, code in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                character = bytes.fromhex(code.decode()).decode("utf-16-be")
                # The letter's fonts are all DejaVu, whose glyph ids agree; stop if that ever changes.
                assert glyphs.setdefault(glyph.lower(), character) == character, "fonts disagree on a glyph"
    lines = []
    for stream in streams:
        for array, single in re.findall(rb"\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj", stream, re.S):
            strings = re.findall(rb"<([0-9a-fA-F]*)>", array) if array else [single]
            lines.append(
                "".join(
                    glyphs.get(s[i : i + 4].lower(), "\ufffd") for s in strings for i in range(0, len(s), 4)
                )
            )
    return "\n".join(lines)


# --- 1. Enrolment PIN -> owner -> delegate -> revoked ------------------------------------------------------


@pytest.mark.pdf  # reads the account number and the PIN from the letter's text
def test_staff_pin_owner_enrols_adds_delegate_who_enrols_then_is_revoked(
    page, new_page, live_server, sign_in, axe_check
):
    users = _people_and_accounts()
    account = ProgramAccount.objects.select_related("taxpayer").get(
        taxpayer__bin=PRAIRIE_BIN, program__code="fuel_tax"
    )
    number = account.number

    # Staff issue an enrolment PIN from the program accounts list; the letter is prepared by the Celery job.
    staff = page
    _sign_in_as(sign_in, staff, live_server, users["staff"])
    _admin_action(
        staff,
        changelist="/admin/programs/programaccount/",
        search=number,
        action="issue_enrolment_pin",
    )
    expect(staff.locator(".messagelist")).to_contain_text(
        f"The enrolment letter for account {number} is being prepared"
    )
    _admin_axe_check(staff)
    with staff.expect_navigation():
        staff.get_by_role("link", name="Open the PIN list").click()
    _admin_axe_check(staff)
    with staff.expect_navigation():
        staff.get_by_role("link", name="Download letter").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Download the enrolment letter")
    _admin_axe_check(staff)
    with staff.expect_download() as download:
        staff.get_by_role("button", name="Download the letter (PDF)").click()
    assert download.value.suggested_filename == f"enrolment-letter-{number}.pdf"
    letter = Path(download.value.path()).read_bytes()
    assert letter.startswith(b"%PDF-")
    text = pdf_text(letter)
    assert number in text
    assert account.taxpayer.legal_name in text
    pins_in_letter = PIN_PATTERN.findall(text)
    assert len(pins_in_letter) == 1, text
    enrolment_pin = pins_in_letter[0]
    # Handed out once: the letter is gone from the database, and the PIN is stored only as a hash.
    stored = Pin.objects.get(account_number=number, purpose=Pin.Purpose.ENROLMENT)
    assert stored.letter_pdf_encrypted is None
    assert stored.letter_downloaded_at is not None
    assert enrolment_pin.replace("-", "") not in stored.pin_hash

    # The owner enrols with the letter's account number and PIN.
    owner = new_page()
    _sign_in_as(sign_in, owner, live_server, users["owner"])
    with owner.expect_navigation():
        owner.get_by_role("link", name="Account Enrolment").first.click()
    assert _path(owner) == "/enrol/"
    axe_check(owner)
    owner.get_by_label("Account number or BIN").fill(number)
    owner.get_by_label("PIN", exact=True).fill(enrolment_pin.lower().replace("-", " "))  # as typed
    with owner.expect_navigation():
        owner.get_by_role("button", name="Enrol").click()
    assert _path(owner) == f"/accounts/{number}/"
    expect(owner.get_by_role("status")).to_contain_text(
        f"You now have access to account {number} of Prairie Fuels Ltd. as account owner."
    )
    assert _menu(owner) == _expected_menu(ALL, owner)
    assert {"Account Information", "Manage access", "Representatives", "Access log"} <= set(_menu(owner))
    axe_check(owner)

    # The owner adds the employee as a delegate with two privileges, and sees the one-time PIN once.
    employee_user = users["employee"]
    with owner.expect_navigation():
        owner.get_by_role("link", name="Manage access").click()
    axe_check(owner)
    with owner.expect_navigation():
        owner.get_by_role("link", name="Add a person").click()
    axe_check(owner)
    owner.get_by_label("Full name").fill(employee_user.full_name)
    owner.get_by_label("E-mail address").fill(employee_user.email)
    owner.get_by_label("Delegate: the functions you choose below").check()
    granted = [Privilege.VIEW_ACCOUNT, Privilege.FILE_RETURNS]
    for privilege in granted:
        owner.get_by_label(str(privilege.label)).check()
    with owner.expect_navigation():
        owner.get_by_role("button", name="Add and show the PIN").click()
    assert re.fullmatch(rf"/accounts/{number}/access/\d+/pin/", _path(owner))
    expect(owner.get_by_role("heading", level=1)).to_have_text(f"One-time PIN for {employee_user.full_name}")
    delegation_pin = owner.get_by_test_id("one-time-pin").inner_text().strip()
    assert PIN_PATTERN.fullmatch(delegation_pin)
    axe_check(owner)
    owner.reload()  # shown once: the PIN is not on the page again
    expect(owner.get_by_test_id("one-time-pin")).to_have_count(0)
    expect(owner.get_by_text("This PIN was shown once and cannot be shown again.")).to_be_visible()
    assert delegation_pin not in owner.content()
    axe_check(owner)
    invitation = [m for m in mail.outbox if m.to == [employee_user.email]]
    assert len(invitation) == 1
    assert delegation_pin not in invitation[0].body
    assert delegation_pin.replace("-", "") not in invitation[0].body

    # The employee enrols with the one-time PIN and sees exactly the granted functions.
    employee = new_page()
    _sign_in_as(sign_in, employee, live_server, employee_user)
    expect(employee.get_by_text("You do not have access to any program account yet.")).to_be_visible()
    axe_check(employee)
    with employee.expect_navigation():
        employee.get_by_role("link", name="Account Enrolment").first.click()
    axe_check(employee)
    employee.get_by_label("Account number or BIN").fill(number)
    employee.get_by_label("PIN", exact=True).fill(delegation_pin)
    with employee.expect_navigation():
        employee.get_by_role("button", name="Enrol").click()
    assert _path(employee) == f"/accounts/{number}/"
    expect(employee.get_by_role("status")).to_contain_text(
        f"account {number} of Prairie Fuels Ltd. as delegate"
    )
    assert _menu(employee) == _expected_menu(granted, employee)
    assert "Account Information" in _menu(employee)
    assert "Manage access" not in _menu(employee)
    can_do = employee.locator("dt", has_text="What you can do").locator("xpath=following-sibling::dd[1]//li")
    expect(can_do).to_have_text([str(p.label) for p in granted])
    axe_check(employee)
    with employee.expect_navigation():
        employee.get_by_role("link", name="Switch account").click()
    rows = employee.locator("table.accounts-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(number)
    expect(rows.first).to_contain_text("Delegate")
    axe_check(employee)
    # A function not granted (managing access is owners' only): 403, naming the privilege.
    response = employee.goto(f"/accounts/{number}/access/")
    assert response.status == 403
    expect(employee.get_by_role("heading", level=1)).to_have_text("You do not have permission to do this")
    expect(employee.get_by_role("main")).to_contain_text("Manage access (owners only)")
    axe_check(employee)
    response = employee.goto(f"/accounts/{number}/")
    assert response.status == 200

    # The owner removes the employee; the employee's next request to the account is a 404.
    with owner.expect_navigation():
        owner.get_by_role("link", name="Back to Manage access").click()
    delegates = owner.locator("table", has=owner.get_by_role("columnheader", name="Privileges")).first
    expect(delegates).to_contain_text(employee_user.email)
    expect(delegates).to_contain_text("Active")
    with owner.expect_navigation():
        owner.get_by_role("link", name=f"Remove {employee_user.full_name}").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text(
        f"Remove the access of {employee_user.full_name}?"
    )
    axe_check(owner)
    with owner.expect_navigation():
        owner.get_by_role("button", name="Remove access").click()
    assert _path(owner) == f"/accounts/{number}/access/"
    expect(owner.get_by_role("status")).to_contain_text(
        f"{employee_user.full_name} no longer has access to this account."
    )
    expect(owner.get_by_text("No delegates.")).to_be_visible()
    axe_check(owner)

    response = employee.reload()
    assert response.status == 404
    expect(employee.get_by_role("heading", level=1)).to_have_text("Page not found")
    axe_check(employee)
    assert Grant.objects.get(account=account, user=employee_user).status == Grant.Status.REVOKED


# --- 2. A representative through an all-accounts consent --------------------------------------------------


def test_representative_enrols_with_the_bin_under_an_all_accounts_consent(
    page, new_page, live_server, sign_in, axe_check
):
    users = _people_and_accounts()
    prairie = Taxpayer.objects.get(bin=PRAIRIE_BIN)
    numbers = sorted(ProgramAccount.objects.filter(taxpayer=prairie).values_list("number", flat=True))
    assert len(numbers) == 2
    rep_user = users["representative"]
    consented = [Privilege.VIEW_ACCOUNT, Privilege.VIEW_ASSESSMENTS, Privilege.SUBMIT_DOCUMENTS]

    # Staff record the AT4931 (Part 4) for all of Prairie Fuels' accounts, with the signed form, and approve it.
    staff = page
    _sign_in_as(sign_in, staff, live_server, users["staff"])
    staff.goto("/admin/consent/consent/add/")
    _admin_axe_check(staff)
    staff.locator("#id_taxpayer + .select2").click()
    staff.locator(".select2-search__field").fill("Prairie")
    staff.locator(".select2-results__option", has_text="Prairie Fuels Ltd.").click()
    staff.locator("#id_representative_name").fill(rep_user.full_name)
    staff.locator("#id_representative_email").fill(rep_user.email)
    staff.locator("#id_signer_name").fill("Olivia Owner")
    staff.locator("#id_signer_capacity").select_option("owner")
    staff.locator("#id_signed_on").fill("2026-01-15")
    for privilege in consented:
        staff.get_by_role("checkbox", name=str(privilege.label)).check()
    staff.get_by_role("checkbox", name="All of the taxpayer's program accounts").check()
    staff.locator("#id_signed_form").set_input_files(
        files=[
            {"name": "at4931-prairie.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% AT4931\n"}
        ]
    )
    with staff.expect_navigation():
        staff.locator("input[name=_save]").click()
    expect(staff.locator(".messagelist")).to_contain_text("was added successfully")
    consent = Consent.objects.get(taxpayer=prairie, representative_email=rep_user.email)
    assert consent.status == Consent.Status.RECEIVED
    assert consent.all_accounts
    _admin_action(
        staff,
        changelist="/admin/consent/consent/",
        search=rep_user.email,
        action="approve_consents",
    )
    expect(staff.locator(".messagelist")).to_contain_text(
        f"Consent approved: PIN e-mailed to {rep_user.email}"
    )
    _admin_axe_check(staff)

    # The PIN reaches the representative by e-mail (the outbox job ran after the approval committed).
    pin_mails = [m for m in mail.outbox if m.to == [rep_user.email]]
    assert len(pin_mails) == 1
    assert f"BIN {PRAIRIE_BIN}" in pin_mails[0].body
    consent_pin = PIN_PATTERN.search(pin_mails[0].body).group(0)

    # The representative enrols with the BIN and the PIN, and reaches every account of the taxpayer.
    rep = new_page()
    _sign_in_as(sign_in, rep, live_server, rep_user)
    axe_check(rep)
    with rep.expect_navigation():
        rep.get_by_role("link", name="Account Enrolment").first.click()
    axe_check(rep)
    rep.get_by_label("Account number or BIN").fill(PRAIRIE_BIN)
    rep.get_by_label("PIN", exact=True).fill(consent_pin)
    with rep.expect_navigation():
        rep.get_by_role("button", name="Enrol").click()
    expect(rep.get_by_role("status")).to_contain_text(
        "You now have access to 2 accounts of Prairie Fuels Ltd. as representative."
    )
    assert _menu(rep) == _expected_menu(consented, rep)
    assert "Manage access" not in _menu(rep)
    axe_check(rep)

    rep.goto("/")
    rows = rep.locator("table.accounts-list tbody tr")
    expect(rows).to_have_count(2)
    for row, number in zip(rows.all(), sorted(numbers), strict=True):
        expect(row).to_contain_text("Prairie Fuels Ltd.")
        expect(row).to_contain_text(number)
        expect(row.locator("td").nth(3)).to_have_text("Representative")
        expect(row.locator("td").nth(4).locator("li")).to_have_text([str(p.label) for p in consented])
    axe_check(rep)
    # The consent covers Prairie Fuels only: another taxpayer's account is a 404.
    other = ProgramAccount.objects.exclude(taxpayer=prairie).order_by("number").first()
    response = rep.goto(f"/accounts/{other.number}/")
    assert response.status == 404
    axe_check(rep)
    assert set(
        Grant.objects.filter(user=rep_user, status=Grant.Status.ACTIVE).values_list(
            "account__number", flat=True
        )
    ) == set(numbers)
