"""Files in an account's SFTP inbox: picked up once complete, handed to the one ingestion service, and answered by
an acknowledgement file in the account's outbox (the same CSV the portal offers for the file).

A file is complete when the server saw its writer close it under its final name, or rename it from a temporary
name (directories.TEMPORARY_SUFFIXES) to its final one; for a server that cannot say (OpenSSH's sshd) or a file
left by a restart, when it has not changed for settings.TRACS_SFTP_SETTLE_SECONDS (`inbox_sweep`, a beat job).
Behind sshd the sweep is the only pickup, and the file does not say which key put it (sshd writes as the account's
one system user): it is attributed to the key of the account's last sign-in before the file was last written
(keys.sftp_file_attribution), which must still work, and logged as "SFTP file put" under that key's person.
The file is first moved out of the inbox (one rename: whoever moves it first picks it up, never twice), then
streamed to `ingestion_receive`, which keeps its own copy; the moved file is then deleted.

What never reaches the service is answered in the outbox too, with the same summary columns: a symbolic link, a
name the inbox refuses, an upload cut off before its writer closed it, a file past the size limit.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor, Door
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from filings.sales import formats, selectors
from filings.sales.ingestion import ingestion_receive
from filings.sales.models import Ingestion
from filings.sales.sftp import directories, keys
from programs.models import ProgramAccount

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024
ACK_SUFFIX = ".ack.csv"
SUMMARY_HEADER = ["file", "status", "validate_only", "rows_read", "rows_accepted", "rows_rejected", "message"]
INTERRUPTED = _(
    "“%(name)s”: the upload ended before the file was closed (the connection was lost), so the file may be cut "
    "short. Nothing was read. Send the file again."
)
TOO_LARGE = _(
    "“%(name)s” is larger than %(limit)s MB, the largest file accepted. Nothing was read. Split it into files of "
    "at most %(limit)s MB (for example one per month and record type)."
)
FOLDER = _(
    "“%(name)s” is a folder: folders are refused, only plain files put in inbox/ are read. It was removed with "
    "what was in it. Put each file in inbox/ itself."
)
KEY_STOPPED = _(
    "“%(name)s”: the key that put it (%(key)s) no longer signs in to this account: %(reason)s. Nothing was read. "
    "Send the file again with a key that works."
)
# How far back the sweep looks for finished SFTP files whose acknowledgement is not in the outbox yet.
ACKNOWLEDGE_WITHIN = timedelta(days=2)


def max_file_bytes() -> int:
    return formats.MAX_FILE_BYTES


def too_large_message(name: str) -> str:
    return str(TOO_LARGE % {"name": name, "limit": max_file_bytes() // (1024 * 1024)})


def _write_atomically(path: Path, text: str) -> Path:
    """Write `path` under a temporary name, then rename it: a client never reads half an acknowledgement."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    temporary.write_text(text, encoding="utf-8", newline="")
    os.replace(temporary, path)
    return path


