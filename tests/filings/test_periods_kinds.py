"""Period kinds beyond the calendar month, and due-date rules as data (filings/periods.py).

Sources: DOMAIN.md (Tourism Levy: "the 28th day after the end of the collection period", monthly or calendar
quarter; AITE: "each Sunday TRA totals the week into a claim"; marked-fuel refund "every 2 weeks"; PROP: a claim
period the claimant chooses, at most 12 months). A due date on a weekend or Alberta statutory holiday moves to the
next business day (programs/reference/holidays.yaml)."""

from datetime import date

import pytest

from filings.periods import (
    FUEL_TAX_DUE_DATE,
    MONTHLY_PERIODS,
    DueBasis,
    DueDateRule,
    Period,
    PeriodKind,
    PeriodRule,
    due_date,
    periods_owed,
)

TOURISM_LEVY = DueDateRule(DueBasis.DAYS_AFTER_END, 28)
ANCHOR = date(
    2021, 6, 7
)  # a Monday; an example anchor, not TRA's (issue 15 chooses and records the real one)
BIWEEKLY = PeriodRule(PeriodKind.BIWEEKLY, anchor=ANCHOR)
PROP = PeriodRule(PeriodKind.SPAN, max_months=12)


def test_a_month_is_still_a_plain_period():
    """`Period(start)` is the month it always was: equal to, and hashed as, the monthly kind spelled out."""
    june = Period(date(2021, 6, 1))
    assert june == Period(date(2021, 6, 1), PeriodKind.MONTHLY) == Period(date(2021, 6, 1), "monthly")
    assert hash(june) == hash(Period(date(2021, 6, 1), PeriodKind.MONTHLY))
    assert june.kind is PeriodKind.MONTHLY
    assert (june.key, june.label, str(june), june.end) == (
        "2021-06",
        "June 2021",
        "2021-06",
        date(2021, 6, 30),
    )
    assert MONTHLY_PERIODS.of(date(2021, 6, 15)) == Period.of(date(2021, 6, 15)) == june
    assert Period(date(2021, 5, 1)) < june < Period(date(2021, 7, 1))


def test_quarter_q1_2021():
    """Q1 2021 is 2021-01-01..2021-03-31, due 2021-04-28 by either rule: 28 days after March 31 is April 28, the
    28th of the month after (Wednesday, a business day)."""
    q1 = Period.of(date(2021, 2, 14), PeriodKind.QUARTERLY)
    assert (q1.start, q1.end, q1.days) == (date(2021, 1, 1), date(2021, 3, 31), 90)
    assert (q1.key, q1.label) == ("2021-Q1", "Q1 2021 (January–March)")
    assert TOURISM_LEVY.due_on(q1) == FUEL_TAX_DUE_DATE.due_on(q1) == date(2021, 4, 28)
    assert q1.has_ended(today=date(2021, 4, 1))
    assert not q1.has_ended(today=date(2021, 3, 31))


def test_quarters_roll_over_the_year():
    """Q4 2020 (October–December) -> Q1 2021, and back; Q4 2020 is due 2020-12-31 + 28 days = 2021-01-28."""
    q4 = Period.from_key("2020-Q4", PeriodKind.QUARTERLY)
    assert (q4.start, q4.end, q4.label) == (
        date(2020, 10, 1),
        date(2020, 12, 31),
        "Q4 2020 (October–December)",
    )
    assert q4.next().key == "2021-Q1"
    assert q4.next().previous() == q4
    assert q4.previous().key == "2020-Q3"
    assert TOURISM_LEVY.due_on(q4) == date(2021, 1, 28)


def test_a_quarterly_due_date_on_a_weekend_moves():
    """Q3 2023 ends Saturday 2023-09-30; 28 days later is Saturday 2023-10-28 -> Monday 2023-10-30."""
    assert TOURISM_LEVY.due_on(Period.from_key("2023-Q3", PeriodKind.QUARTERLY)) == date(2023, 10, 30)


