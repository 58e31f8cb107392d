"""Forms of the online registration (programs/services/registration.py), one per part.

Each field normalizes what was typed with programs.validators, so an error shows next to its field and the
rest of what was typed stays on the page; the services check again. Locations and contacts are repeatable
rows (formsets) that work without JavaScript: "Add another" and "Remove" are submit buttons that show the
page again with one row more or less, nothing saved until "Save"."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from programs import registration_rules, validators
from programs.forms import NeverRenderedInput
from programs.models import (
    BIN_VALIDATOR,
    AccountFrequency,
    Program,
    Registration,
    RegistrationEstablishment,
)
from programs.services import registration as registration_services
from programs.services import registration_establishments

BANK_ACCOUNTS_DIFFER = _(
    "The two account numbers are not the same. Type the account number again in both boxes."
)
RETYPE_ACCOUNT_NUMBER = _("For your security the account number is not shown again: type it in both boxes.")
YES_NO_DEPOSIT = [
    ("yes", _("By direct deposit to a bank account")),
    ("no", _("By cheque to the mailing address")),
]


def _province_field(*, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Province or territory"),
        choices=[("", _("Choose…")), *validators.PROVINCE_CHOICES],
        initial="AB",
        required=required,
        error_messages={"invalid_choice": validators.PROVINCE_UNKNOWN},
    )


POSTAL_CODE_EXAMPLE = _("For example T5J 0N3")


def _postal_code_field(*, required: bool = True, help_text=POSTAL_CODE_EXAMPLE) -> forms.CharField:
    return forms.CharField(
        label=_("Postal code"),
        max_length=10,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "size": 8}),
    )


def _check_postal_code_in_province(form: forms.Form, cleaned: dict) -> None:
    province, postal_code = cleaned.get("province"), cleaned.get("postal_code")
    if province and postal_code:
        try:
            validators.postal_code_in_province(postal_code=postal_code, province=province)
        except ValidationError as error:
            form.add_error("postal_code", error)


class ProgramChoiceForm(forms.Form):
    """The Program Name menu (seed 004, step 2): only programs that register online can be chosen."""

    program = forms.ModelChoiceField(
        label=_("Program name"),
        queryset=Program.objects.filter(code__in=registration_rules.ONLINE_PROGRAMS).order_by("number"),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Choose the program to register for."),
            "invalid_choice": _("Choose the program to register for."),
        },
    )


class BusinessForm(forms.Form):
    legal_name = forms.CharField(
        label=_("Legal name of the business"),
        max_length=200,
        help_text=_(
            "As registered with Alberta Corporate Registry, or your own name for a sole proprietorship"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    operating_name = forms.CharField(
        label=_("Operating name"),
        max_length=200,
        required=False,
        help_text=_("If it trades under another name"),
    )
    bin = forms.CharField(
        label=_("Business Identification Number (BIN)"),
        max_length=11,
        required=False,
        help_text=_(
            "9 digits, if TRA already gave the business one for another program. Leave empty if not: TRA assigns one."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 11}),
    )
    business_type = forms.ChoiceField(
        label=_("Type of business"),
        choices=[("", _("Choose…")), *Registration.BusinessType.choices],
        error_messages={
            "required": registration_services.BUSINESS_TYPE_REQUIRED,
            "invalid_choice": registration_services.BUSINESS_TYPE_REQUIRED,
        },
    )
    start_date = forms.DateField(
        label=_("Date the activities start (or started)"),
        help_text=_("The first month a return may be due. For example 2026-01-31"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": registration_services.START_DATE_REQUIRED,
            "invalid": registration_services.START_DATE_REQUIRED,
        },
    )
    line1 = forms.CharField(
        label=_("Mailing address line 1"),
        max_length=200,
        help_text=_("Street address, or box number. TRA mails letters and cheques here."),
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label=_("Mailing address line 2"),
        max_length=200,
        required=False,
        help_text=_("Suite, unit, or rural route"),
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label=_("City or town"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    province = _province_field()
    postal_code = _postal_code_field()

    @classmethod
    def initial_from(cls, registration: Registration) -> dict:
        initial = {
            name: getattr(registration, name) for name in cls.base_fields if hasattr(registration, name)
        }
        initial["province"] = registration.province or "AB"
        return initial

    def clean_bin(self):
        value = "".join(ch for ch in self.cleaned_data["bin"] if not ch.isspace() and ch != "-")
        if value:
            BIN_VALIDATOR(value)
        return value

    def clean_postal_code(self):
        return validators.postal_code_normalize(self.cleaned_data["postal_code"])

    def clean(self):
        cleaned = super().clean()
        _check_postal_code_in_province(self, cleaned)
        return cleaned


class ReasonsForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        label=_("Why does the business register? Choose every activity that applies."),
        choices=Registration.Reason.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "From TRA's list “When to register”. Selling marked fuel also opens a Tax Exempt Fuel Sales account."
        ),
        error_messages={
            "required": registration_services.NO_REASONS,
            "invalid_choice": registration_services.REASON_UNKNOWN,
        },
    )


class RowForm(forms.Form):
    """One repeatable row. A row left empty is skipped, not refused; `defaults` are fields that have a
    value before anyone types (the province), so they do not count as typed."""

    defaults: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        kwargs["empty_permitted"] = True
        kwargs["use_required_attribute"] = False
        super().__init__(*args, **kwargs)

    def has_changed(self) -> bool:
        return any(str(self[name].value() or "").strip() for name in self.fields if name not in self.defaults)

    def row(self) -> dict:
        """What was typed, as it was typed (to show the row again)."""
        return {name: self[name].value() for name in self.fields}


class LitresField(forms.DecimalField):
    """Whole litres, typed as people write them: 50000, 50,000 or 50 000."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace(" ", "").replace("\u00a0", "")
        return super().to_python(value)


