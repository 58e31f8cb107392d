"""Staff administration of consents (AT4931, Part 4): the review queue where staff record a signed form,
approve it (the representative is e-mailed a PIN), reject it with a reason, or revoke it."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin, action_with_form, error_text
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from consent import services
from consent.models import PRIVILEGE_CHOICES, Consent
from programs import documents
from programs.models import ProgramAccount
from tracs.actors import actor_from_request
from tracs.admin import requires

ACCOUNT_OF_ANOTHER_TAXPAYER = _("These accounts belong to another taxpayer: %(numbers)s.")
FUTURE_NEEDS_ALL = _(
    "Only a consent for all of the taxpayer's accounts can also cover accounts opened later."
)
CONSENT_NOT_IN_FORCE = _("Only an approved or active consent can be revoked (reject one in review).")


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

    def clean_signed_form(self):
        """A newly uploaded signed form goes through the malware scan every uploaded file does (refused when a
        threat is found, or when the scanner is down and a scan is required); a form already stored was scanned
        when it came."""
        signed_form = self.cleaned_data.get("signed_form")
        if isinstance(signed_form, UploadedFile):
            refusal = documents.scan_refusal(
                name=signed_form.name or "", result=documents.scan_file(signed_form)
            )
            if refusal is not None:
                raise refusal
        return signed_form

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

    has_decide_permission = requires("consent.decide_consent")

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
        return "", obj.taxpayer.on_behalf_of

    def save_model(self, request, obj, form, change):
        obj.save()
        access_log_record(
            actor=actor_from_request(request),
            kind=AccessLogEntry.Kind.CHANGE,
            action="consent (AT4931) changed in review" if change else "consent (AT4931) recorded",
            on_behalf_of=obj.taxpayer.on_behalf_of,
            capacity="staff",
            detail=f"{obj.representative_name} <{obj.representative_email}>"
            + (f": {', '.join(form.changed_data)}" if change else ""),
        )

    @admin.action(description=_("Approve (e-mail the PIN to the representative)"), permissions=["decide"])
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

    @admin.action(description=_("Reject (with a reason)"), permissions=["decide"])
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

    @admin.action(description=_("Revoke (ends the representative's access)"), permissions=["decide"])
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
