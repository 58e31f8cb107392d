"""The File a Notice of Objection and Request a Waiver wizards, through the pages: a page per step, errors next to
their fields, nothing filed until the last step, the confirmation with its reference number, the account's list
and each filing's page; access (the privilege, another account's filing); supporting documents scanned by a
real clamd."""

from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments.models import LedgerTransaction
from assessments.models_objections import Objection, SupportingDocument, WaiverRequest
from consent.privileges import Privilege
from programs.models import DocumentFile
from tests.accounts.factories import UserFactory
from tests.assessments.objection_factories import REPRESENTATIVE_FIELDS, accrue, late_june_2021, pdf_upload
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.filings.factories import edmonton
from tests.programs.clamd_server import EICAR, EICAR_THREAT
from tests.programs.conftest import field_errors

TODAY = edmonton(2021, 10, 1, 10)


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


@pytest.fixture
def assessed(account, owner, django_capture_on_commit_callbacks):
    return late_june_2021(account=account, user=owner, capture=django_capture_on_commit_callbacks)


@pytest.fixture
def objector(account):
    user = UserFactory(full_name="Otto Objector")
    delegate_grant(account=account, user=user, privileges=(Privilege.FILE_OBJECTIONS,))
    return sign_in(Client(), user)


def _through_statement(client, account, notice):
    response = client.post(
        url("objection_new", account),
        {"against": "notice", "notice": notice.pk, "amount_in_dispute": "1380.00"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == url("objection_statement", account)
    response = client.post(url("objection_statement", account), {"facts": "The litres were exported."})
    assert response["Location"] == url("objection_documents", account)


@time_machine.travel(TODAY, tick=False)
def test_menu_and_list(objector, account, assessed):
    page = objector.get(url("objections_list", account))
    assert page.status_code == 200
    html = page.content.decode()
    assert "File a Notice of Objection" in html
    assert url("objection_new", account) in html
    assert url("waiver_new", account) in html
    assert f'href="{url("objections_list", account)}"' in html  # the account menu's item


@time_machine.travel(TODAY, tick=False)
def test_objection_wizard_end_to_end(objector, account, assessed, django_capture_on_commit_callbacks):
    notice = assessed.notice
    step1 = objector.get(url("objection_new", account))
    assert notice.reference in step1.content.decode()
    _through_statement(objector, account, notice)
    response = objector.post(
        url("objection_documents", account),
        {"action": "add", "file": pdf_upload("bill.pdf"), "description": "Bill of lading 4411"},
    )
    assert response["Location"] == url("objection_documents", account)
    assert "bill.pdf" in objector.get(url("objection_documents", account)).content.decode()
    response = objector.post(url("objection_documents", account), {"action": "continue"})
    assert response["Location"] == url("objection_representative", account)
    response = objector.post(url("objection_representative", account), REPRESENTATIVE_FIELDS)
    assert response["Location"] == url("objection_review", account)
    review = objector.get(url("objection_review", account)).content.decode()
    assert "Bill of lading 4411" in review
    assert "Rita Rep" in review
    assert notice.reference in review
    assert not Objection.objects.exists()  # nothing reaches TRA before the last step
    with django_capture_on_commit_callbacks(execute=True):
        response = objector.post(url("objection_review", account))
    objection = Objection.objects.get()
    assert response["Location"] == url("objection_detail", account, objection_id=objection.pk)
    confirmation = objector.get(response["Location"]).content.decode()
    assert objection.reference_number in confirmation
    assert 'data-testid="confirmation"' in confirmation
    assert objection.documents.get().description == "Bill of lading 4411"
    assert objection.capacity == "delegate"
    [receipt] = [m for m in mail.outbox if objection.reference_number in m.subject]
    assert "1380" not in receipt.body
    assert "1,380" not in receipt.body
    listing = objector.get(url("objections_list", account)).content.decode()
    assert objection.reference_number in listing
    assert "Received" in listing
    # The wizard is over: its state is gone.
    assert objector.get(url("objection_review", account))["Location"] == url("objection_new", account)


@time_machine.travel(TODAY, tick=False)
def test_errors_are_shown_next_to_their_fields(objector, account, assessed):
    response = objector.post(url("objection_new", account), {"against": "notice", "amount_in_dispute": "abc"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the notice you object to." in html
    assert 'aria-describedby="id_notice_error' in html
    response = objector.post(url("objection_new", account), {"against": "letter"})
    html = response.content.decode()
    assert "Choose the kind of letter you object to." in html
    assert "Enter the date of the letter." in html
    _through_statement(objector, account, assessed.notice)
    response = objector.post(url("objection_statement", account), {"facts": "x" * 2001})
    assert response.status_code == 400
    assert "at most 2,000 characters" in response.content.decode()
    response = objector.post(
        url("objection_representative", account), {**REPRESENTATIVE_FIELDS, "representative_phone": ""}
    )
    assert response.status_code == 400
    assert "Enter the authorized representative&#x27;s telephone number." in response.content.decode()


@time_machine.travel(edmonton(2021, 11, 19, 10), tick=False)
def test_extension_reason_is_asked_after_90_days(objector, account, assessed):
    """The notice of 2021-08-20 is 91 days old on 2021-11-19."""
    _through_statement_page = objector.post(
        url("objection_new", account),
        {"against": "notice", "notice": assessed.notice.pk, "amount_in_dispute": "5"},
    )
    assert _through_statement_page.status_code == 302
    page = objector.get(url("objection_statement", account)).content.decode()
    assert "Reason for the extension of time" in page
    response = objector.post(url("objection_statement", account), {"facts": "Exported."})
    assert response.status_code == 400
    assert "more than 90 days old" in response.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_eleventh_document_is_refused(objector, account, assessed):
    _through_statement(objector, account, assessed.notice)
    for n in range(10):
        response = objector.post(
            url("objection_documents", account),
            {"action": "add", "file": pdf_upload(f"d{n}.pdf"), "description": f"Document {n}"},
        )
        assert response.status_code == 302
    response = objector.post(
        url("objection_documents", account),
        {"action": "add", "file": pdf_upload("d11.pdf"), "description": "One more"},
    )
    assert response.status_code == 400
    assert "At most 10 documents" in response.content.decode()
    response = objector.post(url("objection_documents", account), {"action": "add", "description": "No file"})
    assert "Choose a file to add." in response.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_a_refused_file_and_a_missing_description(objector, account, assessed):
    _through_statement(objector, account, assessed.notice)
    response = objector.post(
        url("objection_documents", account),
        {
            "action": "add",
            "file": SimpleUploadedFile("x.exe", b"MZ\x90\x00\x03" * 20),
            "description": "Program",
        },
    )
    assert response.status_code == 400
    response = objector.post(url("objection_documents", account), {"action": "add", "file": pdf_upload()})
    assert "Describe the document" in response.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_cancel_discards_everything(objector, account, assessed):
    _through_statement(objector, account, assessed.notice)
    objector.post(
        url("objection_documents", account), {"action": "add", "file": pdf_upload(), "description": "d"}
    )
    response = objector.post(url("objection_cancel", account))
    assert response["Location"] == url("objections_list", account)
    assert not Objection.objects.exists()
    assert not SupportingDocument.objects.exists()
    assert objector.get(url("objection_statement", account))["Location"] == url("objection_new", account)


@time_machine.travel(TODAY, tick=False)
def test_waiver_wizard_end_to_end(objector, account, assessed):
    charge = accrue(account=account, through=date(2021, 9, 30))
    penalty = LedgerTransaction.objects.get(account=account, kind="penalty")
    page = objector.get(url("waiver_new", account)).content.decode()
    assert "$690.00" in page
    response = objector.post(url("waiver_new", account), {"transactions": [penalty.pk], "grounds": []})
    assert response.status_code == 400
    assert "Choose at least one reason for the request." in response.content.decode()
    response = objector.post(
        url("waiver_new", account), {"transactions": [penalty.pk, charge.pk], "grounds": ["extraordinary"]}
    )
    assert response["Location"] == url("waiver_statement", account)
    objector.post(url("waiver_statement", account), {"facts": "The office flooded in July 2021."})
    objector.post(url("waiver_documents", account), {"action": "continue"})
    objector.post(url("waiver_representative", account), REPRESENTATIVE_FIELDS)
    review = objector.get(url("waiver_review", account)).content.decode()
    assert "$690.00" in review
    assert "The office flooded" in review
    response = objector.post(url("waiver_review", account))
    waiver = WaiverRequest.objects.get()
    assert response["Location"] == url("waiver_detail", account, waiver_id=waiver.pk)
    assert waiver.reference_number in objector.get(response["Location"]).content.decode()
    assert waiver.amount_requested == penalty.amount + charge.amount


def test_delegate_without_the_privilege_gets_403(account, assessed):
    user = UserFactory()
    delegate_grant(
        account=account, user=user, privileges=(Privilege.VIEW_ACCOUNT, Privilege.VIEW_ASSESSMENTS)
    )
    client = sign_in(Client(), user)
    for name in ("objections_list", "objection_new", "waiver_new", "objection_review"):
        assert client.get(url(name, account)).status_code == 403


@time_machine.travel(TODAY, tick=False)
def test_another_accounts_objection_is_404(objector, account, assessed, owner):
    from tests.assessments.objection_factories import notice_objection

    objection = notice_objection(account=account, user=owner, notice=assessed.notice)
    other_account = ProgramAccountFactory()
    other_owner = UserFactory()
    owner_grant(account=other_account, user=other_owner)
    other = sign_in(Client(), other_owner)
    assert other.get(url("objection_detail", other_account, objection_id=objection.pk)).status_code == 404
    assert other.get(url("objection_detail", account, objection_id=objection.pk)).status_code == 404
    assert objector.get(url("objection_detail", account, objection_id=objection.pk)).status_code == 200


@time_machine.travel(TODAY, tick=False)
def test_filing_twice_from_the_same_wizard_files_once(objector, account, assessed):
    """The last step sent again with the same wizard (a double click, a second tab): one objection, shown again."""
    _through_statement(objector, account, assessed.notice)
    objector.post(url("objection_documents", account), {"action": "continue"})
    objector.post(url("objection_representative", account), REPRESENTATIVE_FIELDS)
    key = f"objection_wizard:{account.number}"
    state = objector.session[key]
    first = objector.post(url("objection_review", account))
    session = objector.session
    session[key] = state  # the second tab still holds the wizard
    session.save()
    second = objector.post(url("objection_review", account))
    assert second["Location"] == first["Location"]
    assert Objection.objects.count() == 1


# --- The malware scan, by a real clamd with the EICAR test signature (tests/programs/clamd_server.py) ---


def _wizard_documents(client) -> list[dict]:
    return next(value for key, value in client.session.items() if key.startswith("objection"))["documents"]


@time_machine.travel(TODAY, tick=False)
def test_an_infected_supporting_document_is_refused_and_a_clean_one_added(
    real_clamd, settings, objector, account, assessed
):
    real_clamd.settings_for(settings)
    _through_statement(objector, account, assessed.notice)
    response = objector.post(
        url("objection_documents", account),
        {"action": "add", "file": SimpleUploadedFile("export-permit.txt", EICAR), "description": "Permit"},
    )
    assert response.status_code == 400
    assert field_errors(response, "file") == [
        f"export-permit.txt was refused: the malware scan found a threat in it ({EICAR_THREAT})."
    ]
    # The notice objected to is in storage; no document is.
    assert [path for path in (Path(settings.MEDIA_ROOT) / "documents").rglob("*") if path.is_file()] == []

    response = objector.post(
        url("objection_documents", account),
        {
            "action": "add",
            "file": SimpleUploadedFile("permit.txt", b"Export permit 4411\n"),
            "description": "Permit",
        },
    )
    assert response.status_code == 302
    assert [(d["name"], d["scan_status"]) for d in _wizard_documents(objector)] == [
        ("permit.txt", DocumentFile.ScanStatus.CLEAN)
    ]
    assert not SupportingDocument.objects.exists()  # nothing is filed before the last step
