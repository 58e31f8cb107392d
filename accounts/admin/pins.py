"""Staff administration of PINs: enrolment and consent PINs with the enrolment letter to mail, PIN entries, and
the queue of repeated wrong PIN entries."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import pins
from accounts.models import AccessLogEntry, Pin, PinAttempt, PinFailureAlert
from accounts.services import access_log_record
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin, requires

LETTER_NOT_AVAILABLE = _(
    "There is no letter to download for this PIN: it was already downloaded, or the PIN is no longer open. Issue a new enrolment PIN to print another letter."
)


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

    has_cancel_permission = requires("accounts.cancel_pin")
    # The letter holds the PIN in clear and is deleted as it is handed out: reading PINs is not enough.
    has_download_letter_permission = requires("accounts.download_pin_letter")

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        if self.has_download_letter_permission(request):
            return shown
        return [name for name in shown if name != "letter_link"]

    def get_fields(self, request, obj=None):
        shown = super().get_fields(request, obj)
        if self.has_download_letter_permission(request):
            return shown
        return [name for name in shown if name != "letter_link"]

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
        if not self.has_download_letter_permission(request):
            raise PermissionDenied
        pin = self.get_object(request, unquote(object_id))
        if pin is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
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

    @admin.action(description=_("Cancel PIN"), permissions=["cancel"])
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
