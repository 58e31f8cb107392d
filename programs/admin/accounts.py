"""Staff administration of taxpayers and program accounts.

Writes go through programs.services (which keep the account's history and write the access log);
opening an account's page writes a READ row (capacity staff). What touches access (who may reach the
account, enrolment PIN letters, a transfer that ends every access, the consents that cover a new
account) is consent's, imported here by plain import: consent/admin/grants.py's inline and
consent/admin/program_accounts.py's actions (ADR 0013: an admin module may use every app)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin, action_with_form, error_text
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from consent import services as consent_services
from consent.admin.grants import GrantInline
from consent.admin.program_accounts import issue_enrolment_pin, transfer_accounts
from programs.admin.addresses import AccountChangeInline, AddressInline, ContactInline
from programs.admin.banking import DirectDepositInline
from programs.admin.common import copy_saved
from programs.models import Address, BulkFuelLocation, ProgramAccount, ProgramAccountEvent, Taxpayer
from programs.services import accounts as account_services
from programs.services import addresses as address_services
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyInline, requires

# --- Taxpayers ---------------------------------------------------------------------------------------------


class TaxpayerForm(forms.ModelForm):
    class Meta:
        model = Taxpayer
        fields = ["legal_name", "bin", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "bin" in self.fields:
            self.fields["bin"].required = False
            self.fields["bin"].help_text = _("Leave empty to assign the next free BIN.")


class ProgramAccountOfTaxpayerInline(ReadOnlyInline):
    model = ProgramAccount
    fields = ["number", "program", "trade_name", "status", "effective_date", "closed_on"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("program accounts")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("program")


@admin.register(Taxpayer)
class TaxpayerAdmin(StaffReadLoggedAdmin):
    form = TaxpayerForm
    list_display = ["legal_name", "bin", "kind", "account_count", "created_at"]
    list_filter = ["kind"]
    search_fields = ["legal_name", "bin"]
    ordering = ["legal_name", "bin"]  # pages of a long list stay stable
    inlines = [ProgramAccountOfTaxpayerInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(account_count=Count("accounts"))

    @admin.display(description=_("accounts"), ordering="account_count")
    def account_count(self, obj) -> int:
        return obj.account_count

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        # The BIN names the taxpayer in every account number: it is set once.
        return ["bin", "created_at"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj):
        return "", obj.on_behalf_of

    def save_model(self, request, obj, form, change):
        if not change:
            created = account_services.taxpayer_create(
                legal_name=form.cleaned_data["legal_name"],
                bin=form.cleaned_data.get("bin") or None,
                kind=form.cleaned_data["kind"],
                actor=actor_from_request(request),
            )
            copy_saved(created, into=obj)
            return
        obj.save()
        access_log_record(
            actor=actor_from_request(request),
            kind=AccessLogEntry.Kind.CHANGE,
            action="taxpayer details changed",
            on_behalf_of=obj.on_behalf_of,
            capacity="staff",
            detail=", ".join(form.changed_data),
        )


# --- Program accounts -------------------------------------------------------------------------------------


class ProgramAccountOpenForm(forms.ModelForm):
    """Open a program account (programs.services.accounts.account_open): the number is composed from the BIN."""

    line1 = forms.CharField(label=_("Mailing address line 1"), max_length=200, required=False)
    line2 = forms.CharField(label=_("Mailing address line 2"), max_length=200, required=False)
    city = forms.CharField(label=_("City or town"), max_length=100, required=False)
    province = forms.CharField(label=_("Province"), max_length=2, initial="AB", required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=7, required=False)

    class Meta:
        model = ProgramAccount
        fields = ["taxpayer", "program", "effective_date", "trade_name"]

    def clean(self):
        cleaned = super().clean()
        if any(cleaned.get(name) for name in ("line1", "line2", "city", "postal_code")):
            for name in ("line1", "city", "province", "postal_code"):
                if not cleaned.get(name):
                    self.add_error(name, _("Complete the mailing address, or leave it all empty."))
        return cleaned

    def mailing_address(self) -> dict | None:
        if not self.cleaned_data.get("line1"):
            return None
        return {
            name: self.cleaned_data[name] for name in ("line1", "line2", "city", "province", "postal_code")
        }


class CloseForm(forms.Form):
    closed_on = forms.DateField(
        label=_("Closed on"), help_text=_("The last day of the account (YYYY-MM-DD).")
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class BulkFuelLocationInline(admin.TabularInline):
    model = BulkFuelLocation
    extra = 0


class EventInline(ReadOnlyInline):
    """The account's history (opened, closed, reopened, transferred): append-only, written by the services."""

    model = ProgramAccountEvent
    fields = ["occurred_at", "kind", "actor", "detail"]
    readonly_fields = fields
    verbose_name_plural = _("history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(ProgramAccount)
class ProgramAccountAdmin(StaffReadLoggedAdmin):
    list_display = ["number", "holder", "program", "status", "effective_date", "closed_on"]
    list_filter = ["program", "status"]
    search_fields = ["number", "taxpayer__bin", "taxpayer__legal_name", "trade_name"]
    list_select_related = ["taxpayer", "program"]
    autocomplete_fields = ["taxpayer"]
    # The last two are consent's (consent/admin/program_accounts.py): enrolment PIN letters, transfers.
    actions = ["close_accounts", "reopen_accounts", issue_enrolment_pin, transfer_accounts]
    # Issuing an enrolment PIN is the consent and PIN officer's (a PIN is added); a transfer, the registration
    # officer's. Closing and reopening change the account.
    has_issue_pin_permission = requires("accounts.add_pin")
    has_transfer_permission = requires("programs.transfer_programaccount")
    change_readonly_fields = [
        "number",
        "taxpayer_link",
        "program",
        "status",
        "effective_date",
        "opened_at",
        "closed_on",
    ]
    change_fields = [
        *change_readonly_fields[:3],
        "trade_name",
        *change_readonly_fields[3:],
        "max_owners",
        "max_delegates",
    ]
    change_inlines = [
        AddressInline,
        ContactInline,
        DirectDepositInline,
        BulkFuelLocationInline,
        EventInline,
        AccountChangeInline,
        GrantInline,  # who may reach the account (consent/admin/grants.py)
    ]

    @admin.display(description=_("holder"), ordering="taxpayer__legal_name")
    def holder(self, obj) -> str:
        return obj.display_name

    @admin.display(description=_("taxpayer"))
    def taxpayer_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_taxpayer_change", args=[obj.taxpayer_id]),
            obj.taxpayer,
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ProgramAccountOpenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["taxpayer", "program", "effective_date", "trade_name"]}),
                (
                    _("Mailing address of record"),
                    {"fields": ["line1", "line2", "city", "province", "postal_code"]},
                ),
            ]
        return [(None, {"fields": self.change_fields})]

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return self.change_inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are closed, never deleted: their history and filings stay

    def staff_read_target(self, obj):
        return obj.number, obj.taxpayer.on_behalf_of

    def save_model(self, request, obj, form, change):
        if not change:
            actor = actor_from_request(request)
            account = account_services.account_open(
                taxpayer=form.cleaned_data["taxpayer"],
                program=form.cleaned_data["program"],
                effective_date=form.cleaned_data["effective_date"],
                trade_name=form.cleaned_data.get("trade_name", ""),
                mailing_address=form.mailing_address(),
                by=request.user,
                actor=actor,
            )
            # The taxpayer's all-accounts consents that cover accounts opened later now cover this one.
            consent_services.consent_cover_new_account(account=account, actor=actor)
            copy_saved(account, into=obj)
            return
        obj.save()
        if form.changed_data:
            self._log_change(request, obj, "account details changed", ", ".join(form.changed_data))

    def save_formset(self, request, form, formset, change):
        addresses_before = (
            address_services.address_snapshots(account=form.instance) if formset.model is Address else None
        )
        super().save_formset(request, form, formset, change)
        if addresses_before is not None:  # staff's address edits keep the same history as the portal's
            address_services.staff_address_changes_record(
                account=form.instance,
                before=addresses_before,
                by=request.user,
                actor=actor_from_request(request),
            )
        if formset.has_changed():
            what = formset.model._meta.verbose_name_plural
            self._log_change(
                request,
                form.instance,
                f"{what} changed",
                f"{len(formset.new_objects)} added, {len(formset.changed_objects)} changed, {len(formset.deleted_objects)} removed",
            )

    def _log_change(self, request, account, action, detail=""):
        access_log_record(
            actor=actor_from_request(request),
            kind=AccessLogEntry.Kind.CHANGE,
            action=action,
            account_number=account.number,
            on_behalf_of=account.on_behalf_of,
            capacity="staff",
            detail=detail,
        )

    @admin.action(description=_("Close the selected accounts (with a date)"), permissions=["change"])
    def close_accounts(self, request, queryset):
        def apply(data):
            for account in queryset:
                try:
                    account_services.account_close(
                        account=account,
                        closed_on=data["closed_on"],
                        by=request.user,
                        reason=data["reason"],
                        actor=actor_from_request(request),
                    )
                except ValidationError as error:
                    self.message_user(request, f"{account.number}: {error_text(error)}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        gettext("Account %(number)s closed on %(date)s.")
                        % {"number": account.number, "date": data["closed_on"].isoformat()},
                        messages.SUCCESS,
                    )

        return action_with_form(
            self,
            request,
            queryset,
            action="close_accounts",
            form_class=CloseForm,
            title=gettext("Close program accounts"),
            description=gettext(
                "The accounts stop owing returns after the closing date. Their history, filings and access stay; you can reopen them."
            ),
            submit_label=gettext("Close the accounts"),
            apply=apply,
            initial={"closed_on": timezone.localdate()},
        )

    @admin.action(description=_("Reopen the selected accounts"), permissions=["change"])
    def reopen_accounts(self, request, queryset):
        reopened = 0
        for account in queryset:
            if account.is_active:
                self.message_user(
                    request,
                    gettext("Account %(number)s is already active.") % {"number": account.number},
                    messages.WARNING,
                )
                continue
            account_services.account_reopen(
                account=account, by=request.user, actor=actor_from_request(request)
            )
            reopened += 1
        if reopened:
            self.message_user(
                request, gettext("%(count)s account(s) reopened.") % {"count": reopened}, messages.SUCCESS
            )
