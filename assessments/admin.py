"""Staff administration of assessments (Django admin, behind two-factor).

- **Returns to assess** (the assessment queue): the latest version of each period's return, received or in
  review by default. Each row shows what was reported against what the dated rates recompute; a return's page
  shows the return, the recomputation with its differences and reasons, and the period's history (versions,
  earlier assessments and their notices) side by side, with "Assess" and, for an assessed return,
  "Reassess" (a new assessment with a reason; the earlier one kept). "Assess" is also a bulk action. Clean
  returns (no difference) are assessed by the `assess_clean_returns` job without staff.
- **Assessments**, **notices** and the **ledger**: read-only, as they are in the database (no update, no
  delete: a correction is a new transaction, a reassessment a new assessment). Staff download a notice's PDF
  from its page; every opening is written to the access log.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
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
    confirmation_page,
    error_text,
    is_confirmed,
)
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from assessments import computation, selectors
from assessments.models import (
    Assessment,
    AssessmentLine,
    LedgerTransaction,
    Notice,
    NoticeRead,
    Payment,
    ReturnToAssess,
)
from assessments.services import returns
from filings import selectors as filing_selectors
from filings.models import FuelTaxReturn
from programs import money
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin, ReadOnlyInline

Status = FuelTaxReturn.Status


# --- The assessment queue ---------------------------------------------------------------------------------

ASSESS_CONFIRM = _(
    "Check the taxpayer and the amounts. Nothing is assessed, posted or issued until you confirm; each notice "
    "is then issued to the account."
)


class QueueFilter(admin.SimpleListFilter):
    """To assess (received or in review) unless asked otherwise."""

    title = _("queue")
    parameter_name = "queue"
    CHOICES = {
        "to_assess": (_("To assess"), (Status.RECEIVED, Status.IN_REVIEW)),
        "in_review": (_("In review"), (Status.IN_REVIEW,)),
        "assessed": (_("Assessed (to reassess)"), (Status.ASSESSED, Status.REASSESSED)),
        "all": (_("All"), tuple(Status.values)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _statuses) in self.CHOICES.items()]

    def value(self):
        return super().value() or "to_assess"

    def choices(self, changelist):
        for key, label in self.lookup_choices:
            yield {
                "selected": self.value() == key,
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": label,
            }

    def queryset(self, request, queryset):
        statuses = self.CHOICES.get(self.value(), self.CHOICES["to_assess"])[1]
        return queryset.filter(status__in=statuses)


class ReassessForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the reassessment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept with the reassessment and printed on the notice."),
    )


@admin.register(ReturnToAssess)
class ReturnToAssessAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
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
    list_filter = [QueueFilter]
    search_fields = [
        "confirmation_number",
        "account__number",
        "account__taxpayer__legal_name",
        "account__taxpayer__bin",
    ]
    actions = ["assess_selected"]
    list_per_page = 50

    def get_queryset(self, request):
        return selectors.returns_to_assess(statuses=Status.values)

    def has_view_permission(self, request, obj=None):
        return (
            request.user.is_active
            and request.user.is_staff
            and request.user.has_perm("assessments.view_assessment")
        )

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    def _recomputation(self, obj) -> computation.Recomputation | None:
        if not hasattr(obj, "_recomputation"):
            try:
                obj._recomputation = computation.recompute(tax_return=obj)
            except ValidationError:
                obj._recomputation = None
        return obj._recomputation

    @admin.display(description=_("account"), ordering="account__number")
    def account_number(self, obj):
        return obj.account.number

    @admin.display(description=_("taxpayer"), ordering="account__taxpayer__legal_name")
    def taxpayer(self, obj):
        return obj.account.taxpayer.legal_name

    @admin.display(description=_("period"), ordering="period_start")
    def period_label(self, obj):
        return obj.period.key

    @admin.display(description=_("reported"))
    def reported(self, obj):
        return money.format_money(obj.total_tax)

    @admin.display(description=_("recomputed"))
    def recomputed(self, obj):
        result = self._recomputation(obj)
        return money.format_money(result.recomputed_tax) if result else gettext("rate missing")

    @admin.display(description=_("difference"))
    def difference(self, obj):
        result = self._recomputation(obj)
        if result is None or result.difference == 0:
            return "–"
        note = gettext(" (within tolerance)") if result.within_tolerance else ""
        return f"{money.format_signed_money(result.difference)}{note}"

    @admin.display(description=_("clean"), boolean=True)
    def clean(self, obj):
        result = self._recomputation(obj)
        return bool(result and result.is_clean)

    def _may_assess(self, request) -> bool:
        return request.user.has_perm("assessments.add_assessment")

    @admin.action(description=_("Assess the selected returns"))
    def assess_selected(self, request, queryset):
        if not self._may_assess(request):
            raise PermissionDenied

        def apply(_data):
            done, refused = [], []
            for tax_return in queryset:
                try:
                    returns.assessment_make(tax_return=tax_return, actor=actor_from_request(request))
                except ValidationError as error:
                    refused.append(f"{tax_return.confirmation_number}: {error_text(error)}")
                    continue
                done.append(tax_return.confirmation_number)
            if done:
                self.message_user(
                    request,
                    gettext("Assessed (notices being issued): %(numbers)s.") % {"numbers": ", ".join(done)},
                    messages.SUCCESS,
                )
            for message in refused:
                self.message_user(request, message, messages.ERROR)

        return action_confirmed(
            self,
            request,
            queryset,
            action="assess_selected",
            rows=lambda: [self._assessment_row(tax_return, reassess=False) for tax_return in queryset],
            title=gettext("Assess returns"),
            description=ASSESS_CONFIRM,
            submit_label=gettext("Confirm: assess and issue the notices"),
            apply=apply,
            payee_label=gettext("Taxpayer"),
            method_label=gettext("Notice"),
        )

    def _assessment_row(self, tax_return, *, reassess: bool, reason: str = "") -> ConfirmRow:
        """A return on the confirmation page: whose, which notice, the change posted to the ledger."""
        preview = returns.assessment_preview(tax_return=tax_return, reassess=reassess, reason=reason)
        account = tax_return.account
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
            % {
                "number": tax_return.confirmation_number,
                "period": tax_return.period.label,
            },
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
                name="assessments_returntoassess_assess",
            ),
            path(
                "<path:object_id>/reassess/",
                self.admin_site.admin_view(require_POST(self.reassess_view)),
                name="assessments_returntoassess_reassess",
            ),
            *super().get_urls(),
        ]

    def _object_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        if not self._may_assess(request):
            raise PermissionDenied
        return obj

    def _back(self, obj):
        return HttpResponseRedirect(reverse("admin:assessments_returntoassess_change", args=[obj.pk]))

    def _confirm(self, request, obj, *, reassess: bool, reason: str = ""):
        """The confirmation page (None on the confirming POST); a refusal goes back to the return's page."""
        if is_confirmed(request):
            return None
        row = self._assessment_row(obj, reassess=reassess, reason=reason)
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
            cancel_url=reverse("admin:assessments_returntoassess_change", args=[obj.pk]),
            payee_label=gettext("Taxpayer"),
            method_label=gettext("Notice"),
        )

    def assess_view(self, request: HttpRequest, object_id: str):
        obj = self._object_or_404(request, object_id)
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
        obj = self._object_or_404(request, object_id)
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
                recomputation = computation.recompute(tax_return=obj)
            except ValidationError as error:
                recomputation, recomputation_error = None, error_text(error)
            extra.update(
                {
                    "tax_return": obj,
                    "recomputation": recomputation,
                    "recomputation_error": recomputation_error,
                    "versions": filing_selectors.returns_for_period(account=obj.account, period=obj.period),
                    "history": selectors.assessments_for_period(
                        account=obj.account, period_start=obj.period_start
                    ),
                    "can_assess": obj.status in (Status.RECEIVED, Status.IN_REVIEW)
                    and self._may_assess(request),
                    "can_reassess": obj.status in (Status.ASSESSED, Status.REASSESSED)
                    and self._may_assess(request),
                    "reassess_form": ReassessForm(),
                }
            )
        return super().change_view(request, object_id, form_url, extra)


