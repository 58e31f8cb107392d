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
from filings.definitions import claim_definition
from filings.definitions.prop_lines import (
    ACTIVITY_REQUIRED,
    PERIOD_END_BEFORE_START,
    PERIOD_REQUIRED,
    SECTOR_REQUIRED,
    VEHICLE_CATEGORY_REQUIRED,
    prop_data,
)
from filings.forms import CertificationForm, LitresField
from filings.models import Claim
from filings.periods import Period

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

    # PROP lines: the category of the fuel consumed (filings/rules/prop.yaml).
    sector = forms.ChoiceField(label=_("Industry sector"), error_messages={"required": SECTOR_REQUIRED})
    activity = forms.ChoiceField(label=_("Activity"), error_messages={"required": ACTIVITY_REQUIRED})
    vehicle_category = forms.ChoiceField(
        label=_("Vehicle category"), error_messages={"required": VEHICLE_CATEGORY_REQUIRED}
    )
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
        if kind == Claim.Kind.PROP:
            data = prop_data()
            for name, categories in (
                ("sector", data.sectors),
                ("activity", data.activities),
                ("vehicle_category", data.vehicle_categories),
            ):
                self.fields[name].choices = [
                    ("", _("Choose")),
                    *((code, category.label) for code, category in categories.items()),
                ]
            del self.fields["purchase_date"]
            self.fields["document_number"].label = _("Unit or record reference")
            self.fields["litres"].label = _("Litres consumed off-road in the period")
        else:
            del self.fields["sector"], self.fields["activity"], self.fields["vehicle_category"]
        if kind == Claim.Kind.INVENTORY_DECLARATION:
            del self.fields["purchase_date"]
            self.fields["document_number"].label = _("Location or count sheet")
            self.fields["litres"].label = _("Litres held")

    def is_blank(self) -> bool:
        """Nothing typed or chosen on this line (call after is_valid): it is left out."""
        data = self.cleaned_data
        return not any(
            [
                data.get("sector"),
                data.get("activity"),
                data.get("vehicle_category"),
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
            sector=data.get("sector") or "",
            activity=data.get("activity") or "",
            vehicle_category=data.get("vehicle_category") or "",
        )


class ClaimPeriodForm(forms.Form):
    """The period a PROP claim covers, as the claimant chooses it (at most 12 months: the service says)."""

    period_start = IsoDateField(
        label=_("First day of the claim period"), required=True, error_messages={"required": PERIOD_REQUIRED}
    )
    period_end = IsoDateField(
        label=_("Last day of the claim period"), required=True, error_messages={"required": PERIOD_REQUIRED}
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", PERIOD_END_BEFORE_START)
        return data

    def period(self) -> Period:
        """The period chosen (call after is_valid)."""
        return Period.span(self.cleaned_data["period_start"], self.cleaned_data["period_end"])


class BaseClaimLineFormSet(forms.BaseFormSet):
    # The claim's period, for a kind of claim filed for one (claim_line_formset sets it), else None.
    period_form: ClaimPeriodForm | None = None

    def is_valid(self) -> bool:
        lines_valid = super().is_valid()
        return (self.period_form is None or self.period_form.is_valid()) and lines_valid

    def claim_period(self) -> Period | None:
        """The period chosen (call after is_valid), or None for a kind without periods."""
        return self.period_form.period() if self.period_form is not None else None

    def line_forms(self) -> list[ClaimLineForm]:
        """The forms of the lines that are not blank, in order (call after is_valid)."""
        return [form for form in self.forms if not form.is_blank()]

    def line_inputs(self):
        return [form.line_input() for form in self.line_forms()]

    def add_line_errors(
        self, errors_by_line: dict[int, dict[str, str]], period_errors: dict[str, str] | None = None
    ) -> None:
        """Put the service's answer next to the boxes: `errors_by_line` is indexed like line_inputs();
        `period_errors` are the period's, by its field."""
        if self.period_form is not None:
            for field_name, message in (period_errors or {}).items():
                self.period_form.add_error(field_name, message)
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
    formset = ClaimLineFormSet(data=data, prefix="lines", form_kwargs={"kind": kind})
    if claim_definition(kind).periods is not None:
        formset.period_form = ClaimPeriodForm(data=data, prefix="period")
    return formset


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
