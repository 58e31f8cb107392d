"""What assessing a refund claim computes: every line recomputed, compared with what was claimed, adjusted as
staff decide. Pure: reads the claim and the rate and rule data, writes nothing (the admin queue shows it, the
automatic job uses it to find clean claims, assessments/claims.py stores it).

Recomputing a line: exactly as the claim was computed when it was filed (filings.claims.claim_preview, the one
door for that arithmetic), one line at a time, as of the day TRA received it: the refund per litre in force on
the date of purchase (fuel tax refund: the fuel tax rate, or the difference of two rates for a rebranded fuel;
carbon levy: the levy rate; inventory declaration: the declaration's refund per litre) and the line's claim
window by the day of receipt. A line that no longer passes (its window closed, no rate in force) is
disallowed with the rule's own message. Staff may allow other litres on a line or disallow it, with a reason
(`LineAdjustment`). The tolerance (assessments/rules/assessment.yaml, by the day of receipt) applies as for
returns (assessments.skeleton.Comparison): a difference of $20.00 or less leaves the refund claimed.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments import rules
from assessments.skeleton import AssessmentRefused, Comparison
from filings import claims as filing_claims
from filings.models import Claim, ClaimLine
from programs import money

ZERO = money.cents(Decimal(0))
NO_LITRES = Decimal("0.000")

ADJUSTMENT_REASON_REQUIRED = _("Line %(line)s: give the reason for allowing other litres or disallowing it.")
ADJUSTMENT_UNKNOWN_LINE = _("Line %(line)s is not a line of claim %(number)s.")
ADJUSTMENT_LITRES_MORE = _("Line %(line)s: no more litres can be allowed than were claimed (%(litres)s L).")

REASON_LITRES = "Litres allowed {allowed} L of the {claimed} L claimed: {why}"
REASON_DISALLOWED = "Disallowed: {why}"
REASON_RATE = "Refund per litre in force on {day}: ${rate}/L from {since}; the claim applied ${claimed}/L."
REASON_ARITHMETIC = "{litres} L x ${rate}/L = {refund}, rounded to the cent; the claim showed {claimed}."


class ClaimAssessmentRefused(AssessmentRefused):
    """The claim cannot be assessed (or reassessed) as asked; nothing was written."""


@dataclass(frozen=True)
class LineAdjustment:
    """What staff decided about one claim line: other litres allowed (fewer than claimed), or none at all."""

    litres: Decimal | str | None = None
    disallow: bool = False
    reason: str = ""


@dataclass(frozen=True)
class LineResult:
    line: ClaimLine
    litres_allowed: Decimal
    rate_value: Decimal | None
    rate_effective_from: date | None
    refund_allowed: Decimal
    disallowed: bool
    reason: str

    @property
    def difference(self) -> Decimal:
        return self.refund_allowed - self.line.refund

    @property
    def as_claimed(self) -> bool:
        return (
            not self.disallowed
            and self.litres_allowed == self.line.litres
            and self.rate_value == self.line.rate_value
            and self.refund_allowed == self.line.refund
        )


@dataclass(frozen=True)
class ClaimRecomputation(Comparison):
    """A claim recomputed: the refund claimed (`filed`) against the refund its lines recompute to, with the
    tolerance of its day of receipt (assessments.skeleton.Comparison decides which stands)."""

    claim: Claim
    lines: tuple[LineResult, ...]
    adjusted: bool = field(default=False)

    @property
    def claimed(self) -> Decimal:
        return self.filed

    @property
    def allowed(self) -> Decimal:
        return self.assessed

    @property
    def is_clean(self) -> bool:
        """Every line recomputes to what was claimed, nothing adjusted: the automatic job assesses these."""
        return not self.adjusted and all(line.as_claimed for line in self.lines) and self.difference == 0


def received_on(claim: Claim) -> date:
    return timezone.localdate(claim.received_at)


def claim_period_end(claim: Claim) -> date:
    """The ledger period of a claim's postings: the month-end of the day TRA received it (in Alberta)."""
    day = received_on(claim)
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _input_of(line: ClaimLine, litres: Decimal) -> filing_claims.ClaimLineInput:
    return filing_claims.ClaimLineInput(
        fuel=line.fuel,
        litres=litres,
        purchase_date=line.purchase_date,
        document_number=line.document_number,
        reason=line.reason,
        event_date=line.event_date,
        rebranded_to=line.rebranded_to,
        sector=line.sector,
        activity=line.activity,
        vehicle_category=line.vehicle_category,
    )


