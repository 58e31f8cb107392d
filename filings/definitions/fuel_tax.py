"""The fuel tax return as a filing definition: monthly, due the 28th of the next month moved to a business day
(filings/periods.py FUEL_TAX_DUE_DATE), its confirmation number dated by its period, its confirmation PDF made the
first time it is asked for."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from filings import claim_rules
from filings.definitions.returns import return_access_log_detail, return_description, return_email_facts
from filings.models import FuelTaxReturn, ReturnLine
from filings.periods import FUEL_TAX_DUE_DATE, MONTHLY_PERIODS
from filings.skeleton.definition import DATED_BY_PERIOD, FilingDefinition

CERTIFIED_NAME_REQUIRED = _("Enter the name of the person certifying the return.")
CERTIFIED_CAPACITY_REQUIRED = _("Enter the position or title of the person certifying the return.")

EMAIL_BODY = (
    "{article} fuel tax return was received by Tax and Revenue Administration.\n\n"
    "Confirmation number: {confirmation}\n"
    "Account: {account} ({account_name})\n"
    "Period: {period}\n"
    "Received: {received} Mountain Time\n"
    "Total tax: {total}\n"
    "Certified by: {certified_by}\n\n"
    "Sign in to TRACS to see the return and print its confirmation page."
)


FUEL_TAX_RETURN: FilingDefinition[FuelTaxReturn] = FilingDefinition(
    code="fuel_tax_return",
    label=_("fuel tax return"),
    program="fuel_tax",
    model=FuelTaxReturn,
    line_model=ReturnLine,
    kind=None,
    confirmation_prefix="FT",
    confirmation_dated_by=DATED_BY_PERIOD,
    confirmation_constraint="fuel_tax_return_unique_confirmation_number",
    item=claim_rules.ITEM_RETURN,
    periods=MONTHLY_PERIODS,
    due_date=FUEL_TAX_DUE_DATE,
    certified_name_required=CERTIFIED_NAME_REQUIRED,
    certified_capacity_required=CERTIFIED_CAPACITY_REQUIRED,
    email_body=EMAIL_BODY,
    email_facts=return_email_facts,
    email_purpose="return-confirmation",
    access_log_detail=return_access_log_detail,
    document_kind="return",
    confirmation_pdf_on_submit=False,
    form_template="filings/return_form.html",
    review_template="filings/return_review.html",
    confirmation_template="filings/return_confirmation.html",
    description=return_description("fuel tax return"),
    document_link="tax_return",
    url_prefix="return",
    upload_format="fuel-tax-return-1",
    owed_intro_template="filings/includes/returns_owed_intro_fuel_tax.html",
)
