"""Staff administration of programs, taxpayers and program accounts.

Writes go through programs.services (which keep the account's history and write the access log); opening
an account's page writes a READ row (capacity staff). What touches access (who may reach an account:
grants, enrolment PINs, transfer) is added by consent/admin.py, which extends ProgramAccountAdmin: the
access layer sits above programs and calls down, never the other way round."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin, action_with_form, error_text
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from programs.forms import AddressAdminForm
from programs.models import (
    AccountChange,
    Address,
    BulkFuelLocation,
    Contact,
    DirectDeposit,
    Document,
    DocumentFile,
    Holiday,
    Message,
    MessageReply,
    Program,
    ProgramAccount,
    ProgramAccountEvent,
    Taxpayer,
    TaxRate,
)
from programs.services import accounts as account_services
from programs.services import addresses as address_services
from programs.services import messages as message_services


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "code", "files_returns"]


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    """Read-only: rates change by a reviewed YAML entry with its source, never by an admin edit."""

    list_display = ["tax", "fuel", "effective_from", "value", "source"]
    list_filter = ["tax", "fuel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Holiday)
class HolidayAdmin(TaxRateAdmin):
    list_display = ["date", "name"]
    list_filter = []


def _on_behalf_of(taxpayer: Taxpayer) -> str:
    return f"{taxpayer.legal_name} (BIN {taxpayer.bin})"


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


class ProgramAccountOfTaxpayerInline(admin.TabularInline):
    model = ProgramAccount
    fields = ["number", "program", "trade_name", "status", "effective_date", "closed_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("program accounts")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

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
        return "", _on_behalf_of(obj)

    def save_model(self, request, obj, form, change):
        if not change:
            created = account_services.taxpayer_create(
                legal_name=form.cleaned_data["legal_name"],
                bin=form.cleaned_data.get("bin") or None,
                kind=form.cleaned_data["kind"],
                by=request.user,
            )
            _copy_saved(created, into=obj)
            return
        obj.save()
        access_log_record(
            actor=request.user,
            kind=AccessLogEntry.Kind.CHANGE,
            action="taxpayer details changed",
            on_behalf_of=_on_behalf_of(obj),
            capacity="staff",
            detail=", ".join(form.changed_data),
            request=request,
        )


def _copy_saved(saved, *, into) -> None:
    """Admin keeps working with its own instance (redirects, messages): give it what the service saved."""
    for field in saved._meta.concrete_fields:
        setattr(into, field.attname, getattr(saved, field.attname))
    into._state.adding = False


# --- Program accounts ---------------------------------------------------------------------------------------


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


class AddressInline(admin.StackedInline):
    model = Address
    form = AddressAdminForm  # the portal's rules: Canadian postal code, matching province
    extra = 0
    max_num = len(Address.Kind.choices)


class BulkFuelLocationInline(admin.TabularInline):
    model = BulkFuelLocation
    extra = 0


class EventInline(admin.TabularInline):
    """The account's history (opened, closed, reopened, transferred): append-only, written by the services."""

    model = ProgramAccountEvent
    fields = ["occurred_at", "kind", "actor", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("history")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContactInline(ReadOnlyInline):
    """Contact persons: kept by the account's people in the portal (View/Update Contact Information)."""

    model = Contact
    fields = ["name", "title", "phone_display", "email", "is_primary", "updated_at"]
    readonly_fields = fields
    verbose_name_plural = _("contact persons")

    @admin.display(description=_("phone"))
    def phone_display(self, obj) -> str:
        return obj.phone_display


class DirectDepositInline(ReadOnlyInline):
    """The bank account refunds go to, masked: staff never see the full account number either."""

    model = DirectDeposit
    fields = ["institution_number", "transit_number", "masked", "holder_name", "updated_at", "updated_by"]
    readonly_fields = fields
    verbose_name_plural = _("direct deposit (none: refunds go by cheque to the mailing address)")

    @admin.display(description=_("account number"))
    def masked(self, obj) -> str:
        return obj.masked

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("updated_by")


# PostgreSQL's jsonb does not keep key order: show the values in the order people read them.
CHANGE_VALUE_ORDER = [
    "line1", "line2", "city", "province", "postal_code",
    "name", "title", "phone", "phone_extension", "email", "is_primary",
    "institution_number", "transit_number", "account_number", "holder_name",
]  # fmt: skip


def _change_values(values: dict | None) -> str:
    if not values:
        return "—"
    ordered = sorted(
        values.items(),
        key=lambda item: CHANGE_VALUE_ORDER.index(item[0]) if item[0] in CHANGE_VALUE_ORDER else 99,
    )
    return "; ".join(
        f"{name.replace('_', ' ')}: {value}" for name, value in ordered if value not in ("", None)
    )


class AccountChangeInline(ReadOnlyInline):
    """History of the account's addresses, contacts and direct deposit (who, when, before and after)."""

    model = AccountChange
    fields = ["occurred_at", "subject", "action", "actor_email", "capacity", "before_values", "after_values"]
    readonly_fields = fields
    verbose_name_plural = _("history of addresses, contacts and direct deposit")

    @admin.display(description=_("before"))
    def before_values(self, obj) -> str:
        return _change_values(obj.before)

    @admin.display(description=_("after"))
    def after_values(self, obj) -> str:
        return _change_values(obj.after)


@admin.register(ProgramAccount)
class ProgramAccountAdmin(StaffReadLoggedAdmin):
    list_display = ["number", "holder", "program", "status", "effective_date", "closed_on"]
    list_filter = ["program", "status"]
    search_fields = ["number", "taxpayer__bin", "taxpayer__legal_name", "trade_name"]
    list_select_related = ["taxpayer", "program"]
    autocomplete_fields = ["taxpayer"]
    actions = ["close_accounts", "reopen_accounts"]
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
        return obj.number, _on_behalf_of(obj.taxpayer)

    def account_opened(self, request, account: ProgramAccount) -> None:
        """Hook for the access layer (consent/admin.py) after an account is opened."""

    def save_model(self, request, obj, form, change):
        if not change:
            account = account_services.account_open(
                taxpayer=form.cleaned_data["taxpayer"],
                program=form.cleaned_data["program"],
                effective_date=form.cleaned_data["effective_date"],
                trade_name=form.cleaned_data.get("trade_name", ""),
                mailing_address=form.mailing_address(),
                by=request.user,
            )
            self.account_opened(request, account)
            _copy_saved(account, into=obj)
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
                account=form.instance, before=addresses_before, by=request.user, request=request
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
            actor=request.user,
            kind=AccessLogEntry.Kind.CHANGE,
            action=action,
            account_number=account.number,
            on_behalf_of=_on_behalf_of(account.taxpayer),
            capacity="staff",
            detail=detail,
            request=request,
        )

    @admin.action(description=_("Close the selected accounts (with a date)"))
    def close_accounts(self, request, queryset):
        def apply(data):
            for account in queryset:
                try:
                    account_services.account_close(
                        account=account, closed_on=data["closed_on"], by=request.user, reason=data["reason"]
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

    @admin.action(description=_("Reopen the selected accounts"))
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
            account_services.account_reopen(account=account, by=request.user)
            reopened += 1
        if reopened:
            self.message_user(
                request, gettext("%(count)s account(s) reopened.") % {"count": reopened}, messages.SUCCESS
            )


# --- History of addresses, contacts and direct deposit -----------------------------------------------------


@admin.register(AccountChange)
class AccountChangeAdmin(StaffReadLoggedAdmin):
    """Every change to an account's addresses, contact persons and direct deposit, across accounts: read
    only (written by programs.services). Bank account numbers appear only as their last four digits."""

    list_display = ["occurred_at", "account_link", "subject", "action", "actor_email", "capacity"]
    list_filter = ["subject", "action", "capacity", ("occurred_at", admin.DateFieldListFilter)]
    search_fields = ["account__number", "account__taxpayer__legal_name", "actor_email"]
    list_select_related = ["account__taxpayer"]
    date_hierarchy = "occurred_at"
    fields = [
        "occurred_at",
        "account_link",
        "subject",
        "action",
        "actor",
        "actor_email",
        "capacity",
        "before_values",
        "after_values",
    ]
    readonly_fields = fields

    @admin.display(description=_("account"), ordering="account__number")
    def account_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_programaccount_change", args=[obj.account_id]),
            obj.account.number,
        )

    @admin.display(description=_("before"))
    def before_values(self, obj) -> str:
        return _change_values(obj.before)

    @admin.display(description=_("after"))
    def after_values(self, obj) -> str:
        return _change_values(obj.after)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj):
        return obj.account.number, _on_behalf_of(obj.account.taxpayer)


