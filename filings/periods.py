"""Filing periods and their due dates: the date rules of every return and claim, in one place.

A period has a kind (DOMAIN.md; issues 14-16):
- monthly: a calendar month. Fuel tax seed page, "How to file": "A return must be filed for each calendar
  month, whether or not activity occurred";
- quarterly: a calendar quarter (Tourism Levy quarterly filers);
- weekly: seven days, Monday to Sunday ("each Sunday TRA totals the week into a claim", AITE);
- biweekly: fourteen days counted from an anchor date, which the program gives as data (the marked-fuel refund
  "every 2 weeks");
- span: the days a claimant chooses, at most a maximum length (PROP: at most 12 months).

Why one `Period` class with a `kind` (default monthly) rather than a month class beside a general one: every filed
thing, and the skeleton that files it, then holds one type; `Period(start)` stays the calendar month it always
was, so existing callers and stored `period_start` dates read back unchanged. The kind's data (a biweekly anchor,
a span's maximum) lives in `PeriodRule`, which a program definition holds.

Due dates are data too (`DueDateRule`): fuel tax's return "must be received by TRA on or before the 28th day of
the month following the period end"; the Tourism Levy's on "the 28th day after the end of the collection period".
Either moves off a weekend or an Alberta statutory holiday to the next business day (DOMAIN.md, "More rules
with numbers"; the holidays are data in programs/reference/holidays.yaml).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from programs.dates import next_business_day

DUE_DAY_OF_FOLLOWING_MONTH = 28  # fuel tax seed page, "How to file"

_MONTH_KEY = re.compile(r"(\d{4})-(\d{2})")
_QUARTER_KEY = re.compile(r"(\d{4})-Q([1-4])")
_DAY_KEY = r"\d{4}-\d{2}-\d{2}"
_START_KEY = re.compile(_DAY_KEY)
_SPAN_KEY = re.compile(rf"({_DAY_KEY})\.\.({_DAY_KEY})")
_FIRST_YEAR = 1900  # a key before it is a typing mistake, not a period


class PeriodKind(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    SPAN = "span"


MONTHLY = PeriodKind.MONTHLY
_WEEK = timedelta(days=7)
_TWO_WEEKS = timedelta(days=14)


def _month_after(day: date, months: int = 1) -> date:
    """The first of the month `months` after the month of `day` (negative goes back)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _day_key(text: str, key: str) -> date:
    day = date.fromisoformat(text)  # ValueError for 2021-02-30
    if day.year < _FIRST_YEAR:
        raise ValueError(f"not a period: {key!r}")
    return day


