"""The one library of money, litres and rate filters for every page, notice and letter (formatting only: the
figures are computed and rounded by programs/money.py and the apps' rules).

`dollars`: $13,800.00. `credit_brackets`: credits in brackets, as accountants and TRACS show them: -250.5 ->
($250.50). `litres`: 100,000 or 1,250.5. `per_litre`: a rate with the decimals it has, at least cents:
$0.13/L, $0.045/L, $0.00/L (the 2022 relief); a rate not in force shows the argument (default "not in force").
`lookup`: `mapping[key]` or None."""

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString

from programs import money

register = template.Library()


@register.filter
def dollars(value: Decimal | None) -> str:
    return "" if value is None else money.format_money(value)


@register.filter
def credit_brackets(amount: Decimal | str | None) -> str:
    if amount is None or amount == "":
        return ""
    return money.format_signed_money(Decimal(amount))


@register.filter
def litres(value: Decimal | None) -> str:
    # Digits, commas, a point and a sign need no escaping: marked safe, the engine skips escaping each of the
    # hundreds of cells a table of litres has (the Inventory Summary's 40 lines x 9; ADR 0028).
    return "" if value is None else SafeString(money.format_litres(Decimal(value)))


@register.filter
def per_litre(value: Decimal | None, not_in_force: str = "not in force") -> str:
    if value is None:
        return not_in_force
    value = Decimal(value)
    places = max(2, money.decimal_places(value))
    return f"${value:.{places}f}/L"


@register.filter
def lookup(mapping: dict | None, key: object) -> object:
    """`{% with found=assessments|lookup:row.filing.pk %}`; an absent key is None, which a for loop skips."""
    return mapping.get(key) if mapping else None