class LocationForm(RowForm):
    defaults = ("province",)

    name = forms.CharField(
        label=_("Location name"), max_length=200, help_text=_("For example Leduc bulk plant")
    )
    line1 = forms.CharField(label=_("Address or legal land description"), max_length=200)
    city = forms.CharField(label=_("City, town or county"), max_length=100)
    province = _province_field()
    postal_code = _postal_code_field(required=False, help_text=_("If the location has one"))
    capacity_litres = LitresField(
        label=_("Storage capacity in litres"),
        min_value=1,
        max_digits=15,
        decimal_places=0,
        help_text=_("All tanks at the location together, in whole litres"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 12}),
        error_messages={
            "invalid": registration_services.CAPACITY_POSITIVE,
            "min_value": registration_services.CAPACITY_POSITIVE,
            "max_decimal_places": registration_services.CAPACITY_POSITIVE,
            "max_digits": registration_services.CAPACITY_POSITIVE,
            "max_whole_digits": registration_services.CAPACITY_POSITIVE,
        },
    )

    def clean_postal_code(self):
        value = self.cleaned_data["postal_code"].strip()
        return validators.postal_code_normalize(value) if value else ""

    def clean(self):
        cleaned = super().clean()
        _check_postal_code_in_province(self, cleaned)
        return cleaned

    @staticmethod
    def initial_from(location) -> dict:
        return {
            "name": location.name,
            "line1": location.line1,
            "city": location.city,
            "province": location.province,
            "postal_code": location.postal_code,
            "capacity_litres": location.capacity_litres,
        }


