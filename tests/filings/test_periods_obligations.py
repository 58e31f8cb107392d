"""Due dates and obligations at their edges: the day before, on and after each boundary.

Rule (fuel tax seed page, "How to file"): a return for every calendar month, received on or before the 28th of
the following month; a 28th on a weekend or Alberta statutory holiday moves to the next business day."""

from datetime import date

import pytest
import time_machine

from filings.periods import Period, days_late, due_date, periods_owed
from filings.selectors import Obligation, obligations_for_account, outstanding_count
from programs import dates
from tests.consent.factories import ProgramAccountFactory
from tests.filings.factories import amend_return, edmonton, file_return


@pytest.mark.parametrize(
    ("period", "due"),
    [
        ("2021-06", date(2021, 7, 28)),  # Wednesday: stays
        ("2021-07", date(2021, 8, 30)),  # 2021-08-28 is a Saturday -> Monday the 30th
        ("2021-10", date(2021, 11, 29)),  # 2021-11-28 is a Sunday -> Monday the 29th
        ("2021-12", date(2022, 1, 28)),  # December -> January 28 of the next year (a Friday)
        ("2022-12", date(2023, 1, 30)),  # December -> 2023-01-28, a Saturday -> Monday the 30th
        ("2024-01", date(2024, 2, 28)),  # January (31 days) -> February 28 of a leap year (Wednesday)
        ("2024-02", date(2024, 3, 28)),  # the day before Good Friday 2024-03-29: stays
        ("2025-11", date(2025, 12, 29)),  # 2025-12-28 is a Sunday -> Monday the 29th
    ],
)
def test_due_date(period, due):
    assert Period.from_key(period).due_on == due
    assert due_date(Period.from_key(period).end) == due


def test_due_date_on_a_holiday_moves_to_the_next_business_day(monkeypatch):
    """A 28th that is a statutory holiday: the calendar is data, so a proclaimed holiday on Monday
    2025-04-28 (added to programs/reference/holidays.yaml) moves March 2025's due date to Tuesday the 29th."""
    assert Period.from_key("2025-03").due_on == date(2025, 4, 28)
    real = dates.holidays()
    monkeypatch.setattr(dates, "holidays", lambda: {**real, date(2025, 4, 28): "Proclaimed holiday"})
    assert Period.from_key("2025-03").due_on == date(2025, 4, 29)


def test_due_date_on_a_weekend_then_a_holiday(monkeypatch):
    """2021-08-28 is a Saturday; were Monday the 30th a holiday, the return would be due Tuesday the 31st."""
    real = dates.holidays()
    monkeypatch.setattr(dates, "holidays", lambda: {**real, date(2021, 8, 30): "Proclaimed holiday"})
    assert Period.from_key("2021-07").due_on == date(2021, 8, 31)


@pytest.mark.parametrize(
    "key", ["2021-13", "2021-00", "2021-6", "21-06", "2021-06-01", "abcd-ef", "", "1899-12", "2021-06\n"]
)
def test_period_keys_refused(key):
    with pytest.raises(ValueError):  # noqa: PT011 - the converter relies on ValueError
        Period.from_key(key)


def test_period_arithmetic():
    june = Period.from_key("2021-06")
    assert (june.start, june.end, june.key, june.label) == (
        date(2021, 6, 1),
        date(2021, 6, 30),
        "2021-06",
        "June 2021",
    )
    assert Period.from_key("2021-12").next() == Period.from_key("2022-01")
    assert Period.from_key("2022-01").previous() == Period.from_key("2021-12")
    assert Period.from_key("2024-02").end == date(2024, 2, 29)
    assert Period.of(date(2021, 6, 17)) == june
    with pytest.raises(ValueError):  # noqa: PT011
        Period(date(2021, 6, 2))


@pytest.mark.parametrize(
    ("today", "ended"),
    [(date(2021, 6, 30), False), (date(2021, 7, 1), True), (date(2021, 7, 2), True)],
)
def test_a_period_ends_after_its_last_day(today, ended):
    assert Period.from_key("2021-06").has_ended(today=today) is ended


@pytest.mark.parametrize(
    ("due", "on", "late"),
    [
        (date(2021, 7, 28), date(2021, 7, 27), 0),
        (date(2021, 7, 28), date(2021, 7, 28), 0),
        (date(2021, 7, 28), date(2021, 7, 29), 1),
    ],
)
def test_days_late(due, on, late):
    assert days_late(due_on=due, on=on) == late


