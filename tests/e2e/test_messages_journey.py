"""Messages and documents in a real browser (issue 4, "Show"), axe-core on every page visited.

1. Read and reply to a message: staff write a message to an account in Django admin -> the owner sees the
   unread count in the header, reads the message (the count goes), answers it (an empty answer first: the
   error next to the field) -> staff find the thread awaiting an answer, see the owner's answer in the
   thread and answer it -> the owner's header counts it as unread again.
2. Submit documents: the owner goes through the 3-step wizard (a forbidden file first, refused next to the
   field), submits two files and gets the receipt page with the reference number.

Portal pages get the strict `axe_check`; admin pages `_admin_axe_check` (tests/e2e/test_access_journeys.py:
as strict, except for known findings in Django admin's own markup).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.actors import Actor, Door
from filings.services import return_submit
from programs.models import Document, Message, MessageReply
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.e2e.test_access_journeys import _admin_axe_check
from tests.programs import documents_samples as samples

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAFF_KEY = "3132333435363738393031323334353637383930"
OWNER_KEY = "4142434445464748494a4b4c4d4e4f5051525354"
SUBJECT = "Bills of lading for March"
BODY = "Please send the bills of lading for your March imports by April 30."


def _person(*, key: str, **fields):
    user = UserFactory(two_factor=False, **fields)
    user.totpdevice_set.create(name="Authenticator app", key=key, confirmed=True)
    return user


@pytest.fixture
def people(db):
    account = ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.")
    owner = _person(key=OWNER_KEY, full_name="Olivia Owner", email="olivia@example.ca")
    owner_grant(account=account, user=owner)
    staff = _person(
        key=STAFF_KEY, full_name="Sam Staff", email="sam@gov.ab.ca", is_staff=True, is_superuser=True
    )
    filed = return_submit(
        account=account,
        period_end=date(2024, 1, 31),
        lines=[],
        certified_name="Olivia Owner",
        certified_capacity="Owner",
        actor=Actor(user=owner, door=Door.WEB, capacity="owner"),
    )
    mail.outbox.clear()  # the return's confirmation e-mail; the journey counts the message notices
    return {"account": account, "owner": owner, "staff": staff, "reference": filed.confirmation_number}


def _header_messages(page: Page):
    return page.get_by_test_id("header-messages")


def _choose_account(page: Page, number: str) -> None:
    """Django admin's autocomplete (select2): open it, search the number, pick the account."""
    page.locator(".field-account .select2-selection").click()
    page.locator(".select2-search__field").fill(number)
    page.locator(".select2-results__option", has_text=number).first.click()