def test_a_week_ending_sunday():
    """Wednesday 2021-06-09 is in the week Monday 2021-06-07 to Sunday 2021-06-13 (AITE's Sunday claim)."""
    week = Period.of(date(2021, 6, 9), PeriodKind.WEEKLY)
    assert (week.start, week.end, week.days) == (date(2021, 6, 7), date(2021, 6, 13), 7)
    assert (week.key, week.label) == ("2021-06-07", "week ending Sunday 2021-06-13")
    assert Period.of(date(2021, 6, 13), PeriodKind.WEEKLY) == week  # the Sunday itself
    assert Period.of(date(2021, 6, 14), PeriodKind.WEEKLY) == week.next()
    assert week.next().label == "week ending Sunday 2021-06-20"
    assert week.previous().key == "2021-05-31"
    assert week.has_ended(today=date(2021, 6, 14))
    assert not week.has_ended(today=date(2021, 6, 13))


def test_a_week_across_new_year():
    """Friday 2021-01-01 is in the week Monday 2020-12-28 to Sunday 2021-01-03."""
    week = Period.of(date(2021, 1, 1), PeriodKind.WEEKLY)
    assert (week.key, week.label) == ("2020-12-28", "week ending Sunday 2021-01-03")


def test_biweekly_periods_from_an_anchor():
    """Anchor Monday 2021-06-07: 2021-06-07..06-20, 06-21..07-04, ...; a day before the anchor is in the period
    before it (2021-05-24..06-06); 2021-12-30 is in 2021-12-20..2022-01-02 (the year rolls over)."""
    first = BIWEEKLY.of(date(2021, 6, 20))
    assert (first.start, first.end, first.days) == (ANCHOR, date(2021, 6, 20), 14)
    assert (first.key, first.label) == ("2021-06-07", "14 days ending 2021-06-20")
    assert BIWEEKLY.of(date(2021, 6, 21)) == first.next() == Period(date(2021, 6, 21), PeriodKind.BIWEEKLY)
    assert BIWEEKLY.of(date(2021, 6, 6)) == first.previous() == Period(date(2021, 5, 24), PeriodKind.BIWEEKLY)
    new_year = BIWEEKLY.of(date(2021, 12, 30))
    assert (new_year.start, new_year.end) == (date(2021, 12, 20), date(2022, 1, 2))


def test_a_biweekly_key_must_start_a_claim_period():
    assert BIWEEKLY.from_key("2021-06-21") == BIWEEKLY.of(date(2021, 6, 25))
    with pytest.raises(ValueError, match="does not start a claim period"):
        BIWEEKLY.from_key("2021-06-14")
    with pytest.raises(ValueError, match="anchor"):
        Period.of(date(2021, 6, 14), PeriodKind.BIWEEKLY)


def test_a_span_of_at_most_twelve_months():
    """PROP: 2010-01-01..2010-12-31 is 12 months; one day more is refused. From 2012-02-29, a year runs to
    2013-02-28 (there is no 2013-02-29)."""
    year = PROP.span(date(2010, 1, 1), date(2010, 12, 31))
    assert (year.key, year.label, year.end) == (
        "2010-01-01..2010-12-31",
        "2010-01-01 to 2010-12-31",
        date(2010, 12, 31),
    )
    with pytest.raises(ValueError, match="at most 12 months"):
        PROP.span(date(2010, 1, 1), date(2011, 1, 1))
    assert PROP.span(date(2012, 2, 29), date(2013, 2, 28)).days == 366
    with pytest.raises(ValueError, match="at most 12 months"):
        PROP.from_key("2012-02-29..2013-03-01")
    with pytest.raises(ValueError, match="a span is chosen"):
        Period.of(date(2010, 1, 1), PeriodKind.SPAN)