# --- Assessments, notices, the ledger (read-only) ---------------------------------------------------------


class AssessmentLineInline(ReadOnlyInline):
    model = AssessmentLine
    fields = [
        "fuel",
        "category",
        "litres_reported",
        "litres_assessed",
        "rate_value",
        "rate_effective_from",
        "tax_reported",
        "tax_assessed",
        "difference",
        "reason",
    ]
    readonly_fields = fields


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = [
        "__str__",
        "kind",
        "assessed_at",
        "assessed_by",
        "reported_tax",
        "recomputed_tax",
        "tolerance_applied",
        "assessed_tax",
        "change",
        "notice_link",
    ]
    list_filter = ["kind", "tolerance_applied"]
    search_fields = ["account__number", "account__taxpayer__legal_name", "tax_return__confirmation_number"]
    list_select_related = ["account", "assessed_by", "notice"]
    date_hierarchy = "assessed_at"
    inlines = [AssessmentLineInline]
    readonly_fields = [field.name for field in Assessment._meta.fields] + ["notice_link"]

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    @admin.display(description=_("notice"))
    def notice_link(self, obj):
        notice = getattr(obj, "notice", None)
        if notice is None:
            return gettext("being issued")
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:assessments_notice_pdf", args=[notice.pk]), notice.reference
        )


