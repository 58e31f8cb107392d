"""Display of XML upload paths. Money, litres and rates: programs/templatetags/amounts.py."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def path_breaks(path: str) -> str:
    """An element's path that may wrap after each slash, never inside a name: /FuelTaxReturn/<wbr>Lines/<wbr>…"""
    return mark_safe("/<wbr>".join(conditional_escape(step) for step in str(path).split("/")))  # noqa: S308 - each step is escaped
