"""Django admin of the decisions on Notices of Objection (AT4762) and Requests for a Waiver of Penalties and
Interest (AT4764): the queues and the staff actions that decide them. What both queues share, and the
objections' queue, are here; the waiver requests' queue is assessments/admin_waivers.py.

The filings are rows of assessments/models_objections.py, registered here beside their decisions
(assessments/decisions/; docs/adr/0008). They are read-only in admin: a filing is what the
taxpayer sent. Each page shows the filing beside what it is about (the notice objected to, the return and every
assessment of its period, the period's ledger; the charges asked to be waived with what became of them) and a
decision form: confirm, vary (the litres to assess and the reason) or vacate; for an objection to a claim's
letter of assessment, the claim's lines as assessed with the claims queue's per-line inputs (litres allowed, or
disallowed, with a reason: assessments.admin.claims.adjustments_from reads them) and the claim's history; grant some or all of the charges,
or refuse. "Start review" moves received filings to "In review" (the taxpayer sees it).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.admin import ConfirmRow, StaffReadLoggedAdmin, confirm_first, error_text, is_confirmed
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from assessments import decisions, objection_filing, selectors, selectors_objections
from assessments.admin.claims import adjustments_from
from assessments.models import ClaimAssessment, LedgerTransaction
from assessments.models_objections import FiledRequest, Objection, SupportingDocument, WaiverRequest
from filings import selectors as filing_selectors
from tracs.actors import actor_from_request
from tracs.admin import requires

# No published service standard for deciding objections or waivers was found: the queue flags a filing still
# undecided this many days after it was received, so staff see what has waited longest.
OVERDUE_AFTER_DAYS = 90
ADJUSTMENT_FORMAT = _(
    "Write one line per adjusted line of the return: the fuel, the category and the litres to assess, for example "
    "“clear_gasoline taxable 90000”."
)


# Who signed, who filed, and the decision: the fields both filings share, in the order staff read them.
FILED_FIELDS = [
    "representative_name",
    "representative_position",
    "representative_address",
    "representative_phone",
    "filed_by_email",
    "capacity",
    "outcome",
    "decided_by",
    "decided_at",
    "decision_reasons",
    "decision_notice_reference",
]


def _change_link(obj, label: str) -> str:
    """A link to `obj`'s page in admin."""
    opts = obj._meta
    return format_html(
        '<a href="{}">{}</a>',
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
        label,
    )


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Undecided after %(days)s days") % {"days": OVERDUE_AFTER_DAYS})]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(status=FiledRequest.Status.DECIDED).filter(
                received_at__lt=timezone.now() - timedelta(days=OVERDUE_AFTER_DAYS)
            )
        return queryset