class NoticeReadInline(ReadOnlyInline):
    model = NoticeRead
    fields = ["user", "capacity", "opened_at"]
    readonly_fields = fields


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = ["reference", "kind", "account", "period_end", "issued_on", "size", "pdf_link"]
    list_filter = ["kind"]
    search_fields = ["reference", "account__number", "account__taxpayer__legal_name"]
    list_select_related = ["account"]
    date_hierarchy = "issued_on"
    inlines = [NoticeReadInline]
    readonly_fields = [field.name for field in Notice._meta.fields] + ["pdf_link"]

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:assessments_notice_pdf", args=[obj.pk]), gettext("Download")
        )

    def get_urls(self):
        return [
            path(
                "<int:notice_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="assessments_notice_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request, notice_id: int):
        notice = Notice.objects.select_related("account__taxpayer").filter(pk=notice_id).first()
        if notice is None or not self.has_view_permission(request, notice):
            raise Http404
        access_log_record(
            actor=actor_from_request(request),
            kind=AccessLogEntry.Kind.READ,
            action="notice PDF opened in staff administration",
            account_number=notice.account.number,
            on_behalf_of=notice.account.on_behalf_of,
            capacity="staff",
            detail=notice.reference,
        )
        response = FileResponse(
            default_storage.open(notice.pdf.name, "rb"),
            content_type="application/pdf",
            filename=f"{notice.reference}.pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    """The ledger as it is: nothing here can be changed or deleted (a correction is a new transaction, posted
    by the service that decides it)."""

    list_display = [
        "id",
        "account",
        "period_end",
        "kind",
        "amount",
        "processed_on",
        "effective_on",
        "description",
        "posted_by",
    ]
    list_filter = ["kind"]
    search_fields = ["account__number", "account__taxpayer__legal_name", "source_reference", "description"]
    list_select_related = ["account", "posted_by"]
    date_hierarchy = "processed_on"
    readonly_fields = [field.name for field in LedgerTransaction._meta.fields]

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of


# --- Payments received ------------------------------------------------------------------------------------


class PaymentForm(forms.ModelForm):
    """Record a payment received: checked by the payments service's rules before anything is written."""

    class Meta:
        model = Payment
        fields = ["account", "amount", "received_on", "method", "reference"]

    def clean(self):
        from assessments import payments

        data = super().clean()
        if self.errors:
            return data
        problems = payments.payment_problems(
            account=data.get("account"),
            amount=data.get("amount"),
            received_on=data.get("received_on"),
            reference=data.get("reference", ""),
        )
        if problems:
            raise ValidationError(problems)
        return data


# A payment file checked and shown for confirmation is held this long for the Confirm that imports it.
PAYMENT_FILE_HELD_SECONDS = 60 * 60
PAYMENT_FILE_NOT_HELD = _(
    "The payment file checked is no longer held (an hour passed, or it was imported or cancelled): nothing was "
    "recorded. Choose the file again."
)


class PaymentImportForm(forms.Form):
    file = forms.FileField(label=_("Payment file (CSV)"), help_text=_("See docs/payment-file-format.md"))
    method = forms.ChoiceField(label=_("Method of every payment in the file"), choices=Payment.Method.choices)


@admin.register(Payment)
class PaymentAdmin(StaffReadLoggedAdmin):
    """Payments received: staff record one (add) or import a payment file ("Import a payment file"). A payment
    is never changed or deleted: a mistake is corrected by a reversal of its ledger transaction."""

    form = PaymentForm
    list_display = [
        "reference",
        "account",
        "amount",
        "received_on",
        "method",
        "recorded_by",
        "payment_import",
    ]
    list_filter = ["method"]
    search_fields = ["reference", "account__number", "account__taxpayer__legal_name"]
    list_select_related = ["account", "recorded_by", "payment_import"]
    raw_id_fields = ["account"]
    date_hierarchy = "received_on"
    change_list_template = "assessments/payment_change_list.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [field.name for field in Payment._meta.fields]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    def add_view(self, request, form_url="", extra_context=None):
        """A payment is recorded only from its confirmation page: the first valid POST of the form shows the
        payer, the method and the amount, carrying the fields to the confirming POST (post=yes), which the
        form and the service check again."""
        if request.method == "POST" and not is_confirmed(request) and self.has_add_permission(request):
            form = self.get_form(request)(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data
                account = data["account"]
                return confirm_first(
                    self,
                    request,
                    rows=[
                        ConfirmRow(
                            subject=gettext("Payment %(reference)s received %(day)s")
                            % {"reference": data["reference"], "day": data["received_on"].isoformat()},
                            payee=f"{account.taxpayer.legal_name} ({account.number})",
                            method=Payment.Method(data["method"]).label,
                            amount=data["amount"],
                            outcome=gettext("Recorded and credited to the account's ledger."),
                        )
                    ],
                    title=gettext("Record the payment"),
                    description=gettext(
                        "Check the payer, the method and the amount. Nothing is recorded until you confirm."
                    ),
                    submit_label=gettext("Confirm: record the payment"),
                    cancel_url=reverse("admin:assessments_payment_changelist"),
                    payee_label=gettext("Paid by"),
                )
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        from assessments import payments

        # The form checked everything; a refusal here is a race (the same reference recorded meanwhile).
        payment = payments.payment_record(
            account=obj.account,
            amount=obj.amount,
            received_on=obj.received_on,
            method=obj.method,
            reference=obj.reference,
            actor=actor_from_request(request),
        )
        obj.pk = payment.pk
        obj.recorded_at, obj.recorded_by = payment.recorded_at, payment.recorded_by

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="assessments_payment_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Choose the file and its method -> every row checked; errors listed (nothing recorded), or the
        confirmation page of the payments (payer, method, amount, the total) -> Confirm imports the file as it
        was checked (held in the cache under its SHA-256 for PAYMENT_FILE_HELD_SECONDS, checked again by the
        import) -> Cancel forgets it."""
        from assessments import payments

        if not self.has_add_permission(request):
            raise PermissionDenied
        result = None
        if request.method == "POST" and is_confirmed(request):
            return self._import_confirmed(request)
        if request.method == "POST":
            form = PaymentImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > payments.MAX_FILE_BYTES:
                    form.add_error("file", gettext("The file is too large."))
                else:
                    content = upload.read()
                    rows, errors, skipped = payments.payment_file_read(content)
                    if errors:
                        result = payments.ImportResult(errors=errors, already_recorded=skipped)
                    else:
                        return self._import_confirmation(
                            request,
                            content=content,
                            filename=upload.name,
                            method=form.cleaned_data["method"],
                            rows=rows,
                            skipped=skipped,
                        )
        else:
            form = PaymentImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import a payment file"),
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "assessments/payment_import.html", context)

    def _held_key(self, request, digest: str) -> str:
        return f"payment-file:{request.user.pk}:{digest}"

    def _import_confirmation(self, request, *, content: bytes, filename: str, method: str, rows, skipped):
        digest = hashlib.sha256(content).hexdigest()
        cache.set(self._held_key(request, digest), content, timeout=PAYMENT_FILE_HELD_SECONDS)
        method_label = Payment.Method(method).label
        confirm_rows = [
            ConfirmRow(
                subject=gettext("Line %(line)s: %(reference)s received %(day)s")
                % {"line": row.line, "reference": row.reference, "day": row.received_on.isoformat()},
                payee=f"{row.account.taxpayer.legal_name} ({row.account.number})",
                method=method_label,
                amount=row.amount,
                outcome=gettext("Recorded and credited to the account's ledger."),
            )
            for row in rows
        ] + [
            ConfirmRow(
                subject=reference,
                payee="",
                method=method_label,
                amount=None,
                outcome=gettext("Already recorded: skipped."),
                refused=True,
            )
            for reference in skipped
        ]
        return confirmation_page(
            self,
            request,
            title=gettext("Import the payment file %(name)s") % {"name": filename},
            description=gettext(
                "Every row was checked. Check the payers, the method and the amounts: nothing is recorded until you confirm."
            ),
            rows=confirm_rows,
            submit_label=gettext("Confirm: record the payments"),
            cancel_url=reverse("admin:assessments_payment_changelist"),
            hidden=[("sha256", digest), ("filename", filename), ("method", method)],
            payee_label=gettext("Paid by"),
        )

    def _import_confirmed(self, request):
        from assessments import payments

        back = HttpResponseRedirect(reverse("admin:assessments_payment_import"))
        key = self._held_key(request, request.POST.get("sha256", ""))
        content = cache.get(key)
        method = request.POST.get("method", "")
        if content is None or method not in Payment.Method.values:
            self.message_user(request, PAYMENT_FILE_NOT_HELD, messages.ERROR)
            return back
        result = payments.payment_file_import(
            content=content,
            filename=request.POST.get("filename", ""),
            method=method,
            actor=actor_from_request(request),
        )
        cache.delete(key)
        if not result.ok:
            for error in result.errors:
                self.message_user(request, error, messages.ERROR)
            return back
        self.message_user(
            request,
            gettext("%(recorded)s payment(s) recorded; %(skipped)s already recorded (skipped).")
            % {"recorded": len(result.recorded), "skipped": len(result.already_recorded)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:assessments_payment_changelist"))


# Refunds and the decisions on objections and waiver requests keep their admin in modules of their own.
from assessments import admin_decisions, admin_refunds  # noqa: E402, F401