def acknowledgement_refused_write(*, account_number: str, name: str, message: str) -> Path:
    """The acknowledgement of a file refused before it reached the ingestion service."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SUMMARY_HEADER)
    writer.writerow([name, Ingestion.Status.REFUSED.value, "no", 0, 0, 0, message])
    folder = directories.outbox(account_number=account_number)
    folder.mkdir(parents=True, exist_ok=True)
    return _write_atomically(folder / f"{name}{ACK_SUFFIX}", out.getvalue())


def outbox_acknowledge(*, ingestion: Ingestion) -> Path | None:
    """Write the acknowledgement of a finished ingestion into its account's outbox (again, if asked twice: the
    same content); None while it is still running."""
    if not ingestion.is_finished:
        return None
    folder = directories.outbox(account_number=ingestion.account.number)
    folder.mkdir(parents=True, exist_ok=True)
    name = selectors.acknowledgement_file_name(ingestion=ingestion)
    return _write_atomically(folder / name, "".join(selectors.acknowledgement_csv(ingestion=ingestion)))


def _log(*, actor: Actor, account_number: str, kind: str, action: str, detail: str) -> None:
    access_log_record(actor=actor, kind=kind, action=action, account_number=account_number, detail=detail)


def _refused(*, actor: Actor, account_number: str, name: str, message: str) -> None:
    _log(
        actor=actor,
        account_number=account_number,
        kind=AccessLogEntry.Kind.DENIED,
        action="SFTP file refused",
        detail=message,
    )
    acknowledgement_refused_write(account_number=account_number, name=name, message=message)


def file_refuse(
    *, actor: Actor, account_number: str, name: str, message: str, path: Path | None = None
) -> None:
    """A file the inbox does not read: removed (when it is there), logged and answered in the outbox."""
    if path is not None:
        path.unlink(missing_ok=True)
    with transaction.atomic():
        _refused(actor=actor, account_number=account_number, name=name, message=message)


def _chunks(handle) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk


def inbox_file_pickup(
    *, account_number: str, name: str, actor: Actor, put_detail: str = ""
) -> Ingestion | None:
    """Pick up inbox/<name> of the account: refuse a link or a refused name, else move it out of the inbox and
    stream it to the ingestion service. Returns the ingestion (received, or refused with its message), or None when
    there was nothing to pick up (someone else moved it first, or it was refused before the service). With
    `put_detail`, the file's "SFTP file put" row is written with the ingestion (the sweep's, for a server that did
    not log the put itself)."""
    folder = directories.inbox(account_number=account_number)
    source = folder / name
    if source.is_symlink():
        file_refuse(
            actor=actor,
            account_number=account_number,
            name=name,
            message=str(directories.SYMLINK % {"name": name}),
            path=source,
        )
        return None
    try:
        directories.name_check(name)
    except directories.NameRefused as refusal:
        file_refuse(
            actor=actor,
            account_number=account_number,
            name="refused-file",
            message=refusal.message,
            path=source,
        )
        return None
    pickup = directories.pickup_directory()
    pickup.mkdir(parents=True, exist_ok=True)
    taken = pickup / f"{account_number}--{uuid.uuid4().hex}--{name}"
    try:
        os.rename(source, taken)
    except FileNotFoundError:
        return None  # picked up already
    try:
        if taken.stat().st_size > max_file_bytes():
            file_refuse(
                actor=actor, account_number=account_number, name=name, message=too_large_message(name)
            )
            return None
        account = ProgramAccount.objects.get(number=account_number)
        fd = os.open(taken, os.O_RDONLY | os.O_NOFOLLOW)
        with transaction.atomic(), os.fdopen(fd, "rb") as handle:
            if put_detail:
                _log(
                    actor=actor,
                    account_number=account_number,
                    kind=AccessLogEntry.Kind.CHANGE,
                    action="SFTP file put",
                    detail=put_detail,
                )
            ingestion = ingestion_receive(
                account=account, door=Ingestion.Door.SFTP, file_name=name, chunks=_chunks(handle), actor=actor
            )
            if ingestion.is_finished:  # refused up front: answered at once
                outbox_acknowledge(ingestion=ingestion)
            else:
                from filings.sales.sftp.tasks import sftp_acknowledge

                transaction.on_commit(lambda: sftp_acknowledge.delay(ingestion.pk))
        return ingestion
    finally:
        taken.unlink(missing_ok=True)


def _folder_refuse(*, account_number: str, name: str, actor: Actor) -> None:
    """A folder (or anything but a plain file) in an inbox: removed, without following links, and answered."""
    try:
        answered = directories.name_check(name)
    except directories.NameRefused:
        answered = "refused-file"
    path = directories.inbox(account_number=account_number) / name
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    file_refuse(
        actor=actor, account_number=account_number, name=answered, message=str(FOLDER % {"name": answered})
    )


def _settled_file_pickup(*, account_number: str, name: str, written_at: datetime, job: Actor) -> bool:
    """Pick up a settled inbox file under the key that put it as far as TRACS can tell (keys.sftp_file_attribution),
    refused when that key no longer works; under the sweep's own name when no sign-in precedes it."""
    attribution = keys.sftp_file_attribution(account_number=account_number, written_at=written_at)
    written = f"{written_at:%Y-%m-%d %H:%M:%S} UTC"
    if attribution is None:
        detail = f"inbox/{name}, found by the sweep (last written {written}); no SFTP sign-in to the account before it"
        actor = job
    else:
        key = attribution.key
        try:
            actor = keys.sftp_attributed_session(attribution=attribution).actor
        except keys.SignInRefused as refusal:
            message = KEY_STOPPED % {
                "name": name,
                "key": f"{key.name} {key.fingerprint}",
                "reason": refusal.reason,
            }
            file_refuse(
                actor=job,
                account_number=account_number,
                name=name,
                message=str(message),
                path=directories.inbox(account_number=account_number) / name,
            )
            return False
        detail = (
            f"inbox/{name}, found by the sweep (last written {written}); attributed to key {key.name} "
            f"{key.fingerprint}: the account's last sign-in before it, at {attribution.signed_in_at:%H:%M:%S} UTC"
        )
    picked = inbox_file_pickup(account_number=account_number, name=name, actor=actor, put_detail=detail)
    return picked is not None


def inbox_sweep(*, now=None) -> int:
    """The beat job's round: pick up every inbox file not written to for TRACS_SFTP_SETTLE_SECONDS (a server that
    did not tell us it was closed: sshd), and write the acknowledgements still missing of finished SFTP files.
    Returns how many files it picked up."""
    now = now or timezone.now()
    settled_before = now.timestamp() - settings.TRACS_SFTP_SETTLE_SECONDS
    actor = Actor.job("sftp inbox sweep", door=Door.SFTP)
    picked = 0
    for account_number in directories.accounts_with_directories():
        folder = directories.inbox(account_number=account_number)
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            if directories.is_temporary(entry.name) and not entry.is_symlink():
                continue
            if entry.is_symlink():
                if inbox_file_pickup(account_number=account_number, name=entry.name, actor=actor) is not None:
                    picked += 1
                continue
            if not entry.is_file(follow_symlinks=False):  # sshd lets a session make folders in its inbox
                _folder_refuse(account_number=account_number, name=entry.name, actor=actor)
                continue
            written_at = entry.stat(follow_symlinks=False).st_mtime
            if written_at <= settled_before and _settled_file_pickup(
                account_number=account_number,
                name=entry.name,
                written_at=datetime.fromtimestamp(written_at, tz=UTC),
                job=actor,
            ):
                picked += 1
    finished = Ingestion.objects.filter(
        door=Ingestion.Door.SFTP, finished_at__gte=now - ACKNOWLEDGE_WITHIN
    ).select_related("account")
    for ingestion in finished:
        name = selectors.acknowledgement_file_name(ingestion=ingestion)
        if not (directories.outbox(account_number=ingestion.account.number) / name).exists():
            outbox_acknowledge(ingestion=ingestion)
    return picked
