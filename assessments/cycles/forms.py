"""The Sales Summary's choice of claim period (seed 002: "Claim Amount: Period End"): one of the account's claim
periods, the current one first, each shown by its last day and sent as its first (which names it)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import cast

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from filings.periods import Period

BAD_PERIOD = _(
    "Choose a claim period end from the list: claim periods are 14 days, and the list holds those of this account."
)


@lru_cache(maxsize=64)
def _options(choices: tuple[tuple[str, str], ...]) -> tuple[tuple[str, ...], dict[str, int]]:
    """Each choice's <option>, once per process and list of choices (an account's periods change once a fortnight,
    the current one's label once a day), and where each value is, so a request only marks the chosen one."""
    html = tuple(format_html('<option value="{}">{}</option>', value, label) for value, label in choices)
    return html, {value: index for index, (value, _label) in enumerate(choices)}


class PeriodEndSelect(forms.Select):
    """A native <select>, as Django renders it, from cached options: a seller of ten years has some 260 claim
    periods, and Django's widget templates (one include per option) took 50-80 ms of the page's time
    (bench/bench_sales_summary.py, its split)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        html, where = _options(tuple((str(choice), str(label)) for choice, label in self.choices))
        options = list(html)
        chosen = self.format_value(value)
        index = where.get(chosen[0]) if chosen else None
        if index is not None:
            options[index] = options[index].replace('">', '" selected>', 1)
        # The attributes as Django's attrs.html writes them, in order (True: the name alone; False: none).
        final_attrs = format_html_join(
            "",
            "{}",
            (
                (format_html(" {}", key) if value is True else format_html(' {}="{}"', key, value),)
                for key, value in self.build_attrs(self.attrs, attrs).items()
                if value is not False
            ),
        )
        # Each option was escaped by format_html (_options): joined, they are safe.
        joined = mark_safe("".join(options))  # noqa: S308
        return format_html('<select name="{}"{}>{}</select>', name, final_attrs, joined)


class SalesSummaryForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Claim Amount: Period End"),
        error_messages={"invalid_choice": BAD_PERIOD},
        widget=PeriodEndSelect,
    )

    def __init__(self, data=None, *, periods: list[Period], today: date, initial=None) -> None:
        super().__init__(data, initial=initial)
        self.periods = {period.start.isoformat(): period for period in periods}
        choices = []
        for period in periods:
            label = period.end.isoformat()
            if not period.has_ended(today=today):
                label = str(_("%(end)s (current period, not ended)") % {"end": label})
            choices.append((period.start.isoformat(), label))
        # A ChoiceField (declared above): django-stubs types self.fields as plain Fields.
        cast(forms.ChoiceField, self.fields["period"]).choices = choices

    @property
    def chosen(self) -> Period:
        return self.periods[self.cleaned_data["period"]]