class SupportingDocumentInline(admin.TabularInline):
    """The documents filed with it, each downloaded through a logged view (the files are not public)."""

    model = SupportingDocument
    fields = ["position", "description", "download", "content_type", "size", "scan_status"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("file"))
    def download(self, obj) -> str:
        parent = obj.objection_id or obj.waiver_request_id
        opts = (Objection if obj.objection_id else WaiverRequest)._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_document", args=[parent, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ObjectionDecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Objection.Outcome.choices)
    reasons = forms.CharField(
        label=_("Reasons for the decision"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Printed on the notice of decision."),
    )
    adjustments = forms.CharField(
        label=_("Litres to assess (vary only)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=ADJUSTMENT_FORMAT,
    )

    def clean_adjustments(self) -> dict[tuple[str, str], str]:
        adjustments = {}
        for line in self.cleaned_data["adjustments"].splitlines():
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 3:
                raise ValidationError(ADJUSTMENT_FORMAT)
            fuel, category, litres = parts
            adjustments[(fuel, category)] = litres.replace(",", "")
        return adjustments


class DecisionAdmin(StaffReadLoggedAdmin):
    """What both queues share: read-only filings, filters, the review action, the decision view."""

    date_hierarchy = "received_at"
    list_filter = ["status", OverdueFilter, "received_at"]
    search_fields = [
        "reference_number",
        "account__number",
        "account__taxpayer__legal_name",
        "account__taxpayer__bin",
    ]
    readonly_fields = ["account"]
    inlines = [SupportingDocumentInline]
    actions = ["review_start"]
    list_per_page = 50
    decide_permission = ""  # the permission that takes a filing into review and decides it

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account__taxpayer", "decided_by")

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    @admin.display(description=_("taxpayer"))
    def taxpayer(self, obj):
        return obj.account.taxpayer.legal_name

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return not obj.is_decided and obj.received_at < timezone.now() - timedelta(days=OVERDUE_AFTER_DAYS)

    def has_decide_permission(self, request, obj=None) -> bool:
        """The review action's permission (`@admin.action(permissions=["decide"])`) and the decision page's."""
        return requires(self.decide_permission)(self, request)

    @admin.action(description=_("Start the review of the selected filings"), permissions=["decide"])
    def review_start(self, request, queryset):
        started = 0
        for filing in queryset.filter(status=FiledRequest.Status.RECEIVED):
            objection_filing.review_start(filing=filing, actor=actor_from_request(request))
            started += 1
        self.message_user(
            request, gettext("%(count)s taken into review.") % {"count": started}, messages.SUCCESS
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(require_POST(self.decide_view)),
                name=f"{self.opts.app_label}_{self.opts.model_name}_decide",
            ),
            path(
                "<path:object_id>/documents/<int:document_id>/",
                self.admin_site.admin_view(self.document_download_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_document",
            ),
            *super().get_urls(),
        ]

    def document_download_view(self, request, object_id, document_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        document = obj.documents.filter(pk=document_id).first()
        if document is None:
            raise Http404
        access_log_record(
            actor=actor_from_request(request),
            kind=AccessLogEntry.Kind.READ,
            action="supporting document downloaded in staff administration",
            account_number=obj.account.number,
            on_behalf_of=obj.account.on_behalf_of,
            capacity="staff",
            detail=f"{obj.reference_number} document {document.position}",
        )
        try:
            handle = document.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
        )

    def _object_to_decide(self, request, object_id):
        """The filing a decision is posted for: 403 without the permission to decide, 404 when there is none."""
        if not self.has_view_permission(request) or not self.has_decide_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj

    def _back(self, obj):
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
        )

    def _confirm(self, request: HttpRequest, obj, *, decision: str, preview: decisions.DecisionPreview):
        """The confirmation page of a decision (None on the confirming POST); a refusal goes back to the page."""
        if preview.refusal:
            self.message_user(request, preview.refusal, messages.ERROR)
            return self._back(obj)
        row = ConfirmRow(
            subject=f"{obj._meta.verbose_name.capitalize()} {obj.reference_number}: {decision}",
            payee=f"{obj.account.taxpayer.legal_name} ({obj.account.number})",
            method=gettext("Notice of decision, to the account"),
            amount=preview.amount,
            outcome=preview.effect,
        )
        return confirm_first(
            self,
            request,
            rows=[row],
            title=gettext("Record the decision"),
            description=gettext(
                "Check the decision, the taxpayer and the amount posted to the ledger. Nothing is decided, posted "
                "or issued until you confirm."
            ),
            submit_label=gettext("Confirm: record the decision and issue the notice"),
            cancel_url=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]),
            payee_label=gettext("Taxpayer"),
            method_label=gettext("Notice"),
        )

    def _decided(self, request: HttpRequest, obj, decide) -> HttpResponseRedirect:
        try:
            decided = decide()
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return self._back(obj)
        self.message_user(
            request,
            gettext("%(reference)s decided: %(outcome)s. The notice of decision %(notice)s is being issued.")
            % {
                "reference": decided.reference_number,
                "outcome": decided.get_outcome_display(),
                "notice": decided.decision_notice_reference,
            },
            messages.SUCCESS,
        )
        return self._back(obj)


