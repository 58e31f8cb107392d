from django import forms
from django.utils.translation import gettext_lazy as _

CODE_INVALID = _("That code is not correct, or it was already used. Enter the current 6-digit code from your authenticator app, or one of your backup codes.")
# A code django-otp's throttle kept from being checked (accounts.views._throttle_message).
CODE_THROTTLED = _(
    "That code came too soon after a wrong one to be checked. Wait a moment and enter the next code your authenticator app shows."
)
CODE_THROTTLED_LONGER = _(
    "Too many wrong codes in a row. For your security, wait %(minutes)s minute(s), then enter the code your authenticator app shows."
)
SETUP_CODE_INVALID = _("That code is not correct. Check that your device's clock is right and enter the 6-digit code the app shows now.")


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Verification code"),
        max_length=16,
        help_text=_("The 6-digit code from your authenticator app, or a backup code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )

    def clean_token(self):
        return self.cleaned_data["token"].replace(" ", "").strip()
