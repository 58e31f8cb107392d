"""Amounts, litres and rates in staff administration as the portal shows them (issue 10, item 24).

Django admin prints a DecimalField as a bare number (`3400.90`); staff read the same amounts in the portal,
on notices and in payment files as `$3,400.90`, credits in brackets. Every ModelAdmin and inline the TRACS
admin site registers gets `PortalDisplayMixin` (tracs.admin.TracsAdminSite.register), which shows each
decimal column of a list and each read-only decimal of a record's page with the portal's own filters
(programs/templatetags/amounts.py). Which filter is told by the field's decimal places, the way the
models declare them: 2 is money (MONEY), 3 is litres (LITRES), 6 is a rate in dollars per litre. Editable
inputs stay plain numbers (programs.money parses what staff type). Dates are the format module's
(tracs/formats).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import models

from programs.templatetags.amounts import credit_brackets, litres, per_litre

FILTER_BY_DECIMAL_PLACES: dict[int, Callable[[Any], str]] = {
    2: credit_brackets,
    3: litres,
    6: lambda value: per_litre(value, "–"),
}


class PortalColumn:
    """A list column or read-only field showing one decimal field through a portal filter.

    It keeps the field's name (`__name__`, and `str()` for the inline tables' headers, which print it), so
    columns and rows keep their CSS classes (column-amount, field-amount)."""

    do_not_call_in_templates = True

    def __init__(self, field: models.DecimalField, show: Callable[[object], str], model_admin):
        self.field, self.show, self.model_admin = field, show, model_admin
        self.__name__ = field.name
        self.short_description = field.verbose_name
        self.admin_order_field = field.name

    def __call__(self, obj) -> str:
        value = getattr(obj, self.field.attname)
        return self.model_admin.get_empty_value_display() if value is None else self.show(value)

    def __str__(self) -> str:
        return self.field.name


class PortalDisplayMixin:
    """Shows the model's money, litres and rates with the portal's filters in lists and read-only fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portal_columns = {
            field.name: PortalColumn(field, FILTER_BY_DECIMAL_PLACES[field.decimal_places], self)
            for field in self.model._meta.fields
            if isinstance(field, models.DecimalField) and field.decimal_places in FILTER_BY_DECIMAL_PLACES
        }

    def _shown_read_only(self, request, obj) -> set[str]:
        """The decimal fields this page renders read-only: those declared so, and every one on the page of a
        record the person may view but not change."""
        declared = set(super().get_readonly_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            return set(self.portal_columns) - set(self.get_exclude(request, obj) or ())
        return declared & set(self.portal_columns)

    def _swap(self, names, shown: set[str]) -> list:
        swapped, seen = [], set()
        for name in names:
            if isinstance(name, (list, tuple)):  # fields shown side by side on one line
                swapped.append(tuple(self._swap(name, shown)))
                continue
            item = self.portal_columns[name] if isinstance(name, str) and name in shown else name
            if item not in seen:
                seen.add(item)
                swapped.append(item)
        return swapped

    def get_readonly_fields(self, request, obj=None):
        shown = self._shown_read_only(request, obj)
        declared = self._swap(super().get_readonly_fields(request, obj), shown)
        missing = [
            self.portal_columns[name] for name in sorted(shown) if self.portal_columns[name] not in declared
        ]
        return [*declared, *missing]

    def get_fieldsets(self, request, obj=None):
        shown = self._shown_read_only(request, obj)
        return [
            (title, {**options, "fields": self._swap(options["fields"], shown)})
            for title, options in super().get_fieldsets(request, obj)
        ]

    def get_list_display(self, request):
        editable = set(getattr(self, "list_editable", ()))
        shown = set(self.portal_columns) - editable
        return self._swap(super().get_list_display(request), shown)

    def get_list_display_links(self, request, list_display):
        links = super().get_list_display_links(request, list_display)
        if links is None:
            return None
        return [self.portal_columns.get(name, name) if isinstance(name, str) else name for name in links]

    def get_inlines(self, request, obj):
        return [with_portal_display(inline) for inline in super().get_inlines(request, obj)]


@functools.cache
def with_portal_display(admin_class: type) -> type:
    """`admin_class` with PortalDisplayMixin in front (the class itself if it has it already)."""
    if issubclass(admin_class, PortalDisplayMixin):
        return admin_class
    return type(
        admin_class.__name__,
        (PortalDisplayMixin, admin_class),
        {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
    )
