"""The tourism levy return's computation and its dated rules (filings/tourism_levy.py,
filings/rules/tourism_levy.yaml, programs/rates/tourism_levy.yaml), each tested on both sides of its dates.

Sources: shared/DOMAIN.md "Tourism Levy" (TRA Information Circular TL-2 and TRA's tourism levy pages)."""

from datetime import date
from decimal import Decimal

import pytest

from filings import tourism_levy
from filings.periods import Period, PeriodKind
from filings.tourism_levy import (
    EXEMPT_MORE_THAN_REVENUE,
    NO_ABATEMENT,
    REASON_NOT_YET,
    TOURISM_LEVY_DUE_DATE,
    LevyError,
    LevyInput,
    Overlap,
    RuleDataError,
    levy_compute,
    payable_by,
    rules_parse,
)
from programs.money import NEGATIVE

QUARTERLY = PeriodKind.QUARTERLY


def month(key: str) -> Period:
    return Period.from_key(key)


def quarter(key: str) -> Period:
    return Period.from_key(key, QUARTERLY)


def compute(period: Period, gross="", collected="", kept="", **exempt) -> tourism_levy.LevyComputation:
    return levy_compute(
        period=period,
        levy_input=LevyInput(
            gross_revenue=gross, exempt=exempt, levy_collected=collected, levy_collected_abated=kept
        ),
    )


def test_ten_thousand_dollars_taxable_is_four_hundred_dollars_of_levy():
    """June 2021: $10,000.00 gross, nothing exempt -> taxable $10,000.00 x 4% = $400.00 levy, $400.00 payable."""
    computation = compute(month("2021-06"), gross="10,000.00", collected="400")
    assert computation.taxable == Decimal("10000.00")
    assert computation.rate_value == Decimal("0.04")
    assert computation.levy == Decimal("400.00")
    assert computation.amount_payable == Decimal("400.00")
    assert computation.levy_collected_total == Decimal("400.00")
    assert computation.rate_percent == Decimal(4)


def test_stays_of_28_days_or_more_are_taken_off_the_gross_revenue():
    """Q2 2021: $52,000.00 gross, of which $7,000.00 long stays and $1,000.00 billed to the Government of Canada
    -> taxable $44,000.00 x 4% = $1,760.00."""
    computation = compute(
        quarter("2021-Q2"), gross="52000", collected="1760", long_stay="7000", government_of_canada="1000.00"
    )
    assert computation.exempt_total == Decimal("8000.00")
    assert computation.taxable == Decimal("44000.00")
    assert computation.levy == Decimal("1760.00")
    assert [line.reason for line in computation.exemptions] == ["long_stay", "government_of_canada"]
    assert computation.exemptions[0].label.startswith("Stays of 28 consecutive days")


def test_the_levy_is_rounded_half_up_to_the_cent_once():
    """$1,234.56 x 4% = $49.3824 -> $49.38; $1,234.63 x 4% = $49.3852 -> $49.39."""
    assert compute(month("2021-06"), gross="1234.56").levy == Decimal("49.38")
    assert compute(month("2021-06"), gross="1234.63").levy == Decimal("49.39")


def test_a_nil_return_has_nothing_payable():
    computation = compute(month("2021-06"))
    assert computation.is_nil
    assert computation.amount_payable == Decimal("0.00")


def test_exempt_amounts_larger_than_the_revenue_are_refused_beside_the_revenue():
    with pytest.raises(LevyError) as raised:
        compute(month("2021-06"), gross="1000", long_stay="800", care_facility="300")
    assert raised.value.errors == {
        "gross_revenue": EXEMPT_MORE_THAN_REVENUE % {"exempt": "$1,100.00", "gross": "$1,000.00"}
    }


def test_negative_amounts_are_refused_beside_their_boxes():
    with pytest.raises(LevyError) as raised:
        compute(month("2021-06"), gross="-5", collected="-1", long_stay="-2")
    assert raised.value.errors == {
        "gross_revenue": str(NEGATIVE),
        "levy_collected": str(NEGATIVE),
        "exempt_long_stay": str(NEGATIVE),
    }


