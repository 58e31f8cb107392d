"""The Sales Summary's choice of claim period (seed 002: "Claim Amount: Period End"): one of the account's claim
periods, the current one first, each shown by its last day and sent as its first (which names it)."""

from __future__ import annotations

from datetime import date
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from filings.periods import Period

BAD_PERIOD = _(
    "Choose a claim period end from the list: claim periods are 14 days, and the list holds those of this account."
)


class SalesSummaryForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Claim Amount: Period End"), error_messages={"invalid_choice": BAD_PERIOD}
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
