"""Request a Waiver of Penalties and Interest (AT4764): each request's page and documents, and its wizard, built
from the steps it shares with the Notice of Objection wizard (assessments/views_objections.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from assessments import objections, selectors_objections
from assessments.forms_objections import WaiverChargesForm
from assessments.models import LedgerTransaction
from assessments.models_objections import WaiverRequest
from assessments.views_objections import (
    FILE,
    Wizard,
    document_download,
    documents_step,
    filing_page,
    representative_step,
    review_step,
    statement_step,
    wizard_cancel,
    wizard_save,
    wizard_started,
    wizard_state,
    wizard_step,
)
from consent.access import account_view

WAIVER = Wizard(
    key="waiver_wizard",
    title=gettext_lazy("Request a Waiver of Penalties and Interest"),
    steps=(
        ("waiver_new", gettext_lazy("Charges and grounds")),
        ("waiver_statement", gettext_lazy("Facts")),
        ("waiver_documents", gettext_lazy("Documents")),
        ("waiver_representative", gettext_lazy("Authorized representative")),
        ("waiver_review", gettext_lazy("Review and file")),
    ),
    cancel="waiver_cancel",
    started="transaction_ids",
)


@account_view(FILE)
@require_http_methods(["GET", "HEAD"])
def waiver_detail(request, waiver_id: int):
    return filing_page(
        request,
        selectors_objections.waiver_requests_for_account,
        waiver_id,
        "assessments/waiver_detail.html",
        "waiver_filed",
    )


@account_view(FILE)
@require_http_methods(["GET", "HEAD"])
def waiver_document(request, waiver_id: int, document_id: int):
    return document_download(request, WaiverRequest, waiver_id, document_id)


# --- Request a Waiver of Penalties and Interest -----------------------------------------------------------------


@never_cache
@account_view(FILE)
@require_http_methods(["GET", "POST"])
def waiver_new(request):
    """Step 1: the penalty and interest charges to be waived, and the grounds."""
    state = wizard_state(request, WAIVER) or wizard_started()
    charges = list(objections.waivable_transactions(account=request.account))
    form = WaiverChargesForm(
        request.POST or None,
        initial={"transactions": state.get("transaction_ids", []), "grounds": state.get("grounds", [])},
        charges=charges,
    )
    wizard_save(request, WAIVER, state)

    def apply(state, data):
        chosen = objections.waiver_charges_check(
            account=request.account, transaction_ids=data["transactions"]
        )
        state["transaction_ids"] = [charge.pk for charge in chosen]
        state["grounds"] = objections.waiver_grounds_check(grounds=data["grounds"])

    return wizard_step(request, WAIVER, "waiver_new", form, apply=apply, has_charges=bool(charges))


@never_cache
@account_view(FILE)
@require_http_methods(["GET", "POST"])
def waiver_statement(request):
    return statement_step(request, WAIVER, "waiver_statement")


@never_cache
@account_view(FILE)
@require_http_methods(["GET", "POST"])
def waiver_documents(request):
    return documents_step(request, WAIVER, "waiver_documents")


@never_cache
@account_view(FILE)
@require_http_methods(["GET", "POST"])
def waiver_representative(request):
    return representative_step(request, WAIVER, "waiver_representative")


@never_cache
@account_view(FILE)
@require_http_methods(["GET", "POST"])
def waiver_review(request):
    state = wizard_state(request, WAIVER) or {}
    charges = LedgerTransaction.objects.filter(
        account=request.account, pk__in=state.get("transaction_ids", [])
    )
    return review_step(
        request,
        WAIVER,
        "waiver_review",
        submit=objections.waiver_submit,
        template="assessments/waiver_review.html",
        flag="waiver_filed",
        detail=("waiver_detail", "waiver_id"),
        context={
            "charges": list(charges.order_by("period_end", "id")),
            "ground_labels": [WaiverRequest.Ground(ground).label for ground in state.get("grounds", [])],
        },
    )


@account_view(FILE)
@require_http_methods(["POST"])
def waiver_cancel(request):
    return wizard_cancel(request, WAIVER)
