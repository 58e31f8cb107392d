"""Tax on a fuel tax return: litres x the rate in force on the first day of the period, rounded half up to the
cent on each line, $0.00 on tax-out lines; the total is the sum of the lines."""

from datetime import date
from decimal import Decimal

import pytest

from filings.tax import (
    DUPLICATE_LINE,
    RATE_NOT_ON_FILE,
    LineCategory,
    LineError,
    categories_for,
    field_key,
    line_kinds,
    return_compute,
)
from programs.money import NEGATIVE, NOT_A_NUMBER
from tests.filings.factories import lines_of


@pytest.mark.parametrize(
    ("period_start", "lines", "total"),
    [
        # June 2021: 100,000 L clear gasoline x $0.13 = $13,000.00 + 20,000 L marked diesel x $0.04 = $800.00
        # -> $13,800.00
        (
            date(2021, 6, 1),
            {"clear_gasoline__taxable": "100000", "marked_diesel__taxable": "20000"},
            "13800.00",
        ),
        # June 2022, same volumes: fuel tax relief from 2022-04-01, both rates $0 -> $0.00
        (date(2022, 6, 1), {"clear_gasoline__taxable": "100000", "marked_diesel__taxable": "20000"}, "0.00"),
        # October 2022: 100,000 L x $0.045 = $4,500.00; marked diesel still $0 -> $4,500.00
        (
            date(2022, 10, 1),
            {"clear_gasoline__taxable": "100000", "marked_diesel__taxable": "20000"},
            "4500.00",
        ),
        # February 2024: 100,000 L x $0.09 = $9,000.00 + 20,000 L x $0 -> $9,000.00
        (
            date(2024, 2, 1),
            {"clear_gasoline__taxable": "100000", "marked_diesel__taxable": "20000"},
            "9000.00",
        ),
        # May 2024: 100,000 L x $0.13 = $13,000.00 + 20,000 L x $0.04 = $800.00 -> $13,800.00
        (
            date(2024, 5, 1),
            {"clear_gasoline__taxable": "100000", "marked_diesel__taxable": "20000"},
            "13800.00",
        ),
        # Tax-out volumes bear no tax: 50,000 L clear gasoline exported in bulk + 30,000 L FDR to FDR -> $0.00
        (
            date(2021, 6, 1),
            {"clear_gasoline__export_bulk": "50000", "clear_diesel__fdr_to_fdr": "30000"},
            "0.00",
        ),
        # Rounded per line, then added: 1.5 L aviation gasoline x $0.015 = $0.0225 -> $0.02, twice (jet fuel
        # too) -> $0.04 (rounding the sum $0.045 would give $0.05)
        (
            date(2021, 6, 1),
            {"aviation_gasoline__taxable": "1.5", "aviation_jet_fuel__taxable": "1.5"},
            "0.04",
        ),
        # 11 L propane x $0.065 = $0.715 -> $0.72 (half up) + 0.333 L locomotive fuel x $0.055 = $0.018315 -> $0.02
        (date(2021, 6, 1), {"propane__taxable": "11", "locomotive_fuel__taxable": "0.333"}, "0.74"),
        # Nil return: no lines -> $0.00
        (date(2021, 6, 1), {}, "0.00"),
    ],
)
def test_return_tax(period_start, lines, total):
    computation = return_compute(period_start=period_start, lines=lines_of(**lines))
    assert computation.total == Decimal(total)
    assert str(computation.total) == total
    assert computation.total == sum((line.tax for line in computation.lines), Decimal(0))


def test_lines_copy_the_rate_they_applied():
    computation = return_compute(
        period_start=date(2022, 10, 1),
        lines=lines_of(clear_gasoline__taxable="1000", clear_gasoline__export_bulk="500"),
    )
    taxable, exported = computation.lines
    assert (taxable.rate_value, taxable.rate_effective_from, taxable.tax) == (
        Decimal("0.045"),
        date(2022, 10, 1),
        Decimal("45.00"),
    )
    # the tax-out line records the rate that did not apply to it, and no tax
    assert (exported.rate_value, exported.rate_effective_from, exported.tax) == (
        Decimal("0.045"),
        date(2022, 10, 1),
        Decimal("0.00"),
    )


