"""The small admin helpers every app's admin uses (this app is the ground floor): a mixin that writes a READ row
to the access log when staff open a record, admin actions with an intermediate form page, and the confirmation
pages before anything that moves money or issues a notice (ADR 0012). Every app imports them from accounts.admin.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext

from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from tracs import log_context
from tracs.actors import actor_from_request


class StaffReadLoggedAdmin(admin.ModelAdmin):
    """Staff reads are logged like portal reads: opening a record's page in admin writes a READ row to the
    access log (capacity "staff"). Subclasses say which account and taxpayer the record is about."""

    def staff_read_target(self, obj) -> tuple[str, str]:
        """(account number, on whose behalf) of the record, for the access log."""
        return "", ""

    def get_object(self, request, object_id, from_field=None):
        # Every page of one record (open, change, delete, history): the request's log lines name its account.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            number, _on_behalf_of = self.staff_read_target(obj)
            if number:
                log_context.bind(account=number)
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method in ("GET", "HEAD"):
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_view_or_change_permission(request, obj):
                number, on_behalf_of = self.staff_read_target(obj)
                access_log_record(
                    actor=actor_from_request(request),
                    kind=AccessLogEntry.Kind.READ,
                    action=f"{self.opts.verbose_name} opened in staff administration",
                    account_number=number,
                    on_behalf_of=on_behalf_of,
                    capacity="staff",
                    detail=str(obj),
                )
        return super().change_view(request, object_id, form_url, extra_context)


def action_with_form(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset,
    *,
    action: str,
    form_class: type[forms.Form],
    title: str,
    description: str,
    submit_label: str,
    apply: Callable[[dict], None],
    initial: dict | None = None,
):
    """An admin action that first asks for more (a date, a reason, a confirmation) on its own page.

    The page posts back to the change list with the same action and rows plus `apply`; when the form is
    valid `apply(cleaned_data)` runs and the change list shows again with its messages."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            apply(form.cleaned_data)
            return None
    else:
        form = form_class(initial=initial)
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "description": description,
        "submit_label": submit_label,
        "form": form,
        "queryset": queryset,
        "hidden": _action_fields(queryset, action),
        "confirm_name": "apply",
        "confirm": "1",
        "cancel_url": reverse(f"admin:{modeladmin.opts.app_label}_{modeladmin.opts.model_name}_changelist"),
    }
    return TemplateResponse(request, "admin/tracs/action_form.html", context)


def _action_fields(queryset, action: str) -> list[tuple[str, str]]:
    """What posts an admin action back to its change list: the action and each selected row."""
    return [
        ("action", action),
        *(("_selected_action", str(pk)) for pk in queryset.values_list("pk", flat=True)),
    ]


# --- Confirmation pages: nothing that moves money or issues a notice is done by a single click -------------


@dataclass(frozen=True)
class ConfirmRow:
    """One line of a confirmation page: what, to (or about) whom, how, how much, and what will happen."""

    subject: str
    payee: str
    method: str
    amount: Decimal | None
    outcome: str = ""
    # True when it will not be done (its state, or who is asking): the page says why in `outcome`, the total
    # leaves it out, and confirming skips it with the same message.
    refused: bool = False


CONFIRM = "yes"  # the value of `post` on the confirming POST (Django admin's delete_selected uses the same)


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get("post") == CONFIRM


def confirmation_page(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    title: str,
    description: str,
    rows: Sequence[ConfirmRow],
    submit_label: str,
    cancel_url: str,
    hidden: Sequence[tuple[str, str]],
    form: forms.Form | None = None,
    payee_label: str = "",
    method_label: str = "",
) -> TemplateResponse:
    """The page between the click and the deed: the rows (payee, method, amount; a total for more than one),
    an optional form (a reason), Confirm (posting `hidden` back with post=yes) and Cancel (a link: nothing is
    sent). Nothing is written by the request that shows it."""
    amounts = [row.amount for row in rows if row.amount is not None and not row.refused]
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "description": description,
        "rows": rows,
        "total": sum(amounts, start=Decimal("0.00")) if len(rows) > 1 else None,
        "payee_label": payee_label or gettext("Payee"),
        "method_label": method_label or gettext("Method"),
        "submit_label": submit_label,
        "cancel_url": cancel_url,
        "hidden": hidden,
        "form": form,
        "confirm": CONFIRM,
        "nothing_to_do": all(row.refused for row in rows),
    }
    return TemplateResponse(request, "admin/tracs/action_confirm.html", context)


def action_confirmed(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset,
    *,
    action: str,
    rows: Callable[[], Sequence[ConfirmRow]],
    title: str,
    description: str,
    submit_label: str,
    apply: Callable[[dict], None],
    form_class: type[forms.Form] | None = None,
    payee_label: str = "",
    method_label: str = "",
):
    """An admin action that moves money or issues a notice, the way Django admin's delete_selected works: the
    first POST shows the confirmation page and changes nothing; Confirm posts the same action and rows back
    with post=yes, and `apply(cleaned form data)` runs then, on the rows as they are at that moment (the
    action is called again, so its permission and each row's state are checked again). Returns None once
    applied, for the change list to show again with the messages."""
    form = None
    if is_confirmed(request):
        form = form_class(request.POST) if form_class else None
        if form is None or form.is_valid():
            apply(form.cleaned_data if form is not None else {})
            return None
    elif form_class is not None:
        form = form_class()
    return confirmation_page(
        modeladmin,
        request,
        title=title,
        description=description,
        rows=rows(),
        submit_label=submit_label,
        cancel_url=reverse(f"admin:{modeladmin.opts.app_label}_{modeladmin.opts.model_name}_changelist"),
        hidden=_action_fields(queryset, action),
        form=form,
        payee_label=payee_label,
        method_label=method_label,
    )


def confirm_first(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    rows: Sequence[ConfirmRow],
    title: str,
    description: str,
    submit_label: str,
    cancel_url: str,
    payee_label: str = "",
    method_label: str = "",
) -> TemplateResponse | None:
    """For a record's own POST view (Assess, Reassess, Decide): None when this POST is the confirmation (do
    it), else the confirmation page carrying every field of this POST back to the same address."""
    if is_confirmed(request):
        return None
    hidden = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "post")
        for value in values
    ]
    return confirmation_page(
        modeladmin,
        request,
        title=title,
        description=description,
        rows=rows,
        submit_label=submit_label,
        cancel_url=cancel_url,
        hidden=hidden,
        payee_label=payee_label,
        method_label=method_label,
    )


def error_text(error) -> str:
    """The message(s) of a ValidationError, as one line for an admin message."""
    return " ".join(str(message) for message in getattr(error, "messages", [str(error)]))
