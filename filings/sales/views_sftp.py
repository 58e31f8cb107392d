"""SFTP keys of a marked-fuel account (issue 14, item 9): an owner registers a key for a person who may report fuel
transactions, sees every key with its state, and revokes one. Owners only (MANAGE_ACCESS, like Manage access):
a key is a way into the account."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings.sales.forms_sftp import SftpKeyForm
from filings.sales.sftp import keys
from filings.sales.sftp.models import SftpKey
from filings.sales.views_sellers import sellers_only
from tracs.forms import errors_onto


def _key_rows(account, holders) -> list[dict]:
    """Each key with whether it works today: active, and its person's access in force still includes reporting
    fuel transactions (as a sign-in checks it)."""
    reporting = {grant.user_id for grant in holders}
    return [
        {"key": key, "works": key.status == SftpKey.Status.ACTIVE and key.person_id in reporting}
        for key in keys.keys_for_account(account=account)
    ]


@account_view(Privilege.MANAGE_ACCESS)
@sellers_only
@require_http_methods(["GET", "POST"])
def sftp_keys(request: AccountRequest) -> HttpResponse:
    account = request.account
    holders = keys.key_holders(account=account)
    form = SftpKeyForm(request.POST if request.method == "POST" else None, holders=holders)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                key = keys.sftp_key_register(
                    account=account,
                    person=form.chosen_person(),
                    name=form.cleaned_data["name"],
                    public_key=form.cleaned_data["public_key"],
                    by=request.user,
                    actor=request.actor,
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                if key.status == SftpKey.Status.PENDING:
                    messages.success(
                        request,
                        _("Key “%(name)s” registered: it works once TRA approves it.") % {"name": key.name},
                    )
                else:
                    messages.success(
                        request, _("Key “%(name)s” registered: it works now.") % {"name": key.name}
                    )
                return redirect("sftp_keys", number=account.number)
        status = 400
    context = {
        "form": form,
        "rows": _key_rows(account, holders),
        "address": settings.TRACS_SFTP_ADDRESS,
        "approval": settings.TRACS_SFTP_KEY_APPROVAL,
    }
    return render(request, "filings/sales/sftp_keys.html", context, status=status)


@account_view(Privilege.MANAGE_ACCESS)
@require_POST
def sftp_key_revoke(request: AccountRequest, key_id: int) -> HttpResponse:
    key = get_object_or_404(SftpKey, pk=key_id, account=request.account)
    try:
        keys.sftp_key_revoke(key=key, by=request.user, actor=request.actor)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("Key “%(name)s” revoked: it no longer signs anyone in.") % {"name": key.name}
        )
    return redirect("sftp_keys", number=request.account.number)
