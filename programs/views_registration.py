"""Online Registration pages (issue 4, part 6; seed 004, "How to register").

Not account-scoped: any signed-in person who passed two-factor verification may register a business (there
is no account yet). Each registration is reachable only by the person who started it; anyone else's, or a
made-up number, is a 404. The data, rules and services live in programs (programs/registration_rules.py,
programs/services/registration.py, programs/forms_registration.py), and so do these views (ADR 0013); the
approval that makes the registrant an owner is consent.services.registration_approve, called from staff
administration.

Views are thin: a form validates, one service saves, post/redirect/get. Each part is saved to the draft as
soon as it is valid; a part with errors is shown again with the errors next to the fields and what was
typed kept, and nothing of it is saved."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.services import user_has_confirmed_device
from consent.access import access_for
from programs import registration_rules, selectors
from programs.forms_registration import (
    RETYPE_ACCOUNT_NUMBER,
    BankingForm,
    BusinessForm,
    ContactForm,
    ContactFormSet,
    EstablishmentForm,
    EstablishmentFormSet,
    LocationForm,
    LocationFormSet,
    ProgramChoiceForm,
    ReasonsForm,
    SubmitForm,
)
from programs.forms_registration_dye_sites import DyeSiteForm, DyeSiteFormSet
from programs.models import Registration
from programs.services import registration as registration_services
from programs.services.registration_dye_sites import registration_dye_sites_save
from programs.services.registration_establishments import registration_establishments_save
from tracs.actors import actor_from_request
from tracs.forms import errors_onto

DRAFT_SAVED = _(
    "Your draft registration is saved. Continue it any time from Online Registration on your home page."
)


def registrant_view(view):
    """Signed in and through two-factor verification this session (the middleware enforces it too; this
    says so where the view is declared)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_verified():
            step = "two_factor_verify" if user_has_confirmed_device(user=request.user) else "two_factor_setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper


def _posted(request):
    """The posted data, even when empty (a form with nothing ticked must still be checked)."""
    return request.POST if request.method == "POST" else None


def _own(request, pk: int) -> Registration:
    registration = selectors.registration_for_user(user=request.user, pk=pk)
    if registration is None:
        raise Http404
    return registration


def _step_links(registration: Registration, current: str) -> list[dict]:
    missing = set(registration_rules.registration_missing_parts(registration))
    # Locations are optional unless a reason needs them: done once given, or once the reasons say none are needed.
    if not registration.reasons and not registration.locations.exists():
        missing.add("locations")
    steps = registration_rules.steps_for(registration)
    return [
        {
            "slug": step.slug,
            "label": step.label,
            "number": index,
            "url": reverse(f"registration_{step.slug}", kwargs={"pk": registration.pk}),
            "current": step.slug == current,
            "done": step.slug != "review" and step.slug not in missing,
        }
        for index, step in enumerate(steps, start=1)
    ]


def _render_step(request, registration, step: str, template: str, context: dict, *, invalid: bool):
    slugs = registration_rules.step_slugs_for(registration)
    context = {
        "registration": registration,
        "steps": _step_links(registration, step),
        "step_number": slugs.index(step) + 1,
        "step_count": len(slugs),
        "step_label": registration_rules.step_label(step),
        **context,
    }
    return render(request, template, context, status=400 if invalid else 200)


def _after_save(request, registration, step: str):
    if "save_exit" in request.POST:
        messages.success(request, DRAFT_SAVED)
        return redirect("registration_detail", pk=registration.pk)
    slugs = registration_rules.step_slugs_for(registration)
    following = slugs[slugs.index(step) + 1]
    return redirect(f"registration_{following}", pk=registration.pk)


def editable_registration(view):
    """The person's own registration, while they may change it; otherwise its status page. A part another
    program's form has (a tourism levy registration's bulk fuel locations) is not found."""
    step = view.__name__.removeprefix("registration_")

    @functools.wraps(view)
    def wrapper(request, pk: int, *args, **kwargs):
        registration = _own(request, pk)
        if step not in registration_rules.step_slugs_for(registration):
            raise Http404
        if not registration.is_editable:
            messages.info(request, str(registration_services.NOT_EDITABLE))
            return redirect("registration_detail", pk=registration.pk)
        return view(request, registration, *args, **kwargs)

    return wrapper


# --- The list and the Program Name menu -----------------------------------------------------------------------------


@registrant_view
@require_http_methods(["GET", "HEAD"])
def registration_list(request):
    return render(
        request,
        "programs/registration_list.html",
        {"registrations": selectors.registrations_for_user(user=request.user)},
    )