def test_an_unknown_reason_is_refused():
    with pytest.raises(LevyError) as raised:
        compute(month("2021-06"), gross="100", hobbit="5")
    assert "exempt_hobbit" in raised.value.errors


# --- The COVID-19 abatement: 2020-03-01 to 2020-12-31 -------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "overlap"),
    [
        (month("2020-02"), Overlap.NONE),  # the day before it starts: 2020-02-29
        (month("2020-03"), Overlap.WHOLE),  # its first day
        (month("2020-12"), Overlap.WHOLE),  # its last day
        (month("2021-01"), Overlap.NONE),  # the day after it
        (quarter("2019-Q4"), Overlap.NONE),
        (quarter("2020-Q1"), Overlap.PART),  # January and February before it, March inside it
        (quarter("2020-Q2"), Overlap.WHOLE),
        (quarter("2020-Q4"), Overlap.WHOLE),
        (quarter("2021-Q1"), Overlap.NONE),
    ],
    ids=lambda value: getattr(value, "key", value),
)
def test_the_abatement_covers_its_days_and_no_other(period, overlap):
    assert tourism_levy.rules().abatement.overlap(period) is overlap


def test_an_abated_2020_period_shows_the_levy_collected_and_nothing_payable():
    """April 2020: $10,000.00 gross x 4% = $400.00 levy; $400.00 collected and kept (abatement) -> $0.00
    payable."""
    computation = compute(month("2020-04"), gross="10000", collected="400")
    assert computation.abatement is Overlap.WHOLE
    assert computation.levy == Decimal("400.00")
    assert computation.levy_collected == Decimal("0.00")
    assert computation.levy_kept == Decimal("400.00")
    assert computation.levy_collected_total == Decimal("400.00")
    assert computation.amount_payable == Decimal("0.00")


def test_the_month_before_and_after_the_abatement_pay_the_levy():
    """February 2020 and January 2021: $10,000.00 x 4% = $400.00 payable, the abatement is over either side."""
    assert compute(month("2020-02"), gross="10000", collected="400").amount_payable == Decimal("400.00")
    assert compute(month("2021-01"), gross="10000", collected="400").amount_payable == Decimal("400.00")


def test_a_quarter_across_the_abatement_reports_the_levy_collected_on_each_side():
    """Q1 2020: $30,000.00 gross x 4% = $1,200.00 levy; $800.00 collected in January and February, $400.00 in
    March (kept) -> $1,200.00 - $400.00 = $800.00 payable."""
    computation = compute(quarter("2020-Q1"), gross="30000", collected="800", kept="400")
    assert computation.abatement is Overlap.PART
    assert computation.levy == Decimal("1200.00")
    assert computation.levy_kept == Decimal("400.00")
    assert computation.levy_collected_total == Decimal("1200.00")
    assert computation.amount_payable == Decimal("800.00")


def test_the_part_kept_never_makes_the_payable_negative():
    """Q1 2020: $1,000.00 x 4% = $40.00 levy, $50.00 collected in March and kept -> $0.00 payable, not -$10.00."""
    assert compute(quarter("2020-Q1"), gross="1000", kept="50").amount_payable == Decimal("0.00")


def test_levy_kept_outside_the_abatement_is_refused_beside_its_box():
    with pytest.raises(LevyError) as raised:
        compute(quarter("2021-Q1"), gross="1000", collected="20", kept="20")
    assert raised.value.errors == {
        "levy_collected_abated": NO_ABATEMENT % {"period": "Q1 2021 (January–March)"}
    }


# --- The remittance deferral: due from 2020-03-27, payable by 2020-08-31 -----------------------------------


@pytest.mark.parametrize(
    ("due_on", "payable"),
    [
        (date(2020, 3, 26), date(2020, 3, 26)),  # due the day before the deferral: not deferred
        (date(2020, 3, 27), date(2020, 8, 31)),  # its first day
        (date(2020, 4, 28), date(2020, 8, 31)),  # March 2020's return
        (date(2020, 8, 31), date(2020, 8, 31)),  # its last day
        (date(2020, 9, 1), date(2020, 9, 1)),  # the day after
        (date(2020, 9, 28), date(2020, 9, 28)),  # August 2020's return
    ],
)
def test_remittances_due_from_2020_03_27_were_payable_by_2020_08_31(due_on, payable):
    assert payable_by(due_on) == payable


