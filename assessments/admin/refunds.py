"""Refunds and their payment files in Django admin.

- **Refunds**: approve (bulk action: a second approval by another refund approver where the amount needs it)
  and cancel (with a reason). Nothing else is editable: every write goes through assessments.refunds.
- **Refund payment files**: read-only; a closed file downloads (decrypted on the fly) for those who send it to
  the bank (`assessments.download_refundpaymentfile`), each download written to the access log.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import (
    ConfirmRow,
    StaffReadLoggedAdmin,
    action_confirmed,
    error_text,
)
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from assessments import refund_files, refunds
from assessments.models import (
    Refund,
    RefundPaymentFile,
)
from programs import money
from tracs.actors import actor_from_request
from tracs.admin import AccountNumberColumn, ReadOnlyAdmin, requires


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


@admin.register(Refund)
class RefundAdmin(AccountNumberColumn, ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = [
        "id",
        "account_number",
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

    has_approve_permission = requires("assessments.approve_refund")
    has_cancel_permission = requires("assessments.cancel_refund")

    @admin.action(description=_("Approve the selected refunds"), permissions=["approve"])
    def approve_selected(self, request, queryset):
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
                        "Refund %(id)s: first approval recorded; another refund approver must approve it."
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

    @admin.action(description=_("Cancel the selected refunds (with a reason)"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
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
            return gettext("First approval: another refund approver must approve it too.")
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

    # The file holds the payees' whole bank account numbers: viewing the list is not enough to download it.
    has_download_permission = requires("assessments.download_refundpaymentfile")

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return (
            shown if self.has_download_permission(request) else [name for name in shown if name != "download"]
        )

    def get_fields(self, request, obj=None):
        shown = super().get_fields(request, obj)
        return (
            shown if self.has_download_permission(request) else [name for name in shown if name != "download"]
        )

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
        if not self.has_download_permission(request):
            raise PermissionDenied
        payment_file = RefundPaymentFile.objects.filter(pk=file_id, closed_at__isnull=False).first()
        if payment_file is None:
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
