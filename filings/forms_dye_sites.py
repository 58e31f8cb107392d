"""A dye site's monthly reports' forms: the Dye Stock Report (AT4984: the dye concentrate's opening inventory,
received, used, an adjustment with its reason, the closing inventory) and Litres Dyed during the Month (AT366:
the litres of clear diesel and gasoline dyed, the dye concentrate used). Litres are text
(`inputmode="decimal"`), so what was typed is what the service reads and refuses beside its box
(filings/dye_sites.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from filings import dye_sites
from filings.dye_sites import DyedFuel, DyedInput, StockInput

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _litres(label: StrOrPromise, help_text: StrOrPromise = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=40,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}),
    )


class DyeReportForm(forms.Form):
    """What both reports' forms do: the service's refusals beside their boxes, and the boxes as typed for the
    review's hidden fields."""

    def add_service_errors(self, errors_by_field: dict[str, str]) -> None:
        for field, message in errors_by_field.items():
            self.add_error(field if field in self.fields else None, message)

    def hidden_values(self) -> list[tuple[str, str]]:
        return [(name, str(self.cleaned_data.get(name, ""))) for name in self.fields]

    # Each report's form turns its cleaned boxes into that report's figures for the service.
    figures: Callable[[], Any]


class DyeStockReportForm(DyeReportForm):
    opening = _litres(
        _("Opening inventory of dye concentrate (litres)"), _("The closing inventory of the month before.")
    )
    received = _litres(_("Dye concentrate received (litres)"))
    used = _litres(_("Dye concentrate used (litres)"))
    adjustment = _litres(
        _("Adjustment (litres)"),
        _("A loss (with a minus sign, for example -15) or a gain found when the inventory was counted."),
    )
    adjustment_reason = forms.CharField(
        label=_("Reason for the adjustment"), required=False, max_length=dye_sites.REASON_MAX
    )
    closing = _litres(
        _("Closing inventory of dye concentrate (litres)"), _("Counted at the end of the month.")
    )

    def figures(self) -> StockInput:
        data = self.cleaned_data
        return StockInput(
            opening=data.get(dye_sites.OPENING, ""),
            received=data.get(dye_sites.RECEIVED, ""),
            used=data.get(dye_sites.USED, ""),
            adjustment=data.get(dye_sites.ADJUSTMENT, ""),
            adjustment_reason=data.get(dye_sites.ADJUSTMENT_REASON, ""),
            closing=data.get(dye_sites.CLOSING, ""),
        )


class LitresDyedReportForm(DyeReportForm):
    diesel = _litres(_("Clear diesel dyed (litres)"))
    gasoline = _litres(_("Clear gasoline dyed (litres)"))
    concentrate_used = _litres(
        _("Dye concentrate used (litres)"),
        _("The same figure as on the month's Dye Stock Report (AT4984) of this site."),
    )

    def figures(self) -> DyedInput:
        data = self.cleaned_data
        return DyedInput(
            litres={fuel: data.get(fuel, "") for fuel in DyedFuel.values},
            concentrate_used=data.get(dye_sites.CONCENTRATE_USED, ""),
        )


FORMS: dict[str, type[DyeReportForm]] = {
    "dye_stock_report": DyeStockReportForm,
    "litres_dyed_report": LitresDyedReportForm,
}
