"""The payment files of issued refunds (docs/refund-payment-files.md): per run of the refund job, a direct
deposit batch and a cheque register, CSV with a header record, one detail record per refund and a trailer
with the count and the total.

A file's content is written once, when the run closes it, from the refunds issued into it, and kept encrypted
(accounts.crypto: it holds bank account numbers, which exist in clear only while it is written and while staff
download it); its SHA-256, count and total are kept beside it. `payment_file_content` decrypts it for the
download in admin, which writes the access log (assessments/admin/refunds.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.crypto import decrypt, decrypt_bytes, encrypt_bytes
from assessments.models import Refund, RefundPaymentFile
from programs import money
from programs.spreadsheet import cell_text

ORIGINATOR = "ALBERTA TAX AND REVENUE ADMINISTRATION"
FORMAT_VERSION = "1"
DD_COLUMNS = [
    "record",
    "refund_id",
    "tracs_account",
    "payee_name",
    "institution",
    "transit",
    "bank_account",
    "amount",
    "issued_on",
]
CHEQUE_COLUMNS = [
    "record",
    "refund_id",
    "tracs_account",
    "payee_name",
    "address_line1",
    "address_line2",
    "city",
    "province",
    "postal_code",
    "country",
    "amount",
    "issued_on",
]


def _detail(refund: Refund) -> list[str]:
    issued_on = timezone.localdate(refund.issued_at).isoformat()
    if refund.method == Refund.Method.DIRECT_DEPOSIT:
        return [
            "D",
            str(refund.pk),
            refund.account.number,
            cell_text(refund.payee_name),
            refund.institution_number,
            refund.transit_number,
            decrypt(refund.bank_account_encrypted),
            f"{refund.amount:.2f}",
            issued_on,
        ]
    return [
        "D",
        str(refund.pk),
        refund.account.number,
        cell_text(refund.payee_name),
        cell_text(refund.address_line1),
        cell_text(refund.address_line2),
        cell_text(refund.address_city),
        refund.address_province,
        refund.address_postal_code,
        refund.address_country,
        f"{refund.amount:.2f}",
        issued_on,
    ]


def payment_file_render(payment_file: RefundPaymentFile) -> tuple[bytes, int, Decimal]:
    """The file's CSV (UTF-8, CRLF), its count and its total, from the refunds issued into it."""
    refunds = list(payment_file.refunds.select_related("account").order_by("id"))
    total = sum((refund.amount for refund in refunds), start=money.cents(Decimal(0)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = DD_COLUMNS if payment_file.kind == RefundPaymentFile.Kind.DIRECT_DEPOSIT else CHEQUE_COLUMNS
    writer.writerow(
        [
            "H",
            FORMAT_VERSION,
            payment_file.kind,
            payment_file.reference,
            ORIGINATOR,
            timezone.localdate().isoformat(),
        ]
    )
    writer.writerow(columns)
    for refund in refunds:
        writer.writerow(_detail(refund))
    writer.writerow(["T", str(len(refunds)), f"{total:.2f}"])
    return buffer.getvalue().encode(), len(refunds), total


def payment_files_close() -> list[int]:
    """Close every open payment file (the run's, and any a killed run left): write its content once, encrypted.
    Each in its own transaction, holding the file's lock so no refund is added while it is written."""
    closed = []
    for file_id in list(
        RefundPaymentFile.objects.filter(closed_at__isnull=True).values_list("id", flat=True)
    ):
        with transaction.atomic():
            payment_file = RefundPaymentFile.objects.select_for_update().filter(pk=file_id).first()
            if payment_file is None or payment_file.closed_at is not None:
                continue  # closed by another run meanwhile
            content, count, total = payment_file_render(payment_file)
            payment_file.content_encrypted = encrypt_bytes(content)
            payment_file.sha256 = hashlib.sha256(content).hexdigest()
            payment_file.count, payment_file.total = count, total
            payment_file.closed_at = timezone.now()
            payment_file.save()
            closed.append(payment_file.pk)
    return closed


def payment_file_content(payment_file: RefundPaymentFile) -> bytes:
    """The closed file as it was written (decrypted for the download)."""
    if payment_file.closed_at is None or payment_file.content_encrypted is None:
        raise ValueError("An open payment file has no content yet: it is written when the run closes it.")
    return decrypt_bytes(payment_file.content_encrypted)


def payment_file_filename(payment_file: RefundPaymentFile) -> str:
    return f"{payment_file.reference}.csv"
