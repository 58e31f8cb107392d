"""The queue of refund claims to assess (assessments/admin/queues.py): "Assess" takes litres allowed or a
disallowance per line, each with a reason (`adjustments_from`, also read by the objection decisions); a claim's
page shows its history (earlier assessments, their letters, its refunds)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.admin import (
    ConfirmRow,
    confirm_first,
    error_text,
    is_confirmed,
)
from assessments import claims
from assessments.admin.queues import FilingToAssessAdmin, QueueFilter
from assessments.models import ClaimAssessment, ClaimToAssess, Notice, Refund
from assessments.skeleton import ASSESSABLE, REASSESSABLE, AssessmentPreview
from filings.models import FuelTaxReturn
from programs import money
from tracs.actors import actor_from_request

Status = FuelTaxReturn.Status

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
class ClaimToAssessAdmin(FilingToAssessAdmin):
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
    assess_permission = "assessments.assess_claim"
    confirm_description = CLAIM_ASSESS_CONFIRM
    bulk_title = _("Assess claims")
    bulk_submit_label = _("Confirm: assess the claims")
    bulk_done = _("Assessed: %(numbers)s.")

    def queue(self):
        return claims.claims_to_assess(statuses=Status.values)

    def recompute(self, obj) -> claims.ClaimRecomputation:
        return claims.claim_recompute(claim=obj)

    @admin.display(description=_("claimed"))
    def claimed(self, obj):
        return money.format_money(obj.total_refund)

    @admin.action(description=_("Assess the selected claims (as filed)"), permissions=["assess"])
    def assess_selected(self, request, queryset):
        return self._assess_selected(request, queryset)

    def assess_one(self, request, obj) -> None:
        claims.claim_assessment_make(claim=obj, actor=actor_from_request(request))

    def bulk_preview(self, obj) -> AssessmentPreview:
        return claims.claim_assessment_preview(claim=obj)

    def assessment_row(self, obj, preview: AssessmentPreview) -> ConfirmRow:
        """A claim on the confirmation page: whose, how its refund is paid, the change posted to the ledger."""
        account = obj.account
        reassessment = preview.kind == ClaimAssessment.Kind.REASSESSMENT
        return ConfirmRow(
            subject=gettext("Claim %(number)s") % {"number": obj.confirmation_number},
            payee=f"{account.taxpayer.legal_name} ({account.number})",
            method=gettext("Refund by %(method)s") % {"method": obj.get_refund_method_display()},
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
        claim = self._object_to_assess(request, object_id)
        reason = request.POST.get("reason", "")
        back = self._back(claim)
        reassess = claim.status in REASSESSABLE
        if not is_confirmed(request):
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
                rows=[self.assessment_row(claim, preview)],
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
            make = claims.claim_reassessment_make if reassess else claims.claim_assessment_make
            made = make(
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
        return self._back(claim)

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
            may_assess = self.has_assess_permission(request)
            extra.update(
                {
                    "claim": obj,
                    "recomputation": self._recomputation(obj),
                    "history": history,
                    "refunds": Refund.objects.filter(claim_assessment__claim=obj).order_by("-id"),
                    "can_assess": obj.status in ASSESSABLE and may_assess,
                    "can_reassess": obj.status in REASSESSABLE and may_assess,
                }
            )
        return super().change_view(request, object_id, form_url, extra)
