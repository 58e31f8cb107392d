"""Forms of filings: the litres of a fuel tax return, and the certification.

Native inputs (the design system's web components are not form-associated). Litres are text inputs with
`inputmode="decimal"`, not `type=number`: a browser sends an empty value for a number input it cannot read,
which would silently turn "1O0" into "no litres"; we want the text, to say what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from filings.periods import Period
from filings.tax import TAX, LineCategory, LineInput, categories_for, field_key, fuels, line_kinds
from programs import money
from programs.rates import Rate, RateNotFound, rate_on

DECLARATION = _(
    "I certify that the information given in this return and in any documents attached is, to the best of my "
    "knowledge, correct and complete, and that I am authorized to file it."
)
DECLARATION_REQUIRED = _("Tick the box to certify the return before you submit it.")


class LitresField(forms.CharField):
    """Litres as typed: whole litres or up to 3 decimals, zero or more (programs.money.parse_litres)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "inputmode": "decimal",
                    "autocomplete": "off",
                    "spellcheck": "false",
                    "data-litres": "",
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return money.parse_litres(value or "")
        except money.AmountError as error:
            raise forms.ValidationError(error.message, params=error.params, code="litres") from error


@dataclass(frozen=True)
class LineRow:
    field: forms.BoundField
    category_label: str


@dataclass(frozen=True)
class FuelGroup:
    """One fuel's boxes, for one table of the form, with the rate in force in the period: `rows` shown,
    `other_rows` (the categories not reported yet) behind its "Other categories" disclosure."""

    fuel: str
    label: str
    rate: Rate | None  # None: no rate on file for the period
    rows: list[LineRow]
    other_rows: list[LineRow]


@dataclass(frozen=True)
class ReturnFormLayout:
    """The form as shown: the fuels open, and the others behind the one "Add another fuel" disclosure (each
    fuel its own disclosure in it, all its boxes inside). Every box is in the form either way, so what is
    typed anywhere is sent, and a box left hidden is sent empty: zero litres."""

    open: list[FuelGroup]
    more: list[FuelGroup]


class ReturnLinesForm(forms.Form):
    """One litres box per fuel and category the return may report (filings.tax.line_kinds)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(fuels())
        for fuel, category in line_kinds():
            self.fields[field_key(fuel, category)] = LitresField(
                label=f"{labels[fuel]}: {LineCategory(category).label}"
            )

    @classmethod
    def initial_from(cls, lines) -> dict[str, str]:
        """Initial values from stored or computed lines (to amend a return, or to change a reviewed one)."""
        return {field_key(line.fuel, line.category): money.format_litres(line.litres) for line in lines}

    def _typed(self, name: str) -> bool:
        """Whether the box holds litres: as sent (a bound form), or as filled in (an amendment's lines)."""
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        return bool(str(value or "").strip())

    def layout(self, *, period: Period, known: set[tuple[str, str]]) -> ReturnFormLayout:
        """The lines `known` (filings.selectors.return_lines_known) and every box with litres (or an error) are
        shown; a fuel shown has its other categories behind "Other categories"; a fuel with none of those is
        behind "Add another fuel", all its boxes inside."""
        open_, more = [], []
        for fuel, label in fuels():
            try:
                rate = rate_on(fuel=fuel, day=period.start, tax=TAX)
            except RateNotFound:
                rate = None
            shown: list[LineRow] = []
            others: list[LineRow] = []
            for category in categories_for(fuel):
                name = field_key(fuel, category)
                row = LineRow(field=self[name], category_label=str(category.label))
                (shown if (fuel, category.value) in known or self._typed(name) else others).append(row)
            if shown:
                open_.append(FuelGroup(fuel=fuel, label=label, rate=rate, rows=shown, other_rows=others))
            else:
                more.append(FuelGroup(fuel=fuel, label=label, rate=rate, rows=others, other_rows=[]))
        return ReturnFormLayout(open=open_, more=more)

    def line_inputs(self) -> list[LineInput]:
        """The lines with litres (call after is_valid()); zeros are left out."""
        result = []
        for name, value in self.cleaned_data.items():
            if isinstance(value, Decimal) and value > 0:
                fuel, category = name.split("__", 1)
                result.append(LineInput(fuel=fuel, category=category, litres=value))
        return result

    def add_line_errors(self, errors_by_key: dict[str, str]) -> None:
        for key, message in errors_by_key.items():
            self.add_error(key if key in self.fields else None, message)


class CertificationForm(forms.Form):
    """The filer certifies the return: their name, their capacity (position or title) and the declaration."""

    certified_name = forms.CharField(
        label=_("Your full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    certified_capacity = forms.CharField(
        label=_("Your position or title"),
        max_length=200,
        help_text=_("For example: owner, controller, director, tax preparer."),
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    declaration = forms.BooleanField(label=DECLARATION, error_messages={"required": DECLARATION_REQUIRED})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certified_name"].error_messages["required"] = _("Enter your full name.")
        self.fields["certified_capacity"].error_messages["required"] = _("Enter your position or title.")
