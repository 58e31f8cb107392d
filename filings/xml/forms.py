"""The upload form of a return file (any upload format, filings/xml/formats.py). The certification on the review page is the web form's own
(filings.forms.CertificationForm)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from filings.xml.records import megabytes

CHOOSE_A_FILE = _("Choose the XML file of the return to upload.")
FILE_TOO_LARGE = _("The file is %(size)s; the largest file accepted is %(limit)s.")

MODE_FIELD = "mode"
VALIDATE_ONLY = "validate"
UPLOAD_FOR_REVIEW = "upload"


class XmlUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Return file (XML)"),
        allow_empty_file=True,  # an empty file is reported by the reader, like any other unreadable file
        error_messages={"required": CHOOSE_A_FILE},
        widget=forms.FileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )

    def __init__(self, *args, limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.fields["file"].help_text = _("A return in the TRACS XML format (UTF-8), up to %(limit)s.") % {
            "limit": megabytes(limit)
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.limit:
            raise forms.ValidationError(
                FILE_TOO_LARGE,
                code="too_large",
                params={"size": megabytes(upload.size), "limit": megabytes(self.limit)},
            )
        return upload
