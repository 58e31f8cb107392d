"""Forms of Messages (an answer in a thread) and of the Submit Documents wizard (type and reference number;
files). The services check again; their ValidationErrors are shown next to the field they name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from programs import documents
from programs.services import documents as document_services
from programs.services import messages as message_services


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        max_length=message_services.REPLY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Up to 5,000 characters. TRA answers here; you are told by e-mail when it does."),
        error_messages={"required": message_services.REPLY_BODY_REQUIRED},
    )


class DocumentDetailsForm(forms.Form):
    """Step 1: what the documents are, and the return or claim they support where the type needs one."""

    document_type = forms.ChoiceField(
        label=_("Type of document"),
        choices=[(t.value, t.label) for t in document_services.CLIENT_DOCUMENT_TYPES],
        widget=forms.RadioSelect,
        error_messages={
            "required": document_services.DOCUMENT_TYPE_REQUIRED,
            "invalid_choice": document_services.DOCUMENT_TYPE_REQUIRED,
        },
    )
    related_reference = forms.CharField(
        label=_("Reference number of the return or claim"),
        max_length=30,
        required=False,
        help_text=_(
            "Needed for supporting documents of a return or a refund claim: the reference number shown for it "
            "in View Assessment Status, for example FT-202401-7K3M9Q."
        ),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false", "size": 20}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        help_text=_("What the documents are, in a few words (up to 500 characters)."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one `<input type=file multiple>`; cleaned into a list (maybe empty)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": documents.ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class DocumentFilesForm(forms.Form):
    """Step 2: one or more files per upload; each is checked and scanned by the service."""

    files = MultipleFileField(
        label=_("Files"),
        required=False,
        help_text=_(
            "PDF, images (PNG, JPEG, TIFF), office documents (Word .docx, Excel .xlsx, OpenDocument .odt or "
            ".ods) or plain text. Several files at once; at most %(size)s each, %(count)s in all."
        ),
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        from django.template.defaultfilters import filesizeformat

        self.fields["files"].help_text = self.fields["files"].help_text % {
            "size": filesizeformat(max_bytes),
            "count": document_services.DOCUMENT_MAX_FILES,
        }
