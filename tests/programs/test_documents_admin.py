"""Staff see the accounts' documents in Django admin, read only, with the malware scan's verdict (and a
filter for files no scanner looked at), and download files through admin, each download logged."""

import pytest
from django.urls import reverse

from accounts.models import AccessLogEntry
from filings.status import in_process_reference_check
from programs.models import DocumentFile
from programs.services import documents as document_services
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.programs import documents_samples as samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Staff")


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


def _submitted(account, owner, *, scan_status):
    staged = document_services.document_file_stage(
        account=account,
        uploaded=samples.upload("bills.pdf", samples.PDF),
        actor=actor_for(owner),
    )
    staged["scan_status"] = scan_status
    return document_services.document_submit(
        account=account,
        document_type="financial",
        staged=[staged],
        by=owner,
        reference_check=in_process_reference_check,
        actor=actor_for(owner).acting_for(capacity="owner"),
    )


def test_staff_see_which_documents_were_not_scanned(staff_client, account, owner):
    unscanned = _submitted(account, owner, scan_status=DocumentFile.ScanStatus.NOT_SCANNED)
    scanned = _submitted(account, owner, scan_status=DocumentFile.ScanStatus.CLEAN)
    changelist = reverse("admin:programs_document_changelist")

    page = staff_client.get(changelist)
    assert page.status_code == 200
    assert "not scanned" in page.text
    only_unscanned = staff_client.get(changelist + "?scan=not_scanned").text
    assert unscanned.reference_number in only_unscanned
    assert scanned.reference_number not in only_unscanned
    only_scanned = staff_client.get(changelist + "?scan=scanned").text
    assert scanned.reference_number in only_scanned
    assert unscanned.reference_number not in only_scanned

    detail = staff_client.get(reverse("admin:programs_document_change", args=[unscanned.pk]))
    assert detail.status_code == 200
    assert "Not scanned: no malware scanner is configured" in detail.text
    assert "bills.pdf" in detail.text


def test_staff_download_a_file_and_the_download_is_logged(staff_client, staff, account, owner):
    document = _submitted(account, owner, scan_status=DocumentFile.ScanStatus.NOT_SCANNED)
    file = document.files.get()
    response = staff_client.get(reverse("admin:programs_document_file", args=[document.pk, file.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == samples.PDF
    entry = AccessLogEntry.objects.get(action="document file downloaded in staff administration")
    assert (entry.actor, entry.account_number, entry.capacity) == (staff, account.number, "staff")
    assert (
        staff_client.get(reverse("admin:programs_document_file", args=[document.pk, 999999])).status_code
        == 404
    )


def test_documents_are_read_only_for_staff(staff_client, account, owner):
    document = _submitted(account, owner, scan_status=DocumentFile.ScanStatus.CLEAN)
    assert staff_client.get(reverse("admin:programs_document_add")).status_code == 403
    assert staff_client.get(reverse("admin:programs_document_delete", args=[document.pk])).status_code == 403
    response = staff_client.post(
        reverse("admin:programs_document_change", args=[document.pk]), {"description": "changed"}
    )
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.description == ""


def test_a_signed_in_person_who_is_not_staff_cannot_download(client, account, owner):
    document = _submitted(account, owner, scan_status=DocumentFile.ScanStatus.CLEAN)
    file = document.files.get()
    sign_in(client, owner)
    response = client.get(reverse("admin:programs_document_file", args=[document.pk, file.pk]))
    assert response.status_code in (302, 403)
    assert not AccessLogEntry.objects.filter(
        action="document file downloaded in staff administration"
    ).exists()
