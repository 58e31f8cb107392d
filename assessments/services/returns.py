"""Assessing and reassessing fuel tax returns: the fuel tax return's part of the one assessment flow
(assessments/skeleton.py), `RETURNS`.

`assessment_make` assesses a received return (the first assessment of its period, or, for an amended return
filed after the period was assessed, its reassessment); `reassessment_make` reassesses a return already
assessed. What only a return has:

- Its lines are recomputed from the dated rates in force on the first day of its period (assessments/
  computation.py); the tolerance is read by the period end.
- An assessment is of a period, whichever version of its return: the latest version only (an earlier one is
  refused), each assessment of the period the next of its sequence. What stood before is the period's assessed
  tax as the ledger holds it (an objection may have vacated an assessment: its postings reversed).
- The change in tax is posted as ASSESSED_TAX (effective the return's due date: interest runs from then); the
  first assessment of a period also posts a late-filing penalty (assessments/penalties.py) with the same
  source reference. Tax is payable with the return; once that day has passed, an amount on a notice is
  payable on the date of the notice.
- The notice of assessment or reassessment (assessments/notices.py, templates/assessments/notice.html) is issued
  for every assessment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import partial

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from assessments import notices, penalties, selectors, skeleton
from assessments.computation import Recomputation, recompute
from assessments.models import Assessment, AssessmentLine, LedgerTransaction, Notice
from assessments.skeleton import REASON_REQUIRED as REASON_REQUIRED  # the refusals callers catch, as
from assessments.skeleton import AssessmentRefused as AssessmentRefused  # the skeleton names them
from assessments.skeleton import Before, Determination, NoticeDraft, Posting
from filings import selectors as filing_selectors
from filings.models import FuelTaxReturn
from programs import money
from programs.models import ProgramAccount

Kind = LedgerTransaction.Kind
Adjustments = Mapping[tuple[str, str], Decimal | str]  # litres assessed by (fuel, category)

NOT_RECEIVED = _(
    "Return %(number)s is “%(status)s”: only a received return (or one in review) can be assessed. "
    "To assess it again, reassess it."
)
NOT_ASSESSED = _(
    "Return %(number)s is “%(status)s”: only an assessed return can be reassessed. Assess it first."
)
LATER_VERSION = _(
    "Return %(number)s is version %(version)s; version %(latest)s of %(period)s was filed since. Assess the latest version."
)


def _standing_tax(*, account: ProgramAccount, period_end: date) -> Decimal:
    """The period's assessed tax as the ledger holds it: every return assessment's change, less any reversed
    (a claim's reassessment may post assessed tax to the same month: its source is not a return's)."""
    prefix = "assessment:"  # selectors.assessment_source
    entries = LedgerTransaction.objects.filter(account=account, period_end=period_end).filter(
        Q(kind=Kind.ASSESSED_TAX, source_reference__startswith=prefix)
        | Q(
            kind=Kind.REVERSAL,
            reverses__kind=Kind.ASSESSED_TAX,
            reverses__source_reference__startswith=prefix,
        )
    )
    return money.cents(entries.aggregate(total=Sum("amount"))["total"] or Decimal(0))


class ReturnDefinition:
    """The fuel tax return's definition for assessments/skeleton.py (see the module docstring)."""

    noun = "return"
    refused = AssessmentRefused
    not_received = NOT_RECEIVED
    not_assessed = NOT_ASSESSED

    def filing_now(self, filing: FuelTaxReturn, *, account: ProgramAccount) -> FuelTaxReturn:
        current = filing_selectors.return_by_confirmation(
            account=account, confirmation_number=filing.confirmation_number
        )
        if current is None:  # the caller holds this return, and a filed return is never deleted
            raise FuelTaxReturn.DoesNotExist(filing.confirmation_number)
        return current

    def refusal(self, filing: FuelTaxReturn, *, account: ProgramAccount) -> AssessmentRefused | None:
        latest = filing_selectors.latest_version(account=account, period=filing.period)
        if latest is None or filing.version == latest.version:
            return None
        return AssessmentRefused(
            LATER_VERSION
            % {
                "number": filing.confirmation_number,
                "version": filing.version,
                "latest": latest,
                "period": filing.period.label,
            },
            code="later_version",
        )

    def recompute(
        self, filing: FuelTaxReturn, *, adjustments: Adjustments | None, reason: str
    ) -> Recomputation:
        return recompute(tax_return=filing, adjustments=adjustments)

    def before(self, filing: FuelTaxReturn) -> Before:
        latest = (
            Assessment.objects.filter(account_id=filing.account_id, period_start=filing.period_start)
            .order_by("-sequence")
            .values_list("sequence", flat=True)
            .first()
        )
        if latest is None:
            return Before(sequence=0, standing=money.cents(Decimal(0)))
        # The last assessment's tax, unless an objection vacated it (its postings reversed,
        # assessments/decisions/), when the ledger holds what stood before it.
        return Before(
            sequence=latest, standing=_standing_tax(account=filing.account, period_end=filing.period_end)
        )

    def store(self, filing: FuelTaxReturn, determination: Determination[Recomputation]) -> Assessment:
        recomputation = determination.recomputation
        assessment = Assessment(
            account=filing.account,
            tax_return=filing,
            period_start=filing.period_start,
            period_end=filing.period_end,
            sequence=determination.sequence,
            kind=determination.kind,
            assessed_at=determination.assessed_at,
            assessed_on=determination.assessed_on,
            assessed_by=determination.assessed_by,
            reason=determination.reason,
            reported_tax=recomputation.reported_tax,
            recomputed_tax=recomputation.recomputed_tax,
            difference=recomputation.difference,
            **recomputation.tolerance_fields(),
            assessed_tax=recomputation.assessed_tax,
            previously_assessed_tax=determination.standing,
            change=determination.change,
            payment_due_on=max(filing.due_on, determination.assessed_on),
            objection_deadline=determination.objection_deadline,
        )
        assessment.full_clean(validate_unique=False, validate_constraints=False)
        assessment.save()  # the unique (account, period, sequence) constraint is the last guard against a twin
        AssessmentLine.objects.bulk_create(
            AssessmentLine(
                assessment=assessment,
                fuel=line.fuel,
                category=line.category,
                litres_reported=line.litres_reported,
                litres_assessed=line.litres_assessed,
                rate_value=line.rate.value,
                rate_effective_from=line.rate.effective_from,
                rate_source=line.rate.source[:500],
                tax_reported=line.tax_reported,
                tax_assessed=line.tax_assessed,
                difference=line.difference,
                reason=line.reason[:500],
            )
            for line in recomputation.lines
        )
        return assessment

    def change_posting(self, assessment: Assessment, filing: FuelTaxReturn) -> Posting:
        what = "Reassessment" if assessment.is_reassessment else "Assessment"
        return Posting(
            period_end=filing.period_end,
            kind=Kind.ASSESSED_TAX,
            amount=assessment.change,
            description=f"{what} of the return for {filing.period.label}",
            effective_on=filing.due_on,
            source_reference=selectors.assessment_source(assessment),
        )

    def rule_postings(self, assessment: Assessment, filing: FuelTaxReturn) -> list[Posting]:
        """The late-filing penalty of a return received after its due date, on the period's first assessment
        only; it bears interest from the day after the date of the assessment."""
        if assessment.sequence != 1:
            return []
        penalty = penalties.penalty_for_return(tax_return=filing, account=assessment.account)
        if penalty is None or penalty.amount <= 0:
            return []
        return [
            Posting(
                period_end=filing.period_end,
                kind=Kind.PENALTY,
                amount=penalty.amount,
                description=penalty.description[:300],
                effective_on=assessment.assessed_on,
                source_reference=selectors.assessment_source(assessment),
            )
        ]

    def rule_postings_preview(self, filing: FuelTaxReturn, *, first: bool) -> Decimal:
        zero = money.cents(Decimal(0))
        if not first:
            return zero
        found = penalties.penalty_for_return(tax_return=filing, account=filing.account)
        return found.amount if found is not None and found.amount > 0 else zero

    def log_detail(self, assessment: Assessment, filing: FuelTaxReturn) -> str:
        return (
            f"{filing.confirmation_number} period {filing.period.key} sequence {assessment.sequence}: reported "
            f"{money.format_money(assessment.reported_tax)}, recomputed {money.format_money(assessment.recomputed_tax)}, "
            f"assessed {money.format_money(assessment.assessed_tax)}"
            f"{' (within tolerance)' if assessment.tolerance_applied else ''}"
        )

    def follow_ups(self, assessment: Assessment) -> Sequence[Callable[[], object]]:
        from assessments.tasks import notice_render as notice_job

        return [partial(notice_job.delay, assessment.pk)]

    def waiting(self, *, limit: int) -> Iterable[FuelTaxReturn]:
        return selectors.returns_to_assess(statuses=(FuelTaxReturn.Status.RECEIVED,))[:limit]

    # The notice of assessment or reassessment.

    def for_notice(self, assessment_id: int) -> Assessment:
        Assessment.objects.select_for_update().filter(pk=assessment_id).values_list("pk", flat=True).get()
        return selectors.assessment_for_notice(assessment_id=assessment_id)

    def notice(self, assessment: Assessment) -> NoticeDraft:
        return NoticeDraft(
            account=assessment.account,
            kind=assessment.kind,
            reference=notices.notice_reference(assessment),
            period_start=assessment.period_start,
            period_end=assessment.period_end,
            issued_on=assessment.assessed_on,
            amount=assessment.assessed_tax,
            objection_deadline=assessment.objection_deadline,
            html=partial(notices.notice_html, assessment=assessment),
            assessment=assessment,
        )


