"""Account Information's returns panel counts the months owed instead of working out each of them (issue 13): the
summary (filings.selectors.open_obligations_summary) must say exactly what the full list (`open_obligations`) says,
at every edge: nothing filed over ten years, scattered gaps, everything filed, a closed account, a due date moved
off a weekend (the day before, on and after it), a return filed for a month before the effective date, and a
tourism levy establishment (its frequency decides its periods: summarised from the full list)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from consent.models import Grant
from filings.definitions.tourism_levy import TOURISM_LEVY_RETURN
from filings.models import FuelTaxReturn
from filings.periods import Period, PeriodKind, period_after, periods_apart
from filings.selectors import _summary, open_obligations, open_obligations_summary
from tests.consent.factories import ProgramAccountFactory

pytestmark = pytest.mark.django_db

SHOWN = 6


def _filed(account, *keys: str) -> None:
    """An original return for each month of `keys` (bulk: the summary reads only their period starts)."""
    now = timezone.now()
    FuelTaxReturn.objects.bulk_create(
        FuelTaxReturn(
            account=account,
            period_start=(period := Period.from_key(key)).start,
            period_end=period.end,
            due_on=period.due_on,
            total_tax=Decimal("0.00"),
            received_at=now,
            confirmation_number=f"S{account.pk:06d}{n:04d}",
            filed_by_email="filer@example.ca",
            filed_in_capacity=Grant.Role.OWNER,
            certified_name="Filer",
            certified_capacity="President",
        )
        for n, key in enumerate(keys)
    )


def _months(first: str, last: str) -> list[str]:
    start, end = Period.from_key(first), Period.from_key(last)
    return [period_after(start, n).key for n in range(periods_apart(start, end) + 1)]


CASES = {
    "ten years, nothing filed": (date(2015, 1, 15), None, (), date(2026, 12, 3)),
    "scattered gaps": (
        date(2015, 1, 1),
        None,
        tuple(key for key in _months("2015-01", "2026-11") if key not in ("2015-03", "2020-07", "2026-11")),
        date(2026, 12, 3),
    ),
    "everything filed": (date(2015, 1, 1), None, tuple(_months("2015-01", "2026-11")), date(2026, 12, 3)),
    "everything filed but the month still due": (
        date(2015, 1, 1),
        None,
        tuple(_months("2015-01", "2026-10")),
        date(2026, 12, 3),
    ),
    "closed years ago": (date(2015, 1, 1), date(2020, 6, 15), ("2016-01",), date(2026, 12, 3)),
    "closed last month, its return still due": (date(2024, 1, 1), date(2026, 11, 10), (), date(2026, 12, 3)),
    "effective this month: nothing owed": (date(2026, 12, 1), None, (), date(2026, 12, 3)),
    # July 2021 is due Monday 2021-08-30 (the 28th a Saturday): still due on the 29th and the 30th, late on the 31st.
    "the day before a due date moved off a weekend": (
        date(2021, 1, 1),
        None,
        ("2021-02",),
        date(2021, 8, 29),
    ),
    "on the moved due date": (date(2021, 1, 1), None, ("2021-02",), date(2021, 8, 30)),
    "the day after the moved due date": (date(2021, 1, 1), None, ("2021-02",), date(2021, 8, 31)),
    "a return for a month before the effective date": (
        date(2021, 3, 1),
        None,
        ("2021-01",),
        date(2021, 8, 31),
    ),
}


@pytest.mark.parametrize(("effective", "closed", "filed", "today"), CASES.values(), ids=CASES.keys())
def test_the_summary_says_what_the_full_list_says(effective, closed, filed, today):
    account = ProgramAccountFactory(effective_date=effective, closed_on=closed)
    _filed(account, *filed)

    summary = open_obligations_summary(account=account, today=today, shown=SHOWN)

    assert summary == _summary(open_obligations(account=account, today=today), shown=SHOWN)


def test_the_summary_of_ten_years_unfiled():
    """Effective 2015-01-15, seen on 2026-12-03: January 2015 to November 2026 owed (143 months), November's
    return due 2026-12-28, the other 142 overdue."""
    account = ProgramAccountFactory(effective_date=date(2015, 1, 15))
    summary = open_obligations_summary(account=account, today=date(2026, 12, 3), shown=SHOWN)
    assert (summary.count, summary.overdue, summary.due, summary.next_due) == (
        143,
        142,
        1,
        date(2026, 12, 28),
    )
    assert [obligation.period.key for obligation in summary.oldest] == _months("2015-01", "2015-06")


def test_a_tourism_levy_establishment_is_summarised_from_its_list():
    account = ProgramAccountFactory(program=TOURISM_LEVY_RETURN.program, effective_date=date(2024, 1, 1))
    today = date(2024, 6, 10)
    summary = open_obligations_summary(account=account, today=today, shown=SHOWN)
    assert summary == _summary(open_obligations(account=account, today=today), shown=SHOWN)
    assert summary.count == 5  # January to May 2024


def test_a_program_without_returns_owes_none():
    account = ProgramAccountFactory(program="tefs")
    assert open_obligations_summary(account=account, today=date(2026, 12, 3), shown=SHOWN).count == 0


@pytest.mark.parametrize(
    ("first", "later", "apart"),
    [
        (Period(date(2021, 6, 1)), Period(date(2022, 1, 1)), 7),
        (Period(date(2021, 6, 1)), Period(date(2021, 6, 1)), 0),
        (Period(date(2021, 6, 1)), Period(date(2021, 1, 1)), -5),
        (Period(date(2021, 4, 1), PeriodKind.QUARTERLY), Period(date(2023, 1, 1), PeriodKind.QUARTERLY), 7),
        (Period(date(2021, 6, 7), PeriodKind.WEEKLY), Period(date(2021, 7, 5), PeriodKind.WEEKLY), 4),
        (Period(date(2021, 6, 7), PeriodKind.BIWEEKLY), Period(date(2021, 8, 2), PeriodKind.BIWEEKLY), 4),
    ],
)
def test_periods_apart_and_after(first, later, apart):
    assert periods_apart(first, later) == apart
    assert period_after(first, apart) == later
    stepped = first
    for _ in range(abs(apart)):
        stepped = stepped.next() if apart > 0 else stepped.previous()
    assert stepped == later  # the arithmetic agrees with stepping one period at a time


def test_a_span_makes_no_sequence():
    span = Period.span(date(2021, 1, 1), date(2021, 6, 30))
    with pytest.raises(ValueError, match="no sequence"):
        periods_apart(span, span)
    with pytest.raises(ValueError, match="no sequence"):
        period_after(span, 1)
