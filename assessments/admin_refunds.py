"""Django admin of claims and refunds: the claims to assess (a queue like the returns'), the claim assessments,
the refunds to approve (four eyes above the configured amount) and cancel, and the payment files (direct deposit
batches, cheque registers) staff download.

- **Claims to assess**: received or in review by default. A claim's page shows the claim as filed, each line
  recomputed (the refund per litre in force on its date of purchase, its window) with the differences and
  reasons, and the claim's history (earlier assessments, their letters, its refunds) side by side; "Assess"
  (with litres allowed or a disallowance per line, each with a reason) and, for an assessed claim, "Reassess"
  (a reason required). "Assess" is also a bulk action (as filed). Clean claims are assessed by the
  `assess_clean_claims` job without staff.
- **Refunds**: approve (bulk action: a second approval by someone else where the amount needs it) and cancel
  (with a reason). Nothing else is editable: every write goes through assessments.refunds.
- **Refund payment files**: read-only; a closed file downloads (decrypted on the fly), each download written
  to the access log.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.admin import (
    ConfirmRow,
    StaffReadLoggedAdmin,
    action_confirmed,
    confirm_first,
    error_text,
    is_confirmed,
)
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from assessments import claims, refund_files, refunds
from assessments.admin import QueueFilter
from assessments.models import (
    ClaimAssessment,
    ClaimAssessmentLine,
    ClaimToAssess,
    Notice,
    Refund,
    RefundPaymentFile,
)
from assessments.skeleton import AssessmentPreview
from programs import money
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin, ReadOnlyInline

Status = ClaimToAssess.Status


# --- The claim assessment queue -----------------------------------------------------------------------------

CLAIM_ASSESS_CONFIRM = _(
    "Check the taxpayer, how the refund is paid and the amounts. Nothing is assessed or posted until you "
    "confirm; the letter of assessment is then issued and a refund prepared for a credit."
)


def adjustments_from(post, *, claim) -> dict[int, claims.LineAdjustment]:
    """The per-line decisions posted by the claim's page: `litres_<line id>` (other litres allowed, blank: as
    claimed), `disallow_<line id>` and `reason_<line id>`."""
    found = {}
    for line in claim.lines.all():
        litres = post.get(f"litres_{line.pk}", "").strip()
        disallow = post.get(f"disallow_{line.pk}") == "on"
        if litres or disallow:
            found[line.pk] = claims.LineAdjustment(
                litres=litres or None, disallow=disallow, reason=post.get(f"reason_{line.pk}", "")
            )
    return found


@admin.register(ClaimToAssess)
class ClaimToAssessAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    change_form_template = "admin/assessments/claimtoassess/change_form.html"
    list_display = [
        "confirmation_number",
        "account_number",
        "taxpayer",
        "kind",
        "status",
        "received_at",
        "claimed",
        "recomputed",
        "difference",
        "clean",
    ]
    list_filter = [QueueFilter, "kind"]
    search_fields = ["confirmation_number", "account__number", "account__taxpayer__legal_name"]
    actions = ["assess_selected"]
    list_per_page = 50

    def get_queryset(self, request):
        return claims.claims_to_assess(statuses=Status.values)

    def has_view_permission(self, request, obj=None):
        return (
            request.user.is_active
            and request.user.is_staff
            and request.user.has_perm("assessments.view_claimassessment")
        )

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    def _recomputation(self, obj) -> claims.ClaimRecomputation:
        if not hasattr(obj, "_recomputation"):
            obj._recomputation = claims.claim_recompute(claim=obj)
        return obj._recomputation

    @admin.display(description=_("account"), ordering="account__number")
    def account_number(self, obj):
        return obj.account.number

    @admin.display(description=_("taxpayer"), ordering="account__taxpayer__legal_name")
    def taxpayer(self, obj):
        return obj.account.taxpayer.legal_name

    @admin.display(description=_("claimed"))
    def claimed(self, obj):
        return money.format_money(obj.total_refund)

    @admin.display(description=_("recomputed"))
    def recomputed(self, obj):
        return money.format_money(self._recomputation(obj).recomputed)

    @admin.display(description=_("difference"))
    def difference(self, obj):
        result = self._recomputation(obj)
        if result.difference == 0:
            return "–"
        note = gettext(" (within tolerance)") if result.within_tolerance else ""
        return f"{money.format_signed_money(result.difference)}{note}"

    @admin.display(description=_("clean"), boolean=True)
    def clean(self, obj):
        return self._recomputation(obj).is_clean

    def _may_assess(self, request) -> bool:
        return request.user.has_perm("assessments.add_claimassessment")

    @admin.action(description=_("Assess the selected claims (as filed)"))
    def assess_selected(self, request, queryset):
        if not self._may_assess(request):
            raise PermissionDenied

        def apply(_data):
            done = []
            for claim in queryset:
                try:
                    claims.claim_assessment_make(claim=claim, actor=actor_from_request(request))
                except ValidationError as error:
                    self.message_user(
                        request, f"{claim.confirmation_number}: {error_text(error)}", messages.ERROR
                    )
                    continue
                done.append(claim.confirmation_number)
            if done:
                self.message_user(
                    request,
                    gettext("Assessed: %(numbers)s.") % {"numbers": ", ".join(done)},
                    messages.SUCCESS,
                )

        return action_confirmed(
            self,
            request,
            queryset,
            action="assess_selected",
            rows=lambda: [
                self._assessment_row(claim, claims.claim_assessment_preview(claim=claim))
                for claim in queryset
            ],
            title=gettext("Assess claims"),
            description=CLAIM_ASSESS_CONFIRM,
            submit_label=gettext("Confirm: assess the claims"),
            apply=apply,
            payee_label=gettext("Taxpayer"),
        )

    @staticmethod
    def _assessment_row(claim, preview: AssessmentPreview) -> ConfirmRow:
        """A claim on the confirmation page: whose, how its refund is paid, the change posted to the ledger."""
        account = claim.account
        reassessment = preview.kind == ClaimAssessment.Kind.REASSESSMENT
        return ConfirmRow(
            subject=gettext("Claim %(number)s") % {"number": claim.confirmation_number},
            payee=f"{account.taxpayer.legal_name} ({account.number})",
            method=gettext("Refund by %(method)s") % {"method": claim.get_refund_method_display()},
            amount=None if preview.refusal else preview.change,
            outcome=preview.refusal
            or (
                gettext("Reassessed: refund allowed %(allowed)s; %(change)s posted to the ledger.")
                if reassessment
                else gettext(
                    "Assessed: refund allowed %(allowed)s; %(change)s posted to the ledger; a credit is refunded once approved."
                )
            )
            % {
                "allowed": money.format_money(preview.assessed),
                "change": money.format_signed_money(-preview.change),
            },
            refused=bool(preview.refusal),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/assess/",
                self.admin_site.admin_view(require_POST(self.assess_view)),
                name="assessments_claimtoassess_assess",
            ),
            *super().get_urls(),
        ]

    def assess_view(self, request: HttpRequest, object_id: str):
        """Assess (or, for an assessed claim, reassess) with the per-line decisions of the claim's page."""
        claim = self.get_object(request, unquote(object_id))
        if claim is None or not self.has_view_permission(request, claim):
            raise Http404
        if not self._may_assess(request):
            raise PermissionDenied
        reason = request.POST.get("reason", "")
        back = HttpResponseRedirect(reverse("admin:assessments_claimtoassess_change", args=[claim.pk]))
        if not is_confirmed(request):
            reassess = claim.status in (Status.ASSESSED, Status.REASSESSED)
            preview = claims.claim_assessment_preview(
                claim=claim,
                reassess=reassess,
                adjustments=adjustments_from(request.POST, claim=claim),
                reason=reason,
            )
            if preview.refusal:
                self.message_user(request, preview.refusal, messages.ERROR)
                return back
            return confirm_first(
                self,
                request,
                rows=[self._assessment_row(claim, preview)],
                title=gettext("Reassess the claim") if reassess else gettext("Assess the claim"),
                description=CLAIM_ASSESS_CONFIRM,
                submit_label=gettext("Confirm: reassess the claim")
                if reassess
                else gettext("Confirm: assess the claim"),
                cancel_url=back["Location"],
                payee_label=gettext("Taxpayer"),
            )
        try:
            adjustments = adjustments_from(request.POST, claim=claim)
            if claim.status in (Status.ASSESSED, Status.REASSESSED):
                made = claims.claim_reassessment_make(
                    claim=claim, actor=actor_from_request(request), reason=reason, adjustments=adjustments
                )
            else:
                made = claims.claim_assessment_make(
                    claim=claim, actor=actor_from_request(request), reason=reason, adjustments=adjustments
                )
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("%(kind)s of %(number)s: refund allowed %(allowed)s (change %(change)s).")
                % {
                    "kind": made.get_kind_display(),
                    "number": claim.confirmation_number,
                    "allowed": money.format_money(made.allowed),
                    "change": money.format_signed_money(made.change),
                },
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:assessments_claimtoassess_change", args=[claim.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            history = list(
                ClaimAssessment.objects.filter(claim=obj).select_related("assessed_by").order_by("-sequence")
            )
            letters = {
                notice.source_reference: notice
                for notice in Notice.objects.filter(
                    source_reference__startswith="claim_assessment:", account=obj.account
                )
            }
            for assessment in history:
                assessment.letter = letters.get(claims.claim_source(assessment))
            may_assess = self._may_assess(request)
            extra.update(
                {
                    "claim": obj,
                    "recomputation": self._recomputation(obj),
                    "history": history,
                    "refunds": Refund.objects.filter(claim_assessment__claim=obj).order_by("-id"),
                    "can_assess": obj.status in (Status.RECEIVED, Status.IN_REVIEW) and may_assess,
                    "can_reassess": obj.status in (Status.ASSESSED, Status.REASSESSED) and may_assess,
                }
            )
        return super().change_view(request, object_id, form_url, extra)


