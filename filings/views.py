"""Pages of filings: returns owed, filing (web form and nil return), amendments, confirmation.

Every page is account-scoped through consent.access.account_view with FILE_RETURNS: the list of returns owed
is where filing starts (TRACS's "File a Return"), and the confirmation is the filer's receipt. The status of
returns for people who only view them ("View Assessment Status", VIEW_ASSESSMENTS) is a page of its own.

Filing runs the one step machine of filings.views_steps (form -> review -> certify -> submit, without JavaScript):
ReturnSteps says what a return's steps are (its litres form, return_preview, return_submit or return_amend, its
templates); the nil return and the XML upload (filings.views_xml, with the format's help pages) run its last
two steps. A second submission of the same period
(double click, back button, a colleague) lands on the period's page, showing the return already filed and
offering an amendment. JavaScript only adds live totals (static/js/return-form.js, via return_live_totals).
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings import selectors, services
from filings.claims import claim_kinds_for
from filings.definitions.fuel_tax import FUEL_TAX_RETURN
from filings.forms import CertificationForm, ReturnLinesForm
from filings.models import FuelTaxReturn
from filings.periods import Period
from filings.skeleton.errors import AlreadyFiled
from filings.tax import Computation, field_key
from filings.views_steps import Certified, FilingSteps
from programs import money

NO_RETURNS = _("%(program)s accounts do not file returns in TRACS.")


def _no_returns(request: AccountRequest) -> HttpResponse:
    """File a Return of an account whose program files no returns in TRACS: the program's own page, in its
    words, with what the account files instead. Asked for: 200; a form sent to it: refused, 400."""
    account = request.account
    return render(
        request,
        "filings/returns_none.html",
        {
            "program": account.program,
            "message": NO_RETURNS % {"program": account.program.name},
            "files_claims": bool(claim_kinds_for(account=account)),
        },
        status=400 if request.method == "POST" else 200,
    )


def _files_returns(view):
    """File a Return, for the accounts whose program files returns (filings.selectors.files_returns_in_tracs);
    below account_view, which puts request.account in place."""

    @functools.wraps(view)
    def wrapped(request: AccountRequest, *args, **kwargs) -> HttpResponse:
        if not selectors.files_returns_in_tracs(request.account):
            return _no_returns(request)
        return view(request, *args, **kwargs)

    return wrapped


def _fuel_tax_returns(view):
    """The pages of fuel tax returns; another program's returns are on its own pages, from File a Return."""

    @functools.wraps(view)
    def wrapped(request: AccountRequest, *args, **kwargs) -> HttpResponse:
        if request.account.program.code != FUEL_TAX_RETURN.program:
            if selectors.files_returns_in_tracs(request.account):
                return redirect("returns_owed", number=request.account.number)
            return _no_returns(request)
        return view(request, *args, **kwargs)

    return wrapped


def _period_problem(request: AccountRequest, period: Period) -> str | None:
    try:
        services.period_check(account=request.account, period=period, today=timezone.localdate())
    except ValidationError as error:
        return error.messages[0]
    return None


def _unavailable(request: HttpRequest, period: Period, message: str) -> HttpResponse:
    return render(
        request, "filings/return_unavailable.html", {"period": period, "message": message}, status=400
    )


def _already_filed(request: AccountRequest, existing: FuelTaxReturn) -> HttpResponse:
    messages.warning(request, services.ReturnAlreadyFiled(existing).message)
    return redirect("return_period", number=request.account.number, period=existing.period)


def _original(request: AccountRequest, period: Period) -> FuelTaxReturn | None:
    return FuelTaxReturn.objects.filter(
        account=request.account, period_start=period.start, kind=FuelTaxReturn.Kind.ORIGINAL
    ).first()


@account_view(Privilege.FILE_RETURNS)
@_files_returns
@require_GET
def returns_owed(request: AccountRequest) -> HttpResponse:
    today = timezone.localdate()
    obligations = selectors.obligations_for_account(account=request.account, today=today)
    outstanding = [obligation for obligation in obligations if not obligation.is_filed]
    definition = selectors.return_definition(request.account)
    return render(
        request,
        "filings/returns_owed.html",
        {
            "intro_template": getattr(definition, "owed_intro_template", ""),
            # The definition's upload format, if any: File a Return offers the upload page beside the web form.
            "takes_uploads": bool(getattr(definition, "upload_format", "")),
            "obligations": obligations,
            "outstanding_count": len(outstanding),
            "overdue_count": sum(o.is_overdue for o in outstanding),
        },
    )


