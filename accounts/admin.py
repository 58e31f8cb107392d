"""Staff administration of identity and security: users, the access log, the outbox, PINs and PIN entries.

Also the small admin helpers every app's admin uses (this app is the ground floor): a mixin that writes a
READ row to the access log when staff open a record, and admin actions with an intermediate form page.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import pins
from accounts.models import AccessLogEntry, OutboxEmail, Pin, PinAttempt, PinFailureAlert, User
from accounts.services import access_log_record, two_factor_reset
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin

LETTER_NOT_AVAILABLE = _(
    "There is no letter to download for this PIN: it was already downloaded, or the PIN is no longer open. Issue a new enrolment PIN to print another letter."
)
# A filter's choice for rows whose value was left blank (e.g. the capacity of a sign-in security event).
BLANK_VALUE = _("None recorded")
RESET_OWN_TWO_FACTOR = _(
    "You cannot reset your own two-factor verification; another staff member must check your identity."
)


# --- Helpers for every app's admin -----------------------------------------------------------------------


class StaffReadLoggedAdmin(admin.ModelAdmin):
    """Staff reads are logged like portal reads: opening a record's page in admin writes a READ row to the
    access log (capacity "staff"). Subclasses say which account and taxpayer the record is about."""

    def staff_read_target(self, obj) -> tuple[str, str]:
        """(account number, on whose behalf) of the record, for the access log."""
        return "", ""

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


# --- Users ---------------------------------------------------------------------------------------------


class IdentityCheckedForm(forms.Form):
    identity_checked = forms.BooleanField(
        label=_("I checked the identity of each person listed, as the recovery procedure requires"),
        required=True,
    )
    how = forms.CharField(
        label=_("How the identity was checked"),
        max_length=200,
        help_text=_(
            "For example: call-back to the number on file and two questions from the taxpayer record."
        ),
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["reset_two_factor"]

    @admin.action(description=_("Reset two-factor (after identity check)"))
    def reset_two_factor(self, request, queryset):
        """Remove a lost authenticator and backup codes: logged, the person is e-mailed, and the owners of
        every account the person reaches are told (accounts.signals.sign_in_recovered)."""

        def apply(data):
            actor = actor_from_request(request)
            done = 0
            for person in queryset:
                if person.pk == request.user.pk:
                    self.message_user(request, RESET_OWN_TWO_FACTOR, messages.ERROR)
                    continue
                two_factor_reset(user=person, actor=actor)
                access_log_record(
                    actor=actor,
                    kind=AccessLogEntry.Kind.SECURITY,
                    action="identity checked before two-factor reset",
                    capacity="staff",
                    detail=f"{person.email}: {data['how']}",
                )
                done += 1
            if done:
                self.message_user(
                    request,
                    gettext(
                        "Two-factor verification reset for %(count)s person(s). They set up an authenticator at their next sign-in; they and the owners of the accounts they reach were e-mailed."
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )

        return action_with_form(
            self,
            request,
            queryset,
            action="reset_two_factor",
            form_class=IdentityCheckedForm,
            title=gettext("Reset two-factor verification"),
            description=gettext(
                "The authenticator and backup codes of these people will be removed. Do this only after checking "
                "the person's identity. The reset is logged and e-mailed to the person and to the owners of every "
                "account the person can reach."
            ),
            submit_label=gettext("Reset two-factor"),
            apply=apply,
        )


# --- The access log and the outbox -----------------------------------------------------------------------


class RecordedValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter by every value recorded, with the blank value named instead of an empty, unnamed link."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": BLANK_VALUE} if choice["display"] == "" else choice


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "kind",
        "actor_email",
        "capacity",
        "on_behalf_of",
        "account_number",
        "action",
        "ip_address",
    ]
    list_filter = ["kind", ("capacity", RecordedValuesFilter)]
    search_fields = ["actor_email", "account_number", "action", "on_behalf_of"]
    date_hierarchy = "occurred_at"


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "purpose", "to", "status", "attempts", "sent_at"]
    list_filter = ["status", "purpose"]
    exclude = ["subject_encrypted", "body_encrypted"]


# --- PINs ------------------------------------------------------------------------------------------------


class PinStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", _("open")),
            ("used", _("used")),
            ("cancelled", _("cancelled")),
            ("locked", _("locked")),
            ("expired", _("expired")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        not_used = Q(used_at__isnull=True)
        not_cancelled = Q(cancelled_at__isnull=True)
        not_locked = Q(locked_at__isnull=True)
        conditions = {
            "open": not_used & not_cancelled & not_locked & Q(expires_at__gt=now),
            "used": ~not_used,
            "cancelled": not_used & ~not_cancelled,
            "locked": not_used & not_cancelled & ~not_locked,
            "expired": not_used & not_cancelled & not_locked & Q(expires_at__lte=now),
        }
        condition = conditions.get(self.value())
        return queryset if condition is None else queryset.filter(condition)


@admin.register(Pin)
class PinAdmin(ReadOnlyAdmin):
    """PINs as staff need them: which, for what, in which state, and the enrolment letter to mail.

    Never shows the hash; the letter (PIN in clear) is handed out once, then deleted (accounts.pins.letter_take)."""

    list_display = [
        "purpose",
        "account_number",
        "state",
        "created_at",
        "expires_at",
        "letter_ready",
        "letter_link",
    ]
    list_filter = ["purpose", PinStateFilter, "created_at"]
    search_fields = ["account_number", "intended_email", "reference"]
    fields = [
        "purpose",
        "account_number",
        "reference",
        "intended_email",
        "state",
        "created_at",
        "created_by",
        "expires_at",
        "used_at",
        "used_by",
        "locked_at",
        "cancelled_at",
        "letter_ready",
        "letter_downloaded_at",
        "letter_link",
    ]
    readonly_fields = fields
    actions = ["cancel_pins"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("pin_hash", "letter_pdf_encrypted")
            .annotate(
                has_letter=ExpressionWrapper(
                    Q(letter_pdf_encrypted__isnull=False), output_field=BooleanField()
                )
            )
        )

    @admin.display(boolean=True, description=_("letter ready?"))
    def letter_ready(self, obj) -> bool:
        return bool(obj.has_letter)

    @admin.display(description=_("enrolment letter"))
    def letter_link(self, obj) -> str:
        if not obj.has_letter or obj.state != "open":
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:accounts_pin_letter", args=[obj.pk]),
            gettext("Download letter"),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/letter/",
                self.admin_site.admin_view(self.letter_view),
                name="accounts_pin_letter",
            ),
            *super().get_urls(),
        ]

    def letter_view(self, request, object_id):
        """GET: what is about to happen; POST: the PDF, once. The letter is deleted as it is handed out."""
        pin = self.get_object(request, unquote(object_id))
        if pin is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, pin):
            raise PermissionDenied
        changelist = reverse("admin:accounts_pin_changelist")
        if not pin.has_letter or pin.state != "open":
            self.message_user(request, LETTER_NOT_AVAILABLE, messages.ERROR)
            return HttpResponseRedirect(changelist)
        if request.method == "POST":
            try:
                pdf = pins.letter_take(pin=pin, actor=actor_from_request(request))
            except LookupError:
                self.message_user(request, LETTER_NOT_AVAILABLE, messages.ERROR)
                return HttpResponseRedirect(changelist)
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = (
                f'attachment; filename="enrolment-letter-{pin.account_number}.pdf"'
            )
            response["Cache-Control"] = "no-store"
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Download the enrolment letter"),
            "pin": pin,
        }
        return TemplateResponse(request, "admin/accounts/pin/letter_download.html", context)

    @admin.action(description=_("Cancel PIN"))
    def cancel_pins(self, request, queryset):
        """Cancel the selected PINs (with every row of the same PIN: a consent PIN has one per account
        number). Already used PINs are left as they are."""
        actor = actor_from_request(request)
        cancelled = 0
        with transaction.atomic():
            for pin in queryset.filter(used_at__isnull=True, cancelled_at__isnull=True):
                if pin.reference:
                    count = pins.pins_cancel(reference=pin.reference)
                else:
                    count = Pin.objects.filter(
                        pk=pin.pk, used_at__isnull=True, cancelled_at__isnull=True
                    ).update(cancelled_at=timezone.now())
                if count:
                    cancelled += 1
                    access_log_record(
                        actor=actor,
                        kind=AccessLogEntry.Kind.SECURITY,
                        action="PIN cancelled by staff",
                        account_number=pin.account_number,
                        capacity="staff",
                        detail=f"{pin.get_purpose_display()} PIN {pin.reference}".strip(),
                    )
        self.message_user(
            request,
            gettext("%(count)s PIN(s) cancelled.") % {"count": cancelled},
            messages.SUCCESS if cancelled else messages.WARNING,
        )


@admin.register(PinAttempt)
class PinAttemptAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "person", "account_number", "succeeded", "ip_address"]
    list_filter = ["succeeded", "occurred_at"]
    search_fields = ["account_number", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "occurred_at"

    @admin.display(description=_("person"), ordering="user__email")
    def person(self, obj) -> str:
        return obj.user.email


class AlertHandledFilter(admin.SimpleListFilter):
    title = _("handled")
    parameter_name = "handled"

    def lookups(self, request, model_admin):
        return [("no", _("Not yet")), ("yes", _("Handled"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(handled_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(handled_at__isnull=False)
        return queryset


@admin.register(PinFailureAlert)
class PinFailureAlertAdmin(admin.ModelAdmin):
    """The queue of account numbers whose PIN entries failed 10 times or more in a day (accounts/pins.py): staff
    look at the entries, reissue the PIN if the owner needs it, and mark the alert handled."""

    list_display = [
        "day",
        "account_number",
        "failures",
        "people",
        "last_failure_at",
        "entries",
        "handled",
        "handled_by",
    ]
    list_filter = [AlertHandledFilter, "day"]
    search_fields = ["account_number"]
    list_select_related = ["handled_by"]
    date_hierarchy = "day"
    actions = ["mark_handled"]
    fields = [
        "account_number",
        "day",
        "failures",
        "people",
        "raised_at",
        "last_failure_at",
        "handled_at",
        "handled_by",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("handled"), boolean=True, ordering="handled_at")
    def handled(self, obj) -> bool:
        return obj.handled_at is not None

    @admin.display(description=_("entries"))
    def entries(self, obj) -> str:
        url = reverse("admin:accounts_pinattempt_changelist")
        return format_html('<a href="{}?q={}">{}</a>', url, obj.account_number, gettext("PIN entries"))

    @admin.action(description=_("Mark handled"), permissions=["change"])
    def mark_handled(self, request, queryset):
        handled = pins.pin_alerts_handle(
            alert_ids=queryset.values_list("pk", flat=True),
            by=request.user,
            actor=actor_from_request(request),
        )
        self.message_user(
            request,
            gettext("%(count)s alert(s) marked handled.") % {"count": handled},
            messages.SUCCESS if handled else messages.WARNING,
        )
