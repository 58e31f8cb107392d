"""The claims as filing definitions: the fuel tax refund claim, the carbon levy refund claims (fuel vendors,
AT5135; Indians and Indian bands, AT5133), the fuel tax relief inventory declaration and the PROP rebate claim.

They share one table (filings.models.Claim, told apart by its kind), one service (filings/claims.py) and one
set of pages; what each accepts on a line is filings/definitions/claim_lines.py. A claim is not filed for a
period (but PROP's, for the period its claimant chooses): its confirmation number is dated by the day TRA
received it, and nothing is due.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from filings import claim_rules
from filings.models import Claim, ClaimLine
from filings.periods import PeriodKind, PeriodRule
from filings.skeleton.definition import DATED_BY_RECEIPT, FilingDefinition
from programs import money

CERTIFIED_NAME_REQUIRED = _("Enter the name of the person certifying the claim.")
CERTIFIED_CAPACITY_REQUIRED = _("Enter the position or title of the person certifying the claim.")

EMAIL_BODY = (
    "Your {noun} was received by Tax and Revenue Administration.\n\n"
    "Confirmation number: {confirmation}\n"
    "Account: {account} ({account_name})\n"
    "Received: {received} Mountain Time\n"
    "Total refund claimed: {total}\n"
    "Refund by: {refund_method}\n"
    "Certified by: {certified_by}\n\n"
    "Sign in to TRACS to follow it under View Assessment Status and to print its confirmation."
)


def _email_facts(claim: Claim) -> Mapping[str, str]:
    return {
        "total": money.format_money(claim.total_refund),
        "refund_method": str(claim.get_refund_method_display()),
    }


def _access_log_detail(claim: Claim) -> str:
    return f"{claim.confirmation_number} total {money.format_money(claim.total_refund)}"


def _claim(*, kind: Claim.Kind, program: str, prefix: str) -> FilingDefinition[Claim]:
    """A kind of claim: what the four share, the kind's own label, program and confirmation prefix."""
    return FilingDefinition(
        code=kind.value,
        label=kind.label,
        program=program,
        model=Claim,
        line_model=ClaimLine,
        kind=kind.value,
        confirmation_prefix=prefix,
        confirmation_dated_by=DATED_BY_RECEIPT,
        confirmation_constraint="claim_unique_confirmation_number",
        item=claim_rules.ITEM_CLAIM,
        periods=None,
        due_date=None,
        certified_name_required=CERTIFIED_NAME_REQUIRED,
        certified_capacity_required=CERTIFIED_CAPACITY_REQUIRED,
        email_body=EMAIL_BODY,
        email_facts=_email_facts,
        email_purpose="claim-confirmation",
        access_log_detail=_access_log_detail,
        document_kind="claim",
        confirmation_pdf_on_submit=True,
        form_template="filings/claim_form.html",
        review_template="filings/claim_review.html",
        confirmation_template="filings/claim_confirmation.html",
        document_link="claim",
    )


FUEL_TAX_REFUND = _claim(kind=Claim.Kind.FUEL_TAX_REFUND, program="fuel_tax", prefix="FR")
CARBON_LEVY_VENDOR = _claim(kind=Claim.Kind.CARBON_LEVY_VENDOR, program="carbon_levy", prefix="CL")
CARBON_LEVY_INDIAN = _claim(kind=Claim.Kind.CARBON_LEVY_INDIAN, program="carbon_levy", prefix="CL")
INVENTORY_DECLARATION = _claim(kind=Claim.Kind.INVENTORY_DECLARATION, program="fuel_tax", prefix="ID")
# PROP (Prescribed Rebate Off-road Percentages): a claim per period the claimant chooses, at most 12 months
# (filings/definitions/prop_lines.py has its lines, its period's checks and its end).
PROP_CLAIM = replace(
    _claim(kind=Claim.Kind.PROP, program="prop", prefix="PR"),
    periods=PeriodRule(PeriodKind.SPAN, max_months=12),
)
CLAIMS = (FUEL_TAX_REFUND, CARBON_LEVY_VENDOR, CARBON_LEVY_INDIAN, INVENTORY_DECLARATION, PROP_CLAIM)
