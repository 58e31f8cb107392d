"""The queue of fuel tax returns to assess (assessments/admin/queues.py): the latest version of each period's
return; its page shows the period's history (versions, earlier assessments and their notices)."""

from __future__ import annotations

from django import forms
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
from assessments import computation, selectors
from assessments.admin.queues import FilingToAssessAdmin
from assessments.models import Assessment, ReturnToAssess, TourismLevyReturnToAssess
from assessments.services import returns
from assessments.skeleton import ASSESSABLE, REASSESSABLE, AssessmentPreview
from filings.models import FuelTaxReturn
from programs import money
from tracs.actors import actor_from_request

Status = FuelTaxReturn.Status

ASSESS_CONFIRM = _(
    "Check the taxpayer and the amounts. Nothing is assessed, posted or issued until you confirm; each notice "
    "is then issued to the account."
)


class ReassessForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the reassessment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept with the reassessment and printed on the notice."),
    )


@admin.register(ReturnToAssess)
class ReturnToAssessAdmin(FilingToAssessAdmin):
    change_form_template = "admin/assessments/returntoassess/change_form.html"
    list_display = [
        "confirmation_number",
        "account_number",
        "taxpayer",
        "period_label",
        "version",
        "status",
        "received_at",
        "reported",
        "recomputed",
        "difference",
        "clean",
    ]
    search_fields = [
        "confirmation_number",
        "account__number",
        "account__taxpayer__legal_name",
        "account__taxpayer__bin",
    ]
    assess_permission = "assessments.assess_return"
    confirm_description = ASSESS_CONFIRM
    bulk_title = _("Assess returns")
    bulk_submit_label = _("Confirm: assess and issue the notices")
    bulk_done = _("Assessed (notices being issued): %(numbers)s.")
    method_label = _("Notice")

    # The program's returns this queue assesses (assessments/services/returns.py), and how its page shows one.
    definition = returns.RETURNS
    return_panel_template = "admin/assessments/returntoassess/return_panel.html"
    recomputation_panel_template = "admin/assessments/returntoassess/recomputation_panel.html"

    def queue(self):
        return selectors.returns_to_assess(statuses=Status.values, queue=self.model)

    def _recompute(self, obj):
        return self.definition.recompute(obj, adjustments=None, reason="")

    def recompute(self, obj) -> computation.Recomputation | None:
        try:
            return self._recompute(obj)
        except ValidationError:
            return None

    @admin.display(description=_("period"), ordering="period_start")
    def period_label(self, obj):
        return obj.period.key

    @admin.display(description=_("reported"))
    def reported(self, obj):
        return money.format_money(obj.total_tax)

    @admin.action(description=_("Assess the selected returns"), permissions=["assess"])
    def assess_selected(self, request, queryset):
        return self._assess_selected(request, queryset)

    def assess_one(self, request, obj) -> None:
        returns.assessment_make(tax_return=obj, actor=actor_from_request(request))

    def bulk_preview(self, obj) -> AssessmentPreview:
        return returns.assessment_preview(tax_return=obj)

    def assessment_row(self, obj, preview: AssessmentPreview) -> ConfirmRow:
        """A return on the confirmation page: whose, which notice, the change posted to the ledger."""
        account = obj.account
        if preview.refusal:
            outcome = preview.refusal
        else:
            outcome = gettext("Tax assessed %(tax)s; %(change)s posted to the ledger.") % {
                "tax": money.format_signed_money(preview.assessed),
                "change": money.format_signed_money(preview.change),
            }
            if preview.rule_postings:
                outcome += " " + gettext("A late-filing penalty of %(penalty)s is posted with it.") % {
                    "penalty": money.format_money(preview.rule_postings)
                }
        return ConfirmRow(
            subject=gettext("Return %(number)s, %(period)s")
            % {"number": obj.confirmation_number, "period": obj.period.label},
            payee=f"{account.taxpayer.legal_name} ({account.number})",
            method=gettext("Notice of reassessment")
            if preview.kind == Assessment.Kind.REASSESSMENT
            else gettext("Notice of assessment"),
            amount=None if preview.refusal else preview.change + preview.rule_postings,
            outcome=outcome,
            refused=bool(preview.refusal),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/assess/",
                self.admin_site.admin_view(require_POST(self.assess_view)),
                name=f"assessments_{self.model._meta.model_name}_assess",
            ),
            path(
                "<path:object_id>/reassess/",
                self.admin_site.admin_view(require_POST(self.reassess_view)),
                name=f"assessments_{self.model._meta.model_name}_reassess",
            ),
            *super().get_urls(),
        ]

    def _confirm(self, request, obj, *, reassess: bool, reason: str = ""):
        """The confirmation page (None on the confirming POST); a refusal goes back to the return's page."""
        if is_confirmed(request):
            return None
        row = self.assessment_row(
            obj, returns.assessment_preview(tax_return=obj, reassess=reassess, reason=reason)
        )
        if row.refused:
            self.message_user(request, row.outcome, messages.ERROR)
            return self._back(obj)
        return confirm_first(
            self,
            request,
            rows=[row],
            title=gettext("Reassess the return") if reassess else gettext("Assess the return"),
            description=ASSESS_CONFIRM,
            submit_label=gettext("Confirm: reassess and issue the notice")
            if reassess
            else gettext("Confirm: assess and issue the notice"),
            cancel_url=self._change_url(obj),
            payee_label=gettext("Taxpayer"),
            method_label=gettext("Notice"),
        )

    def assess_view(self, request: HttpRequest, object_id: str):
        obj = self._object_to_assess(request, object_id)
        page = self._confirm(request, obj, reassess=False)
        if page is not None:
            return page
        try:
            assessment = returns.assessment_make(
                tax_return=obj, actor=actor_from_request(request), reason=request.POST.get("reason", "")
            )
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return self._back(obj)
        self.message_user(
            request,
            gettext("%(kind)s of %(number)s: tax assessed %(tax)s; the notice is being issued.")
            % {
                "kind": assessment.get_kind_display(),
                "number": obj.confirmation_number,
                "tax": money.format_money(assessment.assessed_tax),
            },
            messages.SUCCESS,
        )
        return self._back(obj)

    def reassess_view(self, request: HttpRequest, object_id: str):
        obj = self._object_to_assess(request, object_id)
        form = ReassessForm(request.POST)
        if not form.is_valid():
            self.message_user(request, returns.REASON_REQUIRED, messages.ERROR)
            return self._back(obj)
        page = self._confirm(request, obj, reassess=True, reason=form.cleaned_data["reason"])
        if page is not None:
            return page
        try:
            assessment = returns.reassessment_make(
                tax_return=obj, actor=actor_from_request(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return self._back(obj)
        self.message_user(
            request,
            gettext(
                "Reassessment of %(number)s: tax assessed %(tax)s (change %(change)s); the notice is being issued."
            )
            % {
                "number": obj.confirmation_number,
                "tax": money.format_money(assessment.assessed_tax),
                "change": money.format_signed_money(assessment.change),
            },
            messages.SUCCESS,
        )
        return self._back(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            recomputation_error = ""
            try:
                recomputation = self._recompute(obj)
            except ValidationError as error:
                recomputation, recomputation_error = None, error_text(error)
            may_assess = self.has_assess_permission(request)
            extra.update(
                {
                    "tax_return": obj,
                    "recomputation": recomputation,
                    "recomputation_error": recomputation_error,
                    "versions": obj._meta.concrete_model.objects.filter(
                        account=obj.account, period_start=obj.period_start
                    ).order_by("version"),
                    "return_panel_template": self.return_panel_template,
                    "recomputation_panel_template": self.recomputation_panel_template,
                    "assess_url": f"admin:assessments_{self.model._meta.model_name}_assess",
                    "reassess_url": f"admin:assessments_{self.model._meta.model_name}_reassess",
                    "history": selectors.assessments_for_period(
                        account=obj.account, period_start=obj.period_start
                    ),
                    "can_assess": obj.status in ASSESSABLE and may_assess,
                    "can_reassess": obj.status in REASSESSABLE and may_assess,
                    "reassess_form": ReassessForm(),
                }
            )
        return super().change_view(request, object_id, form_url, extra)


@admin.register(TourismLevyReturnToAssess)
class TourismLevyReturnToAssessAdmin(ReturnToAssessAdmin):
    """The tourism levy returns' queue: the fuel tax returns' pages and actions, its definition and panels."""

    definition = returns.TOURISM_LEVY_RETURNS
    return_panel_template = "admin/assessments/returntoassess/tourism_levy_return_panel.html"
    recomputation_panel_template = "admin/assessments/returntoassess/tourism_levy_recomputation_panel.html"
    bulk_title = _("Assess tourism levy returns")