class ClaimAssessmentLineInline(ReadOnlyInline):
    model = ClaimAssessmentLine
    fields = [
        "fuel",
        "purchase_date",
        "litres_claimed",
        "litres_allowed",
        "rate_claimed",
        "rate_value",
        "rate_effective_from",
        "refund_claimed",
        "refund_allowed",
        "difference",
        "disallowed",
        "reason",
    ]
    readonly_fields = fields


@admin.register(ClaimAssessment)
class ClaimAssessmentAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = [
        "__str__",
        "kind",
        "assessed_at",
        "assessed_by",
        "claimed",
        "recomputed",
        "allowed",
        "change",
    ]
    list_filter = ["kind", "tolerance_applied"]
    search_fields = ["account__number", "account__taxpayer__legal_name", "claim__confirmation_number"]
    list_select_related = ["account", "claim", "assessed_by"]
    inlines = [ClaimAssessmentLineInline]
    readonly_fields = [field.name for field in ClaimAssessment._meta.fields]

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of


# --- Refunds -----------------------------------------------------------------------------------------------


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = [
        "id",
        "account",
        "amount",
        "method",
        "payee",
        "status",
        "needs_second_approval",
        "first_approved_by",
        "second_approved_by",
        "issued_at",
        "payment_file",
    ]
    list_filter = ["status", "method", "needs_second_approval"]
    search_fields = [
        "account__number",
        "account__taxpayer__legal_name",
        "claim_assessment__claim__confirmation_number",
    ]
    list_select_related = ["account", "first_approved_by", "second_approved_by", "payment_file"]
    actions = ["approve_selected", "cancel_selected"]
    exclude = ["bank_account_encrypted"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Refund._meta.fields if field.name != "bank_account_encrypted"] + [
            "payee"
        ]

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    @admin.display(description=_("paid to"))
    def payee(self, obj):
        return f"{obj.payee_name}: {obj.payee_masked}"

    def _may_decide(self, request) -> bool:
        return request.user.has_perm("assessments.change_refund")

    @admin.action(description=_("Approve the selected refunds"))
    def approve_selected(self, request, queryset):
        if not self._may_decide(request):
            raise PermissionDenied
        selected = queryset.select_related("account__taxpayer").order_by("id")

        def rows():
            return [
                self._row(
                    refund,
                    refunds.refund_approve_refusal(refund=refund, by=request.user),
                    self._approval_step(refund),
                )
                for refund in selected
            ]

        def apply(_data):
            for refund in selected:
                try:
                    approved = refunds.refund_approve(refund=refund, actor=actor_from_request(request))
                except ValidationError as error:
                    self.message_user(request, error_text(error), messages.ERROR)
                    continue
                if approved.status == Refund.Status.APPROVED:
                    message = gettext(
                        "Refund %(id)s approved: it is issued by the next run of the refund job."
                    )
                else:
                    message = gettext(
                        "Refund %(id)s: first approval recorded; another member of staff must approve it."
                    )
                self.message_user(request, message % {"id": refund.pk}, messages.SUCCESS)

        return action_confirmed(
            self,
            request,
            queryset,
            action="approve_selected",
            rows=rows,
            title=gettext("Approve refunds"),
            description=gettext(
                "Check the payee, the method and the amount of each refund. Nothing is approved until you confirm."
            ),
            submit_label=gettext("Confirm: approve the refunds"),
            apply=apply,
        )

    @admin.action(description=_("Cancel the selected refunds (with a reason)"))
    def cancel_selected(self, request, queryset):
        if not self._may_decide(request):
            raise PermissionDenied
        selected = queryset.select_related("account__taxpayer").order_by("id")

        def rows():
            outcome = gettext("Cancelled: the credit stays on the account.")
            return [
                self._row(refund, refunds.refund_cancel_refusal(refund=refund, by=request.user), outcome)
                for refund in selected
            ]

        def apply(data):
            for refund in selected:
                try:
                    refunds.refund_cancel(
                        refund=refund, actor=actor_from_request(request), reason=data["reason"]
                    )
                except ValidationError as error:
                    self.message_user(request, error_text(error), messages.ERROR)
                    continue
                self.message_user(
                    request, gettext("Refund %(id)s cancelled.") % {"id": refund.pk}, messages.SUCCESS
                )

        return action_confirmed(
            self,
            request,
            queryset,
            action="cancel_selected",
            rows=rows,
            form_class=CancelForm,
            title=gettext("Cancel refunds"),
            description=gettext("The credit stays on the account. The reason is kept with each refund."),
            submit_label=gettext("Confirm: cancel the refunds"),
            apply=apply,
        )

    @staticmethod
    def _approval_step(refund: Refund) -> str:
        if refund.needs_second_approval and refund.first_approved_by_id is None:
            return gettext("First approval: another member of staff must approve it too.")
        return gettext("Approved: issued by the next run of the refund job.")

    @staticmethod
    def _row(refund: Refund, refusal: ValidationError | None, outcome: str) -> ConfirmRow:
        return ConfirmRow(
            subject=gettext("Refund %(id)s (account %(number)s)")
            % {"id": refund.pk, "number": refund.account.number},
            payee=refund.payee_name,
            method=refund_method(refund),
            amount=refund.amount,
            outcome=error_text(refusal) if refusal is not None else outcome,
            refused=refusal is not None,
        )


