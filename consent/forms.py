from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessLogEntry
from consent.models import Grant
from consent.selectors import grantable_choices


class AccountSearchForm(forms.Form):
    """The home page's search over the accounts a person reaches (GET)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Taxpayer name, BIN or account number"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    program = forms.ChoiceField(label=_("Program"), required=False)

    def __init__(self, *args, programs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", _("All programs")), *[(p.code, p.name) for p in programs]]


class EnrolmentForm(forms.Form):
    account_number = forms.CharField(
        label=_("Account number or BIN"),
        max_length=40,
        help_text=_(
            "As printed on your enrolment letter, for example 123456789-01-001. A representative with a consent for all of a taxpayer's accounts may enter the taxpayer's 9-digit BIN."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    pin = forms.CharField(
        label=_("PIN"),
        max_length=40,
        help_text=_("12 letters and digits; dashes and spaces are ignored."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PrivilegesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Privileges"),
            required=False,
            choices=grantable_choices,
            help_text=_("A delegate reaches only the functions you tick. Owners have every function."),
            **kwargs,
        )


class DelegateAddForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The person must sign in to TRACS with this e-mail address to accept."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (Grant.Role.DELEGATE, _("Delegate: the functions you choose below")),
            (Grant.Role.OWNER, _("Owner: every function, including managing access")),
        ],
        initial=Grant.Role.DELEGATE,
        widget=forms.RadioSelect,
    )
    privileges = PrivilegesField()
    ends_on = forms.DateField(
        label=_("Access ends on"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty for access until you remove it."),
    )


class GrantUpdateForm(forms.Form):
    privileges = PrivilegesField()
    ends_on = forms.DateField(
        label=_("Access ends on"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty for access until you remove it."),
    )


class AccessLogFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Show"), required=False, choices=[("", _("Everything")), *AccessLogEntry.Kind.choices]
    )
