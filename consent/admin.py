"""Staff administration of access: grants, consents (AT4931), and the access side of program accounts.

The program account admin of programs/admin.py is extended here (the access layer calls down): a new
account joins the taxpayer's all-accounts consents that cover accounts opened later; staff issue enrolment
PINs (the letter is prepared by a Celery job); a transfer to another taxpayer ends every access to the
account; the account page lists who may reach it."""

import functools

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Value, When
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import pins
from accounts.admin import StaffReadLoggedAdmin, action_with_form, error_text
from accounts.models import AccessLogEntry, Pin
from accounts.services import access_log_record
from consent import selectors, services
from consent.models import PRIVILEGE_CHOICES, Consent, Grant
from consent.privileges import Privilege
from consent.tasks import enrolment_letter_prepare
from programs import services as program_services
from programs.admin import MessageAdmin, ProgramAccountAdmin
from programs.models import Message, ProgramAccount, Taxpayer

TRANSFER_SAME_TAXPAYER = _("Account %(number)s already belongs to this taxpayer.")
NO_SUCH_BIN = _("No taxpayer has this BIN.")
ACCOUNT_OF_ANOTHER_TAXPAYER = _("These accounts belong to another taxpayer: %(numbers)s.")
FUTURE_NEEDS_ALL = _(
    "Only a consent for all of the taxpayer's accounts can also cover accounts opened later."
)
CONSENT_NOT_IN_FORCE = _("Only an approved or active consent can be revoked (reject one in review).")


def _privileges_display(values) -> str:
    return ", ".join(str(Privilege(value).label) for value in values) or "—"


def _on_behalf_of(taxpayer: Taxpayer) -> str:
    return f"{taxpayer.legal_name} (BIN {taxpayer.bin})"


# --- Program accounts: the access side ------------------------------------------------------------------