@admin.register(Objection)
class ObjectionAdmin(DecisionAdmin):
    change_form_template = "admin/assessments/decisions/objection_change_form.html"
    decide_permission = "assessments.decide_objection"
    list_display = [
        "reference_number",
        "account",
        "taxpayer",
        "received_at",
        "against",
        "notice_reference",
        "amount_in_dispute",
        "status",
        "outcome",
        "overdue",
    ]
    list_filter = [*DecisionAdmin.list_filter, "against", "outcome"]
    fields = [
        "reference_number",
        "account",
        "status",
        "received_at",
        "against",
        "notice_link",
        "letter_kind",
        "dated_on",
        "period_start",
        "period_end",
        "amount_in_dispute",
        "facts",
        "extension_reason",
        *FILED_FIELDS,
        "reassessment_link",
        "claim_reassessment_link",
    ]
    readonly_fields = [
        *DecisionAdmin.readonly_fields,
        "notice_link",
        "reassessment_link",
        "claim_reassessment_link",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("notice")

    @admin.display(description=_("notice objected to"))
    def notice_link(self, obj) -> str:
        if obj.notice is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:assessments_notice_pdf", args=[obj.notice_id]),
            obj.notice.reference,
        )

    @admin.display(description=_("reassessment made"))
    def reassessment_link(self, obj) -> str:
        return _change_link(obj.reassessment, str(obj.reassessment)) if obj.reassessment else "-"

    @admin.display(description=_("claim reassessment made"))
    def claim_reassessment_link(self, obj) -> str:
        claim = obj.claim_reassessment
        return _change_link(claim, str(claim)) if claim else "-"

    def decide_view(self, request: HttpRequest, object_id: str):
        obj = self._object_to_decide(request, object_id)
        form = ObjectionDecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, error_text(ValidationError(list(form.errors.values()))), messages.ERROR
            )
            return self._back(obj)
        data = form.cleaned_data
        claim_assessment = decisions.objected_claim_assessment(objection=obj)
        # An objection to a claim's letter: the per-line decisions of the claims queue's inputs (vary only).
        claim_adjustments = (
            adjustments_from(request.POST, claim=claim_assessment.claim)
            if claim_assessment is not None and data["outcome"] == Objection.Outcome.VARIED
            else None
        )
        if not is_confirmed(request):
            preview = decisions.objection_decision_preview(
                objection=obj,
                outcome=data["outcome"],
                reasons=data["reasons"],
                adjustments=data["adjustments"] or None,
                claim_adjustments=claim_adjustments or None,
            )
            return self._confirm(
                request, obj, decision=Objection.Outcome(data["outcome"]).label, preview=preview
            )
        return self._decided(
            request,
            obj,
            lambda: decisions.objection_decide(
                objection_id=obj.pk,
                outcome=data["outcome"],
                actor=actor_from_request(request),
                reasons=data["reasons"],
                adjustments=data["adjustments"] or None,
                claim_adjustments=claim_adjustments or None,
            ),
        )

    def _claim_context(self, obj) -> dict:
        """An objection to a claim's letter of assessment: the claim, each line beside what the letter objected
        to allowed, and every assessment of the claim (the one objected to marked)."""
        claim_assessment = decisions.objected_claim_assessment(objection=obj)
        if claim_assessment is None:
            return {}
        claim = claim_assessment.claim
        assessed = {line.claim_line_id: line for line in claim_assessment.lines.all()}
        return {
            "claim": claim,
            "claim_assessment": claim_assessment,
            "claim_lines": [(line, assessed.get(line.pk)) for line in claim.lines.all()],
            "claim_history": ClaimAssessment.objects.filter(claim=claim).order_by("sequence"),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            notice = selectors_objections.objected_notice(objection=obj)
            assessment = notice.assessment if notice is not None else None
            extra.update(
                {
                    "objection": obj,
                    "objected_notice": notice,
                    "assessment": assessment,
                    "tax_return": assessment.tax_return if assessment else None,
                    "history": selectors.assessments_for_period(
                        account=obj.account, period_start=assessment.period_start
                    )
                    if assessment
                    else [],
                    "versions": filing_selectors.returns_for_period(
                        account=obj.account, period=assessment.period
                    )
                    if assessment
                    else [],
                    "statement": LedgerTransaction.objects.filter(
                        account=obj.account, period_end=obj.period_end
                    ).order_by("processed_on", "id")
                    if obj.period_end
                    else [],
                    "can_decide": not obj.is_decided and self.has_decide_permission(request),
                    "decision_form": ObjectionDecisionForm(),
                    **self._claim_context(obj),
                }
            )
        return super().change_view(request, object_id, form_url, extra)
