"""Refund payment files (assessments/refund_files.py, docs/refund-payment-files.md): per run, a direct deposit
batch and a cheque register, CSV with a header record, the column names, one detail record per refund and a
trailer with the count and the total; kept encrypted; downloaded by staff in admin with the access log; totals
equal to the ledger's REFUND_ISSUED postings."""

import csv
import hashlib
import io
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import AccessLogEntry
from assessments import refund_files, refunds
from assessments.models import LedgerTransaction, Refund, RefundPaymentFile
from tests.accounts.factories import UserFactory
from tests.assessments.claim_factories import assess_claim, bank_account, june_claim, mailing_address
from tests.assessments.factories import acting
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory
from tests.filings.factories import edmonton


@pytest.fixture
def issued(account, owner, staff, django_capture_on_commit_callbacks):
    """Two refunds issued in one run: $130.00 by cheque (this account) and $91.00 by direct deposit (another
    account with banking, 700 L), then the files closed."""
    mailing_address(account)
    assess_claim(django_capture_on_commit_callbacks, claim=june_claim(account=account, user=owner))
    other = ProgramAccountFactory(taxpayer__legal_name="=Deposit Fuels Ltd.")
    mailing_address(other)
    bank_account(other, number="123456789012")
    assess_claim(
        django_capture_on_commit_callbacks, claim=june_claim(account=other, user=owner, litres="700")
    )
    for refund in Refund.objects.all():
        refunds.refund_approve(refund=refund, actor=acting(staff))
    with time_machine.travel(edmonton(2024, 6, 21, 5, 30), tick=False):
        run = refunds.refunds_issue(actor=acting())
    assert len(run.issued) == 2
    return run


def rows_of(payment_file) -> list[list[str]]:
    return list(csv.reader(io.StringIO(refund_files.payment_file_content(payment_file).decode())))


def test_a_direct_deposit_batch_and_a_cheque_register(issued):
    deposit = RefundPaymentFile.objects.get(kind=RefundPaymentFile.Kind.DIRECT_DEPOSIT)
    cheque = RefundPaymentFile.objects.get(kind=RefundPaymentFile.Kind.CHEQUE)
    assert sorted(issued.files) == sorted([deposit.pk, cheque.pk])
    rows = rows_of(deposit)
    assert rows[0][:4] == ["H", "1", "direct_deposit", deposit.reference]
    assert rows[1] == refund_files.DD_COLUMNS
    refund = Refund.objects.get(method=Refund.Method.DIRECT_DEPOSIT)
    assert rows[2] == [
        "D",
        str(refund.pk),
        refund.account.number,
        "'=Deposit Fuels Ltd.",  # a name a spreadsheet would read as a formula is quoted
        "001",
        "12345",
        "123456789012",
        "91.00",
        "2024-06-21",
    ]
    assert rows[3] == ["T", "1", "91.00"]
    rows = rows_of(cheque)
    assert rows[1] == refund_files.CHEQUE_COLUMNS
    assert rows[2][3:7] == ["Prairie Fuels Ltd.", "100 Main Street", "", "Red Deer"]
    assert rows[2][10] == "130.00"
    assert rows[-1] == ["T", "1", "130.00"]


def test_the_file_is_kept_encrypted_with_its_checksum(issued):
    deposit = RefundPaymentFile.objects.get(kind=RefundPaymentFile.Kind.DIRECT_DEPOSIT)
    content = refund_files.payment_file_content(deposit)
    assert b"123456789012" in content
    assert b"123456789012" not in bytes(deposit.content_encrypted)
    assert deposit.sha256 == hashlib.sha256(content).hexdigest()


def test_file_totals_equal_the_ledger_postings(issued):
    postings = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND_ISSUED)
    for payment_file in RefundPaymentFile.objects.all():
        in_ledger = sum(
            postings.filter(refund__payment_file=payment_file).values_list("amount", flat=True),
            start=Decimal(0),
        )
        assert payment_file.total == in_ledger
        assert Decimal(rows_of(payment_file)[-1][2]) == in_ledger
    assert sum(RefundPaymentFile.objects.values_list("total", flat=True)) == Decimal("221.00")


def test_a_later_run_makes_new_files(issued, account, owner, staff, django_capture_on_commit_callbacks):
    assess_claim(
        django_capture_on_commit_callbacks, claim=june_claim(account=account, user=owner, litres="100")
    )
    refunds.refund_approve(refund=Refund.objects.get(status=Refund.Status.PENDING), actor=acting(staff))
    run = refunds.refunds_issue(actor=acting())
    assert len(run.files) == 1
    new = RefundPaymentFile.objects.get(pk=run.files[0])
    assert (new.kind, new.count, new.total) == (RefundPaymentFile.Kind.CHEQUE, 1, Decimal("13.00"))
    assert refunds.refunds_issue(actor=acting()).files == []  # nothing issued, no empty file


def test_staff_download_a_file_and_it_is_logged(issued, staff_client, staff):
    deposit = RefundPaymentFile.objects.get(kind=RefundPaymentFile.Kind.DIRECT_DEPOSIT)
    listing = staff_client.get(reverse("admin:assessments_refundpaymentfile_changelist")).content.decode()
    assert deposit.reference in listing
    response = staff_client.get(reverse("admin:assessments_refundpaymentfile_download", args=[deposit.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{deposit.reference}.csv"'
    assert "no-store" in response["Cache-Control"]
    assert response.content == refund_files.payment_file_content(deposit)
    entry = AccessLogEntry.objects.get(action="refund payment file downloaded in staff administration")
    assert (entry.actor, entry.capacity, entry.kind) == (staff, "staff", AccessLogEntry.Kind.READ)
    assert deposit.reference in entry.detail


def test_only_staff_download_and_only_closed_files(issued, owner):
    deposit = RefundPaymentFile.objects.get(kind=RefundPaymentFile.Kind.DIRECT_DEPOSIT)
    url = reverse("admin:assessments_refundpaymentfile_download", args=[deposit.pk])
    response = sign_in(Client(), owner).get(url)
    assert response.status_code == 302  # to the admin sign-in: not staff
    assert b"123456789012" not in response.content
    clerk = sign_in(Client(), UserFactory(is_staff=True))  # staff without the permission to download them
    assert clerk.get(url).status_code == 403
    open_file = RefundPaymentFile.objects.create(
        kind=RefundPaymentFile.Kind.CHEQUE, opened_at=deposit.opened_at
    )
    admin = sign_in(Client(), UserFactory(is_staff=True, is_superuser=True))
    assert (
        admin.get(reverse("admin:assessments_refundpaymentfile_download", args=[open_file.pk])).status_code
        == 404
    )