class GrantInline(admin.TabularInline):
    """Who may reach the account (read-only here; staff revoke from the grants list)."""

    model = Grant
    fk_name = "account"
    fields = ["name", "email", "role", "status", "privileges_list", "ends_on", "activated_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("access (owners, delegates, representatives)")

    @admin.display(description=_("privileges"))
    def privileges_list(self, obj) -> str:
        return gettext("all (owner)") if obj.role == Grant.Role.OWNER else _privileges_display(obj.privileges)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("status", "role", "name")


class TransferForm(forms.Form):
    to_bin = forms.CharField(label=_("BIN of the new taxpayer"), max_length=9, min_length=9)
    reason = forms.CharField(
        label=_("Reason"), max_length=300, help_text=_("For example: sale of the business, amalgamation.")
    )

    def clean_to_bin(self):
        taxpayer = Taxpayer.objects.filter(bin=self.cleaned_data["to_bin"].strip()).first()
        if taxpayer is None:
            raise ValidationError(NO_SUCH_BIN)
        return taxpayer


class AccessProgramAccountAdmin(ProgramAccountAdmin):
    actions = [*ProgramAccountAdmin.actions, "issue_enrolment_pin", "transfer_accounts"]
    change_inlines = [*ProgramAccountAdmin.change_inlines, GrantInline]

    def account_opened(self, request, account):
        services.consent_cover_new_account(account=account)

    @admin.action(description=_("Issue enrolment PIN (letter to mail)"))
    def issue_enrolment_pin(self, request, queryset):
        """The PIN is generated, hashed and printed into the letter in one Celery job, after this request
        commits; the clear PIN never passes through the web process. Any earlier open enrolment PIN of the
        account stops working (this is also how staff reissue a locked PIN)."""
        for account in queryset:
            if not account.is_active:
                self.message_user(
                    request,
                    gettext("Account %(number)s is closed; no PIN was issued.") % {"number": account.number},
                    messages.ERROR,
                )
                continue
            transaction.on_commit(
                functools.partial(enrolment_letter_prepare.delay, account.pk, request.user.pk)
            )
            pins_url = f"{reverse('admin:accounts_pin_changelist')}?{urlencode({'q': account.number})}"
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    gettext(
                        "The enrolment letter for account %(number)s is being prepared; it will be ready to download in the PIN list."
                    )
                    % {"number": account.number},
                    pins_url,
                    gettext("Open the PIN list"),
                ),
                messages.SUCCESS,
            )

    @admin.action(description=_("Transfer to another taxpayer (ends all access)"))
    def transfer_accounts(self, request, queryset):
        """Move accounts to another taxpayer. Every access to them ends: owners (the last one too),
        delegates, representatives and pending invitations are revoked, and open enrolment PINs are
        cancelled, because the old taxpayer's people must not see the new holder's account. The new
        taxpayer's people enrol: staff issue an enrolment PIN to the new holder."""

        def apply(data):
            to_taxpayer = data["to_bin"]
            for account in queryset.select_related("taxpayer"):
                if account.taxpayer_id == to_taxpayer.pk:
                    self.message_user(
                        request, TRANSFER_SAME_TAXPAYER % {"number": account.number}, messages.ERROR
                    )
                    continue
                with transaction.atomic():
                    program_services.account_transfer(
                        account=account, to_taxpayer=to_taxpayer, by=request.user, reason=data["reason"]
                    )
                    open_grants = (
                        Grant.objects.filter(
                            account=account, status__in=[Grant.Status.ACTIVE, Grant.Status.PENDING]
                        )
                        .annotate(
                            owner_last=Case(
                                When(role=Grant.Role.OWNER, then=Value(1)),
                                default=Value(0),
                                output_field=IntegerField(),
                            )
                        )
                        .order_by("owner_last", "pk")
                    )
                    revoked = 0
                    for grant in open_grants:
                        services.grant_revoke(
                            grant=grant, by=request.user, by_staff=True, all_access_ends=True, request=request
                        )
                        revoked += 1
                    pins.pins_cancel_open(account_number=account.number, purpose=Pin.Purpose.ENROLMENT)
                self.message_user(
                    request,
                    gettext(
                        "Account %(number)s transferred to %(taxpayer)s; %(count)s access(es) ended. Issue an enrolment PIN so the new holder can enrol."
                    )
                    % {"number": account.number, "taxpayer": to_taxpayer, "count": revoked},
                    messages.SUCCESS,
                )

        return action_with_form(
            self,
            request,
            queryset,
            action="transfer_accounts",
            form_class=TransferForm,
            title=gettext("Transfer program accounts to another taxpayer"),
            description=gettext(
                "The account keeps its number and history. Every access to it ends: its owners (all of them), "
                "delegates, representatives and pending invitations are removed and told by e-mail, and open "
                "enrolment PINs stop working. Then issue an enrolment PIN for the new holder."
            ),
            submit_label=gettext("Transfer and end all access"),
            apply=apply,
        )


admin.site.unregister(ProgramAccount)
admin.site.register(ProgramAccount, AccessProgramAccountAdmin)


class AccessMessageAdmin(MessageAdmin):
    """Messages to accounts (programs/admin.py), told to whom only the access layer knows: the account's
    owners and the delegates and representatives whose access includes messages."""

    def message_recipients(self, *, account):
        return selectors.message_recipient_emails(account=account)

    def program_recipients(self, *, program):
        return selectors.message_recipients_by_account(program=program)


admin.site.unregister(Message)
admin.site.register(Message, AccessMessageAdmin)


# --- Grants ----------------------------------------------------------------------------------------------


