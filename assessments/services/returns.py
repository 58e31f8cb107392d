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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from assessments import notices, penalties, selectors, skeleton
from assessments.computation import Recomputation, recompute
from assessments.models import (
    Assessment,
    AssessmentLine,
    LedgerTransaction,
    Notice,
    ReturnToAssess,
    TourismLevyReturnToAssess,
)
from assessments.skeleton import REASON_REQUIRED as REASON_REQUIRED  # the refusals callers catch, as
from assessments.skeleton import AssessmentRefused as AssessmentRefused  # the skeleton names them
from assessments.skeleton import Before, Determination, NoticeDraft, Posting
from assessments.tourism_levy import recompute as levy_recompute
from filings.models import FuelTaxReturn, TourismLevyReturn
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


@dataclass(frozen=True)
class ReturnProgram:
    """What one program's returns (a PeriodFiling with a `total_tax`) give the return's assessment: the
    fuel tax return's (FUEL_TAX) and the tourism levy return's (TOURISM_LEVY) are data, not flow."""

    noun: str  # how the ledger and the log name it: "return", "tourism levy return"
    link: str  # Assessment's foreign key to it
    queue: type[Any]  # assessments' proxy of its table (the staff queue, the automatic job)
    recompute: Callable[..., Any]  # (filing, adjustments) -> a Comparison with its lines
    penalty: Callable[..., Any]  # (tax_return=, account=) -> its late-filing penalty or None
    interest_from: Callable[[Any], date]  # the day its assessed tax bears interest after
    notice_template: str
    store_lines: Callable[[Assessment, Any], None] = lambda assessment, recomputation: None


def _fuel_tax_lines(assessment: Assessment, recomputation: Recomputation) -> None:
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


FUEL_TAX = ReturnProgram(
    noun="return",
    link="tax_return",
    queue=ReturnToAssess,
    recompute=lambda filing, adjustments: recompute(tax_return=filing, adjustments=adjustments),
    penalty=penalties.penalty_for_return,
    interest_from=lambda filing: filing.due_on,
    notice_template=notices.TEMPLATE,
    store_lines=_fuel_tax_lines,
)
# The tourism levy: its figures recomputed by the levy's computation, no lines by fuel, its own penalty, its
# assessed levy bearing interest after the day it was payable by (its due date, or 2020-08-31 under the deferral).
TOURISM_LEVY = ReturnProgram(
    noun="tourism levy return",
    link="tourism_levy_return",
    queue=TourismLevyReturnToAssess,
    recompute=lambda filing, adjustments: levy_recompute(tax_return=filing, adjustments=adjustments),
    penalty=penalties.penalty_for_tourism_levy_return,
    interest_from=lambda filing: filing.payable_by,
    notice_template="assessments/notice_tourism_levy.html",
)


class ReturnDefinition:
    """A period's return's definition for assessments/skeleton.py (see the module docstring), for one program's
    returns (`program`)."""

    refused = AssessmentRefused
    not_received = NOT_RECEIVED
    not_assessed = NOT_ASSESSED

    def __init__(self, program: ReturnProgram):
        self.program = program
        self.noun = program.noun

    def filing_now(self, filing: Any, *, account: ProgramAccount) -> Any:
        model = self.program.queue._meta.concrete_model
        current = (
            model.objects.filter(account=account, confirmation_number=filing.confirmation_number)
            .select_related("account__taxpayer", "account__program", "amends", "filed_by")
            .prefetch_related("lines")
            .first()
        )
        if current is None:  # the caller holds this return, and a filed return is never deleted
            raise model.DoesNotExist(filing.confirmation_number)
        return current

    def refusal(self, filing: Any, *, account: ProgramAccount) -> AssessmentRefused | None:
        model = self.program.queue._meta.concrete_model
        latest = (
            model.objects.filter(account=account, period_start=filing.period_start)
            .order_by("-version")
            .first()
        )
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

    def recompute(self, filing: Any, *, adjustments: Any, reason: str) -> Any:
        return self.program.recompute(filing, adjustments)

    def before(self, filing: Any) -> Before:
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

    def store(self, filing: Any, determination: Determination[Any]) -> Assessment:
        recomputation = determination.recomputation
        assessment = Assessment(
            account=filing.account,
            **{self.program.link: filing},
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
            payment_due_on=max(self.program.interest_from(filing), determination.assessed_on),
            objection_deadline=determination.objection_deadline,
        )
        assessment.full_clean(validate_unique=False, validate_constraints=False)
        assessment.save()  # the unique (account, period, sequence) constraint is the last guard against a twin
        self.program.store_lines(assessment, recomputation)
        return assessment

    def change_posting(self, assessment: Assessment, filing: Any) -> Posting:
        what = "Reassessment" if assessment.is_reassessment else "Assessment"
        return Posting(
            period_end=filing.period_end,
            kind=Kind.ASSESSED_TAX,
            amount=assessment.change,
            description=f"{what} of the {self.noun} for {filing.period.label}",
            effective_on=self.program.interest_from(filing),
            source_reference=selectors.assessment_source(assessment),
        )

    def rule_postings(self, assessment: Assessment, filing: Any) -> list[Posting]:
        """The late-filing penalty of a return received after its due date, on the period's first assessment
        only; it bears interest from the day after the date of the assessment."""
        if assessment.sequence != 1:
            return []
        penalty = self.program.penalty(tax_return=filing, account=assessment.account)
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

    def rule_postings_preview(self, filing: Any, *, first: bool) -> Decimal:
        zero = money.cents(Decimal(0))
        if not first:
            return zero
        found = self.program.penalty(tax_return=filing, account=filing.account)
        return found.amount if found is not None and found.amount > 0 else zero

    def log_detail(self, assessment: Assessment, filing: Any) -> str:
        return (
            f"{filing.confirmation_number} period {filing.period.key} sequence {assessment.sequence}: reported "
            f"{money.format_money(assessment.reported_tax)}, recomputed {money.format_money(assessment.recomputed_tax)}, "
            f"assessed {money.format_money(assessment.assessed_tax)}"
            f"{' (within tolerance)' if assessment.tolerance_applied else ''}"
        )

    def follow_ups(self, assessment: Assessment) -> Sequence[Callable[[], object]]:
        from assessments.tasks import notice_render as notice_job

        return [partial(notice_job.delay, assessment.pk)]

    def waiting(self, *, limit: int) -> Iterable[Any]:
        return selectors.returns_to_assess(
            statuses=(FuelTaxReturn.Status.RECEIVED,), queue=self.program.queue
        )[:limit]

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
            html=partial(notices.notice_html, assessment=assessment, template=self.program.notice_template),
            assessment=assessment,
        )


