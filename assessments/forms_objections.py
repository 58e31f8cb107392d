"""Forms of the Notice of Objection and waiver request wizards. They read what people type; the services
(assessments/objections.py, assessments/objection_filing.py) decide, and their errors are shown next to the field they
name. Native inputs (the design system's web components do not submit with a form)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from assessments import objection_filing, objections
from assessments.forms import DateInput
from assessments.models_objections import FACTS_MAX_CHARS, Objection, WaiverRequest
from programs import documents, money


class WizardForm(forms.Form):
    """Errors are read out with their field: a field in error names its message (and its hint) in
    aria-describedby. `choice_fields` are drawn as fieldsets (a legend, one label per option)."""

    choice_fields: tuple[str, ...] = ()

    def full_clean(self):
        super().full_clean()
        self.full_clean_aria()

    def full_clean_aria(self) -> None:
        """Also after a service's errors were added to the form."""
        for name in self.errors:
            # A radio or checkbox group names its errors inside its fieldset (consent/includes/choice_fieldset.html).
            if name in self.fields and name not in self.choice_fields:
                bound = self[name]
                described = [f"{bound.auto_id}_error"]
                if self.fields[name].help_text:
                    described.append(f"{bound.auto_id}_helptext")
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(described)
                self.fields[name].widget.attrs["aria-invalid"] = "true"


class ObjectionSubjectForm(WizardForm):
    """Step 1: a notice of (re)assessment of the account, or a letter."""

    choice_fields = ("against", "letter_kind")

    against = forms.ChoiceField(
        label=_("What do you object to?"),
        choices=Objection.Against.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what you object to."),
            "invalid_choice": _("Choose what you object to."),
        },
    )
    notice = forms.TypedChoiceField(
        label=_("Notice objected to"),
        coerce=int,
        empty_value=None,
        help_text=_("For a notice. Its period and date are taken from the notice itself."),
        error_messages={"required": objections.NOTICE_REQUIRED},
    )
    amount_in_dispute = forms.CharField(
        label=_("Amount in dispute ($)"),
        max_length=20,
        help_text=_("For a notice: the amount you disagree with, for example 1250.00."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 14}),
        error_messages={"required": objections.AMOUNT_REQUIRED},
    )
    letter_kind = forms.ChoiceField(
        label=_("Kind of letter (for a letter)"),
        choices=Objection.LetterKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": objections.LETTER_KIND_REQUIRED},
    )
    letter_dated_on = forms.DateField(
        label=_("Date of the letter"),
        widget=DateInput(),
        help_text=_("For a letter: as printed on it (YYYY-MM-DD)."),
        error_messages={"required": objections.LETTER_DATE_REQUIRED},
    )
    # Required for what is objected to only: the notice's fields for a notice, the letter's for a letter.
    fields_for = {
        Objection.Against.NOTICE: ("notice", "amount_in_dispute"),
        Objection.Against.LETTER: ("letter_kind", "letter_dated_on"),
    }

    def full_clean(self):
        against = self.data.get("against") if self.is_bound else None
        for kind, names in self.fields_for.items():
            for name in names:
                self.fields[name].required = against == kind
        super().full_clean()
        for names in self.fields_for.values():  # drawn as required again: each is, for its choice
            for name in names:
                self.fields[name].required = True

    def __init__(self, *args, notices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notice"].choices = [("", _("Choose a notice"))] + [
            (
                notice.pk,
                f"{notice.reference} · {notice.title} · {notice.period.label} · "
                f"{_('dated')} {notice.issued_on:%Y-%m-%d}",
            )
            for notice in notices
        ]
        self.fields["notice"].error_messages["invalid_choice"] = _("Choose a notice from the list.")


class StatementForm(WizardForm):
    facts = forms.CharField(
        label=_("Statement of facts and reasons"),
        max_length=FACTS_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 10, "maxlength": FACTS_MAX_CHARS}),
        help_text=_("Up to 2,000 characters. Explain what you disagree with and why."),
        error_messages={
            "required": objection_filing.FACTS_REQUIRED,
            "max_length": _("The statement may be at most 2,000 characters (it has %(show_value)s)."),
        },
    )

    def __init__(self, *args, extension_after_days: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if extension_after_days is not None:
            self.fields["extension_reason"] = forms.CharField(
                label=_("Reason for the extension of time"),
                max_length=FACTS_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 5, "maxlength": FACTS_MAX_CHARS}),
                help_text=_(
                    "The notice or letter is more than %(days)s days old: say why the objection could not be "
                    "filed in time (up to 2,000 characters)."
                )
                % {"days": extension_after_days},
                error_messages={
                    "required": objection_filing.EXTENSION_REASON_REQUIRED
                    % {"what": _("notice or letter"), "days": extension_after_days}
                },
            )


class SupportingDocumentForm(WizardForm):
    file = forms.FileField(
        label=_("Document"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": documents.ACCEPT_ATTRIBUTE}),
    )
    description = forms.CharField(
        label=_("Description of the document"),
        max_length=300,
        required=False,
        help_text=_("For example: invoice 4411 of 2021-06-12 (up to 300 characters)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "PDF, images (PNG, JPEG, TIFF), office documents (.docx, .xlsx, .odt, .ods) or plain text; at most "
            "%(size)s, up to %(count)s documents."
        ) % {
            "size": filesizeformat(settings.TRACS_DOCUMENT_MAX_BYTES),
            "count": objection_filing.MAX_DOCUMENTS,
        }


class RepresentativeForm(WizardForm):
    representative_name = forms.CharField(label=_("Name of the authorized representative"), max_length=200)
    representative_position = forms.CharField(label=_("Position or title"), max_length=200)
    representative_address = forms.CharField(
        label=_("Address"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    representative_phone = forms.CharField(
        label=_("Telephone number"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, what in objection_filing.REPRESENTATIVE_FIELDS.items():
            self.fields[name].error_messages["required"] = objection_filing.REPRESENTATIVE_REQUIRED % {
                "what": what
            }

    def representative(self) -> objection_filing.Representative:
        data = self.cleaned_data
        return objection_filing.Representative(
            name=data["representative_name"],
            position=data["representative_position"],
            address=data["representative_address"],
            phone=data["representative_phone"],
        )


class WaiverChargesForm(WizardForm):
    """Step 1 of the waiver request: the charges, and the grounds (AT4764)."""

    choice_fields = ("transactions", "grounds")

    transactions = forms.TypedMultipleChoiceField(
        label=_("Penalties and interest to be waived"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one penalty or interest charge to be waived.")},
    )
    grounds = forms.MultipleChoiceField(
        label=_("Why should TRA waive them?"),
        choices=WaiverRequest.Ground.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one reason for the request.")},
    )

    def __init__(self, *args, charges, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transactions"].choices = [
            (
                charge.pk,
                f"{charge.kind_label} · {charge.period_end:%Y-%m} · {money.format_money(charge.amount)} · "
                f"{_('processed')} {charge.processed_on:%Y-%m-%d}",
            )
            for charge in charges
        ]
        self.fields["transactions"].error_messages["invalid_choice"] = _(
            "One of the charges chosen can no longer be waived. Choose again."
        )
