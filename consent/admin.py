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
from django.utils.html import format_html, format_html_join
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
from consent.tasks import enrolment_letter_prepare, registration_letter_issue_job
from programs import registration_rules
from programs import selectors as program_selectors
from programs.admin import MessageAdmin, ProgramAccountAdmin
from programs.models import (
    Message,
    Program,
    ProgramAccount,
    Registration,
    RegistrationContact,
    RegistrationEvent,
    RegistrationLocation,
    Taxpayer,
)
from programs.services import accounts as account_services
from programs.services import registration_review
from tracs.actors import actor_from_request

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
        services.consent_cover_new_account(account=account, actor=actor_from_request(request))

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
            actor = actor_from_request(request)
            to_taxpayer = data["to_bin"]
            for account in queryset.select_related("taxpayer"):
                if account.taxpayer_id == to_taxpayer.pk:
                    self.message_user(
                        request, TRANSFER_SAME_TAXPAYER % {"number": account.number}, messages.ERROR
                    )
                    continue
                with transaction.atomic():
                    account_services.account_transfer(
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
                            grant=grant, by=request.user, actor=actor, by_staff=True, all_access_ends=True
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
        actor = actor_from_request(request)
        revoked = 0
        for grant in queryset.exclude(status=Grant.Status.REVOKED):
            try:
                services.grant_revoke(grant=grant, by=request.user, actor=actor, by_staff=True)
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
            actor=actor_from_request(request),
            kind=AccessLogEntry.Kind.CHANGE,
            action="consent (AT4931) changed in review" if change else "consent (AT4931) recorded",
            on_behalf_of=_on_behalf_of(obj.taxpayer),
            capacity="staff",
            detail=f"{obj.representative_name} <{obj.representative_email}>"
            + (f": {', '.join(form.changed_data)}" if change else ""),
        )

    @admin.action(description=_("Approve (e-mail the PIN to the representative)"))
    def approve_consents(self, request, queryset):
        actor = actor_from_request(request)
        for consent in queryset:
            try:
                services.consent_approve(consent=consent, by=request.user, actor=actor)
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
            actor = actor_from_request(request)
            for consent in queryset:
                try:
                    services.consent_reject(
                        consent=consent, by=request.user, reason=data["reason"], actor=actor
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
        actor = actor_from_request(request)
        for consent in queryset:
            if consent.status not in (Consent.Status.APPROVED, Consent.Status.ACTIVE):
                self.message_user(request, f"{consent}: {CONSENT_NOT_IN_FORCE}", messages.ERROR)
                continue
            services.consent_revoke(consent=consent, by=request.user, actor=actor, by_staff=True)
            self.message_user(
                request,
                gettext("Consent for %(name)s revoked; every access it gave has ended.")
                % {"name": consent.representative_name},
                messages.SUCCESS,
            )


# --- Online registrations (issue 4, part 6) ---------------------------------------------------------------


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RegistrationLocationInline(_ReadOnlyInline):
    model = RegistrationLocation
    fields = ["position", "name", "address", "capacity_litres", "bflo_number"]
    readonly_fields = fields
    verbose_name_plural = _("bulk fuel locations (a BFLO number each on approval)")

    @admin.display(description=_("BFLO number"))
    def bflo_number(self, obj) -> str:
        return obj.bflo.number if obj.bflo_id else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("bflo")


class RegistrationContactInline(_ReadOnlyInline):
    model = RegistrationContact
    fields = ["position", "name", "title", "phone_display", "email"]
    readonly_fields = fields
    verbose_name_plural = _("contact persons (the first is primary)")


class RegistrationEventInline(_ReadOnlyInline):
    model = RegistrationEvent
    fields = ["occurred_at", "kind", "actor", "message"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class RegistrationRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Why TRA does not approve the registration. Shown in TRACS and e-mailed to the registrant."
        ),
    )


class RegistrationInformationForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the registrant"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What TRA needs before it can decide. The registrant reads it in TRACS (the e-mail only says TRA is "
            "waiting), changes the registration and sends it again with the same reference number."
        ),
    )


