"""File a Notice of Objection (AT4762) and Request a Waiver of Penalties and Interest (AT4764): the account's
list of both, each one's page, and the two wizards (docs/adr/0008-objections-and-waivers.md).

Everything is behind FILE_OBJECTIONS. Each wizard keeps its state in the session (per account) and its
documents in the default storage under temporary names (checked and scanned as they are added, by Submit
Documents' service); nothing reaches TRA until the last step files it all in one transaction. Views are thin:
each step validates its form, asks the service, and redirects. The wizard's steps and pages that both share are
here with the objection's; the waiver request's own are assessments/views_waivers.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from assessments import objection_filing, objections, selectors_objections
from assessments.forms_objections import (
    ObjectionSubjectForm,
    RepresentativeForm,
    StatementForm,
    SupportingDocumentForm,
)
from assessments.models import Notice
from assessments.models_objections import Objection
from consent.access import account_view
from consent.privileges import Privilege
from programs.services import documents as document_services
from tracs.forms import errors_onto

FILE = Privilege.FILE_OBJECTIONS
DOCUMENT_FILE_REQUIRED = gettext_lazy("Choose a file to add.")


@dataclass(frozen=True)
class Wizard:
    key: str
    title: str | Promise
    steps: tuple[tuple[str, str | Promise], ...]  # (url name, title)
    cancel: str
    started: str  # what step 1 leaves in the state: the later steps send people back to it without

    def step_number(self, url_name: str) -> int:
        return [name for name, _title in self.steps].index(url_name) + 1

    def next_step(self, url_name: str) -> str:
        return self.steps[self.step_number(url_name)][0]


OBJECTION = Wizard(
    key="objection_wizard",
    title=gettext_lazy("File a Notice of Objection"),
    steps=(
        ("objection_new", gettext_lazy("What you object to")),
        ("objection_statement", gettext_lazy("Facts and reasons")),
        ("objection_documents", gettext_lazy("Documents")),
        ("objection_representative", gettext_lazy("Authorized representative")),
        ("objection_review", gettext_lazy("Review and file")),
    ),
    cancel="objection_cancel",
    started="dated_on",
)


def _key(request, wizard: Wizard) -> str:
    return f"{wizard.key}:{request.account.number}"


def wizard_state(request, wizard: Wizard) -> dict | None:
    return request.session.get(_key(request, wizard))


def wizard_save(request, wizard: Wizard, state: dict) -> None:
    request.session[_key(request, wizard)] = state
    request.session.modified = True


def _end(request, wizard: Wizard, *, discard_files: bool) -> None:
    state = request.session.pop(_key(request, wizard), None)
    if state and discard_files:
        document_services.document_files_discard(staged=state.get("documents", []))


def _render(request, wizard: Wizard, url_name: str, template: str, context: dict, *, invalid: bool = False):
    number = wizard.step_number(url_name)
    context = {
        "wizard": wizard,
        "step": number,
        "step_title": wizard.steps[number - 1][1],
        "steps": [(index, title) for index, (_name, title) in enumerate(wizard.steps, start=1)],
        "step_count": len(wizard.steps),
        "previous_url_name": wizard.steps[number - 2][0] if number > 1 else "objections",
        **context,
    }
    return render(request, template, context, status=400 if invalid else 200)


def wizard_step(
    request,
    wizard: Wizard,
    url_name: str,
    form,
    *,
    apply,
    template="assessments/objection_step.html",
    **extra,
):
    """A step whose form, once valid, updates the state (`apply` may raise a service's ValidationError)."""
    state = wizard_state(request, wizard)
    if request.method == "POST" and form.is_valid():
        try:
            apply(state, form.cleaned_data)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            wizard_save(request, wizard, state)
            return redirect(wizard.next_step(url_name), number=request.account.number)
    return _render(
        request,
        wizard,
        url_name,
        template,
        {"form": form, "state": state, **extra},
        invalid=bool(form.errors),
    )


# --- The list and the pages of each filing ---------------------------------------------------------------------


@account_view(FILE)
@require_http_methods(["GET", "HEAD"])
def objections_list(request):
    """The account's Notices of Objection and waiver requests, newest first, with their status and decision."""
    filed = list(selectors_objections.objections_for_account(account=request.account))
    waivers = list(selectors_objections.waiver_requests_for_account(account=request.account))
    notices = _decision_notices(request, [*filed, *waivers])
    for filing in (*filed, *waivers):
        filing.decision_notice = notices.get(filing.decision_notice_reference)
    return render(request, "assessments/objections.html", {"objections": filed, "waivers": waivers})


def _decision_notices(request, filings) -> dict[str, Notice]:
    """The notices of decision issued so far, by notice number: linked when the person may read notices."""
    if not request.access.has(Privilege.VIEW_ASSESSMENTS):
        return {}
    references = [filing.decision_notice_reference for filing in filings if filing.decision_notice_reference]
    return {
        notice.reference: notice
        for notice in Notice.objects.filter(account=request.account, reference__in=references)
    }


def filing_page(request, filings, filing_id: int, template: str, session_flag: str):
    """`filings`: the account's objections or waiver requests (assessments.selectors_objections)."""
    filing = filings(account=request.account).filter(pk=filing_id).first()
    if filing is None:  # another account's, or none: the same answer
        raise Http404
    just_filed = request.session.pop(session_flag, None) == filing.pk
    notice = _decision_notices(request, [filing]).get(filing.decision_notice_reference)
    return render(request, template, {"filing": filing, "just_filed": just_filed, "notice": notice})


@account_view(FILE)
@require_http_methods(["GET", "HEAD"])
def objection_detail(request, objection_id: int):
    return filing_page(
        request,
        selectors_objections.objections_for_account,
        objection_id,
        "assessments/objection_detail.html",
        "objection_filed",
    )


def document_download(request, model, filing_id: int, document_id: int) -> FileResponse:
    """A document the account filed with its objection or waiver request, back to whoever may file them (the
    read is in the access log, by account_view); another account's filing or document: 404."""
    filing = model.objects.filter(account=request.account, pk=filing_id).first()
    document = filing.documents.filter(pk=document_id).first() if filing is not None else None
    if document is None:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )


