"""Check AFFB/TEFU Eligibility (seed 002, "check AFFB/TEFU eligibility"): a seller of marked fuel enters a number
and a date and reads whether it was valid that day and for what (marked fuel, the carbon levy exemption), never
who holds it. REPORT_FUEL, on marked-fuel (TEFS) accounts; each check is access-logged by the service, and an
account that checks too many numbers in an hour is asked to wait (429)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from programs.registries import selectors, services
from programs.registries.forms import EligibilityCheckForm
from tracs.forms import errors_onto


@account_view(Privilege.REPORT_FUEL, log_reads=False)  # each check is logged by the service, with its number
@require_http_methods(["GET", "POST"])
def exemption_check(request: AccountRequest) -> HttpResponse:
    account = request.account
    context: dict[str, object] = {}
    status = 200
    if not selectors.sells_marked_fuel(account):
        context["not_a_seller"] = str(services.NOT_A_SELLER % {"number": account.number})
        return render(
            request, "programs/exemption_check.html", context, status=400 if request.method == "POST" else 200
        )
    if request.method == "POST":
        form = EligibilityCheckForm(request.POST)
        if form.is_valid():
            try:
                context["result"] = services.eligibility_check(
                    account=account,
                    number=form.cleaned_data["number"],
                    day=form.cleaned_data["day"],
                    actor=request.actor,
                )
            except services.ChecksExhausted as refusal:
                context["limited"] = refusal.message
                status = 429
            except ValidationError as error:
                errors_onto(form, error)
    else:
        form = EligibilityCheckForm(initial={"day": timezone.localdate()})
    context["form"] = form
    return render(request, "programs/exemption_check.html", context, status=status)