# --- The online broker: from 2024-10-01 ----------------------------------------------------------------------


def test_stays_paid_through_an_online_broker_are_the_brokers_to_remit_from_2024_10_01():
    """October 2024: $20,000.00 gross, $5,000.00 paid through a broker who remits -> $15,000.00 x 4% = $600.00."""
    computation = compute(month("2024-10"), gross="20000", online_broker="5000")
    assert computation.taxable == Decimal("15000.00")
    assert computation.amount_payable == Decimal("600.00")
    assert "online_broker" in [reason.code for reason in tourism_levy.reasons_for(quarter("2024-Q4"))]


def test_before_2024_10_01_the_operator_remits_for_broker_stays_too():
    """September 2024 and Q3 2024 end before the rule: a broker amount is refused beside its box; none is fine."""
    assert "online_broker" not in [reason.code for reason in tourism_levy.reasons_for(month("2024-09"))]
    with pytest.raises(LevyError) as raised:
        compute(quarter("2024-Q3"), gross="20000", online_broker="5000")
    reason = tourism_levy.rules().reasons["online_broker"]
    assert raised.value.errors == {
        "exempt_online_broker": REASON_NOT_YET
        % {"reason": reason.label, "from": "2024-10-01", "period": "Q3 2024 (July–September)"}
    }
    assert compute(quarter("2024-Q3"), gross="100", online_broker="").levy == Decimal("4.00")


# --- Due dates -------------------------------------------------------------------------------------------------


def test_a_quarterly_return_due_on_a_weekend_moves_to_the_monday():
    """Q3 2023 ends Saturday 2023-09-30; 28 days later is Saturday 2023-10-28 -> due Monday 2023-10-30."""
    assert TOURISM_LEVY_DUE_DATE.due_on(quarter("2023-Q3")) == date(2023, 10, 30)


def test_a_monthly_return_is_due_28_days_after_the_month():
    """June 2021 ends 2021-06-30 -> Wednesday 2021-07-28; February 2021 ends 2021-02-28 -> Sunday 2021-03-28 ->
    Monday 2021-03-29."""
    assert TOURISM_LEVY_DUE_DATE.due_on(month("2021-06")) == date(2021, 7, 28)
    assert TOURISM_LEVY_DUE_DATE.due_on(month("2021-02")) == date(2021, 3, 29)


# --- The rules file's own checks --------------------------------------------------------------------------------

GOOD = {
    "references": {"a": "A source"},
    "reasons": {"long_stay": {"label": "Long", "from": date(2005, 4, 1), "source": "a"}},
    "abatement": {"from": date(2020, 3, 1), "until": date(2020, 12, 31), "source": "a"},
    "deferral": {
        "due_from": date(2020, 3, 27),
        "due_until": date(2020, 8, 31),
        "payable_by": date(2020, 8, 31),
        "source": "a",
    },
}


def test_the_rules_file_parses():
    assert rules_parse(GOOD).abatement.start == date(2020, 3, 1)


@pytest.mark.parametrize(
    "broken",
    [
        "not a mapping",
        {key: value for key, value in GOOD.items() if key != "deferral"},
        {**GOOD, "reasons": {"long_stay": {"label": "Long", "from": "2005", "source": "a"}}},
        {**GOOD, "reasons": {"long_stay": {"label": "Long", "from": date(2005, 4, 1), "source": "b"}}},
        {**GOOD, "abatement": {"from": date(2020, 3, 1), "until": date(2020, 2, 1), "source": "a"}},
    ],
    ids=["not-a-mapping", "missing-rule", "not-a-date", "unknown-source", "ends-before-start"],
)
def test_a_broken_rules_file_is_refused(broken):
    with pytest.raises(RuleDataError):
        rules_parse(broken)
