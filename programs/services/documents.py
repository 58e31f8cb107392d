"""Submit Documents (issue 4, part 5), and the documents TRA places in an account.

Submit Documents is a 3-step wizard whose state the view keeps in the session. Each file is checked and
scanned as it is uploaded (programs/documents.py) and kept in the default storage under a random temporary
name (`documents/incoming/`); on submit, one transaction creates the document with its reference number
and receipt date and copies the files to their final names. Nothing is half-saved: if a file is missing or
a write fails, the files copied so far are deleted and no document exists. Temporary files of wizards left
unfinished are swept by `documents_incoming_sweep` (a periodic job)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from programs import documents
from programs.models import Document, DocumentFile, ProgramAccount

DOCUMENT_TYPE_REQUIRED = _("Choose the type of document.")
DOCUMENT_REFERENCE_REQUIRED = _(
    "Enter the reference number of the return or claim these documents support (see View Assessment Status)."
)
DOCUMENT_NO_FILES = _("Add at least one file.")
DOCUMENT_TOO_MANY_FILES = _(
    "A submission can have at most %(limit)s files. Remove some, or submit them separately."
)
DOCUMENT_FILES_EXPIRED = _(
    "Your uploaded files are no longer available (the submission was left unfinished too long). Add them again."
)
DOCUMENT_MAX_FILES = 10
DOCUMENT_REFERENCE_ALPHABET = (
    "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone without doubt
)
INCOMING_PREFIX = "documents/incoming/"
# Types a person may choose in the wizard (TRA's own letters are placed by TRA), and those that belong to an
# in-process return or claim, whose reference number is then required.
CLIENT_DOCUMENT_TYPES = [t for t in Document.Type if t != Document.Type.TRA_LETTER]
DOCUMENT_TYPES_NEEDING_REFERENCE = {Document.Type.RETURN_SUPPORT, Document.Type.CLAIM_SUPPORT}


def document_reference_generate(*, day: date) -> str:
    """`DOC-YYYYMMDD-XXXXXX`: the receipt date, then six characters that cannot be misread."""
    suffix = "".join(secrets.choice(DOCUMENT_REFERENCE_ALPHABET) for _ in range(6))
    return f"DOC-{day:%Y%m%d}-{suffix}"


def _safe_file_name(name: str) -> str:
    """The file's own name, as shown to people and staff: no folders, no control characters."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[-255:] or "file"


def document_file_stage(*, account: ProgramAccount, uploaded: UploadedFile, actor: Actor) -> dict[str, Any]:
    """Check and scan one uploaded file and keep it under a temporary name until the wizard is submitted.
    Returns what the wizard keeps of it (in the session); a ValidationError names what is wrong.

    A threat found is refused and written to the access log as a security event (committed even though the
    upload fails); so is a file the scanner could not look at when a scan is required
    (TRACS_MALWARE_SCAN_REQUIRED), without the log entry. Nothing of a refused file is kept."""
    name = _safe_file_name(uploaded.name or "")
    # Django sets the size of every file a request carries; one without a size is refused as empty.
    checked = documents.check_file(uploaded, name=name, size=uploaded.size or 0)
    result = documents.scan_file(uploaded)
    if result.infected:
        with transaction.atomic():
            access_log_record(
                actor=actor,
                kind=AccessLogEntry.Kind.SECURITY,
                action="uploaded file refused: malware found",
                account_number=account.number,
                on_behalf_of=account.on_behalf_of,
                detail=f"{result.detail}; sha256 {checked.sha256}"[:500],
            )
    refusal = documents.scan_refusal(name=name, result=result)
    if refusal is not None:
        raise refusal
    token = default_storage.save(f"{INCOMING_PREFIX}{secrets.token_hex(16)}", uploaded)
    return {
        "token": token,
        "name": name,
        "size": checked.size,
        "kind": checked.kind.code,
        "content_type": checked.kind.content_type,
        "sha256": checked.sha256,
        "scan_status": result.status,
        "scan_detail": result.detail,
        "scanned_at": timezone.now().isoformat() if result.status == DocumentFile.ScanStatus.CLEAN else "",
    }


def document_files_discard(*, staged: Iterable[dict[str, Any]]) -> None:
    """Delete temporary files of a wizard (a file removed, the wizard cancelled)."""
    for item in staged:
        token = item.get("token", "")
        if token.startswith(INCOMING_PREFIX):
            default_storage.delete(token)