RETURNS = ReturnDefinition()


def assessment_make(
    *, tax_return: FuelTaxReturn, actor: Actor, reason: str = "", adjustments: Adjustments | None = None
) -> Assessment:
    """Assess a received return (or one in review): the first assessment of its period, or a reassessment of
    the period when an earlier version was assessed before (an amended return). `actor` a job: the automatic
    assessment of a clean return. Refused (AssessmentRefused, nothing written): a return not received or in
    review (already assessed: reassess it instead), or one superseded by a later version."""
    return skeleton.assess(
        definition=RETURNS,
        filing=tax_return,
        reassess=False,
        actor=actor,
        reason=reason,
        adjustments=adjustments,
    )


def reassessment_make(
    *, tax_return: FuelTaxReturn, actor: Actor, reason: str, adjustments: Adjustments | None = None
) -> Assessment:
    """Reassess an assessed return: a new assessment of its period (the earlier ones kept), posting the change
    in tax. A reason is required. Refused: a return not yet assessed, or superseded by a later version."""
    return skeleton.assess(
        definition=RETURNS,
        filing=tax_return,
        reassess=True,
        actor=actor,
        reason=reason,
        adjustments=adjustments,
    )


def assessment_preview(
    *,
    tax_return: FuelTaxReturn,
    reassess: bool = False,
    reason: str = "",
    adjustments: Adjustments | None = None,
) -> skeleton.AssessmentPreview:
    """What assessment_make (or, with `reassess`, reassessment_make) would do to `tax_return` as things stand:
    the kind, the tax assessed, the change posted to the ledger and a late-filing penalty (a first assessment
    only, `rule_postings`), or the refusal. Reads only."""
    return skeleton.assessment_preview(
        definition=RETURNS, filing=tax_return, reassess=reassess, reason=reason, adjustments=adjustments
    )


def clean_returns_assess(*, actor: Actor, limit: int = 500) -> list[int]:
    """Assess every clean return waiting in the queue (the latest version of its period, received, every line
    recomputing to what was reported): the automatic assessment (skeleton.clean_filings_assess)."""
    return skeleton.clean_filings_assess(definition=RETURNS, actor=actor, limit=limit)


def notice_render(*, assessment_id: int, actor: Actor) -> Notice:
    """Issue the notice of one assessment: render, store, record, announce. Returns the notice already issued
    when there is one (the job ran twice)."""
    return skeleton.notice_issue_once(definition=RETURNS, assessment_id=assessment_id, actor=actor)
