"""The check of an uploaded return file: the schema (filings.xml.parser), then the business rules of the web
form, through the same service functions (one service, two front doors), then the schedule's totals.

`xml_return_check` stores nothing: "Validate only" shows its errors, and "Upload for review" keeps only the
lines it found (in the session) to show them on the review page; the return is filed by
filings.services.return_submit, exactly as the web form files it. What the file can get wrong that the web
form cannot is checked here and nowhere else: the account and period in its header, and its detailed
schedule of transactions, whose totals by fuel and category must equal the lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from filings import services
from filings.models import FuelTaxReturn
from filings.periods import Period
from filings.tax import UNKNOWN_LINE, Computation, LineCategory, LineInput, field_key, fuels, line_kinds
from filings.xml.parser import ReturnReader
from filings.xml.records import (
    HEADER_PATH,
    LINE_PATH,
    MAX_ERRORS_LISTED,
    TRANSACTION_PATH,
    ErrorList,
    HeaderRecord,
    LineRecord,
    TransactionRecord,
    XmlError,
)
from programs import money
from programs.models import ProgramAccount

ACCOUNT_MISMATCH = _("The file is for account %(file)s, but you are filing for account %(account)s.")
TRANSACTION_OUTSIDE_PERIOD = _(
    "The transaction is dated %(date)s, outside the period of the return (%(period)s)."
)
SCHEDULE_DISAGREES = ngettext_lazy(
    "The schedule's transactions of %(fuel)s, “%(category)s” add up to %(schedule)s L (%(transactions)s transaction), "
    "but the line reports %(line)s L.",
    "The schedule's transactions of %(fuel)s, “%(category)s” add up to %(schedule)s L (%(transactions)s transactions), "
    "but the line reports %(line)s L.",
    "count",
)
SCHEDULE_WITHOUT_LINE = ngettext_lazy(
    "The schedule's transactions of %(fuel)s, “%(category)s” add up to %(schedule)s L (%(transactions)s transaction, "
    "the first on this line), but no line reports them.",
    "The schedule's transactions of %(fuel)s, “%(category)s” add up to %(schedule)s L (%(transactions)s transactions, "
    "the first on this line), but no line reports them.",
    "count",
)

PERIOD_PATH = HEADER_PATH + "/Period"
ACCOUNT_PATH = HEADER_PATH + "/AccountNumber"


@dataclass
class ScheduleTotal:
    """The transactions of one fuel and category in the schedule."""

    litres: Decimal
    count: int
    first_line: int
    first_index: int


@dataclass
class XmlReturnCheck:
    """What a file holds and what is wrong with it. `ok`: it can be filed as it is (then `computation` is
    what the review page shows and `lines` what return_submit will be given)."""

    errors: ErrorList
    header: HeaderRecord | None = None
    period: Period | None = None
    lines: list[LineInput] = field(default_factory=list)
    computation: Computation | None = None
    transaction_count: int = 0
    schedule: dict[str, ScheduleTotal] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and self.computation is not None

    @property
    def error_list(self) -> list[XmlError]:
        return self.errors.items


def _labels(key: str) -> dict[str, str]:
    fuel, category = key.split("__", 1)
    label = LineCategory(category).label if category in LineCategory.values else category
    return {"fuel": dict(fuels()).get(fuel, fuel), "category": str(label)}


def xml_return_check(
    *,
    account: ProgramAccount,
    source: str | Path | IO[bytes],
    today: date | None = None,
    max_errors: int = MAX_ERRORS_LISTED,
) -> XmlReturnCheck:
    """Read and check a return file for `account`: schema, business rules, schedule totals. Stores nothing."""
    today = today or timezone.localdate()
    errors = ErrorList(limit=max_errors)
    check = XmlReturnCheck(errors=errors)
    reader = ReturnReader(source, errors)
    line_records: list[LineRecord] = []
    totals: dict[str, ScheduleTotal] = {}
    allowed = {
        field_key(fuel, category) for fuel, category in line_kinds()
    }  # filings.tax.is_allowed, at once
    period_prefix = None  # "2024-06-": the dates a transaction of the period starts with

    for record in reader.records():
        if type(record) is TransactionRecord:
            key = record.fuel + "__" + record.category
            if key not in allowed:
                errors.add(
                    record.line,
                    TRANSACTION_PATH % record.index,
                    UNKNOWN_LINE % {"fuel": record.fuel, "category": record.category},
                )
            if period_prefix is not None and not record.date.startswith(period_prefix):
                errors.add(
                    record.line,
                    TRANSACTION_PATH % record.index,
                    TRANSACTION_OUTSIDE_PERIOD % {"date": record.date, "period": check.period.label},
                )
            # The XSD's Litres pattern admits exactly what programs.money.parse_litres accepts (digits, up to 3
            # decimals, no sign): Decimal() of it is that value, without parsing a few hundred thousand times.
            total = totals.get(key)
            if total is None:
                totals[key] = ScheduleTotal(Decimal(record.litres), 1, record.line, record.index)
            else:
                total.litres += Decimal(record.litres)
                total.count += 1
        elif type(record) is LineRecord:
            line_records.append(record)
        else:
            check.header = record
            check.period = Period.from_key(record.period)
            period_prefix = record.period + "-"

    check.transaction_count = reader.transaction_count
    check.schedule = totals
    check.lines = [LineInput(fuel=r.fuel, category=r.category, litres=r.litres) for r in line_records]
    if reader.fatal or check.header is None:
        return _sorted(check)

    header, period = check.header, check.period
    if header.account_number != account.number:
        errors.add(
            header.account_number_line,
            ACCOUNT_PATH,
            ACCOUNT_MISMATCH % {"file": header.account_number, "account": account.number},
        )
    existing = FuelTaxReturn.objects.filter(
        account=account, period_start=period.start, kind=FuelTaxReturn.Kind.ORIGINAL
    ).first()
    if existing is not None:
        errors.add(header.period_line, PERIOD_PATH, services.ReturnAlreadyFiled(existing).message)
    try:
        computation = services.return_preview(account=account, period=period, lines=check.lines, today=today)
    except services.ReturnLinesInvalid as error:
        for record in line_records:
            message = error.errors_by_key.get(field_key(record.fuel, record.category))
            if message is not None:
                errors.add(record.line, LINE_PATH % record.index, message)
        computation = None
    except ValidationError as error:  # the period: not ended, before the account, after its closure
        for message in error.messages:
            errors.add(header.period_line, PERIOD_PATH, message)
        computation = None

    if reader.schedule_present and reader.invalid_records == 0 and len(line_records) == reader.line_count:
        _schedule_agrees(errors, line_records, totals)
    if not errors:
        check.computation = computation
    return _sorted(check)


def _schedule_agrees(
    errors: ErrorList, line_records: list[LineRecord], totals: dict[str, ScheduleTotal]
) -> None:
    """Business rule of the format: with a schedule, each line's litres equal its transactions' total."""
    reported: dict[str, tuple[Decimal, LineRecord]] = {}
    for record in line_records:
        key = field_key(record.fuel, record.category)
        litres = money.parse_litres(record.litres)
        previous = reported.get(key)
        reported[key] = (
            (previous[0] if previous else Decimal(0)) + litres,
            previous[1] if previous else record,
        )
    for key, (litres, record) in reported.items():
        total = totals.get(key)
        schedule = total.litres if total else Decimal(0)
        if schedule != litres:
            errors.add(
                record.line,
                LINE_PATH % record.index,
                SCHEDULE_DISAGREES
                % {
                    **_labels(key),
                    "schedule": money.format_litres(schedule),
                    "count": total.count if total else 0,
                    "transactions": f"{total.count if total else 0:,}",
                    "line": money.format_litres(litres),
                },
            )
    for key, total in totals.items():
        if key not in reported and total.litres != 0:
            errors.add(
                total.first_line,
                TRANSACTION_PATH % total.first_index,
                SCHEDULE_WITHOUT_LINE
                % {
                    **_labels(key),
                    "schedule": money.format_litres(total.litres),
                    "count": total.count,
                    "transactions": f"{total.count:,}",
                },
            )


def _sorted(check: XmlReturnCheck) -> XmlReturnCheck:
    """Errors in file order (the rules found after reading point back to earlier lines)."""
    check.errors.items.sort(key=lambda error: error.line or 0)
    return check
