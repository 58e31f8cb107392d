"""Form helpers every app's pages share."""

from django import forms
from django.core.exceptions import ValidationError


def errors_onto(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's ValidationError onto the form: next to the field it names, otherwise at the top. A form
    that marks invalid fields for assistive technology (`full_clean_aria`) does so for these errors too."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
    mark = getattr(form, "full_clean_aria", None)
    if mark is not None:
        mark()
