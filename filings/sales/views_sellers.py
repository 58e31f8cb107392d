"""The one gate of every marked-fuel seller's page (entry, files and upload, SFTP keys, the monthly report): the
page is for open marked-fuel (TEFS) accounts (programs.registries.selectors.sells_marked_fuel); another account's
page says it does not report marked fuel (200; a form sent to it: 400). Below consent.access.account_view, which
puts request.account in place and has already checked the person's access to the function."""

from __future__ import annotations

import functools

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from consent.access import AccountRequest
from programs.registries.selectors import sells_marked_fuel

NOT_A_SELLER = _(
    "Account %(number)s is not a marked fuel (TEFS) account: sales and movements of marked fuel are reported from "
    "the account of a seller approved to sell marked fuel."
)


def not_a_seller(request: AccountRequest) -> HttpResponse:
    return render(
        request,
        "filings/marked_fuel/not_a_seller.html",
        {"message": NOT_A_SELLER % {"number": request.account.number}},
        status=400 if request.method == "POST" else 200,
    )


def sellers_only(view):
    """Let `view` answer only for an account that sells marked fuel."""

    @functools.wraps(view)
    def wrapped(request: AccountRequest, *args, **kwargs) -> HttpResponse:
        if not sells_marked_fuel(request.account):
            return not_a_seller(request)
        return view(request, *args, **kwargs)

    return wrapped
