from decimal import Decimal

import pytest

from programs.money import (
    NEGATIVE,
    NOT_A_NUMBER,
    TOO_LARGE,
    TOO_MANY_DECIMALS,
    AmountError,
    cents,
    decimal_places,
    format_litres,
    format_money,
    format_signed_money,
    line_tax,
    parse_litres,
    parse_money,
)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.005", "0.01"),  # half rounds up, not to even
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # banker's rounding would give 0.02
        ("0.004999", "0.00"),
        ("1234.565", "1234.57"),
        ("13800", "13800.00"),
        ("0", "0.00"),
        ("-0.005", "-0.01"),  # half away from zero, symmetric
    ],
)
def test_cents_rounds_half_up(amount, expected):
    result = cents(Decimal(amount))
    assert result == Decimal(expected)
    assert str(result) == expected


def test_cents_refuses_floats():
    with pytest.raises(TypeError):
        cents(0.1)


@pytest.mark.parametrize(
    ("litres", "rate", "expected"),
    [
        # 100,000 L x $0.13 = $13,000.00
        ("100000", "0.13", "13000.00"),
        # 20,000 L x $0.04 = $800.00
        ("20000", "0.04", "800.00"),
        # 0.5 L x $0.045 = $0.0225 -> $0.02
        ("0.5", "0.045", "0.02"),
        # 1.5 L x $0.015 = $0.0225 -> $0.02 ; 0.333 L x $0.015 = $0.004995 -> $0.00
        ("1.5", "0.015", "0.02"),
        ("0.333", "0.015", "0.00"),
        # 0.334 L x $0.015 = $0.00501 -> $0.01 ; 11 L x $0.065 = $0.715 -> $0.72 (half up)
        ("0.334", "0.015", "0.01"),
        ("11", "0.065", "0.72"),
        # anything x $0 = $0.00 (fuel tax relief from 2022-04-01)
        ("999999999999.999", "0", "0.00"),
    ],
)
def test_line_tax_is_litres_times_rate_rounded_per_line(litres, rate, expected):
    assert line_tax(litres=Decimal(litres), rate=Decimal(rate)) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100000", "100000.000"),
        ("100,000", "100000.000"),
        ("1,250.5", "1250.500"),
        ("  42  ", "42.000"),
        ("0.125", "0.125"),
        (".5", "0.500"),
        ("5.", "5.000"),
        ("1.5000", "1.500"),  # trailing zeros are not decimals
        ("", "0.000"),  # an empty box is no litres
        ("   ", "0.000"),
        ("-0", "0.000"),
        ("999999999999.999", "999999999999.999"),
        ("1,000,000", "1000000.000"),
    ],
)
def test_parse_litres_accepts(text, expected):
    value = parse_litres(text)
    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-1", NEGATIVE),
        ("-0.001", NEGATIVE),
        ("abc", NOT_A_NUMBER),
        ("1e5", NOT_A_NUMBER),  # no exponents
        ("NaN", NOT_A_NUMBER),
        ("Infinity", NOT_A_NUMBER),
        ("+5", NOT_A_NUMBER),
        ("--5", NOT_A_NUMBER),
        ("1,2345", NOT_A_NUMBER),  # commas only as thousands separators
        ("12,34", NOT_A_NUMBER),
        ("1 000", NOT_A_NUMBER),
        ("1.2.3", NOT_A_NUMBER),
        (".", NOT_A_NUMBER),
        ("-", NOT_A_NUMBER),
        ("٣", NOT_A_NUMBER),  # Arabic-Indic digit: ASCII digits only
        ("5\n6", NOT_A_NUMBER),
        ("0.0001", TOO_MANY_DECIMALS),
        ("1.2345", TOO_MANY_DECIMALS),
        ("1000000000000", TOO_LARGE),
        ("9" * 5000, TOO_LARGE),
    ],
)
def test_parse_litres_refuses(text, message):
    with pytest.raises(AmountError) as caught:
        parse_litres(text)
    assert caught.value.message == message


def test_too_many_decimals_names_the_limit():
    with pytest.raises(AmountError) as caught:
        parse_litres("1.2345")
    assert str(caught.value) == "Enter at most 3 decimal places."
    with pytest.raises(AmountError) as caught:
        parse_money("1.234")
    assert str(caught.value) == "Enter at most 2 decimal places."


def test_parse_accepts_decimal_and_int_but_never_float():
    assert parse_litres(Decimal("12.5")) == Decimal("12.500")
    assert parse_litres(7) == Decimal("7.000")
    with pytest.raises(TypeError):
        parse_litres(12.5)
    with pytest.raises(TypeError):
        parse_litres(True)
    with pytest.raises(TypeError):
        parse_litres(None)
    with pytest.raises(AmountError):
        parse_litres(Decimal("NaN"))
    with pytest.raises(AmountError):
        parse_litres(Decimal("-1"))


def test_parse_money():
    assert parse_money("13,800") == Decimal("13800.00")
    assert parse_money("0.10") == Decimal("0.10")


@pytest.mark.parametrize(("value", "places"), [("1.50", 1), ("100", 0), ("1E+3", 0), ("0.001", 3), ("0", 0)])
def test_decimal_places(value, places):
    assert decimal_places(Decimal(value)) == places


def test_formatting():
    assert format_litres(Decimal("100000.000")) == "100,000"
    assert format_litres(Decimal("1250.500")) == "1,250.5"
    assert format_money(Decimal("13800")) == "$13,800.00"
    assert format_money(Decimal("0.005")) == "$0.01"
    assert format_signed_money(Decimal("3400.9")) == "$3,400.90"
    assert format_signed_money(Decimal("-3400.9")) == "($3,400.90)"
    assert format_signed_money(Decimal("0")) == "$0.00"
