"""Forms of the marked-fuel web pages: the rows of "Create AFFB/TEFU Sales", "Create Acquisitions and Imports" and
"Create Dispositions and Exports", the month's inventory counts, and the month reported.

The web form is one more door of the one ingestion service (filings.sales.ingestion.ingestion_rows): the boxes
carry the text as typed, named by the columns of the file formats (docs/marked-fuel-files.md), and the service
checks every value (dates, litres, the exemption number on the sale date, the seller's BFLOs) exactly as it
checks a file's rows; its answer is put back next to the box of the row it is about. So these forms check nothing
but their own shape: there is no second validation path to drift from the files'.

Native inputs only (the design system's web components are not form-associated)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from filings.periods import Period, periods_owed
from filings.sales.models_report import MARKED_FUELS
from programs.models import BulkFuelLocation, ProgramAccount

MAX_ROWS = 200  # a web submission; a larger month goes by file upload or SFTP
TOO_MANY_ROWS = _(
    "A page can take at most %(max)d rows. Send the rest in another submission, or upload a file."
)
NO_ROWS = _("Enter at least one row.")

# The kinds each movement page records (one column set for all four, docs/marked-fuel-files.md).
ACQUISITIONS_AND_IMPORTS = (("acquisition", _("Acquisition")), ("import", _("Import")))
DISPOSITIONS_AND_EXPORTS = (("disposition", _("Disposition")), ("export", _("Export")))


def _text(label, *, autocomplete: str = "off", **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": autocomplete, "spellcheck": "false", **attrs}),
    )


def _date(label) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=40, widget=forms.DateInput(attrs={"type": "date"})
    )


def _choice(label, choices) -> forms.CharField:
    """A select whose value is passed on as sent: the service says whether it is one of the allowed values."""
    return forms.CharField(label=label, required=False, max_length=40, widget=forms.Select(choices=choices))


def location_choices(account: ProgramAccount) -> list[tuple[str, object]]:
    """The account's active BFLOs, for the BFLO box of every row."""
    locations = BulkFuelLocation.objects.filter(account=account, active=True).order_by("number")
    return [("", _("Choose a BFLO")), *((loc.number, f"{loc.number} {loc.name}") for loc in locations)]


FUEL_CHOICES = [("", _("Choose a fuel")), *MARKED_FUELS]


class RowForm(forms.Form):
    """One row of a page: its boxes are the record type's columns, less those the page sets itself."""

    # Boxes that have a value before anything is typed: a row is blank when all the others are empty.
    prefilled: tuple[str, ...] = ()

    def __init__(self, *args, locations: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bflo_number"].widget.choices = locations

    def values(self) -> dict[str, str]:
        """The row as the service takes it: column -> text as typed (call after is_valid)."""
        return {name: (self.cleaned_data.get(name) or "").strip() for name in self.fields}

    def is_blank(self) -> bool:
        return not any(value for name, value in self.values().items() if name not in self.prefilled)


class SaleRowForm(RowForm):
    """One consumer sale: the columns of the sales file, less the account, the month and the record kind."""

    prefilled = ("line",)

    sale_date = _date(_("Sale date"))
    invoice_number = _text(_("Invoice number"))
    line = _text(_("Line"), inputmode="numeric")
    exemption_number = _text(_("AFFB or TEFU number"))
    fuel = _choice(_("Fuel"), FUEL_CHOICES)
    litres = _text(_("Litres"), inputmode="decimal")
    bflo_number = _choice(_("BFLO"), [])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"line": "1"})
        super().__init__(*args, **kwargs)


