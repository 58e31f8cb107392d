"""The seller's eligibility check form: a number and a date (native inputs, works without JavaScript)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.registries import rules, services


class EligibilityCheckForm(forms.Form):
    number = forms.CharField(
        label=_("AFFB or TEFU number"),
        max_length=20,
        help_text=_(
            "As printed on the certificate: an AFFB number like F1234567, a TEFU number like T1234567."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    day = forms.DateField(
        label=_("Date of the sale"),
        help_text=_("YYYY-MM-DD. Today or earlier."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_number(self) -> str:
        try:
            return rules.number_normalize(self.cleaned_data["number"])
        except ValidationError as error:
            raise ValidationError(error.messages) from error

    def clean_day(self) -> date:
        day: date = self.cleaned_data["day"]
        today = timezone.localdate()
        if day > today:
            raise ValidationError(services.CHECK_DATE_IN_FUTURE % {"today": today.isoformat()})
        return day