RETURNS = ReturnDefinition(FUEL_TAX)
TOURISM_LEVY_RETURNS = ReturnDefinition(TOURISM_LEVY)
DEFINITIONS = (RETURNS, TOURISM_LEVY_RETURNS)


def definition_for(tax_return: Any) -> ReturnDefinition:
    """The definition of a return's program, by its table (a proxy of the queue counts as its table)."""
    for definition in DEFINITIONS:
        if isinstance(tax_return, definition.program.queue._meta.concrete_model):
            return definition
    raise LookupError(f"no assessment definition for {type(tax_return).__name__}")


def latest_version_of(assessment: Assessment) -> Any:
    """The latest version of the return of the assessment's period, whichever program's (an objection's
    reassessment is of it)."""
    model = type(assessment.filing)
    return (
        model.objects.filter(account=assessment.account_id, period_start=assessment.period_start)
        .order_by("-version")
        .first()
    )


def _definition_of_assessment(assessment_id: int) -> ReturnDefinition:
    levy = Assessment.objects.filter(pk=assessment_id, tourism_levy_return__isnull=False).exists()
    return TOURISM_LEVY_RETURNS if levy else RETURNS


def assessment_make(
    *, tax_return: FuelTaxReturn | TourismLevyReturn, actor: Actor, reason: str = "", adjustments: Any = None
) -> Assessment:
    """Assess a received return (or one in review): the first assessment of its period, or a reassessment of
    the period when an earlier version was assessed before (an amended return). `actor` a job: the automatic
    assessment of a clean return. Refused (AssessmentRefused, nothing written): a return not received or in
    review (already assessed: reassess it instead), or one superseded by a later version."""
    return skeleton.assess(
        definition=definition_for(tax_return),
        filing=tax_return,
        reassess=False,
        actor=actor,
        reason=reason,
        adjustments=adjustments,
    )


def reassessment_make(
    *, tax_return: FuelTaxReturn | TourismLevyReturn, actor: Actor, reason: str, adjustments: Any = None
) -> Assessment:
    """Reassess an assessed return: a new assessment of its period (the earlier ones kept), posting the change
    in tax. A reason is required. Refused: a return not yet assessed, or superseded by a later version."""
    return skeleton.assess(
        definition=definition_for(tax_return),
        filing=tax_return,
        reassess=True,
        actor=actor,
        reason=reason,
        adjustments=adjustments,
    )


def assessment_preview(
    *,
    tax_return: FuelTaxReturn | TourismLevyReturn,
    reassess: bool = False,
    reason: str = "",
    adjustments: Any = None,
) -> skeleton.AssessmentPreview:
    """What assessment_make (or, with `reassess`, reassessment_make) would do to `tax_return` as things stand:
    the kind, the tax assessed, the change posted to the ledger and a late-filing penalty (a first assessment
    only, `rule_postings`), or the refusal. Reads only."""
    return skeleton.assessment_preview(
        definition=definition_for(tax_return),
        filing=tax_return,
        reassess=reassess,
        reason=reason,
        adjustments=adjustments,
    )


def clean_returns_assess(*, actor: Actor, limit: int = 500) -> list[int]:
    """Assess every clean return waiting in the queue (the latest version of its period, received, every line
    recomputing to what was reported): the automatic assessment (skeleton.clean_filings_assess)."""
    return [
        assessed
        for definition in DEFINITIONS
        for assessed in skeleton.clean_filings_assess(definition=definition, actor=actor, limit=limit)
    ]


def notice_render(*, assessment_id: int, actor: Actor) -> Notice:
    """Issue the notice of one assessment: render, store, record, announce. Returns the notice already issued
    when there is one (the job ran twice)."""
    return skeleton.notice_issue_once(
        definition=_definition_of_assessment(assessment_id), assessment_id=assessment_id, actor=actor
    )
