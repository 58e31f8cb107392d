"""tracs.forms.errors_onto: the one way a page puts a service's ValidationError on its form."""

from django import forms
from django.core.exceptions import ValidationError

from tracs.forms import errors_onto


class EmailForm(forms.Form):
    email = forms.EmailField()
    name = forms.CharField()


def _bound() -> EmailForm:
    form = EmailForm({"email": "a@example.ca", "name": "A"})
    assert form.is_valid()
    return form


def test_an_error_naming_a_field_goes_next_to_it_and_one_naming_none_of_the_forms_fields_at_the_top():
    form = _bound()
    errors_onto(form, ValidationError({"email": "Taken.", "account": "Closed."}))
    assert form.errors == {"email": ["Taken."], "__all__": ["Closed."]}


def test_an_error_without_a_field_goes_at_the_top():
    form = _bound()
    errors_onto(form, ValidationError(["First.", "Second."]))
    assert form.errors == {"__all__": ["First.", "Second."]}


def test_field_for_puts_a_message_without_a_field_next_to_the_field_the_page_knows_it_is_about():
    form = _bound()
    errors_onto(form, ValidationError(["Taken.", "Other."]), field_for={"Taken.": "email", "Other.": "nope"})
    assert form.errors == {"email": ["Taken."], "__all__": ["Other."]}


def test_a_form_that_marks_invalid_fields_is_asked_to_mark_them_again():
    class Marking(EmailForm):
        marked = 0

        def full_clean_aria(self):
            self.marked += 1

    form = Marking({"email": "a@example.ca", "name": "A"})
    assert form.is_valid()
    errors_onto(form, ValidationError("No."))
    assert form.marked == 1
