"""The refund cycle in Django admin (issue 15, item 8): every run of the cycle (when, by whom, sellers, claims,
refunds, totals, duration), a period's per-seller claims beside the sales behind them, and a rerun of a past
period, which adds nothing already paid (assessments/cycles/services.py). Read only: the rerun is a Celery job
(the cycle is batch work), started by whoever holds `assessments.run_refund_cycle` (the refund approver)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin
from assessments.cycles import services
from assessments.cycles.models import CycleClaim, CycleRun
from programs import money
from tracs.admin import AccountNumberColumn, ReadOnlyAdmin, requires

RUN_PERMISSION = "assessments.run_refund_cycle"
QUEUED = _(
    "The refund cycle for %(period)s was started: it adds only sellers not yet settled, and its run shows in "
    "this list when it finishes."
)


class RerunForm(forms.Form):
    period_start = forms.DateField(
        label=_("First day of the claim period"),
        help_text=_("Claim periods are 14 days; the cycle runs only for a period that has ended."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_period_start(self):
        start = self.cleaned_data["period_start"]
        period = services.claim_period_from_start(
            start
        )  # CycleRefused is a ValidationError: beside the field
        if not period.has_ended(today=timezone.localdate()):
            raise ValidationError(
                services.NOT_ENDED % {"period": period.label, "first_day": period.next().start.isoformat()},
                code="period_not_ended",
            )
        if services.cycle_running(period=period):
            raise ValidationError(services.already_running_message(period), code="running")
        return period


RUN_COLUMNS: tuple[str, ...] = (
    "period",
    "started_at",
    "started_by",
    "status",
    "sellers",
    "claims",
    "refunds",
    "awaiting_approval",
    "total_claimed",
    "total_adjusted",
    "total_refunded",
    "duration_shown",
    "its_claims",
)
RUN_FIELDS: tuple[str, ...] = (*RUN_COLUMNS, "period_start", "period_end", "finished_at", "computed", "error")
CLAIM_COLUMNS: tuple[str, ...] = (
    "account_number",
    "period_start",
    "sales",
    "litres",
    "levy",
    "adjustment",
    "claim_link",
    "claimed",
    "refund_link",
    "status",
    "sales_link",
)

CLAIM_FIELDS: tuple[str, ...] = (
    *CLAIM_COLUMNS,
    "run",
    "period_end",
    "corrections",
    "lines",
    "computed_at",
    "settled_at",
)


@admin.register(CycleRun)
class CycleRunAdmin(ReadOnlyAdmin):
    list_display = RUN_COLUMNS
    list_filter = ["status"]
    list_select_related = ["started_by"]
    date_hierarchy = "period_start"
    readonly_fields = RUN_FIELDS

    has_run_permission = requires(RUN_PERMISSION)

    @admin.display(description=_("claim period"), ordering="period_start")
    def period(self, obj):
        return f"{obj.period_start.isoformat()} to {obj.period_end.isoformat()}"

    @admin.display(description=_("duration"))
    def duration_shown(self, obj):
        if obj.duration is None:
            return "-"
        return f"{obj.duration.total_seconds():.1f} s"

    @admin.display(description=_("claims of the period"))
    def its_claims(self, obj):
        url = (
            reverse("admin:assessments_cycleclaim_changelist")
            + "?"
            + urlencode({"period_start": obj.period_start.isoformat()})
        )
        return format_html('<a href="{}">{}</a>', url, gettext("Sellers' claims"))

    def changelist_view(self, request, extra_context=None):
        extra = {**(extra_context or {}), "can_run": self.has_run_permission(request)}
        return super().changelist_view(request, extra)

    def get_urls(self):
        return [
            path("run/", self.admin_site.admin_view(self.run_view), name="assessments_cyclerun_run"),
            *super().get_urls(),
        ]

    def run_view(self, request):
        """Choose a past claim period -> checked (a period, ended, not running now), the cycle's job queued."""
        from assessments.cycles import tasks

        if not self.has_run_permission(request):
            raise PermissionDenied
        form = RerunForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            period = form.cleaned_data["period_start"]
            tasks.refund_cycle_run.delay(period.start.isoformat(), request.user.pk)
            self.message_user(request, QUEUED % {"period": period.label}, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:assessments_cyclerun_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Run the refund cycle for a past claim period"),
            "form": form,
        }
        return TemplateResponse(
            request, "assessments/cycles/run.html", context, status=400 if form.errors else 200
        )


@admin.register(CycleClaim)
class CycleClaimAdmin(AccountNumberColumn, ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = CLAIM_COLUMNS
    list_filter = ["status", "period_start"]
    search_fields = ["account__number", "account__taxpayer__legal_name", "claim__confirmation_number"]
    list_select_related = ["account", "claim", "refund"]
    readonly_fields = CLAIM_FIELDS

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    @admin.display(description=_("claim"))
    def claim_link(self, obj):
        if obj.claim_id is None:
            return "-"
        url = reverse("admin:filings_claim_change", args=[obj.claim_id])
        return format_html('<a href="{}">{}</a>', url, obj.claim.confirmation_number)

    @admin.display(description=_("claimed"))
    def claimed(self, obj):
        return "-" if obj.claim_id is None else money.format_money(obj.claim.total_refund)

    @admin.display(description=_("refund"))
    def refund_link(self, obj):
        if obj.refund_id is None:
            return "-"
        url = reverse("admin:assessments_refund_change", args=[obj.refund_id])
        label = f"{money.format_money(obj.refund.amount)} ({obj.refund.get_status_display()})"
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("sales behind it"))
    def sales_link(self, obj):
        """The seller's sales accepted in the period (the marked-fuel sales list, filtered)."""
        starts, ends = services.period_bounds_of(obj.period_start)
        query = urlencode(
            {
                "account__id__exact": obj.account_id,
                "created_at__gte": starts.isoformat(),
                "created_at__lt": (ends - timedelta(microseconds=1)).isoformat(),
            }
        )
        url = reverse("admin:filings_sale_changelist") + "?" + query
        return format_html('<a href="{}">{}</a>', url, gettext("%(count)s sale(s)") % {"count": obj.sales})