# --- Messages to accounts (issue 4, part 4) -----------------------------------------------------------------


class MessageAddForm(forms.ModelForm):
    """A new message: to one account, or to every active account of a program (one copy per account)."""

    send_to_program = forms.ModelChoiceField(
        Program.objects.all(),
        required=False,
        label=_("or to every active account of the program"),
        help_text=_("Each account gets its own copy, with its own thread of answers."),
    )

    class Meta:
        model = Message
        fields = ["account", "subject", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].required = False
        self.fields["account"].help_text = _("One account; or leave it empty and choose a program below.")

    def clean(self):
        cleaned = super().clean()
        program = cleaned.get("send_to_program")
        if bool(cleaned.get("account")) == bool(program):
            raise ValidationError(MESSAGE_ONE_ACCOUNT_OR_PROGRAM)
        if program and not program.accounts.filter(status=ProgramAccount.Status.ACTIVE).exists():
            self.add_error(
                "send_to_program", message_services.NO_ACCOUNTS_IN_PROGRAM % {"program": program.name}
            )
        return cleaned


MESSAGE_ONE_ACCOUNT_OR_PROGRAM = _(
    "Choose one account, or a program to write to all of its accounts (not both)."
)


class MessageAnswerForm(forms.ModelForm):
    answer = forms.CharField(
        label=_("Answer from TRA"),
        required=False,
        max_length=message_services.REPLY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_(
            "Added to the thread; the account's people are told by e-mail that a message is waiting (never its text)."
        ),
    )

    class Meta:
        model = Message
        fields: list[str] = []