@pytest.mark.parametrize(
    ("effective", "closed", "today", "first", "last", "count"),
    [
        # effective mid-month: that month is owed; none is owed until it has ended
        (date(2021, 6, 15), None, date(2021, 6, 30), None, None, 0),
        (date(2021, 6, 15), None, date(2021, 7, 1), "2021-06", "2021-06", 1),
        # the last month owed is the last one ended: on 2022-01-01, December 2021 is owed
        (date(2021, 1, 1), None, date(2021, 12, 31), "2021-01", "2021-11", 11),
        (date(2021, 1, 1), None, date(2022, 1, 1), "2021-01", "2021-12", 12),
        # closed mid-September: September is the last month owed
        (date(2021, 1, 1), date(2021, 9, 10), date(2022, 3, 1), "2021-01", "2021-09", 9),
        # closed before the month ended: only ended months, up to the closure
        (date(2021, 1, 1), date(2021, 9, 10), date(2021, 9, 20), "2021-01", "2021-08", 8),
    ],
)
def test_periods_owed(effective, closed, today, first, last, count):
    periods = periods_owed(effective_date=effective, closed_on=closed, today=today)
    assert len(periods) == count
    if count:
        assert (periods[0].key, periods[-1].key) == (first, last)


@pytest.mark.parametrize(
    ("today", "status", "late"),
    [
        # June 2021 is due Wednesday 2021-07-28
        (date(2021, 7, 27), Obligation.Status.DUE, 0),
        (date(2021, 7, 28), Obligation.Status.DUE, 0),
        (date(2021, 7, 29), Obligation.Status.OVERDUE, 1),
        (date(2021, 8, 28), Obligation.Status.OVERDUE, 31),
    ],
)
def test_obligation_due_then_overdue(db, today, status, late):
    account = ProgramAccountFactory(effective_date=date(2021, 6, 1))
    june = obligations_for_account(account=account, today=today)[-1]
    assert june.period.key == "2021-06"
    assert june.due_on == date(2021, 7, 28)
    assert (june.status, june.days_late) == (status, late)


@pytest.mark.parametrize(
    ("today", "status", "late"),
    [
        # July 2021 is due Monday 2021-08-30 (the 28th is a Saturday): the 28th itself and the weekend are not late
        (date(2021, 8, 28), Obligation.Status.DUE, 0),
        (date(2021, 8, 30), Obligation.Status.DUE, 0),
        (date(2021, 8, 31), Obligation.Status.OVERDUE, 1),
    ],
)
def test_obligation_moved_due_date(db, today, status, late):
    account = ProgramAccountFactory(effective_date=date(2021, 7, 1))
    july = obligations_for_account(account=account, today=today)[-1]
    assert july.period.key == "2021-07"
    assert (july.status, july.days_late) == (status, late)


def test_obligations_join_filed_returns(account, owner):
    """Filed on time, filed late, and not filed, newest first; an amendment shows as the latest version."""
    with time_machine.travel(edmonton(2021, 2, 10), tick=False):
        january = file_return(account=account, period="2021-01", user=owner)
    with time_machine.travel(edmonton(2021, 4, 2, 23, 30), tick=False):
        february = file_return(account=account, period="2021-02", user=owner, clear_gasoline__taxable="10")

    amended = amend_return(original=february, user=owner, clear_gasoline__taxable="12")
    obligations = obligations_for_account(account=account, today=date(2021, 5, 3))
    assert [o.period.key for o in obligations] == ["2021-04", "2021-03", "2021-02", "2021-01"]
    april, march, feb, jan = obligations
    assert (april.status, april.days_late) == (Obligation.Status.DUE, 0)  # due 2021-05-28
    assert (march.status, march.days_late) == (Obligation.Status.OVERDUE, 5)  # due 2021-04-28
    # February 2021 was due Monday 2021-03-29 (the 28th a Sunday); received 2021-04-02 at 23:30 in Edmonton (already the 3rd in UTC): 4 days late
    assert (feb.status, feb.days_late, feb.original, feb.latest) == (
        Obligation.Status.FILED,
        4,
        february,
        amended,
    )
    assert (jan.status, jan.days_late, jan.original) == (Obligation.Status.FILED, 0, january)
    assert outstanding_count(account=account, today=date(2021, 5, 3)) == 2


def test_obligations_query_count_does_not_grow_with_months(account, django_assert_num_queries):
    with django_assert_num_queries(1):
        obligations = obligations_for_account(account=account, today=date(2026, 11, 24))
    assert len(obligations) == 70  # January 2021 to October 2026


def test_other_programs_owe_no_fuel_tax_returns(db):
    account = ProgramAccountFactory(program="carbon_levy", effective_date=date(2021, 1, 1))
    assert obligations_for_account(account=account, today=date(2022, 1, 1)) == []
