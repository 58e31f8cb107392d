from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import FULL_NAME_MAX_LENGTH, FULL_NAME_REQUIRED, full_name_clean

CODE_INVALID = _(
    "That code is not correct, or it was already used. Enter the current 6-digit code from your authenticator app, or one of your backup codes."
)
# A code django-otp's throttle kept from being checked (accounts.views._throttle_message).
CODE_THROTTLED = _(
    "That code came too soon after a wrong one to be checked. Wait a moment and enter the next code your authenticator app shows."
)
CODE_THROTTLED_LONGER = _(
    "Too many wrong codes in a row. For your security, wait %(minutes)s minute(s), then enter the code your authenticator app shows."
)
SETUP_CODE_INVALID = _(
    "That code is not correct. Check that your device's clock is right and enter the 6-digit code the app shows now."
)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Verification code"),
        max_length=16,
        help_text=_("The 6-digit code from your authenticator app, or a backup code."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def clean_token(self):
        return self.cleaned_data["token"].replace(" ", "").strip()


class FullNameField(forms.CharField):
    """The person's name as on their identity document: TRA matches it against the documents it holds, and it
    fills the certification of every return (accounts.models.full_name_clean trims and limits it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Full name"))
        kwargs.setdefault(
            "help_text",
            _(
                "Your name as on your identity document (a driver's licence or passport), e.g. Jeanne Marie Tremblay."
            ),
        )
        kwargs.setdefault("error_messages", {"required": FULL_NAME_REQUIRED})
        # No max_length here: full_name_clean counts the name once its spaces are trimmed, with its own message.
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "name", "maxlength": FULL_NAME_MAX_LENGTH})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        return full_name_clean(super().clean(value))


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, asking first for the person's full name (ACCOUNT_FORMS; saved by the adapter)."""

    full_name = FullNameField()
    field_order = ["full_name", "email", "password1", "password2"]


class FullNameForm(forms.Form):
    full_name = FullNameField()