class MessageReplyInline(ReadOnlyInline):
    """The thread, oldest first: answers from the account's people and from TRA."""

    model = MessageReply
    fields = ["created_at", "author_name", "from_tra", "capacity", "body"]
    readonly_fields = fields
    verbose_name_plural = _("thread (answers, oldest first)")


class AwaitingAnswerFilter(admin.SimpleListFilter):
    title = _("awaiting an answer from TRA")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        awaiting = Q(last_from_client_at__isnull=False, last_from_client_at__gt=F("last_from_tra_at"))
        if self.value() == "yes":
            return queryset.filter(awaiting)
        if self.value() == "no":
            return queryset.exclude(awaiting)
        return queryset


@admin.register(Message)
class MessageAdmin(StaffReadLoggedAdmin):
    """Staff write to one account or to every account of a program, read the account's answers (the
    thread inline) and answer them. Sent messages are never edited or deleted: a correction is a new
    answer. Whom to tell is the access layer's knowledge: consent/admin.py fills `message_recipients` and
    `program_recipients` (programs knows no grants)."""

    list_display = [
        "subject",
        "account_link",
        "holder",
        "program_wide",
        "sent_at",
        "last_from_client_at",
        "awaiting",
    ]
    list_filter = [
        AwaitingAnswerFilter,
        "account__program",
        "program_wide",
        ("sent_at", admin.DateFieldListFilter),
    ]
    search_fields = ["subject", "account__number", "account__taxpayer__legal_name", "account__taxpayer__bin"]
    list_select_related = ["account__taxpayer", "program_wide"]
    autocomplete_fields = ["account"]
    date_hierarchy = "sent_at"
    change_readonly_fields = [
        "account_link", "holder", "subject", "body", "sent_at", "sent_by", "program_wide", "last_from_tra_at", "last_from_client_at",
    ]  # fmt: skip

    def message_recipients(self, *, account: ProgramAccount) -> list[str]:
        """Whom to tell that a message is waiting for `account` (filled in by the access layer)."""
        return []

    def program_recipients(self, *, program: Program) -> dict[int, list[str]]:
        """`message_recipients` for every account of `program`, by account id (filled in by the access layer)."""
        return {}

    @admin.display(description=_("account"), ordering="account__number")
    def account_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_programaccount_change", args=[obj.account_id]),
            obj.account.number,
        )

    @admin.display(description=_("holder"), ordering="account__taxpayer__legal_name")
    def holder(self, obj) -> str:
        return obj.account.display_name

    @admin.display(description=_("awaiting TRA"), boolean=True)
    def awaiting(self, obj) -> bool:
        return obj.awaiting_tra

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = MessageAddForm if obj is None else MessageAnswerForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["account", "send_to_program", "subject", "body"]})]
        return [(None, {"fields": self.change_readonly_fields}), (_("Answer"), {"fields": ["answer"]})]

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return [MessageReplyInline] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj):
        return obj.account.number, _on_behalf_of(obj.account.taxpayer)

    def save_model(self, request, obj, form, change):
        if change:
            answer = form.cleaned_data.get("answer", "").strip()
            if answer:
                message_services.message_answer(
                    message=obj,
                    body=answer,
                    by=request.user,
                    notify=self.message_recipients(account=obj.account),
                    request=request,
                )
                self.message_user(request, gettext("Your answer was added to the thread."), messages.SUCCESS)
            return
        data = form.cleaned_data
        if data.get("send_to_program"):
            program = data["send_to_program"]
            sent = message_services.message_send_to_program(
                program=program,
                subject=data["subject"],
                body=data["body"],
                by=request.user,
                notify_by_account=self.program_recipients(program=program),
                request=request,
            )
            request._messages_sent_to_program = (program, len(sent))
            _copy_saved(sent[0], into=obj)
            return
        message = message_services.message_send(
            account=data["account"],
            subject=data["subject"],
            body=data["body"],
            by=request.user,
            notify=self.message_recipients(account=data["account"]),
            request=request,
        )
        _copy_saved(message, into=obj)

    def response_add(self, request, obj, post_url_continue=None):
        sent = getattr(request, "_messages_sent_to_program", None)
        if sent is not None:
            program, count = sent
            self.message_user(
                request,
                gettext("The message was sent to the %(count)s active accounts of %(program)s.")
                % {"count": count, "program": program},
                messages.SUCCESS,
            )
            changelist = reverse("admin:programs_message_changelist")
            return HttpResponseRedirect(f"{changelist}?program_wide__id__exact={program.pk}")
        return super().response_add(request, obj, post_url_continue)


