"""Django admin of the decisions on Requests for a Waiver of Penalties and Interest (AT4764): the queue, each
request beside the charges it names (and what became of each) and the period balances, and the decision: grant
some or all of the charges, or refuse. What both queues share is assessments/admin_decisions.py."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import error_text, is_confirmed
from assessments import decisions, selectors, selectors_objections
from assessments.admin_decisions import FILED_FIELDS, DecisionAdmin
from assessments.models_objections import WaiverRequest
from tracs.actors import actor_from_request


def _charge_links(charges) -> str:
    """Links to the pages of the ledger transactions `charges` (WaiverCharge rows), or a dash."""
    return (
        format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (
                    reverse("admin:assessments_ledgertransaction_change", args=[c.transaction_id]),
                    c.transaction_id,
                )
                for c in charges
            ),
        )
        or "-"
    )


class WaiverDecisionForm(forms.Form):
    transactions = forms.TypedMultipleChoiceField(
        label=_("Charges to waive"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    reasons = forms.CharField(
        label=_("Reasons for the decision"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Printed on the decision."),
    )

    def __init__(self, *args, waiver: WaiverRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transactions"].choices = [(pk, str(pk)) for pk in waiver.transaction_ids]


@admin.register(WaiverRequest)
class WaiverRequestAdmin(DecisionAdmin):
    change_form_template = "admin/assessments/decisions/waiver_change_form.html"
    decide_permission = "assessments.decide_waiver"
    list_display = [
        "reference_number",
        "account",
        "taxpayer",
        "received_at",
        "amount_requested",
        "status",
        "outcome",
        "amount_waived",
        "overdue",
    ]
    list_filter = [*DecisionAdmin.list_filter, "outcome"]
    fields = [
        "reference_number",
        "account",
        "status",
        "received_at",
        "period_ends",
        "charge_links",
        "amount_requested",
        "grounds",
        "facts",
        *FILED_FIELDS,
        "waived_links",
        "amount_waived",
    ]
    readonly_fields = [*DecisionAdmin.readonly_fields, "charge_links", "waived_links"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("waiver_charges")

    @admin.display(description=_("penalty and interest transactions asked to be waived"))
    def charge_links(self, obj) -> str:
        return _charge_links(obj.waiver_charges.all())

    @admin.display(description=_("transactions waived"))
    def waived_links(self, obj) -> str:
        return _charge_links([charge for charge in obj.waiver_charges.all() if charge.waived])

    def decide_view(self, request: HttpRequest, object_id: str):
        obj = self._object_to_decide(request, object_id)
        form = WaiverDecisionForm(request.POST, waiver=obj)
        if not form.is_valid():
            self.message_user(
                request, error_text(ValidationError(list(form.errors.values()))), messages.ERROR
            )
            return self._back(obj)
        grant = request.POST.get("decision") == "grant"
        if not is_confirmed(request):
            preview = decisions.waiver_decision_preview(
                waiver=obj, grant=grant, transaction_ids=form.cleaned_data["transactions"] if grant else ()
            )
            decision = gettext("grant the waiver") if grant else gettext("refuse the waiver")
            return self._confirm(request, obj, decision=decision, preview=preview)
        return self._decided(
            request,
            obj,
            lambda: decisions.waiver_decide(
                waiver_id=obj.pk,
                grant=grant,
                transaction_ids=form.cleaned_data["transactions"] if grant else (),
                actor=actor_from_request(request),
                reasons=form.cleaned_data["reasons"],
            ),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            charges = selectors_objections.waiver_transactions(waiver=obj)
            for charge in charges:
                charge.reversal = getattr(charge, "reversed_by", None)
            balances = {row.period_end: row.balance for row in selectors.period_balances(account=obj.account)}
            extra.update(
                {
                    "waiver": obj,
                    "charges": charges,
                    "period_balances": [(end, balances.get(end, Decimal(0))) for end in obj.period_ends],
                    "can_decide": not obj.is_decided and self.has_decide_permission(request),
                    "decision_form": WaiverDecisionForm(waiver=obj),
                }
            )
        return super().change_view(request, object_id, form_url, extra)
