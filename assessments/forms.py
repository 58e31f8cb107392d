"""The filter of "View Financial Transaction Details": the latest 25 (TRACS's default), a processed date range,
or one period end; sorted by processed date, newest first unless reversed. A GET form: the page, its
printer-friendly view and its CSV and Excel exports read the same query string, so they show the same rows.

No filter a person typed is dropped without a word. The "latest 25" option is checked when the page opens, so
dates typed (or a period end chosen) with it mean the person wants those: the form chooses the option that
applies them and the page says so; dates and a period end together are a question only the person can answer.
Once the person has chosen "between two dates" or "one period", the other option's fields, still filled in
from an earlier search, are not applied, and the page says which.
"""

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
CHOOSE_DATES_OR_PERIOD = _(
    "You entered processed dates and chose a period end: choose whether to list the transactions processed "
    "between two dates or the transactions of one period."
)
RANGE_CHOSEN_FOR_DATES = _(
    "You entered processed dates, so the transactions processed between them are listed, not the latest 25."
)
PERIOD_CHOSEN_FOR_PERIOD_END = _(
    "You chose a period end, so the transactions of that period are listed, not the latest 25."
)
PERIOD_END_NOT_APPLIED = _(
    "The period end %(period_end)s is not applied: you chose the transactions processed between two dates."
)
DATES_NOT_APPLIED = _(
    "The processed dates you entered are not applied: you chose the transactions of one period."
)


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
        # Set by clean(): the option the rows are listed by, what the page says about filters typed but not in
        # the option as sent (shown above the rows), and whether the option was chosen for the person (the page
        # then offers the latest 25 back).
        self.chosen_show: str | None = None
        self.notes: list[str] = []
        self.chosen_for_person = False
        self.fields["period_end"].choices = [
            ("", _("Choose a period end")),
            *((d.isoformat(), d.isoformat()) for d in period_ends),
        ]

    def clean(self):
        data = super().clean()
        show = data.get("show") or SHOW_LATEST
        typed_dates = self._typed("processed_from") or self._typed("processed_to")
        typed_period = self._typed("period_end")
        if show == SHOW_LATEST and typed_dates and typed_period:
            self.add_error("show", CHOOSE_DATES_OR_PERIOD)
        elif show == SHOW_LATEST and typed_dates:
            show, self.chosen_for_person = SHOW_RANGE, True
            self.notes.append(RANGE_CHOSEN_FOR_DATES)
        elif show == SHOW_LATEST and typed_period:
            show, self.chosen_for_person = SHOW_PERIOD, True
            self.notes.append(PERIOD_CHOSEN_FOR_PERIOD_END)
        elif show == SHOW_RANGE and typed_period:
            self.notes.append(PERIOD_END_NOT_APPLIED % {"period_end": self.data["period_end"].strip()})
        elif show == SHOW_PERIOD and typed_dates:
            self.notes.append(DATES_NOT_APPLIED)
        data["show"] = self.chosen_show = show
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

    def _typed(self, name: str) -> bool:
        return bool(str(self.data.get(name) or "").strip())

    def shown(self) -> str:
        """The option checked on the page: the one the rows were listed by (chosen for the person when they typed
        its fields), or, on a form with errors, the one sent."""
        if self.chosen_show is not None and not self.has_error("show"):
            return self.chosen_show
        return self["show"].value() or SHOW_LATEST

    @property
    def oldest_first(self) -> bool:
        return self.cleaned_data.get("sort") == SORT_OLDEST