class EstablishmentForm(RowForm):
    """A Tourism Levy establishment (AT4827): in Alberta, so no province to choose; its postal code must be an
    Alberta one."""

    defaults = ("frequency",)

    name = forms.CharField(
        label=_("Establishment name"),
        max_length=200,
        help_text=_("The name guests know it by, for example Bow Valley Inn"),
    )
    kind = forms.ChoiceField(
        label=_("Type of accommodation"),
        choices=[("", _("Choose…")), *RegistrationEstablishment.Kind.choices],
        error_messages={
            "required": registration_establishments.ESTABLISHMENT_KIND_REQUIRED,
            "invalid_choice": registration_establishments.ESTABLISHMENT_KIND_REQUIRED,
        },
    )
    line1 = forms.CharField(label=_("Street address"), max_length=200)
    city = forms.CharField(label=_("City or town"), max_length=100)
    postal_code = _postal_code_field(help_text=_("An Alberta postal code, for example T1L 1B3"))
    units = forms.IntegerField(
        label=_("Rooms or units offered"),
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
        error_messages={
            "required": registration_establishments.UNITS_POSITIVE,
            "invalid": registration_establishments.UNITS_POSITIVE,
            "min_value": registration_establishments.UNITS_POSITIVE,
        },
    )
    listed_online = forms.BooleanField(
        label=_("Listed on an online marketplace (for example a booking or short-term rental website)"),
        required=False,
    )
    opens_on = forms.DateField(
        label=_("First day accommodation is (or was) offered"),
        help_text=_("Its first collection period starts then. For example 2026-01-31"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": registration_establishments.OPENS_ON_REQUIRED,
            "invalid": registration_establishments.OPENS_ON_REQUIRED,
        },
    )
    frequency = forms.ChoiceField(
        label=_("How often this establishment files its return"),
        choices=AccountFrequency.Frequency.choices,
        initial=AccountFrequency.Frequency.MONTHLY,
        widget=forms.RadioSelect,
        help_text=_(
            "Each return is due on the 28th day after the end of its month or calendar quarter, with or without sales."
        ),
        error_messages={
            "required": registration_establishments.FREQUENCY_REQUIRED,
            "invalid_choice": registration_establishments.FREQUENCY_REQUIRED,
        },
    )

    def clean_postal_code(self):
        return validators.postal_code_normalize(self.cleaned_data["postal_code"].strip())

    def clean(self):
        cleaned = super().clean()
        cleaned["province"] = "AB"
        if cleaned.get("postal_code"):
            try:
                validators.postal_code_in_province(postal_code=cleaned["postal_code"], province="AB")
            except ValidationError:
                self.add_error("postal_code", registration_establishments.ESTABLISHMENT_OUTSIDE_ALBERTA)
        opens_on = cleaned.get("opens_on")
        if opens_on is not None:
            try:
                registration_establishments.levy_in_force_on(opens_on)
            except ValidationError as error:
                self.add_error("opens_on", error)
        return cleaned

    @staticmethod
    def initial_from(establishment) -> dict:
        return {
            "name": establishment.name,
            "kind": establishment.kind,
            "line1": establishment.line1,
            "city": establishment.city,
            "postal_code": establishment.postal_code,
            "units": establishment.units,
            "listed_online": establishment.listed_online,
            "opens_on": establishment.opens_on,
            "frequency": establishment.frequency,
        }


