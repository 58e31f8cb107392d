"""Submit Documents: the 3-step wizard (type and reference number; files, several per upload; review and
submit), the account's list, the receipt page and the downloads. Bad input is refused next to its field
with what was typed kept; nothing is half-saved; the privilege is SUBMIT_DOCUMENTS."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLogEntry
from consent.privileges import Privilege
from filings.status import in_process_reference_check
from programs.models import Document, DocumentFile
from programs.services import documents as document_services
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import ProgramAccountFactory, delegate_grant
from tests.programs import documents_samples as samples
from tests.programs.conftest import field_errors

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"^DOC-\d{8}-[A-Z0-9]{6}$")


def _url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def _state(browser, account) -> dict | None:
    return browser.session.get(f"documents_wizard:{account.number}")


def _media(settings) -> Path:
    return Path(settings.MEDIA_ROOT)


def _stored_files(settings, folder: str) -> list[str]:
    root = _media(settings) / folder
    return (
        sorted(str(p.relative_to(_media(settings))) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


def _step1(browser, account, **data):
    return browser.post(_url("documents_submit", account), {"document_type": "financial", **data})


def _upload(browser, account, *files, action="add"):
    return browser.post(_url("documents_submit_files", account), {"action": action, "files": list(files)})


# --- The whole wizard ------------------------------------------------------------------------------------------


def test_an_owner_submits_supporting_documents_for_a_return(
    owner_client, owner, account, settings, django_capture_on_commit_callbacks, in_process_reference
):
    assert owner_client.get(_url("documents_list", account)).status_code == 200
    step1 = owner_client.get(_url("documents_submit", account))
    assert step1.status_code == 200
    assert 'aria-current="step"' in step1.text

    response = _step1(
        owner_client,
        account,
        document_type="return_support",
        related_reference=f" {in_process_reference.lower()} ",
        description="Bills of lading",
    )
    assert response.url == _url("documents_submit_files", account)
    assert _state(owner_client, account)["related_reference"] == in_process_reference

    response = _upload(
        owner_client,
        account,
        samples.upload("bills.pdf", samples.PDF),
        samples.upload("litres.xlsx", samples.ooxml("xlsx")),
    )
    assert response.url == _url("documents_submit_files", account)
    page = owner_client.get(response.url)
    assert page.text.count('data-testid="staged-file"') == 2
    assert len(_stored_files(settings, "documents/incoming")) == 2
    response = _upload(owner_client, account, samples.upload("notes.txt", samples.TEXT), action="continue")
    assert response.url == _url("documents_submit_review", account)

    review = owner_client.get(response.url)
    assert review.text.count('data-testid="review-file"') == 3
    assert in_process_reference in review.text
    assert "Bills of lading" in review.text

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_url("documents_submit_review", account))
    document = Document.objects.get()
    assert response.url == _url("document_detail", account, document_id=document.pk)
    assert REFERENCE.match(document.reference_number)
    assert document.reference_number[4:12] == timezone.localdate().strftime("%Y%m%d")
    assert (document.document_type, document.related_reference, document.description) == (
        "return_support",
        in_process_reference,
        "Bills of lading",
    )
    assert (document.submitted_by, document.capacity, document.origin) == (owner, "owner", "client")
    files = list(document.files.order_by("position"))
    assert [(f.original_name, f.content_type) for f in files] == [
        ("bills.pdf", "application/pdf"),
        ("litres.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("notes.txt", "text/plain; charset=utf-8"),
    ]
    assert {f.scan_status for f in files} == {DocumentFile.ScanStatus.NOT_SCANNED}
    assert [f.file.name for f in files] == [
        f"documents/{account.number}/{document.reference_number}/1.pdf",
        f"documents/{account.number}/{document.reference_number}/2.xlsx",
        f"documents/{account.number}/{document.reference_number}/3.txt",
    ]
    assert _stored_files(settings, "documents/incoming") == []  # the temporary copies are gone
    assert _state(owner_client, account) is None

    [receipt] = mail.outbox
    assert receipt.to == [owner.email]
    assert document.reference_number in receipt.subject
    assert "bills" not in receipt.body.lower()
    assert "lading" not in receipt.body.lower()
    assert AccessLogEntry.objects.filter(
        action="documents submitted", account_number=account.number, actor=owner
    ).exists()

    detail = owner_client.get(response.url)
    assert document.reference_number in detail.text
    assert "data-print" in detail.text
    listing = owner_client.get(_url("documents_list", account))
    assert document.reference_number in listing.text
    assert "bills.pdf" in listing.text

    download = owner_client.get(
        _url("document_file_download", account, document_id=document.pk, file_id=files[0].pk)
    )
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="bills.pdf"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == samples.PDF


def test_a_delegate_with_submit_documents_submits_as_a_delegate(account, client_for):
    dana = UserFactory()
    delegate_grant(account=account, user=dana, privileges=[Privilege.SUBMIT_DOCUMENTS])
    browser = client_for(dana)
    _step1(browser, account)
    _upload(browser, account, samples.upload("statement.pdf", samples.PDF), action="continue")
    browser.post(_url("documents_submit_review", account))
    assert Document.objects.get().capacity == "delegate"


# --- Bad input: next to the field, what was typed kept, nothing kept --------------------------------------------


def test_step_one_needs_a_type(owner_client, account):
    response = owner_client.post(_url("documents_submit", account), {"description": "Kept text"})
    assert response.status_code == 400
    assert field_errors(response, "document_type") == []  # the radio group shows its errors in its fieldset
    assert str(document_services.DOCUMENT_TYPE_REQUIRED) in response.text
    assert "Kept text" in response.text
    assert _state(owner_client, account) is None


def test_supporting_documents_of_a_return_need_its_reference_number(owner_client, account):
    response = _step1(owner_client, account, document_type="claim_support", description="Kept text")
    assert response.status_code == 400
    assert field_errors(response, "related_reference") == [str(document_services.DOCUMENT_REFERENCE_REQUIRED)]
    assert "Kept text" in response.text
    assert _state(owner_client, account) is None


def test_a_reference_number_that_names_no_return_in_process_is_refused(owner_client, account):
    response = _step1(
        owner_client, account, document_type="return_support", related_reference="FT-202401-7K3M9Q"
    )
    assert response.status_code == 400
    assert field_errors(response, "related_reference") == [
        "No return or claim of this account in process has the reference number FT-202401-7K3M9Q. Check the "
        "number on its confirmation or under View Assessment Status."
    ]


def test_a_malformed_reference_number_is_refused(owner_client, account):
    response = _step1(owner_client, account, document_type="return_support", related_reference="12345")
    assert response.status_code == 400
    assert field_errors(response, "related_reference") == [
        "Enter the reference number as it appears in View Assessment Status, for example FT-202401-7K3M9Q."
    ]
    assert 'value="12345"' in response.text


def test_a_file_of_a_forbidden_type_is_refused_next_to_the_field_and_the_others_kept(
    owner_client, account, settings
):
    _step1(owner_client, account)
    response = _upload(
        owner_client, account, samples.upload("setup.exe", samples.EXE), samples.upload("ok.png", samples.PNG)
    )
    assert response.status_code == 400
    [error] = field_errors(response, "files")
    assert error.startswith("setup.exe is not a PDF, an image")
    assert [f["name"] for f in _state(owner_client, account)["files"]] == ["ok.png"]
    assert len(_stored_files(settings, "documents/incoming")) == 1


def test_a_file_too_large_is_refused(owner_client, account, settings):
    settings.TRACS_DOCUMENT_MAX_BYTES = 100
    _step1(owner_client, account)
    response = _upload(owner_client, account, samples.upload("big.pdf", samples.PDF + b" " * 100))
    assert response.status_code == 400
    assert "each file may be at most 100\xa0bytes" in field_errors(response, "files")[0]
    assert _state(owner_client, account)["files"] == []
    assert _stored_files(settings, "documents/incoming") == []


def test_an_encrypted_pdf_is_refused(owner_client, account):
    _step1(owner_client, account)
    response = _upload(
        owner_client, account, samples.upload("locked.pdf", samples.PDF_ENCRYPTED, "application/pdf")
    )
    assert response.status_code == 400
    assert "protected with a password or encrypted" in field_errors(response, "files")[0]


def test_continuing_without_files_is_refused(owner_client, account):
    _step1(owner_client, account)
    response = _upload(owner_client, account, action="continue")
    assert response.status_code == 400
    assert field_errors(response, "files") == [str(document_services.DOCUMENT_NO_FILES)]


def test_at_most_ten_files(owner_client, account, settings):
    _step1(owner_client, account)
    _upload(owner_client, account, *[samples.upload(f"p{n}.png", samples.PNG) for n in range(8)])
    response = _upload(owner_client, account, *[samples.upload(f"q{n}.png", samples.PNG) for n in range(3)])
    assert response.status_code == 400
    assert field_errors(response, "files") == [
        "A submission can have at most 10 files. Remove some, or submit them separately."
    ]
    assert len(_state(owner_client, account)["files"]) == 8


def test_the_steps_cannot_be_skipped(owner_client, account):
    assert owner_client.get(_url("documents_submit_files", account)).url == _url("documents_submit", account)
    assert owner_client.get(_url("documents_submit_review", account)).url == _url("documents_submit", account)
    _step1(owner_client, account)
    assert owner_client.get(_url("documents_submit_review", account)).url == _url(
        "documents_submit_files", account
    )
    assert not Document.objects.exists()


def test_a_file_can_be_removed_and_the_submission_cancelled(owner_client, account, settings):
    _step1(owner_client, account)
    _upload(owner_client, account, samples.upload("a.png", samples.PNG), samples.upload("b.pdf", samples.PDF))
    response = owner_client.post(_url("documents_submit_files", account), {"remove": "0"})
    assert response.url == _url("documents_submit_files", account)
    assert [f["name"] for f in _state(owner_client, account)["files"]] == ["b.pdf"]
    assert len(_stored_files(settings, "documents/incoming")) == 1

    response = owner_client.post(_url("documents_submit_cancel", account))
    assert response.url == _url("documents_list", account)
    assert _state(owner_client, account) is None
    assert _stored_files(settings, "documents/incoming") == []
    assert not Document.objects.exists()


def test_a_failed_write_leaves_no_document_and_no_file(owner_client, account, settings, monkeypatch):
    _step1(owner_client, account)
    _upload(owner_client, account, samples.upload("a.pdf", samples.PDF), samples.upload("b.png", samples.PNG))
    real_save = default_storage.save
    finals = []

    def failing_save(name, content, *args, **kwargs):
        if name.startswith(f"documents/{account.number}/"):
            finals.append(name)
            if len(finals) == 2:
                raise OSError("disk full")
        return real_save(name, content, *args, **kwargs)

    monkeypatch.setattr(default_storage, "save", failing_save)
    with pytest.raises(OSError):
        owner_client.post(_url("documents_submit_review", account))
    assert not Document.objects.exists()
    assert not DocumentFile.objects.exists()
    assert _stored_files(settings, f"documents/{account.number}") == []  # the first copy was removed
    assert len(_state(owner_client, account)["files"]) == 2  # the wizard can be tried again
    assert len(_stored_files(settings, "documents/incoming")) == 2
    assert not AccessLogEntry.objects.filter(action="documents submitted").exists()


def test_files_gone_from_the_temporary_folder_are_asked_for_again(owner_client, account, settings):
    _step1(owner_client, account)
    _upload(owner_client, account, samples.upload("a.pdf", samples.PDF))
    default_storage.delete(_state(owner_client, account)["files"][0]["token"])
    response = owner_client.post(_url("documents_submit_review", account))
    assert response.status_code == 400
    assert str(document_services.DOCUMENT_FILES_EXPIRED) in response.text
    assert not Document.objects.exists()
    assert _state(owner_client, account)["files"] == []


def test_a_file_named_in_the_session_outside_the_temporary_folder_is_refused(owner, account):
    with pytest.raises(ValidationError):
        document_services.document_submit(
            account=account,
            document_type="financial",
            staged=[
                {
                    "token": "documents/other/1.pdf",
                    "name": "x.pdf",
                    "kind": "pdf",
                    "size": 1,
                    "sha256": "",
                    "scan_status": "clean",
                }
            ],
            by=owner,
            reference_check=in_process_reference_check,
            actor=actor_for(owner),
        )
    assert not Document.objects.exists()


# --- Access ------------------------------------------------------------------------------------------------------


def test_a_delegate_without_submit_documents_sees_no_document(account, owner, client_for):
    document = document_services.document_issue(
        account=account, files=[("letter.pdf", samples.PDF)], actor=actor_for(None)
    )
    vic = UserFactory()
    delegate_grant(account=account, user=vic, privileges=[Privilege.VIEW_ACCOUNT])
    browser = client_for(vic)
    file_id = document.files.get().pk
    assert browser.get(_url("documents_list", account)).status_code == 403
    assert (
        browser.get(
            _url("document_file_download", account, document_id=document.pk, file_id=file_id)
        ).status_code
        == 403
    )
    assert _url("documents_list", account) not in browser.get(_url("account_detail", account)).text


def test_a_document_of_another_account_is_not_found(owner_client, account):
    elsewhere = ProgramAccountFactory()
    document = document_services.document_issue(
        account=elsewhere, files=[("letter.pdf", samples.PDF)], actor=actor_for(None)
    )
    file_id = document.files.get().pk
    assert owner_client.get(_url("document_detail", account, document_id=document.pk)).status_code == 404
    assert (
        owner_client.get(
            _url("document_file_download", account, document_id=document.pk, file_id=file_id)
        ).status_code
        == 404
    )
    own = document_services.document_issue(
        account=account, files=[("mine.pdf", samples.PDF)], actor=actor_for(None)
    )
    assert (
        owner_client.get(
            _url("document_file_download", account, document_id=own.pk, file_id=file_id)
        ).status_code
        == 404
    )


def test_a_file_missing_from_storage_is_not_found(owner_client, account):
    document = document_services.document_issue(
        account=account, files=[("letter.pdf", samples.PDF)], actor=actor_for(None)
    )
    stored = document.files.get()
    default_storage.delete(stored.file.name)
    assert (
        owner_client.get(
            _url("document_file_download", account, document_id=document.pk, file_id=stored.pk)
        ).status_code
        == 404
    )


# --- Letters from TRA, the list, the sweep ------------------------------------------------------------------------


def test_a_letter_from_tra_is_listed_and_announced(owner_client, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_services.document_issue(
            account=account,
            files=[("approval-letter.pdf", samples.PDF)],
            description="Approval letter",
            notify=["olivia@example.ca"],
            actor=actor_for(None),
        )
    assert document.origin == Document.Origin.TRA
    assert document.document_type == Document.Type.TRA_LETTER
    listing = owner_client.get(_url("documents_list", account))
    assert document.reference_number in listing.text
    assert "approval-letter.pdf" in listing.text
    [email] = mail.outbox
    assert email.to == ["olivia@example.ca"]
    assert account.number in email.subject


def test_a_letter_that_is_no_pdf_is_not_issued(account, settings):
    with pytest.raises(ValidationError):
        document_services.document_issue(
            account=account,
            files=[("letter.pdf", samples.PDF), ("bad.pdf", b"not a pdf")],
            actor=actor_for(None),
        )
    assert not Document.objects.exists()
    assert _stored_files(settings, "documents") == []


def test_the_list_takes_the_same_queries_for_5_and_for_50_documents(owner_client, account):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(_url("documents_list", account)).status_code == 200
        return len(captured)

    for _n in range(5):
        document_services.document_issue(
            account=account,
            files=[("a.pdf", samples.PDF), ("b.png", samples.PNG)],
            actor=actor_for(None),
        )
    queries()
    five = queries()
    for _n in range(45):
        document_services.document_issue(
            account=account, files=[("a.pdf", samples.PDF)], actor=actor_for(None)
        )
    assert queries() == five


def test_temporary_uploads_left_for_a_day_are_swept(settings):
    old = default_storage.save("documents/incoming/old", ContentFile(b"x"))
    new = default_storage.save("documents/incoming/new", ContentFile(b"y"))
    day_ago = (timezone.now() - timedelta(days=2)).timestamp()
    import os

    os.utime(default_storage.path(old), (day_ago, day_ago))
    from programs.tasks import documents_incoming_sweep

    assert documents_incoming_sweep.delay().get() == 1
    assert not default_storage.exists(old)
    assert default_storage.exists(new)
    assert document_services.documents_incoming_sweep() == 0