@admin.register(Registration)
class RegistrationAdmin(StaffReadLoggedAdmin):
    """The review queue of online registrations, oldest first. Approve (opens the accounts, BIN and BFLO
    numbers, makes the registrant an owner, places the approval letter), reject with a reason, or ask for
    more information. Drafts are the registrant's own until sent, so staff do not see them."""

    list_display = [
        "reference_number",
        "legal_name",
        "program",
        "status",
        "submitted_at",
        "registrant_email",
        "bin_given",
        "letter_issued",
    ]
    list_filter = ["status", "program", "submitted_at"]
    date_hierarchy = "submitted_at"
    search_fields = ["reference_number", "legal_name", "operating_name", "bin", "registrant__email"]
    list_select_related = ["program", "registrant"]
    ordering = ["submitted_at", "id"]
    inlines = [RegistrationLocationInline, RegistrationContactInline, RegistrationEventInline]
    fieldsets = [
        (
            _("Registration"),
            {
                "fields": [
                    "reference_number",
                    "program",
                    "status",
                    "registrant_email",
                    "first_submitted_at",
                    "submitted_at",
                    "certified_name",
                ]
            },
        ),
        (
            _("Business identity"),
            {
                "fields": [
                    "legal_name",
                    "operating_name",
                    "bin_check",
                    "business_type",
                    "start_date",
                    "mailing_address_display",
                ]
            },
        ),
        (_("Registration reasons"), {"fields": ["reasons_display", "accounts_to_open"]}),
        (_("Banking"), {"fields": ["banking_display"]}),
        (
            _("Review"),
            {
                "fields": [
                    "information_request",
                    "decision_reason",
                    "reviewed_by",
                    "reviewed_at",
                    "taxpayer_link",
                    "accounts_display",
                    "letter_issued_at",
                ]
            },
        ),
    ]
    readonly_fields = [field for _title, options in fieldsets for field in options["fields"]]
    actions = ["approve_registrations", "reject_registrations", "request_information", "issue_letters"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(status=Registration.Status.DRAFT)

    def has_add_permission(self, request):
        return False  # registrants register in the portal

    def has_change_permission(self, request, obj=None):
        return False  # what the registrant sent is kept as sent; staff act with the actions

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj):
        return "", f"{obj.legal_name} (registration {obj.reference_number})"

    @admin.display(description=_("registrant"), ordering="registrant__email")
    def registrant_email(self, obj) -> str:
        return obj.registrant.email

    @admin.display(description=_("BIN given"), ordering="bin")
    def bin_given(self, obj) -> str:
        return obj.bin or "—"

    @admin.display(boolean=True, description=_("letter?"))
    def letter_issued(self, obj) -> bool | None:
        return bool(obj.letter_issued_at) if obj.status == Registration.Status.APPROVED else None

    @admin.display(description=_("BIN"))
    def bin_check(self, obj) -> str:
        if not obj.bin:
            return gettext("None given: approval allocates a new BIN.")
        taxpayer = program_selectors.existing_taxpayer(obj)
        if taxpayer is None:
            return gettext(
                "%(bin)s: not known to TRACS; approval creates a taxpayer with this BIN. Check it was issued by TRA."
            ) % {"bin": obj.bin}
        return gettext(
            "%(bin)s belongs to %(taxpayer)s: approval opens the new accounts for this taxpayer. Check that the registrant may act for it."
        ) % {"bin": obj.bin, "taxpayer": taxpayer.legal_name}

    @admin.display(description=_("mailing address"))
    def mailing_address_display(self, obj) -> str:
        parts = [obj.line1, obj.line2, f"{obj.city} {obj.province} {obj.postal_code}".strip()]
        return ", ".join(part for part in parts if part)

    @admin.display(description=_("reasons"))
    def reasons_display(self, obj) -> str:
        items = format_html_join(
            "", "<li>{}</li>", ((Registration.Reason(reason).label,) for reason in obj.reasons)
        )
        return format_html("<ul>{}</ul>", items) if obj.reasons else "—"

    @admin.display(description=_("accounts approval opens"))
    def accounts_to_open(self, obj) -> str:
        names = dict(Program.objects.values_list("code", "name"))
        return ", ".join(names.get(code, code) for code in registration_rules.programs_opened_by(obj))

    @admin.display(description=_("refunds"))
    def banking_display(self, obj) -> str:
        if obj.wants_direct_deposit is None:
            return "—"
        if not obj.wants_direct_deposit:
            return gettext("By cheque to the mailing address")
        return gettext(
            "Direct deposit: institution %(institution)s, transit %(transit)s, account %(masked)s, holder %(holder)s"
        ) % {
            "institution": obj.deposit_institution_number,
            "transit": obj.deposit_transit_number,
            "masked": obj.deposit_masked,
            "holder": obj.deposit_holder_name,
        }

    @admin.display(description=_("taxpayer"))
    def taxpayer_link(self, obj) -> str:
        if obj.taxpayer_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_taxpayer_change", args=[obj.taxpayer_id]),
            obj.taxpayer,
        )

    @admin.display(description=_("accounts opened"))
    def accounts_display(self, obj) -> str:
        accounts = list(obj.accounts.select_related("program"))
        if not accounts:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:programs_programaccount_change", args=[account.pk]), account)
                for account in accounts
            ),
        )

    @admin.action(description=_("Approve (open the accounts; the registrant becomes owner)"))
    def approve_registrations(self, request, queryset):
        for registration in queryset:
            try:
                approved = services.registration_approve(
                    registration=registration,
                    by=request.user,
                    actor=actor_from_request(request),
                    request=request,
                )
            except ValidationError as error:
                self.message_user(request, f"{registration}: {error_text(error)}", messages.ERROR)
                continue
            accounts = ", ".join(approved.accounts.order_by("number").values_list("number", flat=True))
            self.message_user(
                request,
                gettext(
                    "Registration %(reference)s approved: BIN %(bin)s, accounts %(accounts)s. %(registrant)s is their owner; "
                    "the approval letter is being placed in the accounts' documents and the registrant will be e-mailed."
                )
                % {
                    "reference": approved.reference_number,
                    "bin": approved.taxpayer.bin,
                    "accounts": accounts,
                    "registrant": approved.registrant.email,
                },
                messages.SUCCESS,
            )

    @admin.action(description=_("Reject (with a reason)"))
    def reject_registrations(self, request, queryset):
        def apply(data):
            for registration in queryset:
                try:
                    registration_review.registration_reject(
                        registration=registration, by=request.user, reason=data["reason"], request=request
                    )
                except ValidationError as error:
                    self.message_user(request, f"{registration}: {error_text(error)}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        gettext(
                            "Registration %(reference)s rejected; the reason was e-mailed to the registrant."
                        )
                        % {"reference": registration.reference_number},
                        messages.SUCCESS,
                    )

        return action_with_form(
            self,
            request,
            queryset,
            action="reject_registrations",
            form_class=RegistrationRejectForm,
            title=gettext("Reject registrations"),
            description=gettext(
                "Only registrations pending review can be rejected. The reason is e-mailed to the registrant."
            ),
            submit_label=gettext("Reject"),
            apply=apply,
        )

    @admin.action(description=_("Request more information (message to the registrant)"))
    def request_information(self, request, queryset):
        def apply(data):
            for registration in queryset:
                try:
                    registration_review.registration_request_information(
                        registration=registration, by=request.user, message=data["message"], request=request
                    )
                except ValidationError as error:
                    self.message_user(request, f"{registration}: {error_text(error)}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        gettext(
                            "Registration %(reference)s sent back to the registrant for more information."
                        )
                        % {"reference": registration.reference_number},
                        messages.SUCCESS,
                    )

        return action_with_form(
            self,
            request,
            queryset,
            action="request_information",
            form_class=RegistrationInformationForm,
            title=gettext("Request more information"),
            description=gettext(
                "Only registrations pending review can be sent back. The registrant can then change the registration and send it again."
            ),
            submit_label=gettext("Send the request"),
            apply=apply,
        )

    @admin.action(description=_("Place the approval letter again if it is missing"))
    def issue_letters(self, request, queryset):
        """Approval schedules the letter job after it commits; should the job not have run (the broker was
        down), this runs it now. A registration gets its letter once."""
        for registration in queryset:
            if (
                registration.status != Registration.Status.APPROVED
                or registration.letter_issued_at is not None
            ):
                self.message_user(
                    request,
                    gettext("%(registration)s: not approved, or its letter is already in the accounts.")
                    % {"registration": registration},
                    messages.WARNING,
                )
                continue
            transaction.on_commit(functools.partial(registration_letter_issue_job.delay, registration.pk))
            self.message_user(
                request,
                gettext("The approval letter of %(reference)s is being placed in the accounts' documents.")
                % {"reference": registration.reference_number},
                messages.SUCCESS,
            )