@admin.register(Grant)
class GrantAdmin(StaffReadLoggedAdmin):
    """Every access to every account. Staff revoke here (an owner too, but never an account's last owner)."""

    list_display = [
        "account_number",
        "name",
        "email",
        "role",
        "status",
        "privileges_list",
        "ends_on",
        "activated_at",
    ]
    list_filter = ["role", "status", "account__program"]
    search_fields = [
        "account__number",
        "account__taxpayer__bin",
        "account__taxpayer__legal_name",
        "name",
        "email",
    ]
    list_select_related = ["account"]
    fields = [
        "account_link",
        "name",
        "email",
        "user",
        "role",
        "status",
        "privileges_list",
        "ends_on",
        "consent",
        "created_at",
        "created_by",
        "activated_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields
    actions = ["revoke_grants"]

    @admin.display(description=_("account"), ordering="account__number")
    def account_number(self, obj) -> str:
        return obj.account.number

    @admin.display(description=_("account"))
    def account_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_programaccount_change", args=[obj.account_id]),
            obj.account,
        )

    @admin.display(description=_("privileges"))
    def privileges_list(self, obj) -> str:
        return gettext("all (owner)") if obj.role == Grant.Role.OWNER else _privileges_display(obj.privileges)

    def has_add_permission(self, request):
        return False  # owners add people in the portal; representatives come through a consent

    def has_change_permission(self, request, obj=None):
        return False  # a grant is changed by the account's owners in the portal; staff revoke (an action)

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj):
        return obj.account.number, _on_behalf_of(obj.account.taxpayer)

    @admin.action(description=_("Revoke the selected access"))
    def revoke_grants(self, request, queryset):
        revoked = 0
        for grant in queryset.exclude(status=Grant.Status.REVOKED):
            try:
                services.grant_revoke(grant=grant, by=request.user, by_staff=True, request=request)
            except ValidationError as error:
                self.message_user(request, f"{grant}: {error_text(error)}", messages.ERROR)
            else:
                revoked += 1
        if revoked:
            self.message_user(
                request,
                gettext("%(count)s access(es) revoked; the people and the account owners were e-mailed.")
                % {"count": revoked},
                messages.SUCCESS,
            )


# --- Consents (AT4931) ----------------------------------------------------------------------------------


class ConsentForm(forms.ModelForm):
    privileges = forms.MultipleChoiceField(
        label=_("privileges"),
        choices=PRIVILEGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Part 4 of the form: what the representative may do online."),
    )

    class Meta:
        model = Consent
        fields = [
            "taxpayer",
            "representative_name",
            "representative_email",
            "signer_name",
            "signer_capacity",
            "signed_on",
            "privileges",
            "all_accounts",
            "covers_future_accounts",
            "accounts",
            "expires_on",
            "signed_form",
        ]
        help_texts = {"representative_name": _("One named individual, never a firm.")}

    def clean(self):
        cleaned = super().clean()
        taxpayer = cleaned.get("taxpayer")
        if cleaned.get("covers_future_accounts") and not cleaned.get("all_accounts"):
            self.add_error("covers_future_accounts", FUTURE_NEEDS_ALL)
        accounts = cleaned.get("accounts")
        if taxpayer is not None and accounts:
            foreign = sorted(account.number for account in accounts if account.taxpayer_id != taxpayer.pk)
            if foreign:
                self.add_error("accounts", ACCOUNT_OF_ANOTHER_TAXPAYER % {"numbers": ", ".join(foreign)})
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What is missing or wrong on the form; the reason is kept with the consent."),
    )


