"""The tourism levy return (AT317) as a filing definition: one per establishment and collection period, a month
or a calendar quarter as the account's frequency says (filings/tourism_levy.py `periods_owed`), due the 28th
day after the period ends moved to the next business day (shared/DOMAIN.md "Tourism Levy"), its confirmation
number dated by its period, its confirmation PDF made the first time it is asked for."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from filings import claim_rules, tourism_levy
from filings.definitions.returns import return_access_log_detail, return_description, return_email_facts
from filings.models import TourismLevyExemption, TourismLevyReturn
from filings.periods import PeriodRule
from filings.skeleton.definition import DATED_BY_PERIOD, FilingDefinition

PROGRAM = "tourism_levy"

CERTIFIED_NAME_REQUIRED = _("Enter the name of the person certifying the tourism levy return.")
CERTIFIED_CAPACITY_REQUIRED = _(
    "Enter the position or title of the person certifying the tourism levy return."
)

EMAIL_BODY = (
    "{article} tourism levy return was received by Tax and Revenue Administration.\n\n"
    "Confirmation number: {confirmation}\n"
    "Establishment: {account} ({account_name})\n"
    "Period: {period}\n"
    "Received: {received} Mountain Time\n"
    "Amount payable: {total}\n"
    "Certified by: {certified_by}\n\n"
    "Sign in to TRACS to see the return and print its confirmation page."
)


TOURISM_LEVY_RETURN: FilingDefinition[TourismLevyReturn] = FilingDefinition(
    code="tourism_levy_return",
    label=_("tourism levy return"),
    program=PROGRAM,
    model=TourismLevyReturn,
    line_model=TourismLevyExemption,
    kind=None,
    confirmation_prefix="TL",
    confirmation_dated_by=DATED_BY_PERIOD,
    confirmation_constraint="tourism_levy_return_unique_confirmation_number",
    item=claim_rules.ITEM_RETURN,
    periods=PeriodRule(),  # the kind is the account's (`owed`); a month unless its frequency says a quarter
    due_date=tourism_levy.TOURISM_LEVY_DUE_DATE,
    certified_name_required=CERTIFIED_NAME_REQUIRED,
    certified_capacity_required=CERTIFIED_CAPACITY_REQUIRED,
    email_body=EMAIL_BODY,
    email_facts=return_email_facts,
    email_purpose="return-confirmation",
    access_log_detail=return_access_log_detail,
    document_kind="tourism_levy_return",
    confirmation_pdf_on_submit=False,
    form_template="filings/tourism_levy/return_form.html",
    review_template="filings/tourism_levy/return_review.html",
    confirmation_template="filings/tourism_levy/return_confirmation.html",
    pdf_template="filings/tourism_levy/return_pdf.html",
    description=return_description("tourism levy return"),
    document_link="tourism_levy_return",
    owed=tourism_levy.periods_owed,
    period_of=tourism_levy.period_of,
    url_prefix="tourism_levy_return",
    upload_format="tourism-levy-return-1",
    owed_intro_template="filings/tourism_levy/returns_owed_intro.html",
)
