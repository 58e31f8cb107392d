"""What a program says about its filing, so the one flow (filings/skeleton/submission.py, filings/status.py, the
step machine filings/views_steps.py) files it without code of its own.

A definition is a frozen value, kept as a plain module constant (filings/definitions/): no registry, nothing
registered at start-up. filings/definitions/__init__.py lists them (`DEFINITIONS`) and finds a filing's
(`definition_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final, Generic, Literal, TypeVar

from django.db import models

from filings.periods import DueDateRule, Period, PeriodKind, PeriodRule
from filings.skeleton.models import Filing

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from programs.models import ProgramAccount

F = TypeVar("F", bound=Filing)

# Where a confirmation number's month comes from: the period filed for (a return), or the day TRA received it
# (a claim, which has no period).
DATED_BY_PERIOD: Final = "period"
DATED_BY_RECEIPT: Final = "receipt"
DatedBy = Literal["period", "receipt"]

# The one subject of every confirmation e-mail; the body is the program's (`email_body`).
EMAIL_SUBJECT = "TRACS: {noun} received, confirmation number {confirmation}"


@dataclass(frozen=True)
class FilingDefinition(Generic[F]):
    """One return-like program's filing (or one kind of claim): its words, its numbers, its rules of time, what
    is recorded when it is filed, and its pages."""

    code: str  # unique among DEFINITIONS
    label: StrOrPromise  # the noun pages and e-mails use: "fuel tax return", "fuel tax refund claim"
    program: str  # programs.models.Program.code of the accounts that file it
    model: type[F]
    line_model: type[models.Model]
    # The value of the model's `kind` this definition files (the four claims share one table), or None: every
    # row of `model` (a return's kind is original or amended, the same program).
    kind: str | None

    # The confirmation number: `<prefix>-YYYYMM-XXXXXX`, the month taken from the period or the day of receipt;
    # unique by the model's constraint `confirmation_constraint`.
    confirmation_prefix: str
    confirmation_dated_by: DatedBy
    confirmation_constraint: str

    item: str  # its service standard's item (filings/rules/service_standards.yaml): claim_rules.ITEM_RETURN, ...

    # Time: the periods it is filed for (filings.periods.PeriodRule: their kind, a biweekly anchor, a span's
    # longest; None: not filed for a period, a claim has its day of receipt) and the rule that gives a period's
    # due date (None: nothing is due).
    periods: PeriodRule | None
    due_date: DueDateRule | None

    # The certification's refusals, in the program's words.
    certified_name_required: StrOrPromise
    certified_capacity_required: StrOrPromise

    # The confirmation e-mail: its body, formatted with the facts every filing has (noun, confirmation,
    # account, account_name, received, certified_by) and those of `email_facts`.
    email_body: str
    email_facts: Callable[[F], Mapping[str, str]]
    email_purpose: str  # accounts.models.OutboxEmail.purpose

    access_log_detail: Callable[[F], str]  # the access log's detail of a filing filed

    # The confirmation PDF (filings/documents.py): its kind there, and whether filing it queues the PDF at
    # once (else it is made the first time it is asked for).
    document_kind: str
    confirmation_pdf_on_submit: bool

    # Its pages: the lines form, the review with the certification, the confirmation, and the printable PDF.
    form_template: str
    review_template: str
    confirmation_template: str
    pdf_template: str = "filings/confirmation_pdf.html"

    # How pages and e-mails name one filing when the noun is not enough ("fuel tax return for June 2021
    # (version 2)"); None: the noun.
    description: Callable[[F], str] | None = None

    # The confirmation PDF's link on filings.models.ConfirmationDocument (its `LINKS`): "tax_return", "claim".
    document_link: str = ""
    # How the PDF lists the filing's lines: in the order they were entered, unless the program sorts them (a
    # marked-fuel report by location and fuel, its location read with it).
    line_order: tuple[str, ...] = ("id",)
    line_related: tuple[str, ...] = ()
    # Whether TRA assesses it (a notice of assessment for a return, a letter for a claim). False: the marked-fuel
    # monthly report, which charges nothing (ADR 0021), so View Assessment Status shows no amount or notice.
    assessed: bool = True
    # How View Assessment Status names one version of a period's filing; None: "<Label>, <period>" for an
    # original, "Amended return, <period>, version N" for an amendment.
    status_description: Callable[[F], str] | None = None

    # A return owed for every period (a due date): the periods an account owes by `today`, oldest first, when
    # the account decides their kind (a Tourism Levy establishment files monthly or quarterly); None: `periods`
    # from the account's effective date to its closure.
    owed: Callable[[ProgramAccount, date], list[Period]] | None = None
    # The period of an account's filing that contains a day, when the account decides its kind (None: `periods`).
    period_of: Callable[[ProgramAccount, date], Period] | None = None
    # A return's pages' URL names: `<url_prefix>_file`, `_nil`, `_period`, `_amend`, `_confirmation` (File a
    # Return links them), and what File a Return says first of the program's returns.
    url_prefix: str = ""
    owed_intro_template: str = ""
    # The file format its returns may also be uploaded in (filings/xml/formats.py FORMATS, by code): the upload
    # page checks files in it and File a Return offers the upload; "": filed by web form only.
    upload_format: str = ""

    def periods_owed(self, account: ProgramAccount, today: date) -> list[Period]:
        """The periods `account` owes a return for by `today`, oldest first (none when nothing is due)."""
        if self.owed is not None:
            return self.owed(account, today)
        if self.periods is None or self.due_date is None:
            return []
        return self.periods.owed(
            effective_date=account.effective_date, closed_on=account.closed_on, today=today
        )

    @property
    def owed_rule(self) -> PeriodRule | None:
        """The rule whose one sequence of periods every account owes, from its effective date to its closure
        (`periods_owed` without an `owed` of its own); None when the account decides its periods, or nothing is
        due."""
        if self.owed is not None or self.due_date is None:
            return None
        return self.periods

    def period_on(self, account: ProgramAccount, day: date) -> Period:
        """The period of `account`'s filings that contains `day` (a return's period under way)."""
        if self.period_of is not None:
            return self.period_of(account, day)
        if self.periods is None:
            raise ValueError(f"a {self.code} is not filed for a period")
        return self.periods.of(day)

    def described(self, filing: F) -> str:
        """How pages and e-mails name one filing: the definition's `description`, else its noun."""
        return self.description(filing) if self.description is not None else self.noun

    @property
    def period_kind(self) -> PeriodKind | None:
        return self.periods.kind if self.periods is not None else None

    def due_on(self, period: Period) -> date:
        """The day `period`'s filing is due, by the definition's rule."""
        if self.due_date is None:
            raise ValueError(f"nothing is due for a {self.code}")
        return self.due_date.due_on(period)

    @property
    def noun(self) -> str:
        """The label inside a sentence: "a fuel tax return for June 2021", "your carbon levy refund claim"."""
        return str(self.label).lower()

    def access_log_action(self, *, amended: bool = False) -> str:
        """The access log's action: "fuel tax return filed", "fuel tax return amended"."""
        return f"{self.noun} {'amended' if amended else 'filed'}"

    def files(self, filing: Filing) -> bool:
        """Whether `filing` is one of this definition's."""
        return isinstance(filing, self.model) and (
            self.kind is None or getattr(filing, "kind", None) == self.kind
        )