def _document_header_values(
    *,
    account: ProgramAccount,
    document_type: str,
    related_reference: str,
    reference_check: documents.RelatedReferenceCheck,
) -> tuple[str, str]:
    errors: dict[str, list[ValidationError]] = {}
    if document_type not in CLIENT_DOCUMENT_TYPES:
        errors["document_type"] = [ValidationError(DOCUMENT_TYPE_REQUIRED, code="required")]
    reference = related_reference.strip()
    if not reference and document_type in DOCUMENT_TYPES_NEEDING_REFERENCE:
        errors["related_reference"] = [ValidationError(DOCUMENT_REFERENCE_REQUIRED, code="required")]
    elif reference:
        try:
            reference = documents.related_reference_normalize(
                account=account, value=reference, check=reference_check
            )
        except ValidationError as error:
            errors["related_reference"] = error.error_list
    if errors:
        raise ValidationError(errors)
    return document_type, reference


def document_details_check(
    *,
    account: ProgramAccount,
    document_type: str,
    related_reference: str,
    reference_check: documents.RelatedReferenceCheck,
) -> dict[str, Any]:
    """Step 1 of the wizard: the type and, where the type needs one, the return's or claim's reference
    number, normalized and confirmed by `reference_check` (filings.status.in_process_reference_check, passed by
    the interface layer); a ValidationError names the field that is wrong."""
    document_type, reference = _document_header_values(
        account=account,
        document_type=document_type,
        related_reference=related_reference,
        reference_check=reference_check,
    )
    return {"document_type": document_type, "related_reference": reference}


def document_submit(
    *,
    account: ProgramAccount,
    document_type: str,
    related_reference: str = "",
    description: str = "",
    staged: list[dict[str, Any]],
    by: User,
    reference_check: documents.RelatedReferenceCheck,
    actor: Actor,
) -> Document:
    """Step 3 of the wizard: the document, with its reference number and receipt date, and its files at
    their final names, in one transaction; then the temporary files are deleted and the person who
    submitted gets a receipt by e-mail (the reference number and date, not the files' names)."""
    document_type, reference = _document_header_values(
        account=account,
        document_type=document_type,
        related_reference=related_reference,
        reference_check=reference_check,
    )
    if not staged:
        raise ValidationError({"files": [ValidationError(DOCUMENT_NO_FILES, code="required")]})
    if len(staged) > DOCUMENT_MAX_FILES:
        raise ValidationError(
            {
                "files": [
                    ValidationError(DOCUMENT_TOO_MANY_FILES % {"limit": DOCUMENT_MAX_FILES}, code="too_many")
                ]
            }
        )
    for item in staged:
        token = item.get("token", "")
        if not token.startswith(INCOMING_PREFIX) or not default_storage.exists(token):
            raise ValidationError({"files": [ValidationError(DOCUMENT_FILES_EXPIRED, code="expired")]})
    saved: list[str] = []
    try:
        document = _document_write(
            account=account,
            document_type=document_type,
            related_reference=reference,
            description=description.strip()[:500],
            staged=staged,
            by=by,
            actor=actor,
            saved=saved,
        )
    except BaseException:
        for name in saved:  # the transaction rolled back: no document, so no files either
            default_storage.delete(name)
        raise
    return document


def _document_number(*, day: date) -> str:
    for _attempt in range(10):
        reference = document_reference_generate(day=day)
        if not Document.objects.filter(reference_number=reference).exists():
            return reference
    raise RuntimeError("no free document reference number after 10 attempts")  # 32^6 per day: never


