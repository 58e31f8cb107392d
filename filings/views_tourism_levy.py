"""Pages of tourism levy returns: filing by web form (and the nil return), amending, the period's versions, the
confirmation and its PDF. Each establishment is its own account, so every page is that account's, through
consent.access.account_view with FILE_RETURNS; File a Return (filings.views.returns_owed) lists its periods.

Filing runs the one step machine (filings.views_steps): TourismLevySteps gives its form, the program's preview
and submission (filings/services_tourism_levy.py) and the definition's templates; the nil return runs the last
two steps. Nothing here computes: the figures on every page are the service's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings import services_tourism_levy
from filings.definitions.tourism_levy import TOURISM_LEVY_RETURN
from filings.forms import CertificationForm
from filings.forms_tourism_levy import TourismLevyReturnForm
from filings.models import TourismLevyExemption, TourismLevyReturn
from filings.periods import Period, PeriodKind
from filings.services_tourism_levy import TourismLevyAlreadyFiled, TourismLevyInvalid
from filings.skeleton.errors import AlreadyFiled
from filings.tourism_levy import LevyComputation, LevyInput
from filings.views_claims import pdf_response
from filings.views_steps import Certified, FilingSteps
from programs import money

DEFINITION = TOURISM_LEVY_RETURN


class TourismLevyPeriodConverter:
    """`2021-06` (a month) or `2021-Q2` (a calendar quarter) in a URL <-> Period; anything else is a 404."""

    regex = r"\d{4}-(?:\d{2}|Q[1-4])"

    def to_python(self, value: str) -> Period:
        return Period.from_key(value, PeriodKind.QUARTERLY if "Q" in value else PeriodKind.MONTHLY)

    def to_url(self, value: Period | str) -> str:
        return value.key if isinstance(value, Period) else self.to_python(value).key


def _tourism_levy(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The pages of one establishment's returns; another program's account is sent to its File a Return."""

    @functools.wraps(view)
    def wrapped(request: AccountRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.account.program.code != DEFINITION.program:
            return redirect("returns_owed", number=request.account.number)
        return view(request, *args, **kwargs)

    return wrapped


def _versions(request: AccountRequest, period: Period) -> list[TourismLevyReturn]:
    return list(
        TourismLevyReturn.objects.filter(account=request.account, period_start=period.start)
        .prefetch_related(Prefetch("lines", queryset=TourismLevyExemption.objects.order_by("id")))
        .order_by("-version")
    )


def _original(request: AccountRequest, period: Period) -> TourismLevyReturn | None:
    return TourismLevyReturn.objects.filter(
        account=request.account, period_start=period.start, kind=TourismLevyReturn.Kind.ORIGINAL
    ).first()


def _by_confirmation(request: AccountRequest, confirmation_number: str) -> TourismLevyReturn:
    tax_return = (
        TourismLevyReturn.objects.filter(
            account=request.account, confirmation_number=confirmation_number.upper()
        )
        .select_related("account__taxpayer", "account__program", "amends")
        .prefetch_related(Prefetch("lines", queryset=TourismLevyExemption.objects.order_by("id")))
        .first()
    )
    if tax_return is None:  # another account's confirmation number is as unknown as a made-up one
        raise Http404
    return tax_return


def _unavailable(request: AccountRequest, period: Period, message: str) -> HttpResponse:
    return render(
        request, "filings/return_unavailable.html", {"period": period, "message": message}, status=400
    )


def _period_problem(request: AccountRequest, period: Period) -> str | None:
    try:
        services_tourism_levy.period_check(account=request.account, period=period, today=timezone.localdate())
    except ValidationError as error:
        return error.messages[0]
    return None


class TourismLevySteps(FilingSteps[TourismLevyReturnForm, LevyComputation, TourismLevyReturn]):
    """An original return or (amend_of given) an amendment, on the step machine."""

    def __init__(
        self, request: AccountRequest, period: Period, *, amend_of: TourismLevyReturn | None = None
    ) -> None:
        super().__init__(request)
        self.period = period
        self.amend_of = amend_of

    def lines_form(self, data: QueryDict | None) -> TourismLevyReturnForm:
        initial: dict[str, object] = {}
        if self.amend_of is not None:
            amend_of = self.amend_of
            initial = {
                "gross_revenue": amend_of.gross_revenue,
                "levy_collected": amend_of.levy_collected if amend_of.levy_collected else amend_of.levy_kept,
                "levy_collected_abated": amend_of.levy_kept,
                **{f"exempt_{line.reason}": line.amount for line in amend_of.lines.all()},
            }
        return TourismLevyReturnForm(
            data, period=self.period, account_number=self.request.account.number, initial=initial
        )

    def _input(self) -> LevyInput:
        return self.form.levy_input()

    def preview(self) -> LevyComputation:
        return services_tourism_levy.tourism_levy_preview(
            account=self.request.account,
            period=self.period,
            levy_input=self._input(),
            establishment=self.form.establishment(),
        )

    def lines_refused(self, error: ValidationError) -> bool:
        if isinstance(error, TourismLevyInvalid):
            self.form.add_service_errors(error.errors_by_field)
            return True
        return False

    def refused(self, error: ValidationError) -> HttpResponse | None:
        if getattr(error, "code", "") == "amended_meanwhile":
            messages.warning(self.request, error.messages[0])
            return redirect(
                "tourism_levy_return_period", number=self.request.account.number, period=self.period
            )
        return None

    def submit(self, certified: Certified) -> TourismLevyReturn:
        if self.amend_of is None:
            return services_tourism_levy.tourism_levy_return_submit(
                account=self.request.account,
                period=self.period,
                levy_input=self._input(),
                establishment=self.form.establishment(),
                certified_name=certified.name,
                certified_capacity=certified.capacity,
                actor=self.request.actor,
            )
        return services_tourism_levy.tourism_levy_return_amend(
            original=self.amend_of,
            replaces_version=self._replaces_version(),
            levy_input=self._input(),
            establishment=self.form.establishment(),
            certified_name=certified.name,
            certified_capacity=certified.capacity,
            actor=self.request.actor,
        )

    def _replaces_version(self) -> int | None:
        if self.amend_of is None:
            return None
        try:
            return int(self.request.POST["replaces_version"])
        except (KeyError, ValueError):
            return self.amend_of.version

    def received_message(self, filing: TourismLevyReturn) -> str:
        return (
            f"Your tourism levy return for {filing.period.label} was received. "
            f"Confirmation number {filing.confirmation_number}."
        )

    def confirmation(self, filing: TourismLevyReturn) -> HttpResponse:
        return redirect(
            "tourism_levy_return_confirmation",
            number=self.request.account.number,
            confirmation_number=filing.confirmation_number,
        )

    def already_filed(self, error: AlreadyFiled[TourismLevyReturn]) -> HttpResponse:
        messages.warning(self.request, error.message)
        return redirect("tourism_levy_return_period", number=self.request.account.number, period=self.period)

    def unavailable(self, message: str) -> HttpResponse:
        return _unavailable(self.request, self.period, message)

    def _context(self) -> dict[str, object]:
        return {
            "period": self.period,
            "due_on": DEFINITION.due_on(self.period),
            "amend_of": self.amend_of,
            "replaces_version": self._replaces_version(),
            "computation": self.computation,
        }

    def render_form(self, *, status: int = 200) -> HttpResponse:
        return render(
            self.request, DEFINITION.form_template, {**self._context(), "form": self.form}, status=status
        )

    def render_review(self, certification: CertificationForm, *, status: int = 200) -> HttpResponse:
        context = {**self._context(), "form": certification, "hidden": self.form.hidden_values()}
        return render(self.request, DEFINITION.review_template, context, status=status)


class NilTourismLevySteps(TourismLevySteps):
    """The last two steps only: nothing sold, nothing collected."""

    def _input(self) -> LevyInput:
        return LevyInput(gross_revenue="0", exempt={})

    def submit(self, certified: Certified) -> TourismLevyReturn:
        return services_tourism_levy.tourism_levy_return_submit(
            account=self.request.account,
            period=self.period,
            levy_input=self._input(),
            certified_name=certified.name,
            certified_capacity=certified.capacity,
            actor=self.request.actor,
        )

    def render_review(self, certification: CertificationForm, *, status: int = 200) -> HttpResponse:
        context = {**self._context(), "form": certification}
        return render(self.request, "filings/tourism_levy/return_nil.html", context, status=status)


def _not_filed_yet(request: AccountRequest, period: Period) -> HttpResponse | None:
    """The answer when the period's original is filed already or the period is not owed, else None."""
    existing = _original(request, period)
    if existing is not None:
        messages.warning(request, TourismLevyAlreadyFiled(existing).message)
        return redirect("tourism_levy_return_period", number=request.account.number, period=period)
    problem = _period_problem(request, period)
    return _unavailable(request, period, problem) if problem else None


@account_view(Privilege.FILE_RETURNS)
@_tourism_levy
@require_http_methods(["GET", "POST"])
def tourism_levy_return_file(request: AccountRequest, period: Period) -> HttpResponse:
    return _not_filed_yet(request, period) or TourismLevySteps(request, period).respond()


@account_view(Privilege.FILE_RETURNS)
@_tourism_levy
@require_http_methods(["GET", "POST"])
def tourism_levy_return_nil(request: AccountRequest, period: Period) -> HttpResponse:
    return _not_filed_yet(request, period) or NilTourismLevySteps(request, period).certify()


@account_view(Privilege.FILE_RETURNS)
@_tourism_levy
@require_http_methods(["GET", "POST"])
def tourism_levy_return_amend(request: AccountRequest, period: Period) -> HttpResponse:
    versions = _versions(request, period)
    if not versions:
        return redirect("tourism_levy_return_file", number=request.account.number, period=period)
    return TourismLevySteps(request, period, amend_of=versions[0]).respond()


@account_view(Privilege.FILE_RETURNS)
@_tourism_levy
@require_GET
def tourism_levy_return_period(request: AccountRequest, period: Period) -> HttpResponse:
    versions = _versions(request, period)
    if not versions:
        return redirect("tourism_levy_return_file", number=request.account.number, period=period)
    context = {"period": period, "versions": versions, "latest": versions[0]}
    return render(request, "filings/tourism_levy/return_period.html", context)


@account_view(Privilege.FILE_RETURNS)
@_tourism_levy
@require_GET
def tourism_levy_return_confirmation(request: AccountRequest, confirmation_number: str) -> HttpResponse:
    tax_return = _by_confirmation(request, confirmation_number)
    return render(request, DEFINITION.confirmation_template, {"tax_return": tax_return})


@account_view(Privilege.FILE_RETURNS)
@_tourism_levy
@require_GET
def tourism_levy_return_confirmation_pdf(request: AccountRequest, confirmation_number: str) -> HttpResponse:
    tax_return = _by_confirmation(request, confirmation_number)
    return pdf_response(
        request, kind=DEFINITION.document_kind, pk=tax_return.pk, number=tax_return.confirmation_number
    )


@account_view(Privilege.FILE_RETURNS, log_reads=False)
@_tourism_levy
@require_POST
def tourism_levy_return_compute(request: AccountRequest, period: Period) -> JsonResponse:
    """The figures of what is typed so far, computed by the service's preview (the same function as the filing),
    and each box's refusal: the form's live figures (static/js/tourism-levy-form.js)."""
    form = TourismLevyReturnForm(
        request.POST, period=period, account_number=request.account.number, initial={}
    )
    form.is_valid()
    try:
        computation = services_tourism_levy.tourism_levy_preview(
            account=request.account,
            period=period,
            levy_input=form.levy_input(),
            establishment=form.establishment(),
        )
    except TourismLevyInvalid as error:
        return JsonResponse({"figures": {}, "errors": error.errors_by_field})
    except ValidationError as error:
        return JsonResponse({"errors": {"__all__": error.messages[0]}}, status=400)
    figures = {
        "taxable": computation.taxable,
        "levy": computation.levy,
        "amount_payable": computation.amount_payable,
    }
    return JsonResponse(
        {"figures": {name: money.format_money(value) for name, value in figures.items()}, "errors": {}}
    )
