"""The tourism levy return's form (AT317): the establishment, the gross revenue, the exempt and excluded
amounts by reason, the levy collected. Native inputs; amounts are text (`inputmode="decimal"`), so what was
typed is what the service reads and refuses beside its box (filings/services_tourism_levy.py).

Which boxes the form has depends on the period alone: the reasons in force in it (an online broker's stays from
2024-10-01), and on each side of the COVID-19 abatement's dates a box of levy collected."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from filings import tourism_levy
from filings.periods import Period
from filings.services_tourism_levy import ESTABLISHMENT
from filings.tourism_levy import GROSS_REVENUE, LEVY_COLLECTED, LEVY_KEPT, LevyInput, Overlap

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _amount(label: StrOrPromise, help_text: StrOrPromise = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=40,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", "data-amount": ""}
        ),
    )


class TourismLevyReturnForm(forms.Form):
    """The figures of one establishment's return for `period`."""

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        period: Period,
        account_number: str,
        initial: dict[str, object],
    ) -> None:
        super().__init__(data, initial={ESTABLISHMENT: account_number, **initial})
        self.period = period
        abatement = tourism_levy.rules().abatement
        self.overlap = abatement.overlap(period)
        self.fields[ESTABLISHMENT] = forms.CharField(
            label=_("Establishment account number"),
            max_length=20,
            help_text=_("Each establishment files its own return, from its own account."),
        )
        self.fields[GROSS_REVENUE] = _amount(
            _("Gross revenue from accommodation"),
            _(
                "The purchase price of all accommodation in the period, with the fees the guest paid "
                "(cleaning, pets, extra amenities, smoking in a non-smoking room, booking and service fees)."
            ),
        )
        for reason in tourism_levy.reasons_for(period):
            self.fields[reason.field] = _amount(reason.label)
        start, until = abatement.start.isoformat(), abatement.until.isoformat()
        if self.overlap is Overlap.PART:
            self.fields[LEVY_COLLECTED] = _amount(
                _("Levy collected outside the COVID-19 abatement (before %(start)s or after %(until)s)")
                % {"start": start, "until": until}
            )
            self.fields[LEVY_KEPT] = _amount(
                _("Levy collected from %(start)s to %(until)s (kept: COVID-19 abatement)")
                % {"start": start, "until": until}
            )
        else:
            help_text = (
                _("Operators kept the levy collected from %(start)s to %(until)s: nothing is payable.")
                % {"start": start, "until": until}
                if self.overlap is Overlap.WHOLE
                else ""
            )
            self.fields[LEVY_COLLECTED] = _amount(_("Levy collected"), help_text)

    @property
    def exemption_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(tourism_levy.EXEMPT_PREFIX)]

    def establishment(self) -> str:
        return str(self.cleaned_data.get(ESTABLISHMENT, "")).strip()

    def levy_input(self) -> LevyInput:
        data = self.cleaned_data
        return LevyInput(
            gross_revenue=data.get(GROSS_REVENUE, ""),
            exempt={
                name.removeprefix(tourism_levy.EXEMPT_PREFIX): data.get(name, "")
                for name in self.fields
                if name.startswith(tourism_levy.EXEMPT_PREFIX)
            },
            levy_collected=data.get(LEVY_COLLECTED, ""),
            levy_collected_abated=data.get(LEVY_KEPT, ""),
        )

    def add_service_errors(self, errors_by_field: dict[str, str]) -> None:
        """The service's refusals beside their boxes (at the top if the form has no such box)."""
        for field, message in errors_by_field.items():
            self.add_error(field if field in self.fields else None, message)

    def hidden_values(self) -> list[tuple[str, str]]:
        """What the review carries on in hidden fields: every box as typed."""
        return [(name, str(self.cleaned_data.get(name, ""))) for name in self.fields]