# --- Documents (issue 4, part 5) -------------------------------------------------------------------------------


class DocumentFileInline(ReadOnlyInline):
    """The files, with the malware scan's verdict: "not scanned" means no scanner looked at the file."""

    model = DocumentFile
    fields = ["position", "download", "content_type", "size", "scan_status", "scan_detail", "sha256"]
    readonly_fields = fields
    verbose_name_plural = _("files")

    @admin.display(description=_("file"))
    def download(self, obj) -> str:
        url = reverse("admin:programs_document_file", args=[obj.document_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


class NotScannedFilter(admin.SimpleListFilter):
    title = _("malware scan")
    parameter_name = "scan"

    def lookups(self, request, model_admin):
        return [("not_scanned", _("Has files not scanned")), ("scanned", _("All files scanned, clean"))]

    def queryset(self, request, queryset):
        unscanned = DocumentFile.objects.filter(document=OuterRef("pk")).exclude(
            scan_status=DocumentFile.ScanStatus.CLEAN
        )
        if self.value() == "not_scanned":
            return queryset.filter(Exists(unscanned))
        if self.value() == "scanned":
            return queryset.exclude(Exists(unscanned))
        return queryset


@admin.register(Document)
class DocumentAdmin(StaffReadLoggedAdmin):
    """Documents submitted by accounts' people (Submit Documents) and issued by TRA: read only. Staff
    download a file through admin (each download is written to the access log); the scan column shows
    documents with files no scanner looked at."""

    list_display = [
        "reference_number",
        "account_link",
        "document_type",
        "related_reference",
        "received_at",
        "origin",
        "file_count",
        "scan",
    ]
    list_filter = [
        NotScannedFilter,
        "origin",
        "document_type",
        "account__program",
        ("received_at", admin.DateFieldListFilter),
    ]
    search_fields = [
        "reference_number",
        "related_reference",
        "account__number",
        "account__taxpayer__legal_name",
        "submitted_by_email",
    ]
    list_select_related = ["account__taxpayer"]
    date_hierarchy = "received_at"
    fields = [
        "reference_number", "account_link", "document_type", "related_reference", "description", "origin", "received_at",
        "submitted_by_email", "capacity",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [DocumentFileInline]

    def get_queryset(self, request):
        unscanned = DocumentFile.objects.filter(document=OuterRef("pk")).exclude(
            scan_status=DocumentFile.ScanStatus.CLEAN
        )
        return (
            super()
            .get_queryset(request)
            .annotate(files_count=Count("files", distinct=True), has_unscanned=Exists(unscanned))
        )

    @admin.display(description=_("account"), ordering="account__number")
    def account_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_programaccount_change", args=[obj.account_id]),
            obj.account.number,
        )

    @admin.display(description=_("files"), ordering="files_count")
    def file_count(self, obj) -> int:
        return obj.files_count

    @admin.display(description=_("malware scan"))
    def scan(self, obj) -> str:
        return gettext("not scanned") if obj.has_unscanned else gettext("clean")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/files/<int:file_id>/",
                self.admin_site.admin_view(self.file_download_view),
                name="programs_document_file",
            ),
            *super().get_urls(),
        ]

    def file_download_view(self, request, object_id, file_id):
        document = self.get_object(request, unquote(object_id))
        if document is None or not self.has_view_permission(request, document):
            raise Http404
        document_file = DocumentFile.objects.filter(document=document, pk=file_id).first()
        if document_file is None:
            raise Http404
        access_log_record(
            actor=request.user,
            kind=AccessLogEntry.Kind.READ,
            action="document file downloaded in staff administration",
            account_number=document.account.number,
            on_behalf_of=_on_behalf_of(document.account.taxpayer),
            capacity="staff",
            detail=f"{document.reference_number} file {document_file.position}",
            request=request,
        )
        try:
            handle = document_file.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=document_file.original_name,
            content_type=document_file.content_type,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj):
        return obj.account.number, _on_behalf_of(obj.account.taxpayer)
