"""Filing periods and their due dates: the date rules of fuel tax returns, in one place.

Fuel tax seed page, "How to file": "The Alberta fuel tax return must be received by TRA on or before the 28th
day of the month following the period end. A return must be filed for each calendar month, whether or not
activity occurred." A due date that falls on a weekend or an Alberta statutory holiday moves to the next
business day (DOMAIN.md, "More rules with numbers"; the holidays are data in programs/reference/holidays.yaml).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from programs.dates import next_business_day

DUE_DAY_OF_FOLLOWING_MONTH = 28  # fuel tax seed page, "How to file"

_KEY = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month of returns, from its first to its last day."""

    start: date

    def __post_init__(self) -> None:
        if self.start.day != 1:
            raise ValueError(f"a period starts on the first of a month, not {self.start.isoformat()}")

    @classmethod
    def of(cls, day: date) -> Period:
        """The period (month) containing `day`."""
        return cls(day.replace(day=1))

    @classmethod
    def from_key(cls, key: str) -> Period:
        """`2021-06` -> June 2021. Raises ValueError for anything else (the URL converter turns it into a 404)."""
        match = _KEY.fullmatch(key)
        if match is None:
            raise ValueError(f"not a period: {key!r}")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 1900:
            raise ValueError(f"not a period: {key!r}")
        return cls(date(year, month, 1))

    @property
    def end(self) -> date:
        return self.start.replace(day=calendar.monthrange(self.start.year, self.start.month)[1])

    @property
    def key(self) -> str:
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.start.month]} {self.start.year}"

    def next(self) -> Period:
        return Period(self.end + timedelta(days=1))

    def previous(self) -> Period:
        return Period.of(self.start - timedelta(days=1))

    @property
    def due_on(self) -> date:
        return due_date(self.end)

    def has_ended(self, *, today: date) -> bool:
        """A period has ended once its last day is over: June's return can be filed from July 1."""
        return today > self.end

    def __str__(self) -> str:
        return self.key


def due_date(period_end: date) -> date:
    """The 28th of the month after `period_end`, moved to the next business day.

    June 2021 -> 2021-07-28 (Wednesday); July 2021 -> 2021-08-28 is a Saturday -> Monday 2021-08-30;
    December 2021 -> 2022-01-28 (the year rolls over)."""
    following = period_end.replace(day=1) + timedelta(days=32)
    return next_business_day(following.replace(day=DUE_DAY_OF_FOLLOWING_MONTH))


def days_late(*, due_on: date, on: date) -> int:
    """Days after the due date (0 on the due date itself and before it: "on or before the 28th")."""
    return max(0, (on - due_on).days)


def periods_owed(*, effective_date: date, closed_on: date | None, today: date) -> list[Period]:
    """Every month a return is owed for, oldest first: from the month of the effective date to the last
    month that has ended by `today`, and no later than the month in which the account closed."""
    first = Period.of(effective_date)
    last = Period.of(today).previous()
    if closed_on is not None:
        last = min(last, Period.of(closed_on))
    periods = []
    current = first
    while current <= last:
        periods.append(current)
        current = current.next()
    return periods