class ContactForm(RowForm):
    name = forms.CharField(label=_("Full name"), max_length=200)
    title = forms.CharField(
        label=_("Role or title"),
        max_length=120,
        required=False,
        help_text=_("For example Controller, or Bookkeeper"),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        help_text=_("10 digits with the area code, for example 780-427-3044 ext. 123"),
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    email = forms.EmailField(label=_("E-mail address"), required=False)

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        return validators.phone_display(*validators.phone_normalize(phone))

    def clean(self):
        cleaned = super().clean()
        if not self.has_error("phone") and not self.has_error("email"):
            if not cleaned.get("phone") and not cleaned.get("email"):
                self.add_error("phone", registration_services.CONTACT_NEEDS_PHONE_OR_EMAIL)
        return cleaned

    @staticmethod
    def initial_from(contact) -> dict:
        return {
            "name": contact.name,
            "title": contact.title,
            "phone": contact.phone_display,
            "email": contact.email,
        }


class RowFormSet(forms.BaseFormSet):
    def typed_rows(self) -> list[dict]:
        """The rows someone typed in, as typed (empty rows left out)."""
        return [form.row() for form in self.forms if form.has_changed()]

    def cleaned_rows(self) -> list[dict]:
        return [form.cleaned_data for form in self.forms if form.has_changed()]


LocationFormSet = forms.formset_factory(
    LocationForm,
    formset=RowFormSet,
    extra=0,
    max_num=registration_rules.MAX_LOCATIONS,
    absolute_max=registration_rules.MAX_LOCATIONS,
)
EstablishmentFormSet = forms.formset_factory(
    EstablishmentForm,
    formset=RowFormSet,
    extra=0,
    max_num=registration_rules.MAX_ESTABLISHMENTS,
    absolute_max=registration_rules.MAX_ESTABLISHMENTS,
)
ContactFormSet = forms.formset_factory(
    ContactForm,
    formset=RowFormSet,
    extra=0,
    max_num=registration_rules.MAX_CONTACTS,
    absolute_max=registration_rules.MAX_CONTACTS,
)


class BankingForm(forms.Form):
    wants_direct_deposit = forms.ChoiceField(
        label=_("How should TRA pay refunds?"),
        choices=YES_NO_DEPOSIT,
        widget=forms.RadioSelect,
        error_messages={
            "required": registration_services.BANKING_UNANSWERED,
            "invalid_choice": registration_services.BANKING_UNANSWERED,
        },
    )
    institution_number = forms.CharField(
        label=_("Institution number"),
        max_length=5,
        required=False,
        help_text=_("3 digits"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 5}),
    )
    transit_number = forms.CharField(
        label=_("Transit (branch) number"),
        max_length=7,
        required=False,
        help_text=_("5 digits"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 7}),
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=20,
        required=False,
        help_text=_("7 to 12 digits"),
        widget=NeverRenderedInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    account_number_again = forms.CharField(
        label=_("Account number again"),
        max_length=20,
        required=False,
        help_text=_("To catch a typing mistake: refunds go to this account."),
        widget=NeverRenderedInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    holder_name = forms.CharField(
        label=_("Name of the account holder"),
        max_length=200,
        required=False,
        help_text=_("As the bank knows it, usually the business's legal name"),
    )

    BANK_FIELDS = (
        "institution_number",
        "transit_number",
        "account_number",
        "account_number_again",
        "holder_name",
    )

    def __init__(self, *args, saved_last4: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.saved_last4 = saved_last4
        # The bank fields are needed for direct deposit only (and the account number not when one is saved).
        by_deposit = not self.is_bound or self.data.get("wants_direct_deposit") == "yes"
        for name in self.BANK_FIELDS:
            self.fields[name].required = by_deposit and not (
                saved_last4 and name.startswith("account_number")
            )
        if saved_last4:
            self.fields["account_number"].help_text = _(
                "7 to 12 digits. Leave both account number boxes empty to keep the bank account ending in %(last4)s."
            ) % {"last4": saved_last4}

    @classmethod
    def initial_from(cls, registration: Registration) -> dict:
        if registration.wants_direct_deposit is None:
            return {}
        return {
            "wants_direct_deposit": "yes" if registration.wants_direct_deposit else "no",
            "institution_number": registration.deposit_institution_number,
            "transit_number": registration.deposit_transit_number,
            "holder_name": registration.deposit_holder_name,
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("wants_direct_deposit") != "yes":
            return cleaned
        number = cleaned.get("account_number", "").strip()
        again = cleaned.get("account_number_again", "").strip()
        cleaned["keep_saved_account"] = bool(self.saved_last4) and not number and not again
        checks = [
            ("institution_number", validators.institution_number_normalize),
            ("transit_number", validators.transit_number_normalize),
        ]
        if not cleaned["keep_saved_account"]:
            checks.append(("account_number", validators.bank_account_number_normalize))
        for field, normalize in checks:
            if self.has_error(field):
                continue
            try:
                cleaned[field] = normalize(cleaned.get(field, ""))
            except ValidationError as error:
                self.add_error(field, error)
        if not self.has_error("holder_name") and not cleaned.get("holder_name", "").strip():
            self.add_error("holder_name", registration_services.REQUIRED)
        if (
            not cleaned["keep_saved_account"]
            and not self.has_error("account_number")
            and not self.has_error("account_number_again")
        ):
            if cleaned["account_number"] != again.replace(" ", "").replace("-", ""):
                self.add_error("account_number_again", BANK_ACCOUNTS_DIFFER)
        return cleaned


class SubmitForm(forms.Form):
    certified_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        error_messages={"required": registration_services.CERTIFIED_NAME_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    certified = forms.BooleanField(
        label=_(
            "I certify that the information given in this registration is true, correct and complete, and that I am "
            "authorized to register this business with Tax and Revenue Administration."
        ),
        error_messages={"required": registration_services.CERTIFICATION_REQUIRED},
    )
