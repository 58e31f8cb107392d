"""Pages of refund claims, and the confirmation PDFs of returns and claims.

Every page is account-scoped through consent.access.account_view with FILE_RETURNS ("File returns and
claims"). Which claims an account files follows its program (filings.claims.KINDS_BY_PROGRAM).

Filing a claim runs the step machine of returns (filings.views_steps, ClaimSteps): the lines (a formset; "Add
more lines" posts the lines typed so far and shows more empty ones) -> POST "review" shows each line's refund,
the total and the certification (the lines ride along in hidden fields and are checked again) -> POST "submit"
calls filings.claims.claim_submit and redirects to the confirmation. The form carries a submission token drawn
when it was first shown: sending it twice (double click, back button) stores one claim and shows the first.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings import claim_rules, claims, documents, selectors
from filings.definitions import claim_definition, definition_of
from filings.definitions.prop_lines import prop_data
from filings.forms import CertificationForm
from filings.forms_claims import (
    EXTRA_LINES,
    BaseClaimLineFormSet,
    ClaimCertificationForm,
    claim_line_formset,
)
from filings.models import Claim
from filings.tasks import confirmation_pdf_schedule
from filings.views_steps import Certified, FilingSteps
from programs.rates import fuel_labels

ADD = "add"  # the step that shows more empty lines
TOKEN_FIELD = "submission_token"  # noqa: S105 - a form field name, not a secret

# The kinds of claim in URLs: /accounts/<number>/claims/new/<kind>/.
KIND_SLUGS = {
    "fuel-tax-refund": Claim.Kind.FUEL_TAX_REFUND,
    "inventory-declaration": Claim.Kind.INVENTORY_DECLARATION,
    "carbon-levy-at5135": Claim.Kind.CARBON_LEVY_VENDOR,
    "carbon-levy-at5133": Claim.Kind.CARBON_LEVY_INDIAN,
    "prop": Claim.Kind.PROP,
}
SLUG_OF_KIND = {kind: slug for slug, kind in KIND_SLUGS.items()}

KIND_DESCRIPTIONS = {
    Claim.Kind.FUEL_TAX_REFUND: (
        "A fuel seller's refund of fuel tax paid on fuel stolen or destroyed, unsaleable due to contamination, "
        "sold on credit to another fuel seller and become a bad debt, rebranded to a fuel with a lower rate, "
        "or exported from Alberta in bulk."
    ),
    Claim.Kind.INVENTORY_DECLARATION: (
        "Fuel held on the day the fuel tax rate fell, bought tax-included, earns a refund per litre. "
        "The refund is paid by cheque."
    ),
    Claim.Kind.CARBON_LEVY_VENDOR: (
        "A fuel vendor's refund of carbon levy paid on fuel bought before the levy was repealed (form AT5135)."
    ),
    Claim.Kind.CARBON_LEVY_INDIAN: (
        "A refund of carbon levy paid by an Indian or an Indian band on fuel bought before the levy was "
        "repealed (form AT5133)."
    ),
    Claim.Kind.PROP: (
        "A rebate of fuel tax on clear fuel consumed off-road in licensed vehicles, at the percentage prescribed "
        "for the industry sector, activity and vehicle category, for a period you choose of at most 12 months."
    ),
}


class ClaimKindConverter:
    """`fuel-tax-refund` in a URL <-> Claim.Kind; any other word is a 404."""

    regex = "|".join(KIND_SLUGS)

    def to_python(self, value: str) -> str:
        return str(KIND_SLUGS[value])

    def to_url(self, value: str) -> str:
        return value if value in KIND_SLUGS else SLUG_OF_KIND[value]


def _token(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get(TOKEN_FIELD, ""))
    except ValueError:
        return None


NOT_THIS_ACCOUNTS = _("This account does not file this claim")
CLOSED = _("This claim can no longer be filed")
NOT_OPEN_YET = _("This claim cannot be filed yet")


def _unavailable(request: HttpRequest, kind: str, message: str, *, heading=CLOSED) -> HttpResponse:
    """Why this kind of claim cannot be filed by this account today. Asked for (a link kept from earlier, an
    address typed): a page that says so, 200. Sent (a form open when its window closed): refused, 400."""
    return render(
        request,
        "filings/claim_unavailable.html",
        {
            "kind_label": Claim.Kind(kind).label,
            "message": message,
            "heading": heading,
            "refused": request.method == "POST",
        },
        status=400 if request.method == "POST" else 200,
    )


def _window_notes(kind: str) -> list[str]:
    """What the form says about the windows that apply today (from the rules files)."""
    today = timezone.localdate()
    if kind == Claim.Kind.INVENTORY_DECLARATION:
        declaration = claim_rules.inventory_declaration_open_on(
            today
        ) or claim_rules.inventory_declaration_nearest(today)
        labels = fuel_labels(tax=claims.FUEL_TAX)
        rates = ", ".join(
            f"${value}/L {labels.get(fuel, fuel).lower()}" for fuel, value in declaration.rates.items()
        )
        return [
            f"{declaration.label}: fuel held on {declaration.inventory_date:%Y-%m-%d}, refund {rates}. "
            f"TRA must receive the declaration on or before {declaration.receive_by:%Y-%m-%d}."
        ]
    if kind in (*claims.CARBON_LEVY_KINDS, Claim.Kind.PROP):
        if kind == Claim.Kind.PROP:
            reason = claim_rules.prop_reason()
            last_day = prop_data().ended - timedelta(days=1)
            notes = [
                f"Only fuel purchased or used on or before {last_day:%Y-%m-%d} can be claimed: PROP ended then."
            ]
        else:
            reason = claim_rules.carbon_levy_reason()
            notes = ["Only fuel bought before the carbon levy was repealed (2019-05-30) can be claimed."]
        window = reason.window_on(today)
        if window is not None:
            notes.append(
                f"TRA must receive the claim {window.describe(anchor_text=reason.anchor_text(window))}."
            )
        return notes
    notes = []
    for reason in claim_rules.refund_reasons().values():
        window = reason.window_on(today)
        if window is not None:
            notes.append(f"{reason.label}: {window.describe(anchor_text=reason.anchor_text(window))}.")
    return notes


class ClaimSteps(FilingSteps[BaseClaimLineFormSet, claims.ClaimComputation, Claim]):
    """A claim of `kind` on the step machine (filings.views_steps). Its form carries the submission token drawn
    when it was first shown, and "Add more lines" (step "add") shows more empty lines without checking any."""

    certification_form = ClaimCertificationForm

    def __init__(self, request: AccountRequest, kind: str) -> None:
        super().__init__(request)
        self.kind = kind
        self.token = _token(request) if request.method == "POST" else claims.submission_token_new()
        self.problems: list[str] = []

    def lines_form(self, data: QueryDict | None) -> BaseClaimLineFormSet:
        extra = EXTRA_LINES if data is not None and self.step == ADD else 0
        return claim_line_formset(kind=self.kind, data=data, extra_lines=extra)

    def before_lines(self) -> HttpResponse | None:
        if self.token is None:  # a form from elsewhere: start again with a token of our own
            self.token = claims.submission_token_new()
            return self.render_form(status=400)
        if self.step == ADD:
            return self.render_form()
        return None

    def preview(self) -> claims.ClaimComputation:
        return claims.claim_preview(
            account=self.request.account,
            kind=self.kind,
            lines=self.form.line_inputs(),
            period=self.form.claim_period(),
        )

    def lines_refused(self, error: ValidationError) -> bool:
        if isinstance(error, claims.ClaimLinesInvalid):
            self.form.add_line_errors(error.errors_by_line, error.period_errors)
            return True
        if getattr(error, "code", "") == "no_lines":
            self.problems = list(error.messages)
            return True
        return False

    def submit(self, certified: Certified) -> Claim:
        assert self.token is not None  # before_lines answered a form without one
        return claims.claim_submit(
            account=self.request.account,
            kind=self.kind,
            lines=self.form.line_inputs(),
            certified_name=certified.name,
            certified_capacity=certified.capacity,
            actor=self.request.actor,
            submission_token=self.token,
            period=self.form.claim_period(),
        )

    def received_message(self, filing: Claim) -> str:
        return (
            f"Your {filing.get_kind_display().lower()} was received. "
            f"Confirmation number {filing.confirmation_number}."
        )

    def confirmation(self, filing: Claim) -> HttpResponse:
        return redirect(
            "claim_confirmation", number=self.request.account.number, claim_number=filing.confirmation_number
        )

    def unavailable(self, message: str) -> HttpResponse:
        return _unavailable(self.request, self.kind, message)

    def render_form(self, *, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            claim_definition(self.kind).form_template,
            {
                "kind": self.kind,
                "kind_label": Claim.Kind(self.kind).label,
                "slug": SLUG_OF_KIND[self.kind],
                "formset": self.form,
                "token": self.token,
                "problems": self.problems,
                "window_notes": _window_notes(self.kind),
                "extra_lines": EXTRA_LINES,
            },
            status=status,
        )

    def render_review(self, certification: CertificationForm, *, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            claim_definition(self.kind).review_template,
            {
                "kind": self.kind,
                "kind_label": Claim.Kind(self.kind).label,
                "slug": SLUG_OF_KIND[self.kind],
                "formset": self.form,
                "token": self.token,
                "computation": self.computation,
                "form": certification,
            },
            status=status,
        )


@account_view(Privilege.FILE_RETURNS)
@require_GET
def claims_list(request: AccountRequest) -> HttpResponse:
    kinds = claims.claim_kinds_for(account=request.account)
    today = timezone.localdate()
    return render(
        request,
        "filings/claim_list.html",
        {
            "kinds": [
                {
                    "slug": SLUG_OF_KIND[kind],
                    "label": Claim.Kind(kind).label,
                    "description": KIND_DESCRIPTIONS[kind],
                    "window": claims.claim_kind_window(kind=kind, today=today),
                }
                for kind in kinds
            ],
            "claims": selectors.claims_for_account(account=request.account),
        },
    )


@account_view(Privilege.FILE_RETURNS)
@require_http_methods(["GET", "POST"])
def claim_file(request: AccountRequest, kind: str) -> HttpResponse:
    try:
        claims.claim_kind_check(account=request.account, kind=kind)
    except ValidationError as error:
        return _unavailable(request, kind, error.messages[0], heading=NOT_THIS_ACCOUNTS)
    window = claims.claim_kind_window(kind=kind, today=timezone.localdate())
    if not window.is_open:
        return _unavailable(
            request, kind, window.message, heading=NOT_OPEN_YET if window.opens_on else CLOSED
        )

    return ClaimSteps(request, kind).respond()


def _claim_or_404(request: AccountRequest, claim_number: str) -> Claim:
    claim = selectors.claim_by_confirmation(account=request.account, confirmation_number=claim_number)
    if claim is None:
        raise Http404
    return claim


@account_view(Privilege.FILE_RETURNS)
@require_GET
def claim_confirmation(request: AccountRequest, claim_number: str) -> HttpResponse:
    claim = _claim_or_404(request, claim_number)
    return render(
        request,
        definition_of(claim).confirmation_template,
        {"claim": claim, "lines": list(claim.lines.all())},
    )


def pdf_response(request: HttpRequest, *, kind: str, pk: int, number: str) -> HttpResponse:
    """The kept PDF; if it is not made yet, queue its job (which runs at once where jobs run inline) and
    look again; still not there: a page saying it is being prepared, with a link to try again."""
    document = documents.confirmation_document_for(kind=kind, pk=pk)
    if document is None:
        confirmation_pdf_schedule(kind=kind, pk=pk)
        document = documents.confirmation_document_for(kind=kind, pk=pk)
    if document is None:
        return render(request, "filings/claim_pdf_pending.html", {"number": number}, status=202)
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="TRACS-confirmation-{number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@account_view(Privilege.FILE_RETURNS)
@require_GET
def claim_confirmation_pdf(request: AccountRequest, claim_number: str) -> HttpResponse:
    claim = _claim_or_404(request, claim_number)
    return pdf_response(request, kind=documents.CLAIM, pk=claim.pk, number=claim.confirmation_number)


@account_view(Privilege.FILE_RETURNS)
@require_GET
def return_confirmation_pdf(request: AccountRequest, confirmation_number: str) -> HttpResponse:
    tax_return = selectors.return_by_confirmation(
        account=request.account, confirmation_number=confirmation_number
    )
    if tax_return is None:
        raise Http404
    return pdf_response(
        request, kind=documents.RETURN, pk=tax_return.pk, number=tax_return.confirmation_number
    )
