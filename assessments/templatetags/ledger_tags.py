"""Template filters of the financial pages and notices.

`credit_brackets`: an amount as accountants and TRACS show it, credits in brackets: 13800 -> $13,800.00,
-250.5 -> ($250.50). `rate`: dollars per litre without needless zeros ($0.13/L)."""

from decimal import Decimal

from django import template

from programs import money

register = template.Library()


@register.filter
def credit_brackets(amount) -> str:
    if amount is None or amount == "":
        return ""
    return money.format_signed_money(Decimal(amount))


@register.filter
def rate(value) -> str:
    if value is None:
        return "–"
    return f"${Decimal(value).normalize():f}/L"


@register.filter
def litres(value) -> str:
    if value is None:
        return ""
    return money.format_litres(Decimal(value))


@register.filter
def lookup(mapping, key):
    """`mapping[key]`, or an empty list: `{% with found=assessments|lookup:row.filing.pk %}`."""
    return mapping.get(key, []) if mapping else []
