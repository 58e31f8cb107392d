"""What the decisions on objections and on waiver requests share: their messages, the number of a notice of
decision, the reasons required, the notice job scheduled, the preview shown to staff first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

REASONS_REQUIRED = _("Give the reasons for the decision: they are printed on the notice of decision.")
NOT_A_RETURN_NOTICE = _(
    "%(reference)s objects to %(subject)s: only an objection to a notice of assessment or reassessment of a return, "
    "or to a claim's letter of assessment, can be varied or vacated. Confirm it, or decide it outside TRACS."
)
NOT_LATEST_CLAIM_ASSESSMENT = _(
    "The letter of assessment objected to (%(notice)s) was followed by a later reassessment of claim %(number)s: "
    "only the claim's latest assessment can be vacated. Vary the objection instead."
)
CLAIM_LINE_NOT_ALLOWABLE = _(
    "Claim %(number)s cannot be allowed as filed: line %(line)s no longer passes (%(why)s). Vary the objection "
    "instead."
)
WRONG_ADJUSTMENTS = _("%(reference)s objects to %(subject)s: give %(expected)s, not %(given)s.")
NOTICE_NOT_FOUND = _("The notice %(notice)s named by %(reference)s is not a notice of this account.")
NOT_LATEST_ASSESSMENT = _(
    "The assessment objected to (%(notice)s) was followed by a later reassessment of %(period)s: only the latest "
    "assessment of a period can be vacated. Vary the objection instead."
)
UNKNOWN_OUTCOME = _("Choose confirm, vary or vacate.")
WAIVER_NOTHING_CHOSEN = _("Choose at least one of the charges asked for to grant the waiver, or refuse it.")
WAIVER_NOT_ASKED = _("Transaction %(id)s was not asked to be waived in %(reference)s.")
WAIVER_ALREADY_REVERSED = _(
    "Transaction %(id)s (%(kind)s of %(period)s) was already reversed: it cannot be waived. Refuse or grant the others."
)

REFERENCE_PREFIX = {"objection": "ND", "waiver": "WD"}


def decision_notice_reference(*, kind: str, filing_id: int, day: date) -> str:
    """`ND-202611-0000012` (WD for a waiver): the kind, the month of the decision, the filing."""
    return f"{REFERENCE_PREFIX[kind]}-{day:%Y%m}-{filing_id:07d}"


def reasons_check(reasons: str) -> str:
    if not reasons.strip():
        raise ValidationError(REASONS_REQUIRED, code="reasons_required")
    return reasons.strip()


def notice_job_schedule(kind: str, filing_id: int) -> None:
    from assessments.tasks_decisions import decision_notice_issue

    transaction.on_commit(lambda: decision_notice_issue.delay(kind, filing_id))


@dataclass(frozen=True)
class DecisionPreview:
    """What deciding a filing this way would post (`amount`: positive owing more, negative a credit; None:
    nothing), in words (`effect`), or why it would be refused (`refusal`). Nothing written."""

    amount: Decimal | None
    effect: str
    refusal: str = ""


def preview_refused(error: ValidationError) -> DecisionPreview:
    return DecisionPreview(amount=None, effect="", refusal=" ".join(error.messages))
