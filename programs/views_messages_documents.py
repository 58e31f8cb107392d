"""Account pages for Messages from TRA and Submit Documents.

Messages and documents belong to a program account, so their models, rules, services and these thin
account-scoped views live in programs; the views go through the one access chokepoint, consent/access.py
(docs/adr/0013-layers-domain-and-interface.md). The view passes the actor the access decorator built (who,
in which capacity, for whom); programs' services do the rest in one transaction.

- Messages need the MESSAGES privilege (read, answer). Opening a message marks it read for that person
  only. `/messages/` (not account-scoped) lists the accounts whose messages the person reads, with their
  unread counts: the header's count links there.
- Documents need the SUBMIT_DOCUMENTS privilege, for the wizard, the list and the downloads alike: one
  privilege per menu function, as TRACS grants them. Files people sent TRA can hold more than the account's
  balances (bank statements, invoices), so VIEW_ACCOUNT alone does not open them; owners hold every
  privilege.
- The Submit Documents wizard keeps its state in the session (per account), and its files in the default
  storage under temporary names until the document is submitted.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from consent import selectors as consent_selectors
from consent.access import account_view
from consent.privileges import Privilege
from filings.status import in_process_reference_check
from programs import documents, selectors
from programs.forms_messages_documents import DocumentDetailsForm, DocumentFilesForm, ReplyForm
from programs.models import Document, DocumentFile, ProgramAccount
from programs.services import documents as document_services
from programs.services import messages as message_services
from tracs.forms import errors_onto

MESSAGES_PAGE_SIZE = 25

# --- Messages -------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def messages_inbox(request):
    """The accounts whose messages the person reads, each with its unread count (the header links here).
    With one such account, its messages straight away."""
    account_ids = consent_selectors.message_account_ids(user=request.user)
    accounts = list(
        ProgramAccount.objects.filter(pk__in=account_ids)
        .select_related("taxpayer", "program")
        .order_by("number")
    )
    if len(accounts) == 1:
        return redirect("messages_list", number=accounts[0].number)
    unread = selectors.unread_counts_by_account(user=request.user, account_ids=[a.pk for a in accounts])
    rows = [{"account": account, "unread": unread.get(account.pk, 0)} for account in accounts]
    return render(request, "programs/messages_inbox.html", {"rows": rows})


@never_cache
@account_view(Privilege.MESSAGES)
@require_http_methods(["GET", "HEAD"])
def messages_list(request):
    # A page at a time: an account TRA writes to every week has hundreds of threads within a few years, and the
    # whole list cost more to render than everything else on the page (issue 13, bench_pages).
    threads = selectors.messages_for_account(account=request.account, user=request.user)
    page = Paginator(threads, MESSAGES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "programs/messages_list.html", {"page": page, "thread_list": page.object_list})


def _message(request, message_id: int):
    message = selectors.message_for_account(account=request.account, message_id=message_id)
    if message is None:  # another account's message, or none: the same answer as a made-up number
        raise Http404
    return message


@never_cache
@account_view(Privilege.MESSAGES)
@require_http_methods(["GET", "HEAD"])
def message_detail(request, message_id: int):
    message = _message(request, message_id)
    if request.method == "GET":
        message_services.message_mark_read(message=message, user=request.user)
    form = ReplyForm()
    return render(request, "programs/messages_detail.html", {"message": message, "form": form})


@never_cache
@account_view(Privilege.MESSAGES)
@require_http_methods(["GET", "POST"])
def message_reply(request, message_id: int):
    message = _message(request, message_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message_services.message_reply(
                message=message,
                body=form.cleaned_data["body"],
                by=request.user,
                actor=request.actor,
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, _("Your answer was sent to TRA."))
            return redirect("message_detail", number=request.account.number, message_id=message.pk)
    return render(
        request,
        "programs/messages_reply.html",
        {"message": message, "form": form},
        status=400 if form.errors else 200,
    )


# --- Submit Documents: the list, a document, a file --------------------------------------------------------


@account_view(Privilege.SUBMIT_DOCUMENTS)
@require_http_methods(["GET", "HEAD"])
def documents_list(request):
    context = {
        "documents": selectors.documents_for_account(account=request.account),
        "wizard": _wizard(request),
    }
    return render(request, "programs/documents_list.html", context)


@account_view(Privilege.SUBMIT_DOCUMENTS)
@require_http_methods(["GET", "HEAD"])
def document_detail(request, document_id: int):
    document = selectors.document_for_account(account=request.account, document_id=document_id)
    if document is None:
        raise Http404
    return render(request, "programs/documents_detail.html", {"document": document})


@never_cache
@account_view(Privilege.SUBMIT_DOCUMENTS)
@require_http_methods(["GET", "HEAD"])
def document_file_download(request, document_id: int, file_id: int):
    """The file as it was submitted, as an attachment with the type found from its content (never shown
    inline: the browser does not guess or run anything)."""
    document_file: DocumentFile | None = selectors.document_file_for_account(
        account=request.account, document_id=document_id, file_id=file_id
    )
    if document_file is None:
        raise Http404
    try:
        handle = document_file.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=document_file.original_name,
        content_type=document_file.content_type,
    )


# --- Submit Documents: the wizard ------------------------------------------------------------------------------

STEP_TITLES = {
    1: gettext_lazy("Type of document"),
    2: gettext_lazy("Files"),
    3: gettext_lazy("Review and submit"),
}


def _wizard_key(request) -> str:
    return f"documents_wizard:{request.account.number}"


def _wizard(request) -> dict | None:
    return request.session.get(_wizard_key(request))


def _wizard_save(request, state: dict) -> None:
    request.session[_wizard_key(request)] = state
    request.session.modified = True


def _wizard_end(request, *, discard_files: bool) -> None:
    state = request.session.pop(_wizard_key(request), None)
    if state and discard_files:
        document_services.document_files_discard(staged=state.get("files", []))


def _steps_context(step: int) -> dict:
    return {"step": step, "steps": [(number, title) for number, title in STEP_TITLES.items()]}


@never_cache
@account_view(Privilege.SUBMIT_DOCUMENTS)
@require_http_methods(["GET", "POST"])
def documents_submit(request):
    """Step 1: the type of document and, for a return's or claim's supporting documents, its reference."""
    state = _wizard(request) or {}
    initial = {key: state.get(key, "") for key in ("document_type", "related_reference", "description")}
    form = DocumentDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            details = document_services.document_details_check(
                account=request.account,
                document_type=form.cleaned_data["document_type"],
                related_reference=form.cleaned_data["related_reference"],
                reference_check=in_process_reference_check,
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            state.update(details, description=form.cleaned_data["description"].strip())
            state.setdefault("files", [])
            _wizard_save(request, state)
            return redirect("documents_submit_files", number=request.account.number)
    context = {"form": form}
    return render(
        request,
        "programs/documents_submit_type.html",
        {**context, **_steps_context(1)},
        status=400 if form.errors else 200,
    )


@never_cache
@account_view(Privilege.SUBMIT_DOCUMENTS)
@require_http_methods(["GET", "POST"])
def documents_submit_files(request):
    """Step 2: add files (several at once), remove one, continue. Each file is checked and scanned as it is
    added; a refused file is named next to the field and the others are kept."""
    state = _wizard(request)
    if not state or "document_type" not in state:
        return redirect("documents_submit", number=request.account.number)
    max_bytes = settings.TRACS_DOCUMENT_MAX_BYTES
    form = DocumentFilesForm(request.POST or None, request.FILES or None, max_bytes=max_bytes)
    if request.method == "POST":
        remove = request.POST.get("remove", "")
        if remove.isdigit() and int(remove) < len(state["files"]):
            removed = state["files"].pop(int(remove))
            document_services.document_files_discard(staged=[removed])
            _wizard_save(request, state)
            messages.info(request, _("%(name)s was removed.") % {"name": removed["name"]})
            return redirect("documents_submit_files", number=request.account.number)
        if form.is_valid():
            _add_files(request, state, form)
            if not form.errors and request.POST.get("action") == "continue":
                if state["files"]:
                    return redirect("documents_submit_review", number=request.account.number)
                form.add_error("files", document_services.DOCUMENT_NO_FILES)
            elif not form.errors:
                return redirect("documents_submit_files", number=request.account.number)
    context = {
        "form": form,
        "state": state,
        "type_label": Document.Type(state["document_type"]).label,
        "accept": documents.ACCEPT_ATTRIBUTE,
        **_steps_context(2),
    }
    return render(
        request, "programs/documents_submit_files.html", context, status=400 if form.errors else 200
    )


def _add_files(request, state: dict, form: DocumentFilesForm) -> None:
    uploads = form.cleaned_data["files"]
    if len(state["files"]) + len(uploads) > document_services.DOCUMENT_MAX_FILES:
        form.add_error(
            "files",
            document_services.DOCUMENT_TOO_MANY_FILES % {"limit": document_services.DOCUMENT_MAX_FILES},
        )
        return
    added = []
    for uploaded in uploads:
        try:
            staged = document_services.document_file_stage(
                account=request.account, uploaded=uploaded, actor=request.actor
            )
        except ValidationError as error:
            form.add_error("files", error)
        else:
            state["files"].append(staged)
            added.append(staged["name"])
    _wizard_save(request, state)
    if added:
        messages.success(
            request,
            ngettext("%(count)s file added: %(names)s.", "%(count)s files added: %(names)s.", len(added))
            % {"count": len(added), "names": ", ".join(added)},
        )


@never_cache
@account_view(Privilege.SUBMIT_DOCUMENTS)
@require_http_methods(["GET", "POST"])
def documents_submit_review(request):
    """Step 3: what will be sent; submitting creates the document with its reference number."""
    state = _wizard(request)
    if not state or "document_type" not in state:
        return redirect("documents_submit", number=request.account.number)
    if not state.get("files"):
        return redirect("documents_submit_files", number=request.account.number)
    problem = None
    if request.method == "POST":
        try:
            document = document_services.document_submit(
                account=request.account,
                document_type=state["document_type"],
                related_reference=state.get("related_reference", ""),
                description=state.get("description", ""),
                staged=state["files"],
                by=request.user,
                reference_check=in_process_reference_check,
                actor=request.actor,
            )
        except ValidationError as error:
            problem = error
            if _files_expired(error):  # ask for all the files again rather than keep pointing at gone ones
                document_services.document_files_discard(staged=state["files"])
                state["files"] = []
                _wizard_save(request, state)
        else:
            _wizard_end(request, discard_files=False)
            messages.success(
                request,
                _("TRA received your documents. Reference number %(reference)s.")
                % {"reference": document.reference_number},
            )
            return redirect("document_detail", number=request.account.number, document_id=document.pk)
    context = {
        "state": state,
        "type_label": Document.Type(state["document_type"]).label,
        "problems": [message for message in problem.messages] if problem else [],
        **_steps_context(3),
    }
    return render(request, "programs/documents_submit_review.html", context, status=400 if problem else 200)


def _files_expired(error: ValidationError) -> bool:
    errors = error.error_dict.get("files", []) if hasattr(error, "error_dict") else []
    return any(item.code == "expired" for item in errors)


@account_view(Privilege.SUBMIT_DOCUMENTS)
@require_http_methods(["POST"])
def documents_submit_cancel(request):
    _wizard_end(request, discard_files=True)
    messages.info(request, _("The submission was cancelled; nothing was sent to TRA."))
    return redirect("documents_list", number=request.account.number)
