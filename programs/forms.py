"""Forms for an account's addresses, contact persons and direct deposit.

Each field normalizes what was typed with programs.validators, so an error shows next to its field; the
services check again. Bank account numbers and two-factor codes are never written back into the page."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from programs import validators
from programs.models import Address, Contact
from programs.services.contacts import CONTACT_NEEDS_PHONE_OR_EMAIL

BANK_ACCOUNTS_DIFFER = _(
    "The two account numbers are not the same. Type the account number again in both boxes."
)
RETYPE_ACCOUNT_NUMBER = _("For your security the account number is not shown again: type it in both boxes.")


class AddressForm(forms.Form):
    line1 = forms.CharField(
        label=_("Address line 1"), max_length=200, help_text=_("Street address, or box number")
    )
    line2 = forms.CharField(
        label=_("Address line 2"), max_length=200, required=False, help_text=_("Suite, unit, or rural route")
    )
    city = forms.CharField(label=_("City or town"), max_length=100)
    province = forms.ChoiceField(
        label=_("Province or territory"),
        choices=[("", _("Choose…")), *validators.PROVINCE_CHOICES],
        error_messages={"invalid_choice": validators.PROVINCE_UNKNOWN},
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=10,
        help_text=_("For example T5J 0N3"),
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "autocapitalize": "characters", "size": 8}
        ),
    )

    def __init__(self, *args, kind: str = Address.Kind.MAILING, **kwargs):
        super().__init__(*args, **kwargs)
        section = "shipping" if kind == Address.Kind.LOCATION else "billing"
        for name, token in (
            ("line1", "address-line1"),
            ("line2", "address-line2"),
            ("city", "address-level2"),
        ):
            self.fields[name].widget.attrs["autocomplete"] = f"section-{kind} {section} {token}"

    @classmethod
    def initial_from(cls, address: Address | None) -> dict:
        if address is None:
            return {"province": "AB"}
        return {
            name: getattr(address, name) for name in ("line1", "line2", "city", "province", "postal_code")
        }

    def clean_postal_code(self):
        return validators.postal_code_normalize(self.cleaned_data["postal_code"])

    def clean(self):
        cleaned = super().clean()
        province, postal_code = cleaned.get("province"), cleaned.get("postal_code")
        if province and postal_code:
            try:
                validators.postal_code_in_province(postal_code=postal_code, province=province)
            except ValidationError as error:
                self.add_error("postal_code", error)
        return cleaned


class ContactForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
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
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    is_primary = forms.BooleanField(
        label=_("Primary contact: the person TRA contacts first about this account"), required=False
    )

    def __init__(self, *args, contact: Contact | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if contact is not None and contact.is_primary:
            self.fields["is_primary"].disabled = True
            self.fields["is_primary"].help_text = _(
                "To change the primary contact, make another contact primary."
            )

    @classmethod
    def initial_from(cls, contact: Contact) -> dict:
        return {
            "name": contact.name,
            "title": contact.title,
            "phone": contact.phone_display,
            "email": contact.email,
            "is_primary": contact.is_primary,
        }

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        return validators.phone_display(*validators.phone_normalize(phone))

    def clean(self):
        cleaned = super().clean()
        if not self.has_error("phone") and not self.has_error("email"):
            if not cleaned.get("phone") and not cleaned.get("email"):
                self.add_error("phone", CONTACT_NEEDS_PHONE_OR_EMAIL)
        return cleaned


class NeverRenderedInput(forms.TextInput):
    """A text box whose value is never written back into the page (a bank account number, a one-time code):
    after an error the person types it again."""

    def format_value(self, value):
        return None


class TwoFactorField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Code from your authenticator app"),
            max_length=10,
            help_text=_("To confirm it is you, enter the 6-digit code your authenticator app shows now."),
            widget=NeverRenderedInput(
                attrs={
                    "autocomplete": "one-time-code",
                    "inputmode": "numeric",
                    "spellcheck": "false",
                    "size": 8,
                }
            ),
            **kwargs,
        )

    def to_python(self, value):
        return (super().to_python(value) or "").replace(" ", "")


class DirectDepositForm(forms.Form):
    institution_number = forms.CharField(
        label=_("Institution number"),
        max_length=5,
        help_text=_("3 digits"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 5}),
    )
    transit_number = forms.CharField(
        label=_("Transit (branch) number"),
        max_length=7,
        help_text=_("5 digits"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 7}),
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=20,
        help_text=_("7 to 12 digits"),
        widget=NeverRenderedInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    account_number_again = forms.CharField(
        label=_("Account number again"),
        max_length=20,
        help_text=_("To catch a typing mistake: refunds go to this account."),
        widget=NeverRenderedInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    holder_name = forms.CharField(
        label=_("Name of the account holder"),
        max_length=200,
        help_text=_("As the bank knows it, usually the business's legal name"),
    )
    otp_token = TwoFactorField()

    def clean_institution_number(self):
        return validators.institution_number_normalize(self.cleaned_data["institution_number"])

    def clean_transit_number(self):
        return validators.transit_number_normalize(self.cleaned_data["transit_number"])

    def clean_account_number(self):
        return validators.bank_account_number_normalize(self.cleaned_data["account_number"])

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("account_number")
        again = cleaned.get("account_number_again")
        if number and again is not None and number != again.replace(" ", "").replace("-", ""):
            self.add_error("account_number_again", BANK_ACCOUNTS_DIFFER)
        return cleaned


class DirectDepositRemoveForm(forms.Form):
    otp_token = TwoFactorField()


class AddressAdminForm(forms.ModelForm):
    """Staff's address form in Django admin: the same rules as the portal's (postal code, province)."""

    province = forms.ChoiceField(
        label=_("Province or territory"),
        choices=validators.PROVINCE_CHOICES,
        initial="AB",
        error_messages={"invalid_choice": validators.PROVINCE_UNKNOWN},
    )

    class Meta:
        model = Address
        fields = ["kind", "line1", "line2", "city", "province", "postal_code"]

    def clean_postal_code(self):
        return validators.postal_code_normalize(self.cleaned_data["postal_code"])

    def clean(self):
        cleaned = super().clean()
        province, postal_code = cleaned.get("province"), cleaned.get("postal_code")
        if province and postal_code:
            try:
                validators.postal_code_in_province(postal_code=postal_code, province=province)
            except ValidationError as error:
                self.add_error("postal_code", error)
        return cleaned