def test_the_rate_of_the_first_day_of_the_period_applies():
    """Rates change on the first of a month: March 2022 is taxed at $0.13 though relief began 2022-04-01."""
    [line] = return_compute(period_start=date(2022, 3, 1), lines=lines_of(clear_diesel__taxable="100")).lines
    assert (line.rate_value, line.tax) == (Decimal("0.13"), Decimal("13.00"))
    [line] = return_compute(period_start=date(2022, 4, 1), lines=lines_of(clear_diesel__taxable="100")).lines
    assert (line.rate_value, line.tax) == (Decimal("0"), Decimal("0.00"))


def test_zero_lines_are_dropped():
    computation = return_compute(
        period_start=date(2021, 6, 1), lines=lines_of(clear_gasoline__taxable="0", propane__taxable="")
    )
    assert computation.is_nil
    assert computation.lines == ()


@pytest.mark.parametrize(
    ("lines", "key", "message"),
    [
        ({"clear_gasoline__taxable": "-5"}, "clear_gasoline__taxable", NEGATIVE),
        ({"clear_gasoline__taxable": "lots"}, "clear_gasoline__taxable", NOT_A_NUMBER),
        ({"clear_gasoline__taxable": "1.0001"}, "clear_gasoline__taxable", "Enter at most 3 decimal places."),
        # locomotive fuel is the only fuel sold to railways; marked fuel has no exempt-consumer tax-out
        (
            {"clear_gasoline__railway": "5"},
            "clear_gasoline__railway",
            "clear_gasoline cannot be reported as “railway”.",
        ),
        (
            {"marked_diesel__exempt_consumer": "5"},
            "marked_diesel__exempt_consumer",
            "marked_diesel cannot be reported as “exempt_consumer”.",
        ),
        ({"kerosene__taxable": "5"}, "kerosene__taxable", "kerosene cannot be reported as “taxable”."),
        (
            {"clear_gasoline__smuggled": "5"},
            "clear_gasoline__smuggled",
            "clear_gasoline cannot be reported as “smuggled”.",
        ),
    ],
)
def test_line_errors(lines, key, message):
    with pytest.raises(LineError) as caught:
        return_compute(period_start=date(2021, 6, 1), lines=lines_of(**lines))
    assert caught.value.key == key
    assert caught.value.message == str(message)


def test_a_line_reported_twice_is_refused():
    lines = lines_of(clear_gasoline__taxable="1") + lines_of(clear_gasoline__taxable="2")
    with pytest.raises(LineError) as caught:
        return_compute(period_start=date(2021, 6, 1), lines=lines)
    assert caught.value.message == str(DUPLICATE_LINE % {"fuel": "clear_gasoline", "category": "taxable"})


def test_no_rate_before_the_data_begins():
    with pytest.raises(LineError) as caught:
        return_compute(period_start=date(2005, 12, 1), lines=lines_of(clear_gasoline__taxable="1"))
    assert caught.value.message == str(
        RATE_NOT_ON_FILE % {"fuel": "Clear gasoline", "period": "December 2005"}
    )


def test_categories_per_fuel_follow_the_seed_page():
    assert categories_for("locomotive_fuel") == [
        LineCategory.TAXABLE,
        LineCategory.FDR_TO_FDR,
        LineCategory.IMPORT_FOR_FDR,
        LineCategory.RAILWAY,
        LineCategory.EXPORT_BULK,
    ]
    assert LineCategory.EXEMPT_CONSUMER in categories_for("clear_gasoline")
    assert LineCategory.EXEMPT_CONSUMER not in categories_for("marked_gasoline")
    assert LineCategory.FOREIGN_CARRIER in categories_for("aviation_jet_fuel")
    assert LineCategory.FOREIGN_CARRIER not in categories_for("propane")
    kinds = line_kinds()
    assert kinds[0] == ("clear_gasoline", LineCategory.TAXABLE)
    assert len({field_key(fuel, category) for fuel, category in kinds}) == len(kinds)
