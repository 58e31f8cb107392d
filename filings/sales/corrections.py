"""Reads of a seller's rejected sales and accepted records for the web pages that correct them: a rejected sale of
the account (to correct it by sending the corrected row) and one accepted sale or fuel movement as it stands (to
amend or void it). The rows are the ingestion's (filings/sales/models.py); Rejected Sales lists them
(filings.sales.rejected_report), the ingestion's selectors (filings.sales.selectors) the month's sales and
movements."""

from __future__ import annotations

from django.db.models import QuerySet

from filings.sales.models import Movement, RecordType, RejectedRow, Sale
from programs.models import ProgramAccount


def _stored_sales_rows(account: ProgramAccount) -> QuerySet[RejectedRow]:
    return RejectedRow.objects.filter(
        ingestion__account=account, ingestion__record_type=RecordType.SALES, ingestion__validate_only=False
    )


def rejected_sale_for_account(*, account: ProgramAccount, rejected_id: int) -> RejectedRow | None:
    """A rejected sale of the account (corrected or not), with its ingestion and its correction; None when the
    id is another account's, a validate-only answer's or not a sale's."""
    return (
        _stored_sales_rows(account).select_related("ingestion", "corrected_by").filter(pk=rejected_id).first()
    )


def sale_for_account(*, account: ProgramAccount, sale_id: int) -> Sale | None:
    """The sale `sale_id` of the account (the sale itself, revision 0) as it stands: its latest revision, or None
    when it is another account's or not an original sale."""
    original = Sale.objects.filter(account=account, pk=sale_id, kind=Sale.Kind.SALE).first()
    if original is None:
        return None
    return (
        Sale.objects.filter(account=account, invoice_number=original.invoice_number, line=original.line)
        .select_related("bflo")
        .order_by("-revision")
        .first()
    )


def movement_for_account(*, account: ProgramAccount, movement_id: int) -> Movement | None:
    """The movement `movement_id` of the account (the movement itself, revision 0) as it stands: its latest revision,
    or None when it is another account's or not an original movement."""
    original = Movement.objects.filter(
        account=account, pk=movement_id, record=Movement.Record.MOVEMENT
    ).first()
    if original is None:
        return None
    return (
        Movement.objects.filter(
            account=account,
            kind=original.kind,
            document_number=original.document_number,
            bflo_id=original.bflo_id,
            fuel=original.fuel,
        )
        .select_related("bflo")
        .order_by("-revision")
        .first()
    )