@transaction.atomic
def _document_write(
    *,
    account: ProgramAccount,
    document_type: str,
    related_reference: str,
    description: str,
    staged: list[dict[str, Any]],
    by: User | None,
    actor: Actor,
    saved: list[str],
) -> Document:
    received_at = timezone.now()
    person = by if by is not None and by.is_authenticated else None
    document = Document(
        account=account,
        reference_number=_document_number(day=timezone.localdate(received_at)),
        document_type=document_type,
        related_reference=related_reference,
        description=description,
        origin=Document.Origin.CLIENT,
        received_at=received_at,
        submitted_by=person,
        submitted_by_email=person.email if person else "",
        capacity=actor.capacity,
    )
    document.full_clean()
    document.save()
    for position, item in enumerate(staged, start=1):
        kind = documents.KINDS[item["kind"]]
        with default_storage.open(item["token"], "rb") as temporary:
            name = default_storage.save(
                f"documents/{account.number}/{document.reference_number}/{position}{kind.extensions[0]}",
                temporary,
            )
        saved.append(name)
        DocumentFile.objects.create(
            document=document,
            position=position,
            file=name,
            original_name=item["name"],
            content_type=kind.content_type,
            size=item["size"],
            sha256=item["sha256"],
            scan_status=item["scan_status"],
            scan_detail=item.get("scan_detail", "")[:200],
            scanned_at=received_at if item["scan_status"] == DocumentFile.ScanStatus.CLEAN else None,
        )
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="documents submitted",
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity=actor.capacity,
        detail=f"{document.reference_number}: {len(staged)} file(s)",
    )
    if person is not None:
        when = timezone.localtime(received_at)
        email_queue(
            to=[person.email],
            subject=str(
                _("TRACS: documents received, reference %(reference)s")
                % {"reference": document.reference_number}
            ),
            body=str(
                _(
                    "Tax and Revenue Administration received the documents you submitted in TRACS for account "
                    "%(number)s on %(day)s at %(time)s Alberta time.\n\n"
                    "Reference number: %(reference)s\nFiles: %(count)s\n\n"
                    "Keep the reference number: quote it if you contact TRA about these documents. Sign in to TRACS "
                    "to see them under Submit Documents."
                )
                % {
                    "number": account.number,
                    "day": when.strftime("%Y-%m-%d"),
                    "time": when.strftime("%H:%M"),
                    "reference": document.reference_number,
                    "count": len(staged),
                }
            ),
            purpose="document-receipt",
        )
    tokens = [item["token"] for item in staged]
    transaction.on_commit(lambda: document_files_discard(staged=[{"token": token} for token in tokens]))
    return document


@transaction.atomic
def document_issue(
    *,
    account: ProgramAccount,
    files: list[tuple[str, bytes]],
    document_type: str = Document.Type.TRA_LETTER,
    description: str = "",
    by: User | None = None,
    notify: Iterable[str] = (),
    actor: Actor,
) -> Document:
    """A document TRA places in an account (an approval letter, a certificate): `files` are (name, content)
    pairs, checked like any upload; `notify` are told by e-mail that it is available (not its content).
    `by` is the member of staff it is from, who need not be the actor (the approval letter's job places the
    reviewer's letter). Files written so far are deleted if the transaction fails."""
    received_at = timezone.now()
    document = Document(
        account=account,
        reference_number=_document_number(day=timezone.localdate(received_at)),
        document_type=document_type,
        description=description[:500],
        origin=Document.Origin.TRA,
        received_at=received_at,
        submitted_by=by,
        submitted_by_email=by.email if by is not None else "",
        capacity="staff" if by is not None else "",
    )
    document.full_clean()
    document.save()
    saved: list[str] = []
    try:
        for position, (name, content) in enumerate(files, start=1):
            buffer = documents.as_file(content)
            checked = documents.check_file(buffer, name=_safe_file_name(name), size=len(content))
            stored = default_storage.save(
                f"documents/{account.number}/{document.reference_number}/{position}{checked.kind.extensions[0]}",
                buffer,
            )
            saved.append(stored)
            DocumentFile.objects.create(
                document=document,
                position=position,
                file=stored,
                original_name=_safe_file_name(name),
                content_type=checked.kind.content_type,
                size=checked.size,
                sha256=checked.sha256,
                scan_status=DocumentFile.ScanStatus.NOT_SCANNED,
                scan_detail="issued by TRA",
            )
        access_log_record(
            actor=actor,
            kind=AccessLogEntry.Kind.CHANGE,
            action="document issued by TRA",
            account_number=account.number,
            on_behalf_of=account.on_behalf_of,
            capacity="staff" if by is not None else "",
            detail=document.reference_number,
        )
        for address in sorted(set(notify)):
            email_queue(
                to=[address],
                subject=str(
                    _("TRACS: a document from TRA is available for account %(number)s")
                    % {"number": account.number}
                ),
                body=str(
                    _(
                        "Tax and Revenue Administration placed a document (%(type)s) in TRACS for account %(number)s "
                        "(%(program)s). Sign in to TRACS and open Submit Documents to see it."
                    )
                    % {
                        "type": document.get_document_type_display(),
                        "number": account.number,
                        "program": account.program.name,
                    }
                ),
                purpose="document-issued",
            )
    except BaseException:
        for name in saved:
            default_storage.delete(name)
        raise
    return document


def documents_incoming_sweep(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete temporary uploads of wizards left unfinished; safe to run twice. Returns how many."""
    cutoff = timezone.now() - older_than
    try:
        _folders, names = default_storage.listdir(INCOMING_PREFIX.rstrip("/"))
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"{INCOMING_PREFIX}{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed
