"""Forms of refund claims: the lines (a formset, one fieldset per line) and the certification (shared with
returns, filings.forms.CertificationForm).

Native inputs only (the design system's web components are not form-associated); dates are
`<input type="date">`, which every browser sends as YYYY-MM-DD. The form checks only what each box can hold;
whether a line may be claimed (its window, its rate) is decided by filings.claims, and its answer is put
back next to the box it is about."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from filings import claim_rules
from filings.claims import (
    FUEL_REQUIRED,
    LITRES_REQUIRED,
    PURCHASE_DATE_REQUIRED,
    REASON_REQUIRED,
    ClaimLineInput,
    claimable_fuels,
)
from filings.forms import CertificationForm, LitresField
from filings.models import Claim

EXTRA_LINES = 3  # empty lines shown at first, and added by "Add more lines"
MAX_LINES = 200
TOO_MANY_LINES = _("A claim can have at most %(max)d lines. File the rest in another claim.")


INVALID_DATE = _("Enter the date as year-month-day, for example 2024-05-10.")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class IsoDateField(forms.DateField):
    """A date as `<input type="date">` sends it (YYYY-MM-DD) and nothing else: 10/05/2024 is October 5 to
    some and May 10 to others, so it is refused rather than guessed."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": INVALID_DATE}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", DateInput())
        super().__init__(**kwargs)


class ClaimLineForm(forms.Form):
    """One line of a claim. Which boxes it has depends on the kind of claim. Every line is an "extra" form of
    the formset, so a line left untouched is skipped whatever its required boxes; a line begun must have them
    (the event date and the fuel rebranded to are required by the service, for the reasons that need them)."""

    reason = forms.ChoiceField(label=_("Reason"), error_messages={"required": REASON_REQUIRED})
    fuel = forms.ChoiceField(label=_("Fuel"), error_messages={"required": FUEL_REQUIRED})
    rebranded_to = forms.ChoiceField(
        label=_("Rebranded to"), required=False, help_text=_("Only when the reason is rebranding")
    )
    purchase_date = IsoDateField(
        label=_("Date of purchase"), required=True, error_messages={"required": PURCHASE_DATE_REQUIRED}
    )
    event_date = IsoDateField(
        label=_("Date of the theft, destruction, contamination or bad debt"),
        help_text=_("For theft, destruction, contamination and bad debt only"),
    )
    document_number = forms.CharField(
        label=_("Invoice or document number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    litres = LitresField(label=_("Litres"), required=True, error_messages={"required": LITRES_REQUIRED})

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        fuels = [("", _("Choose a fuel")), *claimable_fuels(kind=kind)]
        self.fields["fuel"].choices = fuels
        if kind == Claim.Kind.FUEL_TAX_REFUND:
            self.fields["reason"].choices = [
                ("", _("Choose a reason")),
                *((code, reason.label) for code, reason in claim_rules.refund_reasons().items()),
            ]
            self.fields["rebranded_to"].choices = [("", _("Not rebranded")), *claimable_fuels(kind=kind)]
        else:
            del self.fields["reason"], self.fields["rebranded_to"], self.fields["event_date"]
        if kind == Claim.Kind.INVENTORY_DECLARATION:
            del self.fields["purchase_date"]
            self.fields["document_number"].label = _("Location or count sheet")
            self.fields["litres"].label = _("Litres held")

    def is_blank(self) -> bool:
        """Nothing typed or chosen on this line (call after is_valid): it is left out."""
        data = self.cleaned_data
        return not any(
            [
                data.get("fuel"),
                data.get("reason"),
                data.get("rebranded_to"),
                data.get("purchase_date"),
                data.get("event_date"),
                (data.get("document_number") or "").strip(),
                data.get("litres"),
            ]
        )

    def line_input(self) -> ClaimLineInput:
        data = self.cleaned_data
        return ClaimLineInput(
            fuel=data.get("fuel") or "",
            litres=data.get("litres") or "0",
            purchase_date=data.get("purchase_date"),
            document_number=data.get("document_number") or "",
            reason=data.get("reason") or "",
            event_date=data.get("event_date"),
            rebranded_to=data.get("rebranded_to") or "",
        )


class BaseClaimLineFormSet(forms.BaseFormSet):
    def line_forms(self) -> list[ClaimLineForm]:
        """The forms of the lines that are not blank, in order (call after is_valid)."""
        return [form for form in self.forms if not form.is_blank()]

    def line_inputs(self):
        return [form.line_input() for form in self.line_forms()]

    def add_line_errors(self, errors_by_line: dict[int, dict[str, str]]) -> None:
        """Put the service's answer next to the boxes: `errors_by_line` is indexed like line_inputs()."""
        forms_in_use = self.line_forms()
        for index, errors in errors_by_line.items():
            form = forms_in_use[index]
            for field_name, message in errors.items():
                form.add_error(field_name if field_name in form.fields else None, message)


ClaimLineFormSet = formset_factory(
    ClaimLineForm,
    formset=BaseClaimLineFormSet,
    extra=EXTRA_LINES,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES,
)


def claim_line_formset(*, kind: str, data=None, extra_lines: int = 0) -> BaseClaimLineFormSet:
    """The lines of a claim of `kind`; `extra_lines` adds empty lines to a submitted formset."""
    if data is not None and extra_lines:
        data = data.copy()
        total = int(data.get("lines-TOTAL_FORMS", 0) or 0)
        data["lines-TOTAL_FORMS"] = str(min(MAX_LINES, total + extra_lines))
    return ClaimLineFormSet(data=data, prefix="lines", form_kwargs={"kind": kind})


CLAIM_DECLARATION = _(
    "I certify that the information given in this claim and in any documents attached is, to the best of my "
    "knowledge, correct and complete, that the tax or levy claimed was paid and has not been refunded or "
    "claimed before, and that I am authorized to file this claim."
)
CLAIM_DECLARATION_REQUIRED = _("Tick the box to certify the claim before you submit it.")


class ClaimCertificationForm(CertificationForm):
    """The certification of a return, worded for a claim."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["declaration"].label = CLAIM_DECLARATION
        self.fields["declaration"].error_messages["required"] = CLAIM_DECLARATION_REQUIRED
