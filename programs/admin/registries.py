"""Staff administration of the exemption registry: holders (name and address, private), their AFFB numbers, TEFU
and carbon levy exemption certificates with each one's status history, and the registry import file.

Every write goes through programs.registries.services, the same path as the import file's rows: a status change
on a certificate's page ends the open period the day the new status starts (the history inline is read only),
and the database refuses overlapping periods whatever writes them. Opening a holder or a certificate writes a
READ row to the access log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin, error_text
from programs.admin.common import copy_saved
from programs.models import ExemptionCertificate, ExemptionHolder, ExemptionImport, ExemptionStatusPeriod
from programs.registries import rules, selectors, services
from programs.validators import PROVINCE_CHOICES
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin, ReadOnlyInline

STATUS_ACTION_CHOICES = [
    ("", _("(no change)")),
    (services.RENEW, _("Renew (AFFB: a new 3-year term from the date)")),
    (services.SUSPEND, _("Suspend from the date")),
    (services.REINSTATE, _("Reinstate from the date")),
    (services.CANCEL, _("Cancel from the date (final)")),
]
EFFECTIVE_REQUIRED = _("Give the date the change takes effect.")


# --- Holders ------------------------------------------------------------------------------------------------


class HolderForm(forms.ModelForm):
    province = forms.ChoiceField(label=_("Province"), choices=PROVINCE_CHOICES, initial="AB")

    class Meta:
        model = ExemptionHolder
        fields = ["reference", "name", "line1", "line2", "city", "province", "postal_code"]


class CertificateOfHolderInline(ReadOnlyInline):
    model = ExemptionCertificate
    fields = ["number", "kind", "registered_on", "eligible_until", "status_today"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("certificates")

    @admin.display(description=_("status today"))
    def status_today(self, obj) -> str:
        period = obj.periods.filter(during__contains=timezone.localdate()).first()
        return period.get_status_display() if period else gettext("not valid (no status today)")


@admin.register(ExemptionHolder)
class ExemptionHolderAdmin(StaffReadLoggedAdmin):
    form = HolderForm
    list_display = ["name", "reference", "city", "province", "certificate_count"]
    search_fields = ["name", "reference", "certificates__number"]
    ordering = ["name", "reference"]
    inlines = [CertificateOfHolderInline]

    @admin.display(description=_("certificates"))
    def certificate_count(self, obj) -> int:
        return obj.certificates.count()

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        return ["reference"] if obj is not None else []  # the import file names the holder by it

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj):
        return "", f"exemption holder {obj.reference}"

    def save_model(self, request, obj, form, change):
        saved = services.holder_save(holder=obj, actor=actor_from_request(request), changed=form.changed_data)
        copy_saved(saved, into=obj)


# --- Certificates and their status history -----------------------------------------------------------------


class StatusPeriodInline(ReadOnlyInline):
    """The status history, append-only: a change is made with the fields above it."""

    model = ExemptionStatusPeriod
    fields = [
        "status",
        "valid_from",
        "valid_to_display",
        "reason",
        "recorded_at",
        "recorded_by",
        "registry_import",
    ]
    readonly_fields = fields
    ordering = ["-during"]
    verbose_name_plural = _("status history")

    @admin.display(description=_("to (not included)"))
    def valid_to_display(self, obj) -> str:
        return obj.valid_to.isoformat() if obj.valid_to else gettext("(still holds)")

    @admin.display(description=_("from"))
    def valid_from(self, obj):
        return obj.valid_from

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by", "registry_import")


class CertificateAddForm(forms.ModelForm):
    """Register a number for a holder already in the registry (add the holder first)."""

    reason = forms.CharField(label=_("Reason or note"), max_length=services.MAX_REASON, required=False)

    class Meta:
        model = ExemptionCertificate
        fields = ["number", "holder", "registered_on"]
        help_texts = {"number": str(rules.NUMBER_MALFORMED)}

    def clean_number(self):
        try:
            return rules.number_normalize(self.cleaned_data["number"])
        except ValidationError as error:
            raise ValidationError(error.messages) from error

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            problems = services.registry_change_problems(
                change=services.Change(
                    action=services.REGISTER,
                    number=cleaned["number"],
                    effective_date=cleaned["registered_on"].isoformat(),
                    holder_reference=cleaned["holder"].reference,
                    reason=cleaned.get("reason", ""),
                )
            )
            for problem in problems:
                self.add_error(None, problem)
        return cleaned

    def _post_clean(self):
        pass  # the service makes and checks the certificate (its kind comes from the number)


class CertificateChangeForm(forms.ModelForm):
    """A certificate's page: its fields are read only; a status change is asked for below them."""

    status_action = forms.ChoiceField(
        label=_("Change the status"), choices=STATUS_ACTION_CHOICES, required=False
    )
    effective_on = forms.DateField(label=_("From (YYYY-MM-DD)"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=services.MAX_REASON, required=False)

    class Meta:
        model = ExemptionCertificate
        fields: list[str] = []

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("status_action")
        if not action:
            return cleaned
        if not cleaned.get("effective_on"):
            self.add_error("effective_on", EFFECTIVE_REQUIRED)
            return cleaned
        change = services.Change(
            action=action,
            number=self.instance.number,
            effective_date=cleaned["effective_on"].isoformat(),
            reason=cleaned.get("reason", ""),
        )
        for problem in services.registry_change_problems(change=change):
            self.add_error("status_action", problem)
        return cleaned


class StatusTodayFilter(admin.SimpleListFilter):
    title = _("status today")
    parameter_name = "status_today"

    def lookups(self, request, model_admin):
        return [*ExemptionStatusPeriod.Status.choices, ("none", _("Not valid (no status today)"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(status_on__isnull=True)
        if self.value():
            return queryset.filter(status_on=self.value())
        return queryset


@admin.register(ExemptionCertificate)
class ExemptionCertificateAdmin(StaffReadLoggedAdmin):
    list_display = ["number", "kind", "holder", "registered_on", "eligible_until", "status_today"]
    list_filter = ["kind", StatusTodayFilter]
    list_select_related = ["holder"]
    search_fields = ["number", "holder__name", "holder__reference"]
    ordering = ["number"]
    autocomplete_fields = ["holder"]
    inlines = [StatusPeriodInline]
    change_list_template = "admin/programs/exemption_change_list.html"

    def get_queryset(self, request):
        return selectors.certificates_with_status(on=timezone.localdate())

    @admin.display(description=_("status today"), ordering="status_on")
    def status_today(self, obj) -> str:
        if obj.status_on is None:
            return gettext("not valid (no status today)")
        return str(ExemptionStatusPeriod.Status(obj.status_on).label)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = CertificateChangeForm if obj is not None else CertificateAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["number", "holder", "registered_on", "reason"]
        return [
            "number",
            "kind",
            "holder",
            "registered_on",
            "eligible_until",
            "status_action",
            "effective_on",
            "reason",
        ]

    def get_readonly_fields(self, request, obj=None):
        return ["number", "kind", "holder", "registered_on", "eligible_until"] if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj):
        return "", f"exemption holder {obj.holder.reference}"

    def save_model(self, request, obj, form, change):
        actor = actor_from_request(request)
        try:
            if not change:
                saved = services.certificate_register(
                    number=form.cleaned_data["number"],
                    holder=form.cleaned_data["holder"],
                    valid_from=form.cleaned_data["registered_on"],
                    reason=form.cleaned_data.get("reason", ""),
                    actor=actor,
                )
                copy_saved(saved, into=obj)
            elif form.cleaned_data.get("status_action"):
                services.certificate_status_change(
                    certificate=obj,
                    action=form.cleaned_data["status_action"],
                    effective_on=form.cleaned_data["effective_on"],
                    reason=form.cleaned_data.get("reason", ""),
                    actor=actor,
                )
        except ValidationError as error:  # the registry changed between the form's check and this write
            self.message_user(request, error_text(error), messages.ERROR)

    # --- The registry import file ---

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="programs_exemptioncertificate_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Choose the file -> "Check only" runs every rule and stores nothing (the errors, or what the file
        would change) -> "Import" runs them again and stores the whole file, or nothing if any row has an error."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        result = None
        form = RegistryImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            validate_only = "check" in request.POST
            result = services.registry_file_import(
                stream=upload,
                filename=upload.name,
                actor=actor_from_request(request),
                validate_only=validate_only,
            )
            if result.stored:
                self.message_user(
                    request,
                    gettext("%(name)s imported: %(rows)s change(s) stored (%(counts)s).")
                    % {"name": upload.name, "rows": result.rows, "counts": _counts_text(result.counts)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:programs_exemptioncertificate_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import exemption registry changes"),
            "form": form,
            "result": result,
            "counts_text": _counts_text(result.counts) if result is not None else "",
            "header": ",".join(services.HEADER),
            "more_errors": result.error_count - len(result.errors) if result is not None else 0,
        }
        return TemplateResponse(request, "admin/programs/exemption_import.html", context)


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{action} {counts[action]}" for action in services.ACTIONS if action in counts)


class RegistryImportForm(forms.Form):
    file = forms.FileField(
        label=_("Registry import file (CSV)"),
        help_text=_("UTF-8 CSV with the header row of docs/exemption-registry-import.md."),
    )


@admin.register(ExemptionImport)
class ExemptionImportAdmin(ReadOnlyAdmin):
    list_display = ["filename", "imported_at", "imported_by", "rows", "counts"]
    list_select_related = ["imported_by"]
    search_fields = ["filename", "sha256"]
