"""Payments received, in Django admin: staff record one (add) or import a payment file ("Import a payment
file"), each through a confirmation page first (assessments/payments.py checks and records)."""

from __future__ import annotations

import hashlib

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import (
    ConfirmRow,
    StaffReadLoggedAdmin,
    confirm_first,
    confirmation_page,
    is_confirmed,
)
from assessments.models import (
    Payment,
)
from tracs.actors import actor_from_request


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