def test_staff_write_a_message_the_owner_reads_and_answers_it_staff_answer_back(
    page, new_page, live_server, sign_in, axe_check, people
):
    account, number = people["account"], people["account"].number

    # Staff write to the account in admin.
    staff = page
    sign_in(staff, live_server, people["staff"].email, PASSWORD, STAFF_KEY)
    staff.goto("/admin/programs/message/add/")
    _admin_axe_check(staff)
    _choose_account(staff, number)
    staff.locator("#id_subject").fill(SUBJECT)
    staff.locator("#id_body").fill(BODY)
    with staff.expect_navigation():
        staff.locator("input[name=_save]").click()
    expect(staff.locator(".messagelist")).to_contain_text("was added successfully")
    _admin_axe_check(staff)
    message = Message.objects.get()
    assert message.account == account
    [notice] = mail.outbox
    assert notice.to == ["olivia@example.ca"]
    assert SUBJECT not in notice.subject + notice.body
    assert "lading" not in notice.body

    # The owner sees the count in the header, reads the message, answers it.
    owner = new_page()
    sign_in(owner, live_server, people["owner"].email, PASSWORD, OWNER_KEY, axe=False)
    owner.goto("/")
    expect(_header_messages(owner)).to_have_text("Messages 1 unread")
    axe_check(owner)
    with owner.expect_navigation():
        _header_messages(owner).click()
    assert owner.url.endswith(f"/accounts/{number}/messages/")  # one account: its messages straight away
    expect(owner.get_by_test_id("message-row")).to_contain_text("unread")
    axe_check(owner)
    with owner.expect_navigation():
        owner.get_by_role("link", name=SUBJECT).click()
    expect(owner.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    expect(owner.get_by_test_id("message-body")).to_contain_text("bills of lading")
    expect(_header_messages(owner)).to_have_text("Messages")  # read: no count any more
    axe_check(owner)

    with owner.expect_navigation():
        owner.get_by_role("button", name="Send the answer").click()  # nothing typed
    expect(owner.locator("#id_body_error")).to_have_text("Write your answer before sending it.")
    axe_check(owner)
    owner.get_by_label("Your answer").fill("They are attached under Submit Documents, reference DOC-2026.")
    with owner.expect_navigation():
        owner.get_by_role("button", name="Send the answer").click()
    expect(owner.get_by_role("status")).to_contain_text("Your answer was sent to TRA.")
    expect(owner.get_by_test_id("thread-item")).to_contain_text("They are attached under Submit Documents")
    axe_check(owner)

    # Staff find the thread awaiting an answer, read the owner's answer and answer it.
    staff.goto("/admin/programs/message/?awaiting=yes")
    _admin_axe_check(staff)
    with staff.expect_navigation():
        staff.get_by_role("link", name=SUBJECT).click()
    expect(staff.locator("#content")).to_contain_text("They are attached under Submit Documents")
    expect(staff.locator("#content")).to_contain_text("Olivia Owner")
    _admin_axe_check(staff)
    staff.locator("#id_answer").fill("Thank you, received.")
    with staff.expect_navigation():
        staff.locator("input[name=_continue]").click()
    expect(staff.locator(".messagelist")).to_contain_text("Your answer was added to the thread.")
    expect(staff.locator("#content")).to_contain_text("Thank you, received.")
    _admin_axe_check(staff)
    assert MessageReply.objects.filter(from_tra=True, body="Thank you, received.").exists()

    # TRA's answer makes the thread unread again for the owner.
    owner.goto("/")
    expect(_header_messages(owner)).to_have_text("Messages 1 unread")
    with owner.expect_navigation():
        _header_messages(owner).click()
    with owner.expect_navigation():
        owner.get_by_role("link", name=SUBJECT).click()
    expect(owner.get_by_test_id("thread-item").last).to_contain_text("Thank you, received.")
    axe_check(owner)


def test_the_owner_submits_documents_through_the_wizard(
    page, live_server, sign_in, axe_check, people, tmp_path
):
    account, number = people["account"], people["account"].number
    owner = page
    sign_in(owner, live_server, people["owner"].email, PASSWORD, OWNER_KEY, axe=False)
    owner.goto(f"/accounts/{number}/")
    with owner.expect_navigation():
        owner.get_by_role("navigation", name="Account menu").get_by_role(
            "link", name="Submit Documents"
        ).click()
    expect(owner.get_by_test_id("no-documents")).to_be_visible()
    axe_check(owner)

    with owner.expect_navigation():
        owner.get_by_role("link", name="Submit documents", exact=True).click()
    axe_check(owner)
    owner.get_by_label("Supporting documents for a return").check()
    with owner.expect_navigation():
        owner.get_by_role("button", name="Continue to the files").click()  # no reference number
    expect(owner.locator("#id_related_reference_error")).to_contain_text("Enter the reference number")
    axe_check(owner)
    owner.get_by_label("Reference number of the return or claim").fill(people["reference"].lower())
    owner.get_by_label("Description").fill("Bills of lading, March")
    with owner.expect_navigation():
        owner.get_by_role("button", name="Continue to the files").click()
    assert owner.url.endswith(f"/accounts/{number}/documents/submit/files/")
    axe_check(owner)

    files = {
        "setup.exe": samples.EXE,
        "bills.pdf": samples.PDF,
        "litres.xlsx": samples.ooxml("xlsx"),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    owner.get_by_label("Files").set_input_files([str(tmp_path / name) for name in files])
    with owner.expect_navigation():
        owner.get_by_role("button", name="Add the files").click()
    expect(owner.locator("#id_files_error")).to_contain_text("setup.exe is not a PDF, an image")
    expect(owner.get_by_test_id("staged-file")).to_have_count(2)
    axe_check(owner)
    with owner.expect_navigation():
        owner.get_by_role("button", name="Continue to review").click()
    expect(owner.get_by_test_id("review-file")).to_have_count(2)
    axe_check(owner)
    with owner.expect_navigation():
        owner.get_by_role("button", name="Submit the documents").click()

    document = Document.objects.get(account=account)
    assert re.fullmatch(
        rf"/accounts/{number}/documents/{document.pk}/", owner.url.split(live_server.url, 1)[1]
    )
    expect(owner.get_by_test_id("document-reference")).to_have_text(document.reference_number)
    expect(owner.get_by_role("status")).to_contain_text(document.reference_number)
    axe_check(owner)
    with owner.expect_download() as download:
        owner.get_by_role("link", name="bills.pdf").click()
    assert download.value.suggested_filename == "bills.pdf"
    with owner.expect_navigation():
        owner.get_by_role("link", name="Back to the account's documents").click()
    expect(owner.get_by_test_id("document-row")).to_contain_text(people["reference"])
    axe_check(owner)
