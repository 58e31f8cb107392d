"""The filter of "View Financial Transaction Details": the latest 25 (TRACS's default), a processed date range,
or one period end; sorted by processed date, newest first unless reversed. A GET form: the page, its
printer-friendly view and its CSV and Excel exports read the same query string, so they show the same rows."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

SHOW_LATEST = "latest"
SHOW_RANGE = "range"
SHOW_PERIOD = "period"
SORT_NEWEST = "newest"
SORT_OLDEST = "oldest"

DATES_REQUIRED = _(
    "Enter the first or the last processed date (or both) to list the transactions between them."
)
DATES_REVERSED = _("The first date is after the last date.")
PERIOD_REQUIRED = _("Choose a period end.")


SELECTED = mark_safe(" selected")  # noqa: S308 - a constant


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TransactionFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=_("Show"),
        choices=[
            (SHOW_LATEST, _("The latest 25 transactions")),
            (SHOW_RANGE, _("Transactions processed between two dates")),
            (SHOW_PERIOD, _("Transactions of one period")),
        ],
        initial=SHOW_LATEST,
        required=False,
        widget=forms.RadioSelect,
    )
    processed_from = forms.DateField(label=_("Processed from"), required=False, widget=DateInput)
    processed_to = forms.DateField(label=_("Processed to"), required=False, widget=DateInput)
    period_end = forms.TypedChoiceField(
        label=_("Period end"), required=False, coerce=date.fromisoformat, empty_value=None
    )
    sort = forms.ChoiceField(
        label=_("Sort by processed date"),
        choices=[(SORT_NEWEST, _("Newest first")), (SORT_OLDEST, _("Oldest first"))],
        initial=SORT_NEWEST,
        required=False,
    )

    def __init__(self, *args, period_ends: list[date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period_end"].choices = [
            ("", _("Choose a period end")),
            *((d.isoformat(), d.isoformat()) for d in period_ends),
        ]

    def clean(self):
        data = super().clean()
        show = data.get("show") or SHOW_LATEST
        data["show"] = show
        data["sort"] = data.get("sort") or SORT_NEWEST
        if show == SHOW_RANGE:
            start, end = data.get("processed_from"), data.get("processed_to")
            if (
                start is None
                and end is None
                and not self.has_error("processed_from")
                and not self.has_error("processed_to")
            ):
                self.add_error("processed_from", DATES_REQUIRED)
            elif start is not None and end is not None and start > end:
                self.add_error("processed_to", DATES_REVERSED)
        if show == SHOW_PERIOD and data.get("period_end") is None and not self.has_error("period_end"):
            self.add_error("period_end", PERIOD_REQUIRED)
        return data

    def period_end_options(self) -> SafeString:
        """The <option>s of the period end, the chosen one selected. Built here, not through the widget's
        templates: with years of periods, rendering each option through a template was most of the page's time
        (bench/bench_transactions.py)."""
        current = str(self["period_end"].value() or "")
        return format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (value, SELECTED if value == current else "", label)
                for value, label in self.fields["period_end"].choices
            ),
        )

    @property
    def oldest_first(self) -> bool:
        return self.cleaned_data.get("sort") == SORT_OLDEST
