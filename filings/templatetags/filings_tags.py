"""Display of money, litres and rates (formatting only: every figure is computed by filings.tax)."""

from decimal import Decimal

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from programs import money

register = template.Library()


@register.filter
def dollars(value: Decimal | None) -> str:
    """$13,800.00"""
    return "" if value is None else money.format_money(value)


@register.filter
def litres(value: Decimal | None) -> str:
    """100,000 or 1,250.5"""
    return "" if value is None else money.format_litres(value)


@register.filter
def per_litre(value: Decimal | None) -> str:
    """A rate in dollars per litre, with the decimals it has: $0.13/L, $0.045/L; None: not in force."""
    if value is None:
        return "not in force"
    places = max(2, money.decimal_places(value))
    return f"${value:.{places}f}/L"


@register.filter
def lookup(mapping: dict, key: str):
    return mapping.get(key) if mapping else None


@register.filter
def path_breaks(path: str) -> str:
    """An element's path that may wrap after each slash, never inside a name: /FuelTaxReturn/<wbr>Lines/<wbr>…"""
    return mark_safe("/<wbr>".join(conditional_escape(step) for step in str(path).split("/")))  # noqa: S308 - each step is escaped
