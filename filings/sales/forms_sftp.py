"""The SFTP key registration form: who signs in with the key, what it is for, and the public key itself."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from consent.models import Grant
from filings.sales.sftp.keys import public_key_parse


class SftpKeyForm(forms.Form):
    person = forms.TypedChoiceField(
        label=_("Who signs in with this key"),
        coerce=int,
        help_text=_(
            "An owner, or a delegate whose access includes “Report fuel transactions”. The key stops working when "
            "that access ends."
        ),
    )
    name = forms.CharField(
        label=_("Name of the key"),
        max_length=100,
        help_text=_("What it is for, so you can tell your keys apart, e.g. “Accounting server”."),
    )
    public_key = forms.CharField(
        label=_("Public key"),
        max_length=20_000,
        help_text=_(
            "The contents of the key's .pub file, one line starting with ssh-ed25519, ecdsa-sha2-… or ssh-rsa. "
            "Never the private key."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
    )

    def __init__(self, *args, holders: list[Grant], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.holders = {grant.pk: grant for grant in holders}
        person = cast(forms.TypedChoiceField, self.fields["person"])
        person.choices = [
            (grant.pk, f"{user.display_name} ({grant.get_role_display().lower()}, {user.email})")
            for grant in holders
            if (user := grant.user) is not None
        ]

    def clean_public_key(self) -> str:
        text: str = self.cleaned_data["public_key"]
        try:
            public_key_parse(text)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return text

    def chosen_person(self):
        return self.holders[self.cleaned_data["person"]].user