def _rule_of(*, claim: Claim, line: ClaimLine, litres: Decimal):
    """(the line as filings computes it as of the day of receipt, or None; the message of the rule it fails)."""
    try:
        computed = filing_claims.claim_lines_preview(
            account=claim.account,
            kind=claim.kind,
            lines=[_input_of(line, litres)],
            today=received_on(claim),
            period=claim.claim_period,
            excluding=claim.pk,
        )
    except filing_claims.ClaimLinesInvalid as error:
        return None, " ".join(error.errors_by_line.get(0, {}).values())
    except ValidationError as error:  # the whole claim: e.g. no inventory declaration open that day
        return None, " ".join(error.messages)
    return computed[0], ""


def _line_result(*, claim: Claim, line: ClaimLine, adjustment: LineAdjustment | None) -> LineResult:
    why = (adjustment.reason.strip() if adjustment else "") or ""
    if adjustment is not None and adjustment.disallow:
        return LineResult(line, NO_LITRES, None, None, ZERO, True, REASON_DISALLOWED.format(why=why))
    litres = line.litres
    if adjustment is not None and adjustment.litres is not None:
        litres = money.parse_litres(adjustment.litres)
        if litres == 0:
            return LineResult(line, litres, None, None, ZERO, True, REASON_DISALLOWED.format(why=why))
    computed, failure = _rule_of(claim=claim, line=line, litres=litres)
    if computed is None:
        return LineResult(line, NO_LITRES, None, None, ZERO, True, REASON_DISALLOWED.format(why=failure))
    reasons = []
    if litres != line.litres:
        reasons.append(
            REASON_LITRES.format(
                allowed=money.format_litres(litres), claimed=money.format_litres(line.litres), why=why
            )
        )
    if computed.rate_value != line.rate_value:
        reasons.append(
            REASON_RATE.format(
                day=line.purchase_date.isoformat(),
                rate=computed.rate_value.normalize(),
                since=computed.rate_effective_from.isoformat(),
                claimed=line.rate_value.normalize(),
            )
        )
    elif litres == line.litres and computed.refund != line.refund:
        reasons.append(
            REASON_ARITHMETIC.format(
                litres=money.format_litres(litres),
                rate=computed.rate_value.normalize(),
                refund=money.format_money(computed.refund),
                claimed=money.format_money(line.refund),
            )
        )
    return LineResult(
        line=line,
        litres_allowed=litres,
        rate_value=computed.rate_value,
        rate_effective_from=computed.rate_effective_from,
        refund_allowed=computed.refund,
        disallowed=False,
        reason=" ".join(reasons),
    )


def _adjustments_check(
    *, claim: Claim, lines: list[ClaimLine], adjustments: Mapping[int, LineAdjustment], fallback_reason: str
) -> dict[int, LineAdjustment]:
    by_id = {line.pk: (index, line) for index, line in enumerate(lines, start=1)}
    checked = {}
    for line_id, adjustment in adjustments.items():
        if line_id not in by_id:
            raise ClaimAssessmentRefused(
                ADJUSTMENT_UNKNOWN_LINE % {"line": line_id, "number": claim.confirmation_number},
                code="adjustment_unknown_line",
            )
        index, line = by_id[line_id]
        if not adjustment.disallow and adjustment.litres is None:
            continue
        reason = adjustment.reason.strip() or fallback_reason.strip()
        if not reason:
            raise ClaimAssessmentRefused(
                ADJUSTMENT_REASON_REQUIRED % {"line": index}, code="adjustment_reason"
            )
        if adjustment.litres is not None and not adjustment.disallow:
            try:
                litres = money.parse_litres(adjustment.litres)
            except money.AmountError as error:
                raise ClaimAssessmentRefused(f"Line {index}: {error}", code="adjustment_litres") from error
            if litres > line.litres:
                raise ClaimAssessmentRefused(
                    ADJUSTMENT_LITRES_MORE % {"line": index, "litres": money.format_litres(line.litres)},
                    code="adjustment_litres_more",
                )
        checked[line_id] = LineAdjustment(
            litres=adjustment.litres, disallow=adjustment.disallow, reason=reason
        )
    return checked


def claim_recompute(
    *, claim: Claim, adjustments: Mapping[int, LineAdjustment] | None = None, reason: str = ""
) -> ClaimRecomputation:
    """Recompute `claim` (its lines as claimed, or as adjusted by staff, keyed by claim line id). Pure: reads,
    writes nothing (the admin queue shows it, the automatic job uses it to find clean claims)."""
    lines = list(claim.lines.all())
    checked = _adjustments_check(
        claim=claim, lines=lines, adjustments=adjustments or {}, fallback_reason=reason
    )
    results = tuple(_line_result(claim=claim, line=line, adjustment=checked.get(line.pk)) for line in lines)
    return ClaimRecomputation(
        filed=claim.total_refund,
        recomputed=sum((line.refund_allowed for line in results), start=ZERO),
        tolerance=rules.rule_on(rule=rules.ASSESSMENT_TOLERANCE, day=received_on(claim)),
        claim=claim,
        lines=results,
        adjusted=bool(checked),
    )
