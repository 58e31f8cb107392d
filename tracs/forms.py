"""Form helpers every app's pages share."""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError


def errors_onto(
    form: forms.BaseForm, error: ValidationError, *, field_for: Mapping[str, str] | None = None
) -> None:
    """A service's ValidationError onto the form: next to the field it names, otherwise at the top. A message
    the service raised without a field goes next to the field `field_for` maps it to, when the page knows
    which field it is about (an e-mail address that already has access: the e-mail field). A form that marks
    invalid fields for assistive technology (`full_clean_aria`) does so for these errors too."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif field_for:
        for message in error.messages:
            named = field_for.get(message)
            form.add_error(named if named in form.fields else None, message)
    else:
        form.add_error(None, error)
    mark = getattr(form, "full_clean_aria", None)
    if mark is not None:
        mark()