def test_the_span_next_to_a_span():
    """As long as it: January–June 2010 -> July–December 2010 (whole months); 2010-01-15..02-14 (31 days) ->
    2010-02-15..03-17."""
    half = Period.span(date(2010, 1, 1), date(2010, 6, 30))
    assert half.next() == Period.span(date(2010, 7, 1), date(2010, 12, 31))
    assert half.previous() == Period.span(date(2009, 7, 1), date(2009, 12, 31))
    odd = Period.span(date(2010, 1, 15), date(2010, 2, 14))
    assert odd.next() == Period.span(date(2010, 2, 15), date(2010, 3, 17))
    assert odd.next().previous() == odd == odd.previous().next()


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        (PeriodKind.MONTHLY, "2021-06"),
        (PeriodKind.MONTHLY, "2020-12"),
        (PeriodKind.QUARTERLY, "2021-Q2"),
        (PeriodKind.QUARTERLY, "1999-Q4"),
        (PeriodKind.WEEKLY, "2021-06-07"),
        (PeriodKind.BIWEEKLY, "2021-06-21"),
        (PeriodKind.SPAN, "2010-01-01..2010-06-30"),
        (PeriodKind.SPAN, "2010-03-05..2010-03-05"),
    ],
)
def test_from_key_round_trips(kind, key):
    period = Period.from_key(key, kind)
    assert period.kind is kind
    assert period.key == key == str(period)
    assert Period.from_key(period.key, kind) == period


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        (PeriodKind.MONTHLY, "2021-13"),
        (PeriodKind.MONTHLY, "2021-Q2"),
        (PeriodKind.QUARTERLY, "2021-Q5"),
        (PeriodKind.QUARTERLY, "2021-Q0"),
        (PeriodKind.QUARTERLY, "2021-04"),
        (PeriodKind.QUARTERLY, "1899-Q1"),
        (PeriodKind.WEEKLY, "2021-06-08"),  # a Tuesday: a week ending Sunday starts on a Monday
        (PeriodKind.WEEKLY, "2021-02-30"),
        (PeriodKind.WEEKLY, "2021-06"),
        (PeriodKind.BIWEEKLY, "21-06-07"),
        (PeriodKind.SPAN, "2010-06-30..2010-01-01"),  # ends before it starts
        (PeriodKind.SPAN, "2010-01-01"),
        (PeriodKind.SPAN, "2010-01-01..2010-13-01"),
        ("fortnightly", "2021-06-07"),
    ],
)
def test_bad_keys(kind, key):
    with pytest.raises(ValueError, match="not a"):
        Period.from_key(key, kind)


@pytest.mark.parametrize(
    ("start", "kind", "until"),
    [
        (date(2021, 6, 2), PeriodKind.MONTHLY, None),
        (date(2021, 2, 1), PeriodKind.QUARTERLY, None),
        (date(2021, 6, 8), PeriodKind.WEEKLY, None),
        (date(2021, 6, 1), PeriodKind.SPAN, None),
        (date(2021, 6, 1), PeriodKind.MONTHLY, date(2021, 6, 30)),
    ],
)
def test_a_period_of_the_wrong_shape_is_refused(start, kind, until):
    with pytest.raises(ValueError):
        Period(start, kind, until)


def test_a_rule_is_checked_when_made():
    with pytest.raises(ValueError, match="anchor"):
        PeriodRule(PeriodKind.BIWEEKLY)
    with pytest.raises(ValueError, match="anchor"):
        PeriodRule(PeriodKind.WEEKLY, anchor=ANCHOR)
    with pytest.raises(ValueError, match="maximum"):
        PeriodRule(PeriodKind.MONTHLY, max_months=12)
    with pytest.raises(ValueError, match="quarterly period where monthly"):
        MONTHLY_PERIODS.check(Period(date(2021, 4, 1), PeriodKind.QUARTERLY))
    with pytest.raises(ValueError, match="28th"):
        DueDateRule(DueBasis.DAY_OF_FOLLOWING_MONTH, 29)
    with pytest.raises(ValueError, match="before the period end"):
        DueDateRule(DueBasis.DAYS_AFTER_END, -1)