@dataclass(frozen=True, order=True)
class Period:
    """A period of returns or claims, from its first day to its last, both included.

    `Period(date(2021, 6, 1))` is June 2021. Other kinds: `Period(start, PeriodKind.QUARTERLY)`, or better
    `Period.of(day, kind)`; a span is `Period.span(start, end)`. `until` is only a span's: the last day chosen."""

    start: date
    kind: PeriodKind = MONTHLY
    until: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", PeriodKind(self.kind))  # "monthly" from a form or a URL: the enum
        start, kind = self.start, self.kind
        if (kind is PeriodKind.SPAN) != (self.until is not None):
            raise ValueError("a span, and only a span, has a last day of its own")
        if kind in (MONTHLY, PeriodKind.QUARTERLY) and start.day != 1:
            raise ValueError(f"a {kind} period starts on the first of a month, not {start.isoformat()}")
        if kind is PeriodKind.QUARTERLY and start.month % 3 != 1:
            raise ValueError(
                f"a calendar quarter starts in January, April, July or October, not {start.isoformat()}"
            )
        if kind is PeriodKind.WEEKLY and start.weekday() != calendar.MONDAY:
            raise ValueError(f"a week ending Sunday starts on a Monday, not {start.isoformat()}")
        if self.until is not None and self.until < start:
            raise ValueError(
                f"a span ends on or after its start: {start.isoformat()}..{self.until.isoformat()}"
            )

    @classmethod
    def of(cls, day: date, kind: PeriodKind = MONTHLY, *, anchor: date | None = None) -> Period:
        """The period of `kind` containing `day`. A biweekly period needs its anchor (the first day of one of its
        periods): 2021-06-20 with anchor 2021-06-07 -> 2021-06-07..2021-06-20."""
        match kind:
            case PeriodKind.MONTHLY:
                return cls(day.replace(day=1))
            case PeriodKind.QUARTERLY:
                return cls(date(day.year, (day.month - 1) // 3 * 3 + 1, 1), kind)
            case PeriodKind.WEEKLY:
                return cls(day - timedelta(days=day.weekday()), kind)
            case PeriodKind.BIWEEKLY:
                if anchor is None:
                    raise ValueError("a biweekly period is counted from an anchor date")
                return cls(anchor + _TWO_WEEKS * ((day - anchor).days // 14), kind)
        raise ValueError("a span is chosen by the claimant: Period.span(start, end)")

    @classmethod
    def span(cls, start: date, end: date) -> Period:
        return cls(start, PeriodKind.SPAN, end)

    @classmethod
    def from_key(cls, key: str, kind: PeriodKind = MONTHLY) -> Period:
        """The period whose `key` this is: `2021-06` -> June 2021, `2021-Q2` (quarterly), `2021-06-07` (weekly or
        biweekly: the first day), `2010-01-01..2010-06-30` (span). Raises ValueError for anything else (the URL
        converter turns it into a 404). The shape only: a program's anchor and maximum are `PeriodRule`'s."""
        try:
            return cls._from_key(key, PeriodKind(kind))
        except ValueError as error:
            raise ValueError(f"not a {kind} period: {key!r}") from error

    @classmethod
    def _from_key(cls, key: str, kind: PeriodKind) -> Period:
        if kind in (MONTHLY, PeriodKind.QUARTERLY):
            match = (_MONTH_KEY if kind is MONTHLY else _QUARTER_KEY).fullmatch(key)
            if match is None or int(match.group(1)) < _FIRST_YEAR:
                raise ValueError(key)
            year, number = int(match.group(1)), int(match.group(2))
            if kind is PeriodKind.QUARTERLY:
                return cls(date(year, number * 3 - 2, 1), kind)
            if not 1 <= number <= 12:
                raise ValueError(key)
            return cls(date(year, number, 1))
        if kind is PeriodKind.SPAN:
            span = _SPAN_KEY.fullmatch(key)
            if span is None:
                raise ValueError(key)
            return cls.span(_day_key(span.group(1), key), _day_key(span.group(2), key))
        if _START_KEY.fullmatch(key) is None:
            raise ValueError(key)
        return cls(_day_key(key, key), kind)

    @property
    def end(self) -> date:
        match self.kind:
            case PeriodKind.MONTHLY:
                return _month_end(self.start)
            case PeriodKind.QUARTERLY:
                return _month_end(_month_after(self.start, 2))
            case PeriodKind.WEEKLY:
                return self.start + timedelta(days=6)
            case PeriodKind.BIWEEKLY:
                return self.start + timedelta(days=13)
        assert self.until is not None  # __post_init__: a span has its last day
        return self.until

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def key(self) -> str:
        match self.kind:
            case PeriodKind.MONTHLY:
                return f"{self.start.year:04d}-{self.start.month:02d}"
            case PeriodKind.QUARTERLY:
                return f"{self.start.year:04d}-Q{self.quarter}"
            case PeriodKind.SPAN:
                return f"{self.start.isoformat()}..{self.end.isoformat()}"
        return self.start.isoformat()

    @property
    def quarter(self) -> int:
        return (self.start.month - 1) // 3 + 1

    @property
    def label(self) -> str:
        """`June 2021`, `Q2 2021 (April–June)`, `week ending Sunday 2021-06-13`, `14 days ending 2021-06-20`,
        `2010-01-01 to 2010-06-30`."""
        match self.kind:
            case PeriodKind.MONTHLY:
                return f"{calendar.month_name[self.start.month]} {self.start.year}"
            case PeriodKind.QUARTERLY:
                months = f"{calendar.month_name[self.start.month]}–{calendar.month_name[self.end.month]}"
                return f"Q{self.quarter} {self.start.year} ({months})"
            case PeriodKind.WEEKLY:
                return f"week ending Sunday {self.end.isoformat()}"
            case PeriodKind.BIWEEKLY:
                return f"14 days ending {self.end.isoformat()}"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def next(self) -> Period:
        """The period after this one. A span's is as long, from the day after it (as many whole months if it is
        whole months, else as many days): a suggestion only, since each span is the claimant's choice."""
        if self.kind is PeriodKind.SPAN:
            first = self.end + timedelta(days=1)
            months = self._whole_months()
            if months is None:
                return Period.span(first, self.end + timedelta(days=self.days))
            return Period.span(first, _month_end(_month_after(first, months - 1)))
        if self.kind in (MONTHLY, PeriodKind.QUARTERLY):
            return Period(self.end + timedelta(days=1), self.kind)
        return Period(self.start + timedelta(days=self.days), self.kind)

    def previous(self) -> Period:
        """The period before this one (for a span, as long, up to the day before it)."""
        if self.kind is PeriodKind.SPAN:
            months = self._whole_months()
            if months is None:
                return Period.span(self.start - timedelta(days=self.days), self.start - timedelta(days=1))
            return Period.span(_month_after(self.start, -months), self.start - timedelta(days=1))
        if self.kind in (MONTHLY, PeriodKind.QUARTERLY):
            return Period.of(self.start - timedelta(days=1), self.kind)
        return Period(self.start - timedelta(days=self.days), self.kind)

    def _whole_months(self) -> int | None:
        """How many calendar months the period covers, if it is whole months (None if not)."""
        if self.start.day != 1 or self.end != _month_end(self.end):
            return None
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def due_on(self) -> date:
        """Fuel tax's due date (`FUEL_TAX_DUE_DATE`); another program asks its own `DueDateRule`."""
        return FUEL_TAX_DUE_DATE.due_on(self)

    def has_ended(self, *, today: date) -> bool:
        """A period has ended once its last day is over: June's return can be filed from July 1."""
        return today > self.end

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class PeriodRule:
    """The periods a program files by, as data in its definition: a kind, a biweekly kind's anchor (the first
    day of any one of its periods), a span's longest length in months.

    `PeriodRule(PeriodKind.BIWEEKLY, anchor=date(2021, 6, 7)).of(date(2021, 6, 22))` -> 2021-06-21..2021-07-04;
    `PeriodRule(PeriodKind.SPAN, max_months=12).span(date(2010, 1, 1), date(2011, 1, 1))` -> ValueError (a year
    and a day)."""

    kind: PeriodKind = MONTHLY
    anchor: date | None = None
    max_months: int | None = None

    def __post_init__(self) -> None:
        if (self.kind is PeriodKind.BIWEEKLY) != (self.anchor is not None):
            raise ValueError("a biweekly rule, and only one, has an anchor date")
        if self.max_months is not None and (self.kind is not PeriodKind.SPAN or self.max_months < 1):
            raise ValueError("only a span has a maximum length, of at least one month")

    def of(self, day: date) -> Period:
        return Period.of(day, self.kind, anchor=self.anchor)

    def span(self, start: date, end: date) -> Period:
        return self.check(Period.span(start, end))

    def from_key(self, key: str) -> Period:
        return self.check(Period.from_key(key, self.kind))

    def check(self, period: Period) -> Period:
        """`period` if it is one of this rule's, else ValueError saying why (a message for the claimant)."""
        if period.kind is not self.kind:
            raise ValueError(f"a {period.kind} period where {self.kind} periods are filed")
        if self.anchor is not None and (period.start - self.anchor).days % 14:
            raise ValueError(f"{period.start.isoformat()} does not start a claim period")
        if self.max_months is not None and period.end >= _same_day_months_later(
            period.start, self.max_months
        ):
            raise ValueError(f"a claim period covers at most {self.max_months} months")
        return period

    def owed(self, *, effective_date: date, closed_on: date | None, today: date) -> list[Period]:
        return periods_owed(
            effective_date=effective_date,
            closed_on=closed_on,
            today=today,
            kind=self.kind,
            anchor=self.anchor,
        )

    def owed_span(
        self, *, effective_date: date, closed_on: date | None, today: date
    ) -> tuple[Period, Period] | None:
        """The first and the last period `owed` lists, without listing those between (None: none owed)."""
        return owed_span(
            effective_date=effective_date,
            closed_on=closed_on,
            today=today,
            kind=self.kind,
            anchor=self.anchor,
        )


MONTHLY_PERIODS = PeriodRule()


def _same_day_months_later(day: date, months: int) -> date:
    """The same day of the month `months` later, or the first of the month after if that month is shorter
    (2012-02-29 + 12 -> 2013-03-01): a span of at most N months ends before it."""
    first = _month_after(day, months)
    if day.day > calendar.monthrange(first.year, first.month)[1]:
        return _month_after(first)
    return first.replace(day=day.day)


class DueBasis(StrEnum):
    DAY_OF_FOLLOWING_MONTH = "day of the month after the period end"
    DAYS_AFTER_END = "days after the period end"


@dataclass(frozen=True)
class DueDateRule:
    """When a period's return is due: the `number`th day of the month after the period end, or `number` days after
    the period end; then, if that is a weekend or holiday, the next business day.

    For a month or quarter both rules of 28 agree (28 days after a month's last day is the 28th of the next
    month): Q1 2021 ends 2021-03-31 -> due 2021-04-28. They part for a week: the week ending Sunday 2021-06-13
    -> the 28th of July (2021-07-28) or 28 days later (Sunday 2021-07-11 -> Monday 2021-07-12)."""

    basis: DueBasis
    number: int
    source: str = ""

    def __post_init__(self) -> None:
        # Every month has a 28th, not every month a 29th: a later day would need a rule for short months.
        if self.basis is DueBasis.DAY_OF_FOLLOWING_MONTH and not 1 <= self.number <= 28:
            raise ValueError(f"the due day of a month is the 1st to the 28th, not {self.number}")
        if self.number < 0:
            raise ValueError(f"a due date is not before the period end ({self.number} days)")

    def due_on(self, period: Period) -> date:
        return self.due_after(period.end)

    def due_after(self, period_end: date) -> date:
        if self.basis is DueBasis.DAY_OF_FOLLOWING_MONTH:
            return next_business_day(_month_after(period_end).replace(day=self.number))
        return next_business_day(period_end + timedelta(days=self.number))


FUEL_TAX_DUE_DATE = DueDateRule(
    DueBasis.DAY_OF_FOLLOWING_MONTH, DUE_DAY_OF_FOLLOWING_MONTH, source='fuel tax seed page, "How to file"'
)


def due_date(period_end: date) -> date:
    """Fuel tax: the 28th of the month after `period_end`, moved to the next business day.

    June 2021 -> 2021-07-28 (Wednesday); July 2021 -> 2021-08-28 is a Saturday -> Monday 2021-08-30;
    December 2021 -> 2022-01-28 (the year rolls over)."""
    return FUEL_TAX_DUE_DATE.due_after(period_end)


def days_late(*, due_on: date, on: date) -> int:
    """Days after the due date (0 on the due date itself and before it: "on or before the 28th")."""
    return max(0, (on - due_on).days)


def periods_owed(
    *,
    effective_date: date,
    closed_on: date | None,
    today: date,
    kind: PeriodKind = MONTHLY,
    anchor: date | None = None,
) -> list[Period]:
    """Every period a return is owed for, oldest first: from the period of the effective date to the last one
    that has ended by `today`, and no later than the period in which the account closed. A span is the
    claimant's to choose, so none is ever owed (ValueError)."""
    span = owed_span(
        effective_date=effective_date, closed_on=closed_on, today=today, kind=kind, anchor=anchor
    )
    if span is None:
        return []
    first, last = span
    periods = []
    current = first
    while current <= last:
        periods.append(current)
        current = current.next()
    return periods


def owed_span(
    *,
    effective_date: date,
    closed_on: date | None,
    today: date,
    kind: PeriodKind = MONTHLY,
    anchor: date | None = None,
) -> tuple[Period, Period] | None:
    """The first and the last of `periods_owed` (None when it is empty), worked out without the periods between."""
    first = Period.of(effective_date, kind, anchor=anchor)
    last = Period.of(today, kind, anchor=anchor).previous()
    if closed_on is not None:
        last = min(last, Period.of(closed_on, kind, anchor=anchor))
    return (first, last) if first <= last else None


def periods_apart(first: Period, later: Period) -> int:
    """How many periods of `first`'s kind `later` starts after `first` (0: the same period; negative: before it),
    by arithmetic, not by stepping: June 2021 to January 2022 is 7 months; 2021-06-07 to 2021-07-05 is 4 weeks.
    Both must be periods of one regular sequence (a span has none: ValueError)."""
    match first.kind:
        case PeriodKind.MONTHLY | PeriodKind.QUARTERLY:
            months = (later.start.year - first.start.year) * 12 + later.start.month - first.start.month
            return months // (3 if first.kind is PeriodKind.QUARTERLY else 1)
        case PeriodKind.WEEKLY | PeriodKind.BIWEEKLY:
            return (later.start - first.start).days // first.days
    raise ValueError("spans are chosen one by one: they make no sequence")


def period_after(first: Period, count: int) -> Period:
    """The period `count` periods after `first` (of its kind; negative goes back): `periods_apart`'s inverse."""
    match first.kind:
        case PeriodKind.MONTHLY:
            return Period(_month_after(first.start, count))
        case PeriodKind.QUARTERLY:
            return Period(_month_after(first.start, 3 * count), first.kind)
        case PeriodKind.WEEKLY | PeriodKind.BIWEEKLY:
            return Period(first.start + timedelta(days=first.days * count), first.kind)
    raise ValueError("spans are chosen one by one: they make no sequence")