@registrant_view
@require_http_methods(["GET", "POST"])
def registration_start(request):
    form = ProgramChoiceForm(_posted(request), initial={"program": None})
    if request.method == "POST" and form.is_valid():
        try:
            registration = registration_services.registration_start(
                registrant=request.user,
                program=form.cleaned_data["program"],
                actor=actor_from_request(request),
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            return redirect("registration_business", pk=registration.pk)
    offline = [choice for choice in selectors.registration_programs() if not choice.online]
    return render(
        request,
        "programs/registration_start.html",
        {"form": form, "offline": offline},
        status=400 if form.errors else 200,
    )


# --- The parts of the form ---------------------------------------------------------------------------------------


@registrant_view
@require_http_methods(["GET", "POST"])
@editable_registration
def registration_business(request, registration):
    form = BusinessForm(_posted(request), initial=BusinessForm.initial_from(registration))
    if request.method == "POST" and form.is_valid():
        try:
            registration_services.registration_business_save(
                registration=registration,
                by=request.user,
                actor=actor_from_request(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            return _after_save(request, registration, "business")
    return _render_step(
        request,
        registration,
        "business",
        "programs/registration_business.html",
        {"form": form},
        invalid=bool(form.errors),
    )


@registrant_view
@require_http_methods(["GET", "POST"])
@editable_registration
def registration_reasons(request, registration):
    form = ReasonsForm(_posted(request), initial={"reasons": registration.reasons})
    if request.method == "POST" and form.is_valid():
        try:
            registration_services.registration_reasons_save(
                registration=registration,
                by=request.user,
                reasons=form.cleaned_data["reasons"],
                actor=actor_from_request(request),
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            return _after_save(request, registration, "reasons")
    return _render_step(
        request,
        registration,
        "reasons",
        "programs/registration_reasons.html",
        {"form": form},
        invalid=bool(form.errors),
    )


def _rows_step(
    request,
    registration,
    *,
    step,
    formset_class,
    row_form,
    saved_rows,
    save,
    template,
    prefix,
    min_rows,
    extra_context=None,
):
    """A part made of repeatable rows (locations, contacts). "Add another" and "Remove" (submit buttons, no
    JavaScript needed) show the page again with what was typed, one row more or less, saving nothing."""
    errors: list[str] = []
    if request.method == "POST":
        bound = formset_class(request.POST, prefix=prefix)
        rows = bound.typed_rows() if bound.management_form.is_valid() else []
        if "add_row" in request.POST or "remove_row" in request.POST:
            if "remove_row" in request.POST:
                rows = [form.row() for form in bound.forms]
                try:
                    del rows[int(request.POST["remove_row"])]
                except (ValueError, IndexError):
                    pass
                rows = [row for row in rows if row_form(initial=row).has_changed()]
            else:
                rows.append({})
            formset = formset_class(initial=rows or [{}], prefix=prefix)
            return _render_step(
                request,
                registration,
                step,
                template,
                {"formset": formset, "errors": [], **(extra_context or {})},
                invalid=False,
            )
        if bound.is_valid():
            try:
                save(
                    registration=registration,
                    by=request.user,
                    actor=actor_from_request(request),
                    rows=bound.cleaned_rows(),
                )
            except ValidationError as error:
                errors = error.messages
            else:
                return _after_save(request, registration, step)
        formset = bound
        if not formset.forms:
            formset = formset_class(initial=[{}], prefix=prefix)
    else:
        initial = [row_form.initial_from(row) for row in saved_rows] or ([{}] * min_rows)
        formset = formset_class(initial=initial, prefix=prefix)
    invalid = bool(errors) or (formset.is_bound and not formset.is_valid())
    return _render_step(
        request,
        registration,
        step,
        template,
        {"formset": formset, "errors": errors, **(extra_context or {})},
        invalid=invalid,
    )


@registrant_view
@require_http_methods(["GET", "POST"])
@editable_registration
def registration_locations(request, registration):
    return _rows_step(
        request,
        registration,
        step="locations",
        formset_class=LocationFormSet,
        row_form=LocationForm,
        saved_rows=registration.locations.all(),
        save=lambda *, rows, **kwargs: registration_services.registration_locations_save(
            locations=rows, **kwargs
        ),
        template="programs/registration_locations.html",
        prefix="locations",
        min_rows=1,
    )


@registrant_view
@require_http_methods(["GET", "POST"])
@editable_registration
def registration_establishments(request, registration):
    return _rows_step(
        request,
        registration,
        step="establishments",
        formset_class=EstablishmentFormSet,
        row_form=EstablishmentForm,
        saved_rows=registration.establishments.all(),
        save=lambda *, rows, **kwargs: registration_establishments_save(establishments=rows, **kwargs),
        template="programs/registration_establishments.html",
        prefix="establishments",
        min_rows=1,
    )


@registrant_view
@require_http_methods(["GET", "POST"])
@editable_registration
def registration_dye_sites(request, registration):
    """The dye-site part (reason "Mark (dye) fuel"): the sites' rows, and the business's attestation (two boxes
    beside the rows, saved with them)."""
    attested = {
        "full_compliance": "full_compliance" in request.POST
        if request.method == "POST"
        else registration.dye_full_compliance,
        "monthly_reporting": "monthly_reporting" in request.POST
        if request.method == "POST"
        else registration.dye_monthly_reporting,
    }
    return _rows_step(
        request,
        registration,
        step="dye_sites",
        formset_class=DyeSiteFormSet,
        row_form=DyeSiteForm,
        saved_rows=registration.dye_sites.all(),
        save=lambda *, rows, **kwargs: registration_dye_sites_save(
            dye_sites=rows,
            full_compliance=attested["full_compliance"],
            monthly_reporting=attested["monthly_reporting"],
            **kwargs,
        ),
        template="programs/registration_dye_sites.html",
        prefix="dye_sites",
        min_rows=1,
        extra_context={"attested": attested},
    )


@registrant_view
@require_http_methods(["GET", "POST"])
@editable_registration
def registration_contacts(request, registration):
    return _rows_step(
        request,
        registration,
        step="contacts",
        formset_class=ContactFormSet,
        row_form=ContactForm,
        saved_rows=registration.contacts.all(),
        save=lambda *, rows, **kwargs: registration_services.registration_contacts_save(
            contacts=rows, **kwargs
        ),
        template="programs/registration_contacts.html",
        prefix="contacts",
        min_rows=1,
    )


@never_cache
@registrant_view
@require_http_methods(["GET", "POST"])
@editable_registration
def registration_banking(request, registration):
    form = BankingForm(
        _posted(request),
        initial=BankingForm.initial_from(registration),
        saved_last4=registration.deposit_account_number_last4,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration_services.registration_banking_save(
                registration=registration,
                by=request.user,
                wants_direct_deposit=data["wants_direct_deposit"] == "yes",
                institution_number=data["institution_number"],
                transit_number=data["transit_number"],
                account_number=data["account_number"],
                holder_name=data["holder_name"],
                keep_saved_account=data.get("keep_saved_account", False),
                actor=actor_from_request(request),
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            return _after_save(request, registration, "banking")
    retype = RETYPE_ACCOUNT_NUMBER if form.errors and request.POST.get("account_number") else ""
    return _render_step(
        request,
        registration,
        "banking",
        "programs/registration_banking.html",
        {"form": form, "retype": retype},
        invalid=bool(form.errors),
    )


@registrant_view
@require_http_methods(["GET", "POST"])
@editable_registration
def registration_review(request, registration):
    form = SubmitForm(_posted(request), initial={"certified_name": request.user.display_name})
    if request.method == "POST" and form.is_valid():
        try:
            registration = registration_services.registration_submit(
                registration=registration,
                by=request.user,
                certified=form.cleaned_data["certified"],
                certified_name=form.cleaned_data["certified_name"],
                actor=actor_from_request(request),
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(
                request,
                _(
                    "Your registration was sent to TRA. Its status is pending and its reference number is %(reference)s. "
                    "We e-mailed it to you."
                )
                % {"reference": registration.reference_number},
            )
            return redirect("registration_detail", pk=registration.pk)
    missing = [
        {
            "label": registration_rules.step_label(slug),
            "message": registration_services.PART_MISSING[slug],
            "url": reverse(f"registration_{slug}", kwargs={"pk": registration.pk}),
        }
        for slug in registration_rules.registration_missing_parts(registration)
    ]
    context = {
        "form": form,
        "missing": missing,
        "opens": registration_rules.programs_opened_by(registration),
        "reason_labels": [Registration.Reason(reason).label for reason in registration.reasons],
        "establishments": list(registration.establishments.all()),
        "parts": registration_rules.step_slugs_for(registration),
    }
    return _render_step(
        request,
        registration,
        "review",
        "programs/registration_review.html",
        context,
        invalid=bool(form.errors),
    )


# --- Status, history and the draft's end ----------------------------------------------------------------------------


@registrant_view
@require_http_methods(["GET", "HEAD"])
def registration_detail(request, pk: int):
    registration = _own(request, pk)
    accounts = []
    if registration.status == Registration.Status.APPROVED:
        # Links only to the accounts the person still reaches (an owner can lose access like anyone else).
        accounts = [
            {"account": account, "access": access_for(user=request.user, account=account)}
            for account in registration.accounts.all()
        ]
    context = {
        "registration": registration,
        "steps": _step_links(registration, "") if registration.is_editable else [],
        "accounts": accounts,
        "reason_labels": [Registration.Reason(reason).label for reason in registration.reasons],
        "establishments": list(registration.establishments.select_related("account")),
        "parts": registration_rules.step_slugs_for(registration),
        "missing": registration_rules.registration_missing_parts(registration)
        if registration.is_editable
        else [],
    }
    return render(request, "programs/registration_detail.html", context)


@registrant_view
@require_http_methods(["GET", "POST"])
def registration_discard(request, pk: int):
    registration = _own(request, pk)
    if registration.status != Registration.Status.DRAFT:
        messages.info(request, str(registration_services.NOT_A_DRAFT))
        return redirect("registration_detail", pk=registration.pk)
    if request.method == "POST":
        registration_services.registration_discard(
            registration=registration, by=request.user, actor=actor_from_request(request)
        )
        messages.success(request, _("The draft registration was deleted."))
        return redirect("registration_list")
    return render(request, "programs/registration_discard.html", {"registration": registration})
