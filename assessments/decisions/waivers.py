"""Decisions on waiver requests: grant (all or some of the charges asked for) or refuse; see the package
docstring."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from assessments import objection_filing
from assessments.decisions.common import (
    WAIVER_ALREADY_REVERSED,
    WAIVER_NOT_ASKED,
    WAIVER_NOTHING_CHOSEN,
    DecisionPreview,
    decision_notice_reference,
    notice_job_schedule,
    preview_refused,
    reasons_check,
)
from assessments.interest import WAIVER_SOURCE_PREFIX
from assessments.models import LedgerTransaction
from assessments.models_objections import WaiverRequest
from assessments.services import ledger
from filings.periods import Period
from programs import money

Kind = LedgerTransaction.Kind
WaiverOutcome = WaiverRequest.Outcome


def waiver_decision_preview(
    *, waiver: WaiverRequest, grant: bool, transaction_ids: Sequence[int]
) -> DecisionPreview:
    """What waiver_decide would do now: the charges reversed (a credit of their sum), or nothing for a refusal;
    the refusals waiver_decide would raise. Reads only."""
    try:
        objection_filing.refuse_if_decided(filing=waiver)
        if not grant:
            return DecisionPreview(amount=None, effect=str(_("Refused: nothing is waived.")))
        entries = _waivable(waiver=waiver, transaction_ids=transaction_ids)
    except ValidationError as error:
        return preview_refused(error)
    return DecisionPreview(
        amount=-sum((entry.amount for entry in entries), start=money.cents(Decimal(0))),
        effect=str(_("Waived: %(charges)s."))
        % {
            "charges": "; ".join(
                f"{entry.kind_label.lower()} of {Period.of(entry.period_end).label} "
                f"{money.format_money(entry.amount)}"
                for entry in entries
            )
        },
    )


# --- Waiver requests ------------------------------------------------------------------------------------------


def _waivable(*, waiver: WaiverRequest, transaction_ids: Sequence[int]) -> list[LedgerTransaction]:
    chosen = sorted({int(pk) for pk in transaction_ids})
    if not chosen:
        raise ValidationError(WAIVER_NOTHING_CHOSEN, code="nothing_chosen")
    asked = set(waiver.transaction_ids)
    for pk in chosen:
        if pk not in asked:
            raise ValidationError(
                WAIVER_NOT_ASKED % {"id": pk, "reference": waiver.reference_number}, code="not_asked"
            )
    entries = list(
        LedgerTransaction.objects.filter(
            account=waiver.account, pk__in=chosen, kind__in=(Kind.PENALTY, Kind.INTEREST)
        )
        .select_related("account__taxpayer")
        .order_by("id")
    )
    if len(entries) != len(chosen):  # pragma: no cover - the request only names the account's charges
        raise ValidationError(WAIVER_NOT_ASKED % {"id": chosen, "reference": waiver.reference_number})
    for entry in entries:
        if LedgerTransaction.objects.filter(reverses=entry).exists():
            raise ValidationError(
                WAIVER_ALREADY_REVERSED
                % {
                    "id": entry.pk,
                    "kind": entry.kind_label.lower(),
                    "period": Period.of(entry.period_end).label,
                },
                code="already_reversed",
            )
    return entries


def waiver_source(*, waiver: WaiverRequest, entry: LedgerTransaction) -> str:
    """The source reference of a waiver's reversal: assessments/interest.py recognizes interest forgiven by it."""
    return f"{WAIVER_SOURCE_PREFIX}{waiver.pk}:{entry.pk}"


@transaction.atomic
def waiver_decide(
    *,
    waiver_id: int,
    grant: bool,
    actor: Actor,
    reasons: str,
    transaction_ids: Sequence[int] = (),
) -> WaiverRequest:
    """Grant (the charges in `transaction_ids`, all or some of those asked for) or refuse a waiver request."""
    reasons = reasons_check(reasons)
    waiver = objection_filing.waiver_request_lock(waiver_id=waiver_id)
    objection_filing.refuse_if_decided(filing=waiver)
    today = timezone.localdate()
    waived: list[LedgerTransaction] = []
    if grant:
        entries = _waivable(waiver=waiver, transaction_ids=transaction_ids)
        for entry in entries:
            ledger.ledger_post(
                account=waiver.account,
                period_end=entry.period_end,
                kind=Kind.REVERSAL,
                amount=-entry.amount,
                description=f"Waiver {waiver.reference_number}: {entry.kind_label.lower()} waived",
                processed_on=today,
                # A penalty stops bearing interest from the decision; interest forgiven never bears any.
                effective_on=today,
                source_reference=waiver_source(waiver=waiver, entry=entry),
                reverses=entry,
                actor=actor,
            )
            waived.append(entry)
    if not waived:
        outcome = WaiverOutcome.REFUSED
    elif {entry.pk for entry in waived} == set(waiver.transaction_ids):
        outcome = WaiverOutcome.GRANTED
    else:
        outcome = WaiverOutcome.PARTLY_GRANTED
    decided = objection_filing.waiver_decision_record(
        waiver=waiver,
        outcome=outcome,
        actor=actor,
        reasons=reasons,
        notice_reference=decision_notice_reference(kind="waiver", filing_id=waiver.pk, day=today),
        waived_transaction_ids=[entry.pk for entry in waived],
        amount_waived=sum((entry.amount for entry in waived), start=money.cents(Decimal(0)))
        if waived
        else None,
    )
    notice_job_schedule("waiver", waiver.pk)
    return decided