@account_view(FILE)
@require_http_methods(["GET", "HEAD"])
def objection_document(request, objection_id: int, document_id: int):
    return document_download(request, Objection, objection_id, document_id)


# --- Steps both wizards share ---------------------------------------------------------------------------------


def statement_step(request, wizard: Wizard, url_name: str):
    state = wizard_state(request, wizard)
    if state is None or wizard.started not in state:
        return redirect(wizard.steps[0][0], number=request.account.number)
    extension = state.get("extension_after_days")
    form = StatementForm(
        request.POST or None,
        initial={"facts": state.get("facts", ""), "extension_reason": state.get("extension_reason", "")},
        extension_after_days=extension,
    )

    def apply(state, data):
        state["facts"] = objection_filing.facts_check(facts=data["facts"])
        state["extension_reason"] = data.get("extension_reason", "").strip()

    return wizard_step(request, wizard, url_name, form, apply=apply)


def documents_step(request, wizard: Wizard, url_name: str):
    """Add one document at a time, with its description; remove one; continue (documents are optional)."""
    state = wizard_state(request, wizard)
    if state is None or "facts" not in state:
        return redirect(wizard.steps[0][0], number=request.account.number)
    staged = state.setdefault("documents", [])
    form = SupportingDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        remove = request.POST.get("remove", "")
        if remove.isdigit() and int(remove) < len(staged):
            removed = staged.pop(int(remove))
            document_services.document_files_discard(staged=[removed])
            wizard_save(request, wizard, state)
            messages.info(request, _("%(name)s was removed.") % {"name": removed["name"]})
            return redirect(url_name, number=request.account.number)
        if request.POST.get("action") == "continue":
            return redirect(wizard.next_step(url_name), number=request.account.number)
        if form.is_valid():
            _add_document(request, wizard, state, form)
            if not form.errors:
                return redirect(url_name, number=request.account.number)
    return _render(
        request,
        wizard,
        url_name,
        "assessments/objection_documents.html",
        {"form": form, "state": state, "limit": objection_filing.MAX_DOCUMENTS},
        invalid=bool(form.errors),
    )


def _add_document(request, wizard: Wizard, state: dict, form: SupportingDocumentForm) -> None:
    uploaded, description = form.cleaned_data["file"], form.cleaned_data["description"].strip()
    if len(state["documents"]) >= objection_filing.MAX_DOCUMENTS:
        form.add_error(
            "file", objection_filing.TOO_MANY_DOCUMENTS % {"limit": objection_filing.MAX_DOCUMENTS}
        )
    if not uploaded:
        form.add_error("file", DOCUMENT_FILE_REQUIRED)
    if not description:
        form.add_error("description", objection_filing.DOCUMENT_DESCRIPTION_REQUIRED)
    if form.errors:
        form.full_clean_aria()
        return
    try:
        staged = document_services.document_file_stage(
            account=request.account, uploaded=uploaded, actor=request.actor
        )
    except ValidationError as error:
        form.add_error("file", error)
        form.full_clean_aria()
        return
    state["documents"].append({**staged, "description": description})
    wizard_save(request, wizard, state)
    messages.success(request, _("%(name)s was added.") % {"name": staged["name"]})


def representative_step(request, wizard: Wizard, url_name: str):
    state = wizard_state(request, wizard)
    if state is None or "facts" not in state:
        return redirect(wizard.steps[0][0], number=request.account.number)
    form = RepresentativeForm(request.POST or None, initial=state.get("representative", {}))

    def apply(state, data):
        state["representative"] = objection_filing.representative_check(representative=form.representative())

    return wizard_step(request, wizard, url_name, form, apply=apply)


