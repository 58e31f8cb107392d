"""Reads of Notices of Objection and waiver requests with what they are about, joined: the notice objected to,
the reassessments a decision made, the charges asked to be waived (assessments/models_objections.py)."""

from __future__ import annotations

from django.db.models import QuerySet

from assessments.models import LedgerTransaction, Notice
from assessments.models_objections import Objection, WaiverCharge, WaiverRequest
from programs.models import ProgramAccount


def objections_for_account(*, account: ProgramAccount) -> QuerySet[Objection]:
    return (
        Objection.objects.filter(account=account)
        .select_related("notice")
        .prefetch_related("documents")
        .order_by("-received_at", "-id")
    )


def waiver_requests_for_account(*, account: ProgramAccount) -> QuerySet[WaiverRequest]:
    return (
        WaiverRequest.objects.filter(account=account)
        .prefetch_related("documents")
        .order_by("-received_at", "-id")
    )


def objected_notice(*, objection: Objection) -> Notice | None:
    """The notice `objection` objects to, with its assessment and return (None: a letter)."""
    if objection.notice_id is None:
        return None
    return Notice.objects.select_related("assessment__tax_return").get(pk=objection.notice_id)


def waiver_charges(*, waiver: WaiverRequest) -> list[WaiverCharge]:
    """The charges `waiver` asks to be waived, each with its transaction and the reversal of it if any, by period."""
    return list(
        waiver.waiver_charges.select_related("transaction__reversed_by").order_by(
            "transaction__period_end", "transaction_id"
        )
    )


def waiver_transactions(*, waiver: WaiverRequest) -> list[LedgerTransaction]:
    """The transactions of waiver_charges, in the same order."""
    return [charge.transaction for charge in waiver_charges(waiver=waiver)]