class SaleChangeForm(SaleRowForm):
    """An amendment of an accepted sale: its new values; the invoice and line name the sale and stay as they are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["invoice_number"], self.fields["line"]


class MovementRowForm(RowForm):
    """One fuel movement: the columns of the movements file, less the account and the month."""

    prefilled: tuple[str, ...] = ("movement",)

    movement = _choice(_("Movement"), [])
    movement_date = _date(_("Date"))
    bflo_number = _choice(_("BFLO"), [])
    fuel = _choice(_("Fuel"), FUEL_CHOICES)
    litres = _text(_("Litres"), inputmode="decimal")
    counterparty_name = _text(_("Supplier or customer name"), autocomplete="organization")
    counterparty_number = _text(_("Their BIN or licence number"))
    jurisdiction = _text(_("Jurisdiction (imports and exports)"))
    document_number = _text(_("Document number"))

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["movement"].widget.choices = list(kinds)
        self.fields["jurisdiction"].help_text = _("Province, state or country it came from or went to")


class MovementChangeForm(MovementRowForm):
    """An amendment of an accepted movement: its new date, litres, counterparty and jurisdiction; the kind,
    document number, BFLO and fuel name the movement and stay as they are."""

    prefilled: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kinds", ())
        super().__init__(*args, **kwargs)
        for name in ("movement", "bflo_number", "fuel", "document_number"):
            del self.fields[name]


class BaseRowFormSet(forms.BaseFormSet):
    def row_forms(self) -> list[RowForm]:
        """The rows that are not blank, in order (call after is_valid): row N of the service is the Nth."""
        return [form for form in self.forms if not form.is_blank()]

    def rows(self) -> list[dict[str, str]]:
        return [form.values() for form in self.row_forms()]

    def add_row_errors(self, rejected) -> None:
        """Put the service's answer next to the boxes: each rejected row (filings.sales.models.RejectedRow) names
        its row number in `rows()` and, per problem, the column and the reason."""
        in_use = self.row_forms()
        for row in rejected:
            form = in_use[row.row_number - 1]
            for problem in row.errors or [{"field": row.field, "reason": row.reason}]:
                column = problem.get("field") or ""
                form.add_error(column if column in form.fields else None, problem.get("reason") or "")


def row_formset(
    form_class: type[RowForm], *, data=None, rows: int, add: bool = False, initial=None, **form_kwargs
):
    """The rows of a page: `rows` empty ones at first (or the rows of `initial`); `add` puts one more empty row
    after those sent."""
    formset_class = formset_factory(
        form_class,
        formset=BaseRowFormSet,
        extra=rows,
        max_num=MAX_ROWS,
        validate_max=True,
        absolute_max=MAX_ROWS,
    )
    if data is not None and add:
        data = data.copy()
        data["rows-TOTAL_FORMS"] = str(min(MAX_ROWS, int(data.get("rows-TOTAL_FORMS") or 0) + 1))
    return formset_class(data=data, prefix="rows", initial=initial, form_kwargs=form_kwargs)


def months_open(account: ProgramAccount, *, today: date) -> list[Period]:
    """The months a seller may enter rows for, newest first: the month running now and every month since the
    account's effective date (a late sale is still reported in its own month)."""
    months = periods_owed(effective_date=account.effective_date, closed_on=account.closed_on, today=today)
    running = Period.of(today)
    if account.effective_date <= running.end and (
        account.closed_on is None or account.closed_on >= running.start
    ):
        months.append(running)
    return list(reversed(months))


class MonthForm(forms.Form):
    """The month the rows are reported in."""

    month = forms.ChoiceField(
        label=_("Month reported"), error_messages={"invalid_choice": _("Choose a month of this account.")}
    )

    def __init__(self, *args, months: list[Period], **kwargs):
        super().__init__(*args, **kwargs)
        month = self.fields["month"]
        assert isinstance(month, forms.ChoiceField)
        month.choices = [(period.key, period.label) for period in months]
        if months and "month" not in self.initial:
            self.initial["month"] = months[0].key

    @property
    def period(self) -> Period:
        return Period.from_key(self.cleaned_data["month"])


class InventoryForm(forms.Form):
    """The month's inventory counts: a box per location, fuel and count (opening only in a first month). A box
    already counted says so under it: a number typed there is a recount (a new revision; the latest stands)."""

    def __init__(
        self,
        *args,
        locations: list[BulkFuelLocation],
        kinds: list[str],
        counted: dict[tuple[str, str, str], str],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.cells: list[tuple[BulkFuelLocation, str, str, str]] = []
        for location in locations:
            for fuel, fuel_label in MARKED_FUELS:
                for kind in kinds:
                    name = f"{kind}__{location.number}__{fuel}"
                    label = _("%(kind)s inventory, BFLO %(number)s, %(fuel)s (litres)") % {
                        "kind": _("Opening") if kind == "opening" else _("Closing"),
                        "number": location.number,
                        "fuel": str(fuel_label).lower(),
                    }
                    self.fields[name] = _text(label, inputmode="decimal")
                    litres = counted.get((kind, location.number, fuel))
                    if litres is not None:
                        self.fields[name].help_text = _(
                            "Counted: %(litres)s L. Type a number only to recount."
                        ) % {"litres": litres}
                    self.cells.append((location, fuel, kind, name))

    def rows(self) -> list[dict[str, str]]:
        """The counts typed, as the inventory file's rows (call after is_valid); empty boxes are left out."""
        rows = []
        for location, fuel, kind, name in self.cells:
            litres = (self.cleaned_data.get(name) or "").strip()
            if litres:
                rows.append({"count": kind, "bflo_number": location.number, "fuel": fuel, "litres": litres})
        return rows

    def add_row_errors(self, rejected, rows: list[dict[str, str]]) -> None:
        names = [f"{row['count']}__{row['bflo_number']}__{row['fuel']}" for row in rows]
        for row in rejected:
            name = names[row.row_number - 1]
            for problem in row.errors or [{"reason": row.reason}]:
                self.add_error(name, problem.get("reason") or "")
