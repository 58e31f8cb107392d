"""Staff administration of online registrations (issue 4, part 6): the review queue, oldest first.

Approval is consent's (consent.services.registration_approve: it opens the accounts through programs and
makes the registrant their owner, ADR 0006); rejecting and asking for more information are programs'
(programs.services.registration_review). Both are called from here by plain import (ADR 0013)."""

import functools

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin, action_with_form, error_text
from consent import services as consent_services
from consent.tasks import registration_letter_issue_job
from programs import registration_rules
from programs import selectors as program_selectors
from programs.models import (
    Program,
    Registration,
    RegistrationContact,
    RegistrationDyeSite,
    RegistrationEstablishment,
    RegistrationEvent,
    RegistrationLocation,
)
from programs.services import registration_review
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin, ReadOnlyInline, requires


class RegistrationLocationInline(ReadOnlyInline):
    model = RegistrationLocation
    fields = ["position", "name", "address", "capacity_litres", "bflo_number"]
    readonly_fields = fields
    verbose_name_plural = _("bulk fuel locations (a BFLO number each on approval)")

    @admin.display(description=_("BFLO number"))
    def bflo_number(self, obj) -> str:
        return obj.bflo.number if obj.bflo_id else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("bflo")


class RegistrationEstablishmentInline(ReadOnlyInline):
    model = RegistrationEstablishment
    fields = [
        "position",
        "name",
        "kind",
        "address",
        "units",
        "listed_online",
        "opens_on",
        "frequency",
        "account_number",
    ]
    readonly_fields = fields
    verbose_name_plural = _("establishments (a tourism levy account each on approval)")

    @admin.display(description=_("account number"))
    def account_number(self, obj) -> str:
        return obj.account.number if obj.account_id else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


class RegistrationDyeSiteInline(ReadOnlyInline):
    """The dye-site part (reason "Mark (dye) fuel"): seed 002's criteria of each site, a dye site each on
    approval."""

    model = RegistrationDyeSite
    fields = [
        "position",
        "name",
        "address",
        "storage_litres",
        "security_features",
        "supplied_by_labels",
        "outlet_labels",
        "injector_security",
    ]
    readonly_fields = fields
    verbose_name_plural = _("dye sites (a dye site of the account each on approval)")


class RegistrationContactInline(ReadOnlyInline):
    model = RegistrationContact
    fields = ["position", "name", "title", "phone_display", "email"]
    readonly_fields = fields
    verbose_name_plural = _("contact persons (the first is primary)")


class RegistrationEventInline(ReadOnlyInline):
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
class RegistrationAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    """The review queue of online registrations, oldest first. Approve (opens the accounts, BIN and BFLO
    numbers, makes the registrant an owner, places the approval letter), reject with a reason, or ask for
    more information. Drafts are the registrant's own until sent, so staff do not see them. Read only:
    registrants register in the portal, what they sent is kept as sent, and staff act with the actions."""

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

    def get_inlines(self, request, obj):
        # A tourism levy registration names establishments, a fuel tax one bulk fuel locations.
        if obj is not None and registration_rules.registers_establishments(obj):
            return [RegistrationEstablishmentInline, RegistrationContactInline, RegistrationEventInline]
        if obj is not None and registration_rules.dyes_fuel(obj):
            return [RegistrationLocationInline, RegistrationDyeSiteInline, *self.inlines[1:]]
        return self.inlines

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
        (
            _("Registration reasons"),
            {
                "fields": [
                    "reasons_display",
                    "accounts_to_open",
                    "dye_full_compliance",
                    "dye_monthly_reporting",
                ]
            },
        ),
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

    has_review_permission = requires("programs.review_registration")

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(status=Registration.Status.DRAFT)

    def staff_read_target(self, obj):
        return "", obj.on_behalf_of

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

    @admin.action(
        description=_("Approve (open the accounts; the registrant becomes owner)"), permissions=["review"]
    )
    def approve_registrations(self, request, queryset):
        for registration in queryset:
            try:
                approved = consent_services.registration_approve(
                    registration=registration,
                    by=request.user,
                    actor=actor_from_request(request),
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

    @admin.action(description=_("Reject (with a reason)"), permissions=["review"])
    def reject_registrations(self, request, queryset):
        def apply(data):
            for registration in queryset:
                try:
                    registration_review.registration_reject(
                        registration=registration,
                        by=request.user,
                        reason=data["reason"],
                        actor=actor_from_request(request),
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

    @admin.action(
        description=_("Request more information (message to the registrant)"), permissions=["review"]
    )
    def request_information(self, request, queryset):
        def apply(data):
            for registration in queryset:
                try:
                    registration_review.registration_request_information(
                        registration=registration,
                        by=request.user,
                        message=data["message"],
                        actor=actor_from_request(request),
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

    @admin.action(description=_("Place the approval letter again if it is missing"), permissions=["review"])
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