def test_fuel_tax_due_date_is_built_on_its_rule():
    """June 2021 -> 2021-07-28; July 2021 -> Saturday 2021-08-28 -> Monday 08-30; December 2021 -> 2022-01-28."""
    for key, due in [
        ("2021-06", date(2021, 7, 28)),
        ("2021-07", date(2021, 8, 30)),
        ("2021-12", date(2022, 1, 28)),
    ]:
        month = Period.from_key(key)
        assert due_date(month.end) == FUEL_TAX_DUE_DATE.due_on(month) == month.due_on == due


def test_due_dates_on_a_holiday_move():
    """The week ending Sunday 2021-04-25 + 28 days = Sunday 2021-05-23, and Monday 05-24 is Victoria Day ->
    Tuesday 2021-05-25. The 1st of the month after June 2021 is Canada Day (Thursday) -> Friday 2021-07-02."""
    week = Period.of(date(2021, 4, 21), PeriodKind.WEEKLY)
    assert TOURISM_LEVY.due_on(week) == date(2021, 5, 25)
    assert DueDateRule(DueBasis.DAY_OF_FOLLOWING_MONTH, 1).due_on(Period(date(2021, 6, 1))) == date(
        2021, 7, 2
    )


def test_the_two_rules_part_for_a_week():
    """Week ending Sunday 2021-06-13: the 28th of the month after is Wednesday 2021-07-28; 28 days after is
    Sunday 2021-07-11 -> Monday 2021-07-12. Zero days after a Sunday end is the Monday after it."""
    week = Period.of(date(2021, 6, 13), PeriodKind.WEEKLY)
    assert FUEL_TAX_DUE_DATE.due_on(week) == date(2021, 7, 28)
    assert TOURISM_LEVY.due_on(week) == date(2021, 7, 12)
    assert DueDateRule(DueBasis.DAYS_AFTER_END, 0).due_on(week) == date(2021, 6, 14)


def test_quarters_owed():
    """Effective 2021-02-15, on 2021-10-01: Q1, Q2 and Q3 2021 have ended (Q4 has not)."""
    owed = periods_owed(
        effective_date=date(2021, 2, 15), closed_on=None, today=date(2021, 10, 1), kind=PeriodKind.QUARTERLY
    )
    assert [period.key for period in owed] == ["2021-Q1", "2021-Q2", "2021-Q3"]
    on_its_last_day = periods_owed(
        effective_date=date(2021, 2, 15), closed_on=None, today=date(2021, 9, 30), kind=PeriodKind.QUARTERLY
    )
    assert on_its_last_day[-1] == Period.from_key("2021-Q2", PeriodKind.QUARTERLY)  # Q3 has not ended yet


def test_weeks_and_biweekly_periods_owed_up_to_closing():
    """Weeks from Wednesday 2021-06-09, closed Tuesday 2021-06-22: the weeks ending 06-13, 06-20 and 06-27 (the
    week it closed in), even on a later day. Biweekly from the anchor, on 2021-07-05: two periods ended."""
    weeks = periods_owed(
        effective_date=date(2021, 6, 9),
        closed_on=date(2021, 6, 22),
        today=date(2021, 8, 1),
        kind=PeriodKind.WEEKLY,
    )
    assert [week.end for week in weeks] == [date(2021, 6, 13), date(2021, 6, 20), date(2021, 6, 27)]
    owed = BIWEEKLY.owed(effective_date=ANCHOR, closed_on=None, today=date(2021, 7, 5))
    assert [period.key for period in owed] == ["2021-06-07", "2021-06-21"]
    monthly = MONTHLY_PERIODS.owed(effective_date=date(2021, 1, 10), closed_on=None, today=date(2021, 4, 1))
    assert monthly == periods_owed(effective_date=date(2021, 1, 10), closed_on=None, today=date(2021, 4, 1))
    assert [period.key for period in monthly] == ["2021-01", "2021-02", "2021-03"]


def test_no_span_is_ever_owed():
    with pytest.raises(ValueError, match="a span is chosen"):
        PROP.owed(effective_date=date(2010, 1, 1), closed_on=None, today=date(2011, 1, 1))
