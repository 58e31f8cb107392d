"""The check of an uploaded tourism levy return: the schema (reader.py), then the web form's rules through the
web form's service (filings/services_tourism_levy.py `tourism_levy_preview`: the establishment's frequency,
its opening and closure, the establishment named, the figures), each refusal pointed back at its element.

`xml_levy_return_check` stores nothing: "Validate only" shows its errors; "Upload for review" keeps the
figures (in the session) for the review page, and `tourism_levy_return_submit` files them, exactly as the
web form's. The figures are checked once the file matches the schema (a figure that is not an amount is the
schema's error; checking the rest without it would report its consequences as more errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings import services_tourism_levy
from filings.models import TourismLevyReturn
from filings.periods import Period, PeriodKind
from filings.services_tourism_levy import ESTABLISHMENT, TourismLevyAlreadyFiled, TourismLevyInvalid
from filings.tourism_levy import (
    EXEMPT_PREFIX,
    FEES,
    LEVY_COLLECTED,
    LEVY_KEPT,
    LevyComputation,
    LevyError,
    LevyInput,
    levy_compute,
)
from filings.xml.records import MAX_ERRORS_LISTED, ErrorList, XmlError
from filings.xml.tourism_levy.reader import LevyFile, Value, read_levy_return
from programs.models import ProgramAccount

ACCOUNT_MISMATCH = _(
    "The file is for account %(file)s, but you are filing for the establishment %(account)s."
)
NOT_A_PERIOD = _("%(period)s is not a period TRACS takes returns for.")
REASON_TWICE = _(
    "“%(reason)s” is reported more than once: report each reason once, with its total for the period."
)


@dataclass
class LevyReturnCheck:
    """What a file holds and what is wrong with it. `ok`: it can be filed as it is (then `computation` is what
    the review shows and `levy_input` what tourism_levy_return_submit will be given)."""

    errors: ErrorList
    file: LevyFile | None = None
    period: Period | None = None
    levy_input: LevyInput | None = None
    computation: LevyComputation | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.computation is not None

    @property
    def error_list(self) -> list[XmlError]:
        return self.errors.items


def levy_input_of(file: LevyFile) -> LevyInput:
    """The figures as written (text): the service reads them as it reads the web form's boxes."""
    return LevyInput(
        gross_revenue=file.gross_revenue.text,
        fees=file.fees.text if file.fees else "",
        exempt={reason.text: amount.text for reason, amount in file.exemptions},
        levy_collected=file.levy_collected.text,
        levy_collected_abated=file.levy_collected_abated.text if file.levy_collected_abated else "",
    )


def levy_figures(levy_input: LevyInput) -> dict[str, Any]:
    """The figures as the session keeps them for the review (text), and back (`levy_input_from`)."""
    return {
        "gross_revenue": str(levy_input.gross_revenue),
        "fees": str(levy_input.fees),
        "exempt": {reason: str(amount) for reason, amount in levy_input.exempt.items()},
        "levy_collected": str(levy_input.levy_collected),
        "levy_collected_abated": str(levy_input.levy_collected_abated),
    }


def levy_input_from(figures: dict[str, Any]) -> LevyInput:
    return LevyInput(
        gross_revenue=figures["gross_revenue"],
        fees=figures["fees"],
        exempt=dict(figures["exempt"]),
        levy_collected=figures["levy_collected"],
        levy_collected_abated=figures["levy_collected_abated"],
    )


def _where(file: LevyFile, field: str) -> Value:
    """The element a refusal of the service's `field` is about."""
    if field == ESTABLISHMENT:
        return file.account_number
    if field == FEES and file.fees is not None:
        return file.fees
    if field == LEVY_KEPT and file.levy_collected_abated is not None:
        return file.levy_collected_abated
    if field == LEVY_COLLECTED:
        return file.levy_collected
    if field.startswith(EXEMPT_PREFIX):
        code = field.removeprefix(EXEMPT_PREFIX)
        for reason, _amount in file.exemptions:
            if reason.text == code:
                return reason
    return file.gross_revenue  # GROSS_REVENUE, and a rate not on file (said of the revenue, as on the form)


def _figures_refused(errors: ErrorList, file: LevyFile, by_field: dict[str, str]) -> None:
    for field, message in by_field.items():
        at = _where(file, field)
        errors.add(
            at.line, at.path.removesuffix("/Reason") if field.startswith(EXEMPT_PREFIX) else at.path, message
        )


def _establishment_refused(account: ProgramAccount, number: str) -> str | None:
    """The service's refusal of the account number the file names: another establishment of the operator is
    named as such; any other number is a file for another account."""
    refusal = services_tourism_levy.establishment_error(account=account, establishment=number)
    if refusal == str(services_tourism_levy.NOT_THIS_ESTABLISHMENT % {"this": account.number}):
        return str(
            ACCOUNT_MISMATCH % {"file": number, "account": account.number}
        )  # the form's words say "Enter"
    return refusal


def xml_levy_return_check(
    *,
    account: ProgramAccount,
    source: str | Path | IO[bytes],
    today: date | None = None,
    max_errors: int = MAX_ERRORS_LISTED,
) -> LevyReturnCheck:
    """Read and check a tourism levy return file for the establishment `account`. Stores nothing."""
    today = today or timezone.localdate()
    errors = ErrorList(limit=max_errors)
    check = LevyReturnCheck(errors=errors)
    file = read_levy_return(source, errors)
    if file is None:
        return _sorted(check)
    check.file = file
    kind = PeriodKind.QUARTERLY if "Q" in file.period.text else PeriodKind.MONTHLY
    try:
        period = Period.from_key(file.period.text, kind)
    except ValueError:
        errors.add(file.period.line, file.period.path, NOT_A_PERIOD % {"period": file.period.text})
        return _sorted(check)
    check.period = period
    seen: set[str] = set()
    for reason, _amount in file.exemptions:
        if reason.text in seen:
            errors.add(
                reason.line, reason.path.removesuffix("/Reason"), REASON_TWICE % {"reason": reason.text}
            )
        seen.add(reason.text)
    levy_input = check.levy_input = levy_input_of(file)

    by_field: dict[str, str] = {}
    wrong_account = _establishment_refused(account, file.account_number.text)
    if wrong_account:
        by_field[ESTABLISHMENT] = wrong_account
    existing = TourismLevyReturn.objects.filter(
        account=account, period_start=period.start, kind=TourismLevyReturn.Kind.ORIGINAL
    ).first()
    if existing is not None:
        errors.add(file.period.line, file.period.path, TourismLevyAlreadyFiled(existing).message)
    computation = None
    try:
        computation = services_tourism_levy.tourism_levy_preview(
            account=account, period=period, levy_input=levy_input, establishment=account.number, today=today
        )
    except TourismLevyInvalid as error:
        by_field.update(error.errors_by_field)
    except ValidationError as error:  # the period: the other frequency, before the opening, not ended, closed
        for message in error.messages:
            errors.add(file.period.line, file.period.path, message)
        try:  # the figures all the same, with the service's own computation, so every error is listed at once
            levy_compute(period=period, levy_input=levy_input)
        except LevyError as refused:
            by_field.update(refused.errors)
    _figures_refused(errors, file, by_field)
    if not errors:
        check.computation = computation
    return _sorted(check)


def _sorted(check: LevyReturnCheck) -> LevyReturnCheck:
    check.errors.items.sort(key=lambda error: error.line or 0)
    return check
