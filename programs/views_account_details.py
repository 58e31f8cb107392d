"""Account pages for the details programs keep about an account: View/Update Contact Information (mailing
address of record, business location, contact persons) and Manage Direct Deposit.

The data, its rules and its history live in programs (models, services, selectors, forms), and so do these
thin account-scoped views: a view is an interface module and may use the access decorator of consent/access.py
(docs/adr/0013-layers-domain-and-interface.md). The view says in which capacity the person acts and whom to
tell (the account's owners, a consent selector); programs' services do the rest in one transaction."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from consent import selectors as consent_selectors
from consent.access import account_view
from consent.privileges import Privilege
from programs import selectors
from programs.forms import (
    RETYPE_ACCOUNT_NUMBER,
    AddressForm,
    ContactForm,
    DirectDepositForm,
    DirectDepositRemoveForm,
)
from programs.models import Address, Contact
from programs.services import addresses as address_services
from programs.services import banking as banking_services
from programs.services import contacts as contact_services
from tracs.forms import errors_onto

OWNERS_TOLD = gettext_lazy("The account's owners were told by e-mail.")


def _acting(request) -> dict:
    """Who is making the change and whom the services tell about it; the actor the access decorator built
    carries the capacity they act in and the taxpayer they act for."""
    return {
        "by": request.user,
        "notify": consent_selectors.account_owner_emails(account=request.account),
        "actor": request.actor,
    }


def _done(request, change, message: str) -> None:
    if change is None:
        messages.info(request, _("Nothing was changed: what you entered is what TRA already has."))
    else:
        messages.success(request, f"{message} {OWNERS_TOLD}")


# --- View/Update Contact Information -------------------------------------------------------------------------


@account_view(Privilege.VIEW_ACCOUNT)
@require_http_methods(["GET", "HEAD"])
def contact_information(request):
    info = selectors.contact_information(account=request.account)
    context = {
        "mailing": info.mailing,
        "location": info.location,
        "contacts": info.contacts,
        "can_update": request.access.has(Privilege.UPDATE_ADDRESS),
    }
    return render(request, "programs/contact_information.html", context)


@account_view(Privilege.UPDATE_ADDRESS)
@require_http_methods(["GET", "POST"])
def address_edit(request, kind: str):
    if kind not in Address.Kind.values:
        raise Http404
    address = selectors.address_of_kind(account=request.account, kind=kind)
    form = AddressForm(request.POST or None, kind=kind, initial=AddressForm.initial_from(address))
    if request.method == "POST" and form.is_valid():
        try:
            change = address_services.address_update(
                account=request.account, kind=kind, **form.cleaned_data, **_acting(request)
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            label = Address.Kind(kind).label
            _done(request, change, _("%(what)s saved.") % {"what": label})
            return redirect("contact_information", number=request.account.number)
    context = {"form": form, "kind": Address.Kind(kind), "address": address}
    return render(request, "programs/address_form.html", context, status=400 if form.errors else 200)


def _contact(request, contact_id: int) -> Contact:
    return get_object_or_404(Contact, pk=contact_id, account=request.account)


@account_view(Privilege.UPDATE_ADDRESS)
@require_http_methods(["GET", "POST"])
def contact_add(request):
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = contact_services.contact_add(
                account=request.account, **form.cleaned_data, **_acting(request)
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            _done(
                request, change, _("%(name)s was added as a contact person.") % {"name": change.after["name"]}
            )
            return redirect("contact_information", number=request.account.number)
    return render(
        request,
        "programs/contact_form.html",
        {"form": form, "contact": None},
        status=400 if form.errors else 200,
    )


@account_view(Privilege.UPDATE_ADDRESS)
@require_http_methods(["GET", "POST"])
def contact_edit(request, contact_id: int):
    contact = _contact(request, contact_id)
    form = ContactForm(request.POST or None, contact=contact, initial=ContactForm.initial_from(contact))
    if request.method == "POST" and form.is_valid():
        try:
            change = contact_services.contact_update(contact=contact, **form.cleaned_data, **_acting(request))
        except ValidationError as error:
            errors_onto(form, error)
        else:
            _done(
                request,
                change,
                _("The details of %(name)s were saved.") % {"name": form.cleaned_data["name"]},
            )
            return redirect("contact_information", number=request.account.number)
    return render(
        request,
        "programs/contact_form.html",
        {"form": form, "contact": contact},
        status=400 if form.errors else 200,
    )


@account_view(Privilege.UPDATE_ADDRESS)
@require_http_methods(["GET", "POST"])
def contact_remove(request, contact_id: int):
    contact = _contact(request, contact_id)
    if request.method == "POST":
        contact_services.contact_remove(contact=contact, **_acting(request))
        _done(
            request,
            True,
            _("%(name)s is no longer a contact person of this account.") % {"name": contact.name},
        )
        return redirect("contact_information", number=request.account.number)
    return render(request, "programs/contact_remove.html", {"contact": contact})


# --- Manage Direct Deposit --------------------------------------------------------------------------------------


@never_cache
@account_view(Privilege.MANAGE_DIRECT_DEPOSIT)
@require_http_methods(["GET", "HEAD"])
def direct_deposit(request):
    context = {
        "deposit": selectors.direct_deposit_for_account(account=request.account),
        "mailing": selectors.address_of_kind(account=request.account, kind=Address.Kind.MAILING),
        "can_update_address": request.access.has(Privilege.UPDATE_ADDRESS),
    }
    return render(request, "programs/direct_deposit.html", context)


@never_cache
@account_view(Privilege.MANAGE_DIRECT_DEPOSIT)
@require_http_methods(["GET", "POST"])
def direct_deposit_change(request):
    deposit = selectors.direct_deposit_for_account(account=request.account)
    form = DirectDepositForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = banking_services.direct_deposit_set(
                account=request.account,
                institution_number=data["institution_number"],
                transit_number=data["transit_number"],
                account_number=data["account_number"],
                holder_name=data["holder_name"],
                otp_token=data["otp_token"],
                **_acting(request),
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            masked = f"ending in {data['account_number'][-4:]}"
            _done(
                request,
                change,
                _("Refunds now go by direct deposit to the bank account %(masked)s.") % {"masked": masked},
            )
            return redirect("direct_deposit", number=request.account.number)
    context = {"form": form, "deposit": deposit, "retype": RETYPE_ACCOUNT_NUMBER if form.errors else ""}
    return render(request, "programs/direct_deposit_form.html", context, status=400 if form.errors else 200)


@never_cache
@account_view(Privilege.MANAGE_DIRECT_DEPOSIT)
@require_http_methods(["GET", "POST"])
def direct_deposit_remove(request):
    deposit = selectors.direct_deposit_for_account(account=request.account)
    if deposit is None:
        messages.info(request, str(banking_services.NO_DIRECT_DEPOSIT))
        return redirect("direct_deposit", number=request.account.number)
    form = DirectDepositRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            banking_services.direct_deposit_remove(
                account=request.account, otp_token=form.cleaned_data["otp_token"], **_acting(request)
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            _done(
                request,
                True,
                _("Direct deposit was removed: refunds will go by cheque to the mailing address of record."),
            )
            return redirect("direct_deposit", number=request.account.number)
    context = {
        "form": form,
        "deposit": deposit,
        "mailing": selectors.address_of_kind(account=request.account, kind=Address.Kind.MAILING),
    }
    return render(request, "programs/direct_deposit_remove.html", context, status=400 if form.errors else 200)