@admin.register(Consent)
class ConsentAdmin(StaffReadLoggedAdmin):
    """The review queue of Alberta Consent Forms (AT4931, Part 4): record, approve (the representative is
    e-mailed a PIN), reject with a reason, or revoke."""

    form = ConsentForm
    list_display = [
        "received_at",
        "taxpayer",
        "representative_name",
        "representative_email",
        "scope",
        "status",
        "has_signed_form",
        "expires_on",
    ]
    list_filter = ["status", "received_at", "all_accounts", "signer_capacity"]
    date_hierarchy = "received_at"
    search_fields = ["taxpayer__legal_name", "taxpayer__bin", "representative_name", "representative_email"]
    list_select_related = ["taxpayer"]
    autocomplete_fields = ["taxpayer"]
    filter_horizontal = ["accounts"]
    review_fields = [
        "status",
        "received_at",
        "reviewed_by",
        "reviewed_at",
        "rejection_reason",
        "representative",
        "activated_at",
        "revoked_at",
        "revoked_by",
    ]
    fieldsets = [
        (
            _("Taxpayer and representative"),
            {"fields": ["taxpayer", "representative_name", "representative_email"]},
        ),
        (_("Signed by"), {"fields": ["signer_name", "signer_capacity", "signed_on", "signed_form"]}),
        (
            _("Scope"),
            {"fields": ["privileges", "all_accounts", "covers_future_accounts", "accounts", "expires_on"]},
        ),
        (_("Review"), {"fields": review_fields}),
    ]
    actions = ["approve_consents", "reject_consents", "revoke_consents"]

    @admin.display(description=_("accounts covered"))
    def scope(self, obj) -> str:
        if obj.all_accounts:
            return gettext("all (and later ones)") if obj.covers_future_accounts else gettext("all")
        return str(obj.account_count)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(account_count=Count("accounts"))

    @admin.display(boolean=True, description=_("signed form?"))
    def has_signed_form(self, obj) -> bool:
        return bool(obj.signed_form)

    def get_readonly_fields(self, request, obj=None):
        return self.review_fields

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets[:-1]
        return self.fieldsets

    def has_change_permission(self, request, obj=None):
        # Once reviewed, the consent is what was approved or rejected: it changes only by revocation.
        if obj is not None and obj.status != Consent.Status.RECEIVED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "accounts":
            kwargs["queryset"] = ProgramAccount.objects.select_related("taxpayer", "program")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def staff_read_target(self, obj):
        return "", _on_behalf_of(obj.taxpayer)

    def save_model(self, request, obj, form, change):
        obj.save()
        access_log_record(
            actor=request.user,
            kind=AccessLogEntry.Kind.CHANGE,
            action="consent (AT4931) changed in review" if change else "consent (AT4931) recorded",
            on_behalf_of=_on_behalf_of(obj.taxpayer),
            capacity="staff",
            detail=f"{obj.representative_name} <{obj.representative_email}>"
            + (f": {', '.join(form.changed_data)}" if change else ""),
            request=request,
        )

    @admin.action(description=_("Approve (e-mail the PIN to the representative)"))
    def approve_consents(self, request, queryset):
        for consent in queryset:
            try:
                services.consent_approve(consent=consent, by=request.user, request=request)
            except ValidationError as error:
                self.message_user(request, f"{consent}: {error_text(error)}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Consent approved: PIN e-mailed to %(email)s (%(name)s).")
                    % {"email": consent.representative_email, "name": consent.representative_name},
                    messages.SUCCESS,
                )

    @admin.action(description=_("Reject (with a reason)"))
    def reject_consents(self, request, queryset):
        def apply(data):
            for consent in queryset:
                try:
                    services.consent_reject(
                        consent=consent, by=request.user, reason=data["reason"], request=request
                    )
                except ValidationError as error:
                    self.message_user(request, f"{consent}: {error_text(error)}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        gettext("Consent for %(name)s rejected.") % {"name": consent.representative_name},
                        messages.SUCCESS,
                    )

        return action_with_form(
            self,
            request,
            queryset,
            action="reject_consents",
            form_class=RejectForm,
            title=gettext("Reject consent forms"),
            description=gettext(
                "Only consents in review can be rejected. Give the reason the form is incomplete or invalid."
            ),
            submit_label=gettext("Reject"),
            apply=apply,
        )

    @admin.action(description=_("Revoke (ends the representative's access)"))
    def revoke_consents(self, request, queryset):
        for consent in queryset:
            if consent.status not in (Consent.Status.APPROVED, Consent.Status.ACTIVE):
                self.message_user(request, f"{consent}: {CONSENT_NOT_IN_FORCE}", messages.ERROR)
                continue
            services.consent_revoke(consent=consent, by=request.user, by_staff=True, request=request)
            self.message_user(
                request,
                gettext("Consent for %(name)s revoked; every access it gave has ended.")
                % {"name": consent.representative_name},
                messages.SUCCESS,
            )
