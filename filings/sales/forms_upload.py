"""The marked-fuel file upload form: one file (CSV or XML, docs/marked-fuel-files.md) and "validate only"."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# No file chosen, or a request cut off before its file ended (Django then finds no whole file in it).
NO_WHOLE_FILE = _(
    "No whole file arrived: choose the file, then upload it. If the upload was interrupted, nothing was kept: "
    "upload it again."
)


class SalesFileForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A CSV or XML file of sales, fuel movements or inventory counts for one month (docs/marked-fuel-files.md)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xml,text/csv,application/xml"}),
        error_messages={"required": NO_WHOLE_FILE, "empty": NO_WHOLE_FILE},
    )
    validate_only = forms.BooleanField(
        label=_("Validate only: check every row, keep nothing"),
        required=False,
    )
