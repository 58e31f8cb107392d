"""Money and litres: the one module that owns rounding and the parsing of amounts people type.

- Money is `Decimal`, rounded **half up to the cent** by `cents()` and nowhere else (ARCHITECTURE.md, "Money,
  litres, rates, dates"). Tax on a return line is `cents(litres x rate)`: rounded per line, then the lines are
  added, so a return's total is always the sum of the amounts printed on its lines.
- Volumes are litres as `Decimal`, **whole litres or up to 3 decimal places** (a millilitre: the finest unit
  meters and bills of lading report). A value with more decimals is refused with `TOO_MANY_DECIMALS`, never
  silently rounded: the filer must know what TRA recorded. Trailing zeros do not count (`1.5000` is `1.5`).
- Input is parsed strictly from text: digits with an optional decimal point, and commas only as thousands
  separators in their right places (`100,000.5`). No signs other than a leading minus (refused as negative),
  no exponents, no `NaN`/`Infinity`, and never a `float` (a float is refused with a TypeError: it has already
  lost the amount's exact value).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypedDict

from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
LITRE_DECIMAL_PLACES = 3
LITRE_QUANTUM = Decimal("0.001")
MONEY_DECIMAL_PLACES = 2
# 12 digits before the point: a trillion litres, far beyond any month of any remitter; matches the columns
# (max_digits=15, decimal_places=3) so a value that parses always fits in the database.
MAX_LITRES = Decimal("999999999999.999")
MAX_MONEY = Decimal("99999999999999.99")


class DecimalColumn(TypedDict):
    """A DecimalField's digits, spread into it with `**`: typed, so mypy still checks the field's other arguments."""

    max_digits: int
    decimal_places: int


NOT_A_NUMBER = _("Enter a number, for example 1250 or 1,250.5.")
NEGATIVE = _("Enter zero or more. A volume or amount cannot be negative.")
TOO_MANY_DECIMALS = _("Enter at most %(places)d decimal places.")
TOO_LARGE = _("Enter a smaller number.")

# Digits, optionally grouped by commas in threes, optionally a point and digits ("1,250.5", "0.125", ".5").
_NUMBER = re.compile(r"(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d*)?", re.ASCII)


class AmountError(ValueError):
    """Input that is not an acceptable amount; `message` is one of this module's constants, for the field."""

    def __init__(self, message, params: dict | None = None):
        self.message = message
        self.params = params or {}
        super().__init__(str(message) % self.params if self.params else str(message))


def cents(amount: Decimal) -> Decimal:
    """`amount` rounded half up to the cent: 0.005 -> 0.01, 0.004999 -> 0.00, 1234.565 -> 1234.57."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"cents() takes a Decimal, not {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_tax(*, litres: Decimal, rate: Decimal) -> Decimal:
    """The tax on one line: litres x dollars per litre, rounded half up to the cent (per line, not per return)."""
    return cents(litres * rate)


def decimal_places(value: Decimal) -> int:
    """How many decimals `value` needs (trailing zeros do not count): 1.50 -> 1, 100 -> 0, 1E+3 -> 0."""
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite values only reach here
    return max(0, -exponent)


def parse_decimal(value: object, *, places: int, maximum: Decimal, allow_negative: bool = False) -> Decimal:
    """A non-negative Decimal from user input (text, Decimal or int), with at most `places` decimals.

    Blank text is zero (an empty box on a return means no litres). Raises AmountError with a message
    constant; raises TypeError for a float."""
    if isinstance(value, float):
        raise TypeError("floats are never accepted for money or litres; pass text or a Decimal")
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError(NOT_A_NUMBER)
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if text == "":
            return Decimal(0).quantize(Decimal(1).scaleb(-places))
        negative = text.startswith("-")
        body = text[1:].strip() if negative else text
        if not body or body == "." or not _NUMBER.fullmatch(body):
            raise AmountError(NOT_A_NUMBER)
        try:
            number = Decimal(body.replace(",", ""))
        except InvalidOperation as error:  # pragma: no cover - the pattern admits only valid decimals
            raise AmountError(NOT_A_NUMBER) from error
        if negative and number != 0:
            number = -number
    else:
        raise TypeError(f"cannot read an amount from {type(value).__name__}")
    if number < 0 and not allow_negative:
        raise AmountError(NEGATIVE)
    if decimal_places(number) > places:
        raise AmountError(TOO_MANY_DECIMALS, {"places": places})
    if abs(number) > maximum:
        raise AmountError(TOO_LARGE)
    return number.quantize(Decimal(1).scaleb(-places))


def parse_litres(value: object) -> Decimal:
    """Litres from user input: whole litres or up to 3 decimals, zero or more; quantized to 0.001."""
    return parse_decimal(value, places=LITRE_DECIMAL_PLACES, maximum=MAX_LITRES)


def parse_money(value: object) -> Decimal:
    """Dollars from user input: up to 2 decimals (cents), zero or more; quantized to 0.01."""
    return parse_decimal(value, places=MONEY_DECIMAL_PLACES, maximum=MAX_MONEY)


def format_litres(value: Decimal) -> str:
    """Litres for display and for form fields: grouped, without needless trailing zeros (100,000 or 1,250.5)."""
    places = decimal_places(value)
    return f"{value:,.{places}f}"


def format_money(value: Decimal) -> str:
    """Dollars for display: $13,800.00."""
    return f"${cents(value):,.2f}"


def format_signed_money(value: Decimal) -> str:
    """Dollars with a credit (a negative amount) in brackets, as accountants, the ledger pages and notices
    show it: 13800 -> $13,800.00, -250.5 -> ($250.50)."""
    return f"({format_money(-value)})" if value < 0 else format_money(value)
