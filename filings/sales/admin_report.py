"""The assessor's queue of marked-fuel monthly reports (staff administration): each report read only, with its lines
(the month's figures by location and fuel as filed), staff reads access-logged; its processing moves it on through
the queue's actions: into review and back (as returns and claims), then processed, or returned to the seller with
a reason (filings.sales.report_processing). Only those who hold `filings.process_markedfuelreport` (the assessor)
see the actions. Registered by filings/admin.py, whose filing admin and status actions it shares."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import action_with_form, error_text
from filings.admin import FilingAdmin, LateFilter, OverdueForProcessingFilter, StatusActionsMixin
from filings.sales import report_processing
from filings.sales.models import Fuel, Movement
from filings.sales.models_report import MarkedFuelReport, MarkedFuelReportLine
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyInline, requires


class ReportReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=report_processing.RETURN_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What the seller must correct. Shown on the seller's View Assessment Status and sent to the account as a "
            "message from TRA."
        ),
    )


# The month's figures by location and fuel as filed (a tuple: the inline's fields and read-only fields at once).
LINE_FIELDS: tuple[str, ...] = (
    "location",
    "fuel",
    "opening",
    "acquired",
    "imported",
    "sold",
    "disposed",
    "exported",
    "closing_computed",
    "closing_counted",
)


class MarkedFuelReportLineInline(ReadOnlyInline):
    model = MarkedFuelReportLine
    fields = LINE_FIELDS
    readonly_fields = LINE_FIELDS


@admin.register(MarkedFuelReport)
class MarkedFuelReportAdmin(StatusActionsMixin, FilingAdmin):
    has_assess_permission = requires("filings.process_markedfuelreport")
    actions = ["move_to_in_review", "move_back_to_received", "process_reports", "return_reports"]
    list_display = [
        "confirmation_number",
        "account_link",
        "period_label",
        "version",
        "status",
        "received_at",
        "due_on",
        "sales_count",
        "sales_litres",
        "rejected_open",
    ]
    list_filter = ["status", LateFilter, OverdueForProcessingFilter, "kind"]
    search_fields = [
        "confirmation_number",
        "account__number",
        "account__taxpayer__legal_name",
        "account__taxpayer__bin",
    ]
    list_select_related = ["account__taxpayer"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
    inlines = [MarkedFuelReportLineInline]
    fields = [
        "confirmation_number",
        "account",
        ("period_start", "period_end"),
        ("kind", "version", "amends"),
        "status",
        "return_reason",
        ("received_at", "due_on"),
        ("filed_by", "filed_by_email", "filed_in_capacity"),
        ("certified_name", "certified_capacity"),
        ("sales_count", "sales_litres", "rejected_open"),
        "differences_with_counterparties",
        "explanation",
        ("status_changed_at", "processed_at"),
    ]
    readonly_fields = [
        "confirmation_number",
        "account",
        "period_start",
        "period_end",
        "kind",
        "version",
        "amends",
        "status",
        "return_reason",
        "received_at",
        "due_on",
        "filed_by",
        "filed_by_email",
        "filed_in_capacity",
        "certified_name",
        "certified_capacity",
        "sales_count",
        "sales_litres",
        "rejected_open",
        "differences_with_counterparties",
        "explanation",
        "status_changed_at",
        "processed_at",
    ]

    @admin.display(description=_("Differences with counterparties when filed"))
    def differences_with_counterparties(self, report: MarkedFuelReport) -> str:
        """The copy the report keeps (filings.sales.reconciliation.Difference.as_json), as a table."""
        if not report.reconciliation:
            return gettext("None")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    Movement.Kind(row["direction"]).label,
                    row["counterparty_name"],
                    row["counterparty_number"],
                    Fuel(row["fuel"]).label,
                    row["reported"],
                    row["counterparty_reported"]
                    if row["counterparty_is_seller"]
                    else gettext("not a TRACS seller"),
                    row["difference"] if row["counterparty_is_seller"] else "",
                )
                for row in report.reconciliation
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            gettext("Seller's movement"),
            gettext("Counterparty"),
            gettext("Fuel"),
            gettext("Seller reported"),
            gettext("Counterparty reported"),
            gettext("Difference"),
            rows,
        )

    @admin.display(description=_("period"), ordering="period_start")
    def period_label(self, obj):
        return obj.period.key

    def _decide(self, request, queryset, *, decide: Callable[[MarkedFuelReport], object], done: str) -> None:
        """Each selected report through `decide` (a service of filings.sales.report_processing), one at a time; a
        report whose status does not allow it is left as it was and named with the reason."""
        decided, left = [], []
        for report in queryset.select_related("account__taxpayer", "account__program"):
            try:
                decide(report)
            except ValidationError as error:
                left.append(f"{report.confirmation_number} ({error_text(error)})")
                continue
            decided.append(report.confirmation_number)
        if decided:
            self.message_user(request, done % {"numbers": ", ".join(decided)}, messages.SUCCESS)
        if left:
            self.message_user(
                request,
                gettext("Left as they were: %(numbers)s.") % {"numbers": "; ".join(left)},
                messages.WARNING,
            )

    @admin.action(description=_("Process (in review -> processed)"), permissions=["assess"])
    def process_reports(self, request, queryset):
        actor = actor_from_request(request)
        self._decide(
            request,
            queryset,
            decide=lambda report: report_processing.marked_fuel_report_process(report=report, actor=actor),
            done=gettext("Processed, the filer and the account's viewers e-mailed: %(numbers)s."),
        )

    @admin.action(
        description=_("Return to the seller with a reason (in review -> returned)"), permissions=["assess"]
    )
    def return_reports(self, request, queryset):
        actor = actor_from_request(request)

        def apply(data):
            self._decide(
                request,
                queryset,
                decide=lambda report: report_processing.marked_fuel_report_return(
                    report=report, reason=data["reason"], actor=actor
                ),
                done=gettext(
                    "Returned to the seller, with the reason in a message from TRA; the filer and the account's "
                    "viewers e-mailed: %(numbers)s."
                ),
            )

        return action_with_form(
            self,
            request,
            queryset,
            action="return_reports",
            form_class=ReportReturnForm,
            title=gettext("Return reports to the seller"),
            description=gettext(
                "Only reports in review can be returned. The seller reads the reason in TRACS, corrects the month "
                "and submits an amended report."
            ),
            submit_label=gettext("Return"),
            apply=apply,
        )
