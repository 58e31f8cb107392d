from datetime import date
from decimal import Decimal

import pytest

from programs import rates
from programs.models import TaxRate
from programs.rates import RateDataError, RateNotFound, rate_on


@pytest.mark.parametrize(
    ("fuel", "day", "expected"),
    [
        # Fuel tax relief: 13 c/L clear, 4 c/L marked until 2022-03-31; zero from 2022-04-01.
        ("clear_gasoline", date(2022, 3, 31), Decimal("0.13")),
        ("clear_gasoline", date(2022, 4, 1), Decimal("0")),
        ("clear_gasoline", date(2022, 4, 2), Decimal("0")),
        ("marked_diesel", date(2022, 3, 31), Decimal("0.04")),
        ("marked_diesel", date(2022, 4, 1), Decimal("0")),
        # Reinstated in stages: 4.5 c/L from 2022-10-01, 0 through 2023, 9 c/L 2024 Q1, 13 c/L from 2024-04-01.
        ("clear_diesel", date(2022, 9, 30), Decimal("0")),
        ("clear_diesel", date(2022, 10, 1), Decimal("0.045")),
        ("clear_diesel", date(2023, 6, 1), Decimal("0")),
        ("clear_diesel", date(2024, 1, 1), Decimal("0.09")),
        ("clear_diesel", date(2024, 3, 31), Decimal("0.09")),
        ("clear_diesel", date(2024, 4, 1), Decimal("0.13")),
        ("marked_gasoline", date(2024, 4, 1), Decimal("0.04")),
    ],
)
def test_fuel_tax_rate_on_each_side_of_a_change(fuel, day, expected):
    assert rate_on(fuel=fuel, day=day).value == expected


@pytest.mark.parametrize(
    ("fuel", "day", "expected"),
    [
        ("clear_gasoline", date(2016, 12, 31), None),  # none before 2017
        ("clear_gasoline", date(2017, 1, 1), Decimal("0.0449")),
        ("clear_diesel", date(2017, 12, 31), Decimal("0.0535")),
        ("clear_diesel", date(2018, 1, 1), Decimal("0.0803")),
        ("marked_diesel", date(2019, 5, 29), Decimal("0.0803")),  # same on marked as on clear fuel
        ("marked_diesel", date(2019, 5, 30), None),  # repealed from the start of 2019-05-30
        ("clear_gasoline", date(2019, 5, 29), Decimal("0.0673")),
        ("clear_gasoline", date(2019, 5, 30), None),
        ("clear_gasoline", date(2019, 5, 31), None),
    ],
)
def test_carbon_levy_rate_on_each_side_of_repeal(fuel, day, expected):
    rate = rate_on(fuel=fuel, day=day, tax="carbon_levy")
    assert rate.value == expected
    assert rate.in_force is (expected is not None)


def test_rate_carries_its_effective_date_and_source():
    rate = rate_on(fuel="clear_gasoline", day=date(2022, 6, 15))
    assert rate.effective_from == date(2022, 4, 1)
    assert "relief" in rate.source.lower()


def test_unknown_fuel_and_days_before_the_data_are_refused():
    with pytest.raises(RateNotFound):
        rate_on(fuel="whale_oil", day=date(2020, 1, 1))
    with pytest.raises(RateNotFound, match="before 2006-01-01"):
        rate_on(fuel="clear_gasoline", day=date(2005, 12, 31))
    with pytest.raises(RateNotFound, match="before 2015-04-01"):
        rate_on(fuel="marked_diesel", day=date(2010, 1, 1))


def test_the_2015_increase_and_the_rate_before_it():
    """Budget 2015: clear gasoline and diesel went from $0.09/L to $0.13/L at 12:01 a.m. on 2015-03-27 (TRA's
    FAQ, verified); the $0.09/L entry is marked unverified, since the day it began is not known (its data
    begins 2006-01-01)."""
    for fuel in ("clear_gasoline", "clear_diesel"):
        before = rate_on(fuel=fuel, day=date(2015, 3, 26))
        after = rate_on(fuel=fuel, day=date(2015, 3, 27))
        assert (before.value, before.effective_from, before.verified) == (
            Decimal("0.09"),
            date(2006, 1, 1),
            False,
        )
        assert (after.value, after.effective_from, after.verified) == (
            Decimal("0.13"),
            date(2015, 3, 27),
            True,
        )
        assert "UNVERIFIED" in before.source
        assert "March 27, 2015" in after.source


def test_rate_table_is_loaded_on_migrate_and_matches_the_yaml(db):
    table = {(r.tax, r.fuel, r.effective_from): r.value for r in TaxRate.objects.all()}
    expected = {
        (row.tax, row.fuel, row.effective_from): row.value
        for schedule in rates.schedules().values()
        for rows in schedule.entries.values()
        for row in rows
    }
    assert table == expected
    assert table[("carbon_levy", "clear_gasoline", date(2019, 5, 30))] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "tax: t\nreferences: {a: x}\nfuels: {f: {values: [{from: 2020-01-01, value: 0.13, source: a}]}}",
            "quoted decimals",
        ),
        (
            "tax: t\nreferences: {a: x}\nfuels: {f: {values: [{from: 2020-01-01, value: '1', source: b}]}}",
            "not in references",
        ),
        (
            "tax: t\nreferences: {a: x}\nfuels: {f: {values: [{from: 2020-01-01, value: '-1', source: a}]}}",
            "negative",
        ),
        (
            "tax: t\nreferences: {a: x}\nfuels: {f: {values: [{from: 2021-01-01, value: '1', source: a}, {from: 2020-01-01, value: '1', source: a}]}}",
            "increasing",
        ),
        (
            "tax: t\nreferences: {a: x}\nfuels: {f: {values: [{from: 2020-01-01, value: '1', source: a, verified: 'no'}]}}",
            "verified is true or false",
        ),
        ("tax: t\nfuels: {}", "missing"),
    ],
)
def test_malformed_rate_files_are_refused_at_start_up(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(RateDataError, match=message):
        rates._parse(path)