def refund_method(refund: Refund) -> str:
    """How the money goes, as staff check it before approving: the bank (never the whole account number) or
    the address the cheque is mailed to."""
    if refund.method == Refund.Method.DIRECT_DEPOSIT:
        return gettext(
            "Direct deposit: institution %(institution)s, transit %(transit)s, account ending in %(last4)s"
        ) % {
            "institution": refund.institution_number,
            "transit": refund.transit_number,
            "last4": refund.bank_account_last4,
        }
    address = ", ".join(
        part
        for part in (
            refund.address_line1,
            refund.address_line2,
            f"{refund.address_city} {refund.address_province} {refund.address_postal_code}".strip(),
            refund.address_country if refund.address_country not in ("", "CA") else "",
        )
        if part
    )
    return gettext("Cheque mailed to %(address)s") % {"address": address}


@admin.register(RefundPaymentFile)
class RefundPaymentFileAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = ["reference", "kind", "opened_at", "closed_at", "count", "total", "download"]
    list_filter = ["kind"]
    exclude = ["content_encrypted"]
    readonly_fields = ["kind", "opened_at", "closed_at", "count", "total", "sha256", "download"]

    @admin.display(description=_("file"))
    def download(self, obj):
        if obj.closed_at is None:
            return gettext("open (the refund job is filling it)")
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:assessments_refundpaymentfile_download", args=[obj.pk]),
            gettext("Download"),
        )

    def get_urls(self):
        return [
            path(
                "<int:file_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="assessments_refundpaymentfile_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, file_id: int):
        payment_file = RefundPaymentFile.objects.filter(pk=file_id, closed_at__isnull=False).first()
        if payment_file is None or not self.has_view_permission(request, payment_file):
            raise Http404
        access_log_record(
            actor=actor_from_request(request),
            kind=AccessLogEntry.Kind.READ,
            action="refund payment file downloaded in staff administration",
            capacity="staff",
            detail=f"{payment_file.reference}: {payment_file.count} refund(s), {money.format_money(payment_file.total)}",
        )
        response = HttpResponse(
            refund_files.payment_file_content(payment_file), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{refund_files.payment_file_filename(payment_file)}"'
        )
        response["Cache-Control"] = "private, no-store"
        return response