def review_step(
    request,
    wizard: Wizard,
    url_name: str,
    *,
    submit,
    template: str,
    flag: str,
    detail: tuple[str, str],
    context: dict,
):
    state = wizard_state(request, wizard)
    if state is None or "representative" not in state:
        return redirect(wizard.steps[0][0], number=request.account.number)
    problems: list[str] = []
    if request.method == "POST":
        representative = objection_filing.Representative(
            name=state["representative"]["representative_name"],
            position=state["representative"]["representative_position"],
            address=state["representative"]["representative_address"],
            phone=state["representative"]["representative_phone"],
        )
        try:
            filing = submit(
                account=request.account,
                state=state,
                documents=state.get("documents", []),
                representative=representative,
                actor=request.actor,
            )
        except ValidationError as error:
            problems = list(error.messages)
        else:
            _end(request, wizard, discard_files=False)
            request.session[flag] = filing.pk
            detail_name, kwarg = detail
            return redirect(detail_name, number=request.account.number, **{kwarg: filing.pk})
    return _render(
        request,
        wizard,
        url_name,
        template,
        {"state": state, "problems": problems, **context},
        invalid=bool(problems),
    )


def wizard_started() -> dict:
    """A new wizard's state: its submission token, so a double click on the last step files once."""
    return {"submission_token": str(uuid.uuid4())}


def wizard_cancel(request, wizard: Wizard):
    _end(request, wizard, discard_files=True)
    messages.info(request, _("Nothing was filed: what you entered was discarded."))
    return redirect("objections_list", number=request.account.number)


# --- File a Notice of Objection ---------------------------------------------------------------------------------


@never_cache
@account_view(FILE)
@require_http_methods(["GET", "POST"])
def objection_new(request):
    """Step 1: a notice of (re)assessment of the account, with the amount in dispute; or a letter."""
    state = wizard_state(request, OBJECTION) or wizard_started()
    notices = list(objections.objectable_notices(account=request.account).select_related("account"))
    initial = {
        "against": state.get("against", ""),
        "notice": state.get("notice_id"),
        "amount_in_dispute": state.get("amount_in_dispute", ""),
        "letter_kind": state.get("letter_kind", ""),
        "letter_dated_on": state.get("dated_on")
        if state.get("against") == Objection.Against.LETTER
        else None,
    }
    chosen = request.GET.get("notice", "")
    if not state.get("against") and chosen.isdigit() and any(n.pk == int(chosen) for n in notices):
        # "Object to this notice" on the notices page: the wizard starts with that notice chosen.
        initial.update(against=Objection.Against.NOTICE, notice=int(chosen))
    form = ObjectionSubjectForm(request.POST or None, initial=initial, notices=notices)
    wizard_save(request, OBJECTION, state)

    def apply(state, data):
        state.update(
            objections.objection_subject_check(
                account=request.account,
                against=data["against"],
                notice_id=data.get("notice"),
                amount_in_dispute=data.get("amount_in_dispute") or None,
                letter_kind=data.get("letter_kind", ""),
                letter_dated_on=data.get("letter_dated_on"),
            )
        )

    return wizard_step(request, OBJECTION, "objection_new", form, apply=apply, has_notices=bool(notices))


@never_cache
@account_view(FILE)
@require_http_methods(["GET", "POST"])
def objection_statement(request):
    return statement_step(request, OBJECTION, "objection_statement")


@never_cache
@account_view(FILE)
@require_http_methods(["GET", "POST"])
def objection_documents(request):
    return documents_step(request, OBJECTION, "objection_documents")


@never_cache
@account_view(FILE)
@require_http_methods(["GET", "POST"])
def objection_representative(request):
    return representative_step(request, OBJECTION, "objection_representative")


@never_cache
@account_view(FILE)
@require_http_methods(["GET", "POST"])
def objection_review(request):
    state = wizard_state(request, OBJECTION) or {}
    return review_step(
        request,
        OBJECTION,
        "objection_review",
        submit=objections.objection_submit,
        template="assessments/objection_review.html",
        flag="objection_filed",
        detail=("objection_detail", "objection_id"),
        context={
            "letter_kind_label": Objection.LetterKind(state["letter_kind"]).label
            if state.get("letter_kind")
            else "",
            "dated_on": date.fromisoformat(state["dated_on"]) if state.get("dated_on") else None,
            "amount_in_dispute": Decimal(state["amount_in_dispute"])
            if state.get("amount_in_dispute")
            else None,
        },
    )


@account_view(FILE)
@require_http_methods(["POST"])
def objection_cancel(request):
    return wizard_cancel(request, OBJECTION)
