"""What a dye site's two monthly reports compute (filings/dye_sites.py), with the arithmetic worked, and their due
dates as dated data (filings/rules/dye_site_reports.yaml: the fuel tax return's rule, marked unverified)."""

from datetime import date
from decimal import Decimal

import pytest

from filings import dye_sites
from filings.definitions.dye_sites import DYE_STOCK_REPORT, LITRES_DYED_REPORT
from filings.dye_sites import DyedInput, DyeFiguresError, StockInput, dyed_compute, stock_compute
from filings.periods import Period
from programs.money import NEGATIVE

JUNE = Period.from_key("2026-06")


def stock(**figures):
    return stock_compute(
        period=JUNE, stock=StockInput(**{"opening": "", "received": "", "used": "", "closing": "", **figures})
    )


def test_closing_is_opening_plus_received_less_used_plus_adjustment():
    # 1,200 + 800 - 950 - 15 = 1,035 litres
    report = stock(
        opening="1,200",
        received="800",
        used="950",
        adjustment="-15",
        adjustment_reason="Spill",
        closing="1035",
    )
    assert report.closing_computed == Decimal("1035.000")
    assert report.closing_reported == report.closing_computed
    assert report.adjustment == Decimal("-15.000")
    assert not report.is_nil


def test_a_closing_that_does_not_add_up_is_refused_beside_the_closing_box():
    # 1,200 + 800 - 950 = 1,050 litres computed; 1,040 reported
    with pytest.raises(DyeFiguresError) as refused:
        stock(opening="1200", received="800", used="950", closing="1040")
    assert list(refused.value.errors) == [dye_sites.CLOSING]
    message = refused.value.errors[dye_sites.CLOSING]
    assert "1,040 L" in message
    assert "opening 1,200 L + received 800 L − used 950 L + adjustments 0 L = 1,050 L" in message


def test_an_adjustment_needs_its_reason_and_a_reason_its_adjustment():
    with pytest.raises(DyeFiguresError) as refused:
        stock(opening="100", adjustment="-5", closing="95")
    assert refused.value.errors == {dye_sites.ADJUSTMENT_REASON: str(dye_sites.ADJUSTMENT_REASON_REQUIRED)}
    with pytest.raises(DyeFiguresError) as refused:
        stock(opening="100", adjustment_reason="Counted", closing="100")
    assert refused.value.errors == {dye_sites.ADJUSTMENT: str(dye_sites.REASON_WITHOUT_ADJUSTMENT)}


def test_more_used_than_held_is_refused_beside_used_and_negative_figures_beside_their_boxes():
    with pytest.raises(DyeFiguresError) as refused:
        stock(opening="100", used="150", closing="0")
    assert list(refused.value.errors) == [dye_sites.USED]
    assert "leaves -50 L" in refused.value.errors[dye_sites.USED]
    with pytest.raises(DyeFiguresError) as refused:
        stock(opening="-1", received="x", closing="0")
    assert refused.value.errors[dye_sites.OPENING] == str(NEGATIVE)
    assert dye_sites.RECEIVED in refused.value.errors


def test_every_box_empty_is_a_nil_stock_report():
    assert stock().is_nil


def test_litres_dyed_add_up_by_fuel_and_compare_the_concentrate_with_the_stock_report():
    # 400,000 + 150,000 = 550,000 litres dyed with 950 litres of concentrate
    dyed = DyedInput(litres={"diesel": "400000", "gasoline": "150000"}, concentrate_used="950")
    agrees = dyed_compute(period=JUNE, dyed=dyed, stock_report_used=Decimal("950"))
    assert agrees.litres_total == Decimal("550000.000")
    assert [(line.fuel, line.litres) for line in agrees.lines] == [
        ("diesel", Decimal("400000.000")),
        ("gasoline", Decimal("150000.000")),
    ]
    assert agrees.concentrate_difference == 0
    differs = dyed_compute(period=JUNE, dyed=dyed, stock_report_used=Decimal("900"))
    assert differs.concentrate_difference == Decimal("50.000")  # shown and kept, not refused
    alone = dyed_compute(period=JUNE, dyed=dyed, stock_report_used=None)
    assert alone.concentrate_difference is None


def test_litres_dyed_without_concentrate_and_concentrate_without_litres_are_refused():
    with pytest.raises(DyeFiguresError) as refused:
        dyed_compute(
            period=JUNE,
            dyed=DyedInput(litres={"diesel": "1000"}, concentrate_used=""),
            stock_report_used=None,
        )
    assert refused.value.errors == {dye_sites.CONCENTRATE_USED: str(dye_sites.CONCENTRATE_REQUIRED)}
    with pytest.raises(DyeFiguresError) as refused:
        dyed_compute(period=JUNE, dyed=DyedInput(litres={}, concentrate_used="3"), stock_report_used=None)
    assert refused.value.errors == {"diesel": str(dye_sites.NOTHING_DYED)}
    nil = dyed_compute(period=JUNE, dyed=DyedInput(litres={}, concentrate_used=""), stock_report_used=None)
    assert nil.is_nil


@pytest.mark.parametrize(
    ("month", "due"),
    [
        ("2026-06", date(2026, 7, 28)),  # a Tuesday
        ("2026-07", date(2026, 8, 28)),  # a Friday
        ("2026-10", date(2026, 11, 30)),  # the 28th is a Saturday: Monday
        ("2026-12", date(2027, 1, 28)),  # the year rolls over
    ],
)
def test_due_the_28th_of_the_month_after_moved_to_a_business_day(month, due):
    assert dye_sites.due_on(Period.from_key(month)) == due


def test_the_due_date_rule_is_dated_data_marked_unverified():
    entry = dye_sites.rules().due[0]
    assert entry.effective_from == date(2007, 1, 1)
    assert "NOT VERIFIED" in entry.rule.source
    assert dye_sites.rules().late_filing_penalty[0].value is None
    assert DYE_STOCK_REPORT.due_date == LITRES_DYED_REPORT.due_date == entry.rule