@account_view(Privilege.FILE_RETURNS)
@_fuel_tax_returns
@require_GET
def return_period(request: AccountRequest, period: Period) -> HttpResponse:
    versions = selectors.returns_for_period(account=request.account, period=period)
    if not versions:
        return redirect("return_file", number=request.account.number, period=period)
    return render(
        request, "filings/return_period.html", {"period": period, "versions": versions, "latest": versions[0]}
    )


@account_view(Privilege.FILE_RETURNS)
@_fuel_tax_returns
@require_GET
def return_confirmation(request: AccountRequest, confirmation_number: str) -> HttpResponse:
    tax_return = selectors.return_by_confirmation(
        account=request.account, confirmation_number=confirmation_number
    )
    if tax_return is None:
        raise Http404
    return render(
        request,
        FUEL_TAX_RETURN.confirmation_template,
        {"tax_return": tax_return, "lines": list(tax_return.lines.all())},
    )


class ReturnSteps(FilingSteps[ReturnLinesForm, Computation, FuelTaxReturn]):
    """An original return or (amend_of given) an amendment, on the step machine (filings.views_steps)."""

    def __init__(self, request: AccountRequest, period: Period, *, amend_of: FuelTaxReturn | None) -> None:
        super().__init__(request)
        self.period = period
        self.amend_of = amend_of

    def lines_form(self, data: QueryDict | None) -> ReturnLinesForm:
        if data is not None:
            return ReturnLinesForm(data)
        amend_of = self.amend_of
        return ReturnLinesForm(initial=ReturnLinesForm.initial_from(amend_of.lines.all()) if amend_of else {})

    def preview(self) -> Computation:
        return services.return_preview(
            account=self.request.account, period=self.period, lines=self.form.line_inputs()
        )

    def lines_refused(self, error: ValidationError) -> bool:
        if isinstance(error, services.ReturnLinesInvalid):
            self.form.add_line_errors(error.errors_by_key)
            return True
        return False

    def refused(self, error: ValidationError) -> HttpResponse | None:
        if getattr(error, "code", "") == "amended_meanwhile":
            messages.warning(self.request, error.messages[0])
            return redirect("return_period", number=self.request.account.number, period=self.period)
        return None

    def submit(self, certified: Certified) -> FuelTaxReturn:
        lines = self.form.line_inputs()
        if self.amend_of is None:
            return services.return_submit(
                account=self.request.account,
                period_end=self.period.end,
                lines=lines,
                certified_name=certified.name,
                certified_capacity=certified.capacity,
                actor=self.request.actor,
            )
        return services.return_amend(
            original=self.amend_of,
            replaces_version=_replaces_version(self.request, self.amend_of),
            lines=lines,
            certified_name=certified.name,
            certified_capacity=certified.capacity,
            actor=self.request.actor,
        )

    def received_message(self, filing: FuelTaxReturn) -> str:
        return _confirmation_message(filing)

    def confirmation(self, filing: FuelTaxReturn) -> HttpResponse:
        return _to_confirmation(self.request, filing)

    def already_filed(self, error: AlreadyFiled[FuelTaxReturn]) -> HttpResponse:
        return _already_filed(self.request, error.existing)

    def unavailable(self, message: str) -> HttpResponse:
        return _unavailable(self.request, self.period, message)

    def render_form(self, *, status: int = 200) -> HttpResponse:
        computation = self.computation
        return render(
            self.request,
            FUEL_TAX_RETURN.form_template,
            {
                "period": self.period,
                "form": self.form,
                "layout": self.form.layout(
                    period=self.period, known=selectors.return_lines_known(account=self.request.account)
                ),
                "amend_of": self.amend_of,
                "replaces_version": _replaces_version(self.request, self.amend_of),
                "computation": computation,
                "taxes": {field_key(line.fuel, line.category): line.tax for line in computation.lines}
                if computation
                else {},
            },
            status=status,
        )

    def render_review(self, certification: CertificationForm, *, status: int = 200) -> HttpResponse:
        computation = self.computation
        assert computation is not None  # the review shows what the preview computed
        return render(
            self.request,
            FUEL_TAX_RETURN.review_template,
            {
                "period": self.period,
                "computation": computation,
                "hidden_lines": [
                    (field_key(line.fuel, line.category), line.litres) for line in computation.lines
                ],
                "form": certification,
                "amend_of": self.amend_of,
                "replaces_version": _replaces_version(self.request, self.amend_of),
            },
            status=status,
        )


