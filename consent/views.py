"""Portal pages of consent: home, Account Enrolment, Account Information, delegated administration,
representatives and the account's access log.

Views are thin: the access decorator decides who may see the page, a form validates, one service changes
things, and the view redirects (post/redirect/get). A service's ValidationError becomes form errors."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import pins
from accounts.crypto import decrypt, encrypt
from consent import panels, selectors, services
from consent.access import account_view, privileges_of
from consent.forms import (
    AccessLogFilterForm,
    AccountSearchForm,
    DelegateAddForm,
    EnrolmentForm,
    GrantUpdateForm,
)
from consent.models import Grant
from consent.privileges import Privilege
from consent.sql import prefetched
from tracs import log_context
from tracs.actors import actor_from_request
from tracs.forms import errors_onto
from tracs.pagination import WindowedPaginator

HOME_PAGE_SIZE = 25
ACCESS_LOG_PAGE_SIZE = 50
PIN_SHOWN_ONCE = gettext_lazy(
    "This PIN was shown once and cannot be shown again. If it was lost, remove the pending access and add the person again for a new PIN."
)


def _pin_session_key(grant_id: int) -> str:
    return f"consent:one-time-pin:{grant_id}"


# --- Home ------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def home(request):
    programs = selectors.programs_for_user(user=request.user)
    form = AccountSearchForm(request.GET or None, programs=programs)
    search = program = ""
    if form.is_bound and form.is_valid():
        search = form.cleaned_data["q"]
        program = form.cleaned_data["program"]
    if search or program:
        listed = selectors.accounts_for_user(
            user=request.user, priorities=panels.HOME_PRIORITIES, search=search, program=program
        )
    else:
        # The program filter's aggregate has counted every account already: the pages are numbered from that
        # count (account_rows reads the page itself), no second query and no queryset built for nothing.
        listed = range(sum(choice.accounts for choice in programs))
    page = Paginator(listed, HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.account_rows(
        user=request.user,
        offset=page.start_index() - 1 if page.paginator.count else 0,
        limit=HOME_PAGE_SIZE,
        priorities=panels.HOME_PRIORITIES,
        searched=page.object_list if search or program else None,
    )
    # Rows share a few sets of privileges: each set's list is rendered once, not once per row.
    privilege_lists: dict[tuple[str, ...], str] = {}
    for row in rows:
        labels = tuple(row["privilege_labels"])
        if labels not in privilege_lists:
            items = format_html_join("", "<li>{}</li>", ((label,) for label in labels))
            privilege_lists[labels] = format_html('<ul class="compact-list">{}</ul>', items)
        row["privilege_list"] = privilege_lists[labels]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "filtered": bool(search or program),
        "query": query.urlencode(),
        # From filings and assessments (consent.panels.HOME_BANNERS): one aggregate query each for this page.
        "banners": panels.home_banners(user=request.user, rows=rows),
    }
    return render(request, "consent/home.html", context)


# --- Account Enrolment -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account_enrol(request):
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grants = services.account_enrol(
                user=request.user,
                account_number=form.cleaned_data["account_number"],
                typed_pin=form.cleaned_data["pin"],
                actor=actor_from_request(request),
            )
        except pins.PinRefused as refusal:
            form.add_error(None, str(refusal.message))
        except ValidationError as error:
            errors_onto(form, error)
        else:
            return _after_enrolment(request, grants)
    return render(request, "consent/enrol.html", {"form": form}, status=400 if form.errors else 200)


def _after_enrolment(request, grants: list[Grant]):
    if not grants:
        messages.info(request, _("The consent is active. You already reach every account it covers."))
        return redirect("home")
    first = grants[0]
    if len(grants) == 1:
        messages.success(
            request,
            _("You now have access to account %(number)s of %(taxpayer)s as %(role)s.")
            % {
                "number": first.account.number,
                "taxpayer": first.account.taxpayer.legal_name,
                "role": first.get_role_display().lower(),
            },
        )
    else:
        messages.success(
            request,
            _("You now have access to %(count)s accounts of %(taxpayer)s as representative.")
            % {"count": len(grants), "taxpayer": first.account.taxpayer.legal_name},
        )
    if Privilege.VIEW_ACCOUNT in privileges_of(first):
        return redirect("account_detail", number=first.account.number)
    return redirect("home")


# --- Account Information -----------------------------------------------------------------------------------


@account_view(Privilege.VIEW_ACCOUNT)
@require_http_methods(["GET", "HEAD"])
def account_detail(request):
    # The account's details and every panel's compiled queries in one round trip (ADR 0027).
    pending = [
        *selectors.account_information_queries(account=request.account),
        *panels.account_panel_queries(access=request.access, user=request.user),
    ]
    with prefetched(pending):
        account = selectors.account_information(account=request.account)
        shown = panels.account_panels(access=request.access, user=request.user)
    context = {
        "account": account,
        "mailing_address": account.mailing_addresses[0] if account.mailing_addresses else None,
        "bflos": account.active_bflos,
        "privileges": selectors.privilege_labels(request.access.grant),
        # What higher apps summarise here (obligations, balance) and programs' details, by privilege.
        "panels": shown,
    }
    for panel in shown:
        context.update(panel.page_context)
    return render(request, "consent/account_detail.html", context)


# --- Delegated administration (owners) ---------------------------------------------------------------------


@account_view(Privilege.MANAGE_ACCESS)
@require_http_methods(["GET", "HEAD"])
def access_list(request):
    overview = selectors.access_overview(account=request.account)
    context = {
        "owners": [{"grant": grant, "is_you": grant.user_id == request.user.pk} for grant in overview.owners],
        "delegates": [
            {"grant": grant, "privileges": selectors.privilege_labels(grant)} for grant in overview.delegates
        ],
        "representatives": [
            {
                "consent": consent,
                "privileges": [str(Privilege(p).label) for p in consent.privileges if p in Privilege.values],
            }
            for consent in overview.representatives
        ],
    }
    return render(request, "consent/access_list.html", context)


@account_view(Privilege.MANAGE_ACCESS)
@require_http_methods(["GET", "POST"])
def access_add(request):
    account = request.account
    form = DelegateAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant, issued = services.delegate_add(
                account=account,
                by=request.user,
                name=data["name"],
                email=data["email"],
                role=data["role"],
                privileges=data["privileges"] if data["role"] == Grant.Role.DELEGATE else [],
                ends_on=data["ends_on"],
                actor=request.actor,
            )
        except ValidationError as error:
            email = data["email"].strip().lower()
            errors_onto(
                form,
                error,
                field_for={
                    str(services.GRANT_TO_SELF): "email",
                    str(services.ALREADY_HAS_ACCESS % {"email": email}): "email",
                },
            )
        else:
            # The clear PIN lives, encrypted, in this person's session only until the page below pops it.
            request.session[_pin_session_key(grant.pk)] = {
                "pin": encrypt(pins.pin_format(issued.clear)).decode(),
                "expires_at": issued.pin.expires_at.isoformat(),
            }
            return redirect("access_pin", number=account.number, grant_id=grant.pk)
    return render(request, "consent/access_add.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@account_view(Privilege.MANAGE_ACCESS)
@require_http_methods(["GET", "HEAD"])
def access_pin(request, grant_id: int):
    grant = get_object_or_404(Grant, pk=grant_id, account=request.account)
    stashed = request.session.pop(_pin_session_key(grant.pk), None)
    context = {"grant": grant, "pin": None, "expires_at": None, "shown_once": PIN_SHOWN_ONCE}
    if stashed is not None:
        context["pin"] = decrypt(stashed["pin"].encode())
        log_context.secret(context["pin"])  # shown once on this page, never on a log line
        context["expires_at"] = datetime.fromisoformat(stashed["expires_at"])
    return render(request, "consent/access_pin.html", context)


def _open_grant(request, grant_id: int) -> Grant:
    return get_object_or_404(
        Grant.objects.exclude(status=Grant.Status.REVOKED).select_related("user"),
        pk=grant_id,
        account=request.account,
    )


@account_view(Privilege.MANAGE_ACCESS)
@require_http_methods(["GET", "POST"])
def access_edit(request, grant_id: int):
    grant = _open_grant(request, grant_id)
    if grant.role != Grant.Role.DELEGATE:
        raise Http404  # only a delegate's privileges and end date are edited; owners and representatives are removed
    form = GrantUpdateForm(
        request.POST or None, initial={"privileges": grant.privileges, "ends_on": grant.ends_on}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_update(
                grant=grant,
                by=request.user,
                privileges=form.cleaned_data["privileges"],
                ends_on=form.cleaned_data["ends_on"],
                actor=request.actor,
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, _("The access of %(name)s was changed.") % {"name": grant.name})
            return redirect("access_list", number=request.account.number)
    return render(
        request,
        "consent/access_edit.html",
        {"form": form, "grant": grant},
        status=400 if form.errors else 200,
    )


@account_view(Privilege.MANAGE_ACCESS)
@require_http_methods(["GET", "POST"])
def access_revoke(request, grant_id: int):
    grant = _open_grant(request, grant_id)
    if grant.role == Grant.Role.REPRESENTATIVE:
        raise Http404  # a representative's access ends by revoking the consent (consent_revoke)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.grant_revoke(grant=grant, by=request.user, actor=request.actor)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(
                request, _("%(name)s no longer has access to this account.") % {"name": grant.name}
            )
            if grant.user_id == request.user.pk:
                return redirect("home")
            return redirect("access_list", number=request.account.number)
    context = {"grant": grant, "is_you": grant.user_id == request.user.pk, "errors": errors}
    return render(request, "consent/access_revoke.html", context, status=400 if errors else 200)


@account_view(Privilege.MANAGE_ACCESS)
@require_http_methods(["GET", "POST"])
def consent_revoke(request, consent_id: int):
    consent = get_object_or_404(selectors.consents_for_account(account=request.account), pk=consent_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.consent_revoke(consent=consent, by=request.user, actor=request.actor)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(
                request,
                _("The consent for %(name)s was revoked; their access to every account it covered has ended.")
                % {"name": consent.representative_name},
            )
            return redirect("access_list", number=request.account.number)
    return render(
        request,
        "consent/consent_revoke.html",
        {"consent": consent, "errors": errors},
        status=400 if errors else 200,
    )


# --- Access log (owners) ----------------------------------------------------------------------------------


@account_view(Privilege.MANAGE_ACCESS)
@require_http_methods(["GET", "HEAD"])
def access_log(request):
    form = AccessLogFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_bound and form.is_valid() else ""
    entries = selectors.access_log_for_account(account=request.account, kind=kind)
    # Counted only a few pages past the one shown: the log of a busy account has 100,000 rows (issue 13).
    page = WindowedPaginator(entries, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "people": selectors.account_people_ids(account=request.account),
        "query": query.urlencode(),
    }
    return render(request, "consent/access_log.html", context)