def _to_confirmation(request: AccountRequest, tax_return: FuelTaxReturn) -> HttpResponse:
    return redirect(
        "return_confirmation",
        number=request.account.number,
        confirmation_number=tax_return.confirmation_number,
    )


def _replaces_version(request: HttpRequest, amend_of: FuelTaxReturn | None) -> int | None:
    """The version an amendment was started from: carried through the steps in a hidden field, so a form
    sent twice, or an amendment overtaken by another, is refused instead of stacked (services.return_amend)."""
    if amend_of is None:
        return None
    try:
        return int(request.POST["replaces_version"])
    except (KeyError, ValueError):  # the form's first display: the latest version, being amended
        return amend_of.version


def _confirmation_message(tax_return: FuelTaxReturn) -> str:
    return f"Your return for {tax_return.period.label} was received. Confirmation number {tax_return.confirmation_number}."


@account_view(Privilege.FILE_RETURNS)
@_fuel_tax_returns
@require_http_methods(["GET", "POST"])
def return_file(request: AccountRequest, period: Period) -> HttpResponse:
    existing = _original(request, period)
    if existing is not None:
        return _already_filed(request, existing)
    problem = _period_problem(request, period)
    if problem:
        return _unavailable(request, period, problem)
    return ReturnSteps(request, period, amend_of=None).respond()


@account_view(Privilege.FILE_RETURNS)
@_fuel_tax_returns
@require_http_methods(["GET", "POST"])
def return_amend_file(request: AccountRequest, period: Period) -> HttpResponse:
    latest = selectors.latest_version(account=request.account, period=period)
    if latest is None:
        return redirect("return_file", number=request.account.number, period=period)
    return ReturnSteps(request, period, amend_of=latest).respond()


@account_view(Privilege.FILE_RETURNS)
@_fuel_tax_returns
@require_http_methods(["GET", "POST"])
def return_nil_file(request: AccountRequest, period: Period) -> HttpResponse:
    """A nil return (no activity in the month): one button on the list, then the certification."""
    existing = _original(request, period)
    if existing is not None:
        return _already_filed(request, existing)
    problem = _period_problem(request, period)
    if problem:
        return _unavailable(request, period, problem)
    return NilReturnSteps(request, period, amend_of=None).certify()


class NilReturnSteps(ReturnSteps):
    """The last two steps only: a nil return has no lines to type."""

    def submit(self, certified: Certified) -> FuelTaxReturn:
        return services.return_submit(
            account=self.request.account,
            period_end=self.period.end,
            lines=[],
            certified_name=certified.name,
            certified_capacity=certified.capacity,
            actor=self.request.actor,
        )

    def render_review(self, certification: CertificationForm, *, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "filings/return_nil.html",
            {"period": self.period, "form": certification},
            status=status,
        )


@account_view(Privilege.FILE_RETURNS, log_reads=False)
@require_POST
def return_live_totals(request: AccountRequest, period: Period) -> JsonResponse:
    """The tax of each line and the total for the litres typed so far, computed by the same function as the
    service (return_preview). Lines with an error are reported, and left out of the running total."""
    lines_form = ReturnLinesForm(request.POST)
    lines_form.is_valid()
    errors = {name: str(errs[0]) for name, errs in lines_form.errors.items() if name in lines_form.fields}
    lines = lines_form.line_inputs()
    try:
        computation = services.return_preview(account=request.account, period=period, lines=lines)
    except services.ReturnLinesInvalid as error:
        errors.update(error.errors_by_key)
        lines = [line for line in lines if field_key(line.fuel, line.category) not in error.errors_by_key]
        computation = services.return_preview(account=request.account, period=period, lines=lines)
    except ValidationError as error:
        return JsonResponse({"errors": {"__all__": error.messages[0]}}, status=400)
    taxes = {field_key(line.fuel, line.category): money.format_money(line.tax) for line in computation.lines}
    return JsonResponse(
        {
            "lines": {name: taxes.get(name, "") for name in lines_form.fields},
            "errors": errors,
            "total": money.format_money(computation.total),
            "complete": not errors,
        }
    )
