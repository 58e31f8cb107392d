"""The one ingestion service every door uses (issue 14, item 6): the web forms (`ingestion_rows`), a browser
upload and the SFTP inbox (`ingestion_receive`, then the Celery job's `ingestion_run`), the API later.

A file is received first: streamed to disk in chunks (never whole in memory) while it is hashed, measured,
counted and decoded as UTF-8, so a file past the limits, not UTF-8, without the header of a record type, for
another account or sent before is refused up front, whole, with one clear message. A received file is then run:
read streaming, COPY'd into a staging table in chunks (rows read committed after each, for the progress page),
validated by one SQL statement per rule (ingestion_sql.py; the registry on each sale date and the seller's
BFLOs are joins), the counters committed, and then, in one transaction under the account's lock, the accepted
rows stored and every rejected row recorded with its row number, field and reason. Validate-only runs it all
but the store. Nothing is changed in place: a sale is corrected by amendment or void records."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from filings.sales import formats, xml_format
from filings.sales import ingestion_sql as sql
from filings.sales.formats import FileRefused
from filings.sales.models import Ingestion, RecordType, RejectedRow, Sale
from programs.models import ProgramAccount

logger = logging.getLogger(__name__)

HEAD_CHARS = 64 * 1024  # enough for the header and the first record
INGESTION_DIR = "ingestion"
_EXTENSIONS = {".csv": Ingestion.Format.CSV, ".xml": Ingestion.Format.XML}
# An XML file's records are counted as it streams by their closing tags (an estimate: for the row limit and the
# progress bar).
_XML_RECORD_ENDS = tuple(f"</{record}>".encode() for _container, record in xml_format.ELEMENTS.values())


def _person(actor: Actor) -> Any:
    user = actor.user
    return user if user is not None and user.is_authenticated else None


def _month_text(day: date) -> str:
    return f"{day:%Y-%m}"


# --- Receive -----------------------------------------------------------------------------------------------------
class _Inspector:
    """What receiving learns of a file as its chunks go by: hash, size, lines, UTF-8, the first characters."""

    def __init__(self, *, xml: bool) -> None:
        self.xml = xml
        self.records = 0
        self.tails = dict.fromkeys(_XML_RECORD_ENDS, b"")
        self.sha = hashlib.sha256()
        self.size = 0
        self.newlines = 0
        self.last_byte = b""
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.head: list[str] = []
        self.head_chars = 0

    def feed(self, chunk: bytes) -> None:
        self.sha.update(chunk)
        self.size += len(chunk)
        if self.size > formats.MAX_FILE_BYTES:
            raise FileRefused(str(formats.FILE_TOO_BIG % {"max": formats.MAX_FILE_BYTES // (1024 * 1024)}))
        try:
            text = self.decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = self.newlines + chunk[: error.start].count(b"\n") + 1
            raise FileRefused(str(formats.FILE_NOT_UTF8 % {"line": line})) from None
        self.newlines += chunk.count(b"\n")
        if chunk:
            self.last_byte = chunk[-1:]
        if self.head_chars < HEAD_CHARS:
            self.head.append(text)
            self.head_chars += len(text)
        if self.xml:
            for marker, tail in self.tails.items():
                self.records += (tail + chunk).count(marker)
                self.tails[marker] = chunk[-(len(marker) - 1) :]
        if self.rows > formats.MAX_ROWS:
            raise FileRefused(str(formats.FILE_TOO_MANY_ROWS % {"max": f"{formats.MAX_ROWS:,}"}))

    def finish(self) -> None:
        try:
            self.decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileRefused(str(formats.FILE_NOT_UTF8 % {"line": self.newlines + 1})) from None
        if self.size == 0:
            raise FileRefused(str(formats.FILE_EMPTY))

    @property
    def rows(self) -> int:
        """Records so far: XML records ended, or CSV lines after the header."""
        if self.xml:
            return self.records
        return self.newlines + (1 if self.last_byte not in (b"\n", b"") else 0) - 1


def _csv_head(*, text: str) -> tuple[str, str, str]:
    """(account number, month, record type) of a CSV file: its header row and first record; or FileRefused."""
    records = [row for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))) if row][:2]
    header = tuple(name.strip().lower() for name in records[0]) if records else ()
    record_type = formats.RECORD_TYPE_BY_HEADER.get(header)
    if record_type is None:
        headers = " | ".join(",".join(columns) for columns in formats.COLUMNS.values())
        found = text.splitlines()[0][:200] if text.strip() else "(empty)"
        raise FileRefused(str(formats.FILE_HEADER % {"headers": headers, "found": found}))
    if len(records) < 2:
        raise FileRefused(str(formats.FILE_NO_ROWS))
    first = records[1] + ["", ""]
    return first[0].strip(), first[1].strip(), record_type


def _file_head(*, ingestion: Ingestion, text: str, path: Path) -> None:
    """The record type and month of a file, from its start; refused if it is for another account."""
    if ingestion.format == Ingestion.Format.XML:
        number, month, record_type = xml_format.head_check(head=text, path=path)
    else:
        number, month, record_type = _csv_head(text=text)
    if number != ingestion.account.number:
        raise FileRefused(
            str(formats.FILE_OTHER_ACCOUNT % {"found": number[:40], "account": ingestion.account.number})
        )
    ingestion.record_type = record_type
    ingestion.month = _month_parse(month)


def _month_parse(text: str) -> date:
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(text)
        return date(int(year), int(month), 1)
    except ValueError:
        raise FileRefused(str(formats.FILE_MONTH % {"found": text[:20]})) from None


def _already_received(*, account: ProgramAccount, sha256: str) -> Ingestion | None:
    return (
        Ingestion.objects.filter(
            account=account,
            sha256=sha256,
            validate_only=False,
            status__in=[Ingestion.Status.RECEIVED, Ingestion.Status.RUNNING, Ingestion.Status.DONE],
        )
        .order_by("received_at")
        .first()
    )


def _already_message(first: Ingestion) -> str:
    return str(
        formats.FILE_ALREADY_RECEIVED
        % {
            "day": timezone.localtime(first.received_at).date().isoformat(),
            "name": first.file_name,
            "id": first.pk,
        }
    )


def ingestion_receive(
    *,
    account: ProgramAccount,
    door: str,
    file_name: str,
    chunks: Iterable[bytes],
    actor: Actor,
    validate_only: bool = False,
    format: str | None = None,  # noqa: A002 (the name the interface file gives)
) -> Ingestion:
    """Stream a file to disk and check it whole; a received file's job is queued when the transaction commits.
    Returns the Ingestion, received or refused (with its `refusal`)."""
    name = Path(file_name.replace("\\", "/")).name[:255]
    suffix = Path(name).suffix.lower()
    ingestion = Ingestion(
        account=account,
        door=door,
        format=format or _EXTENSIONS.get(suffix, Ingestion.Format.CSV),
        file_name=name,
        validate_only=validate_only,
        submitted_by=_person(actor),
    )
    relative = (
        Path(INGESTION_DIR) / str(account.pk) / f"{uuid.uuid4().hex}{suffix if suffix in _EXTENSIONS else ''}"
    )
    path = Path(settings.MEDIA_ROOT) / relative
    inspector = _Inspector(xml=ingestion.format == Ingestion.Format.XML)
    try:
        if format is None and suffix not in _EXTENSIONS:
            raise FileRefused(str(formats.FILE_FORMAT % {"name": name}))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            for chunk in chunks:
                inspector.feed(chunk)
                out.write(chunk)
        inspector.finish()
        ingestion.sha256 = inspector.sha.hexdigest()
        ingestion.size = inspector.size
        _file_head(ingestion=ingestion, text="".join(inspector.head), path=path)
        ingestion.rows_expected = max(inspector.rows, 0)
        first = None if validate_only else _already_received(account=account, sha256=ingestion.sha256)
        if first is not None:
            raise FileRefused(_already_message(first))
        ingestion.stored_path = str(relative)
    except FileRefused as refused:
        path.unlink(missing_ok=True)
        ingestion.sha256 = ingestion.sha256 or inspector.sha.hexdigest()
        ingestion.size = inspector.size
        ingestion.status = Ingestion.Status.REFUSED
        ingestion.refusal = refused.message
        ingestion.finished_at = timezone.now()
    try:
        _save(ingestion=ingestion, actor=actor)
    except IntegrityError:
        # The same file received at the same moment through another door: that one counts, this one is refused.
        path.unlink(missing_ok=True)
        first = _already_received(account=account, sha256=ingestion.sha256)
        ingestion.stored_path = ""
        ingestion.status = Ingestion.Status.REFUSED
        ingestion.refusal = _already_message(first) if first else ""
        ingestion.finished_at = timezone.now()
        _save(ingestion=ingestion, actor=actor)
    if ingestion.status == Ingestion.Status.RECEIVED:
        transaction.on_commit(lambda: _schedule(ingestion.pk))
    return ingestion


def _save(*, ingestion: Ingestion, actor: Actor) -> None:
    with transaction.atomic():
        ingestion.save()
        _log(actor=actor, ingestion=ingestion, action="marked-fuel file received")


def _schedule(ingestion_id: int) -> None:
    from filings.sales import tasks

    try:
        tasks.ingestion_run.delay(ingestion_id)
    except Exception:  # a broker that is down must not fail the door; staff re-run it from the ingestion log
        logger.warning("filings.sales: could not queue ingestion %s", ingestion_id, exc_info=True)


def _log(*, actor: Actor, ingestion: Ingestion, action: str) -> None:
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=action,
        account_number=ingestion.account.number,
        detail=(
            f"ingestion {ingestion.pk} {ingestion.file_name or ingestion.record_type} ({ingestion.door}): "
            f"{ingestion.status}; {ingestion.rows_accepted} accepted, {ingestion.rows_rejected} rejected"
            + (" (validate only)" if ingestion.validate_only else "")
        ),
    )


# --- Run ---------------------------------------------------------------------------------------------------------
def _batched(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while batch := list(islice(rows, size)):
        yield batch


def _csv_rows(*, path: Path, record_type: str) -> Iterator[tuple[Any, ...]]:
    """(row number as the seller's spreadsheet numbers it, values in the row, the values padded to the header)."""
    expected = len(formats.COLUMNS[record_type])
    padding = [""] * expected
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            next(reader)
            for values in reader:
                if not values:
                    continue
                count = len(values)
                if count != expected:
                    values = (values + padding)[:expected]
                yield (reader.line_num, count, *values)
        except csv.Error as error:
            detail = str(error)
            message = formats.FILE_TRUNCATED if "end of data" in detail else formats.FILE_CSV
            raise FileRefused(str(message % {"line": reader.line_num, "detail": detail})) from None


# A CSV file is COPY'd into staging as it is when PostgreSQL's CSV reader and Python's read it alike: no quote
# (the two differ on a quote inside a value or after a closing one, and a quoted line break makes records and
# lines differ), no NUL, no line of 64 KB or more (the csv reader refuses a value past 128 KB) and, checked by
# the counts, one record on each line (a blank line, a short or long row or a mixed line ending makes COPY fail,
# and a `\.` line ends its data early). Any other file, or one where COPY fails, is read by the csv reader.
_BLOCK = 1024 * 1024
_LONG_LINE = 64 * 1024


class _NotPlain(Exception):
    """The file is not one COPY reads as the csv reader would: read it with the csv reader."""


def _line_pieces(*, path: Path, records: int) -> Iterator[tuple[list[bytes], int]]:
    """The file's bytes in pieces of `records` whole lines (the header line too in the first), each with its
    number of lines; _NotPlain as soon as a block is not plain (see above)."""
    wanted = records + 1  # the header line
    pieces: list[bytes] = []
    lines = 0
    run = 0  # bytes since the last line break, across blocks
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            if b'"' in block or b"\0" in block:
                raise _NotPlain
            first = block.find(b"\n")
            if run + (len(block) if first < 0 else first) >= _LONG_LINE:
                raise _NotPlain
            for start in range(0, len(block) - _LONG_LINE // 2 + 1, _LONG_LINE // 2):
                if block.find(b"\n", start, start + _LONG_LINE // 2) < 0:
                    raise _NotPlain
            last = block.rfind(b"\n")
            run = run + len(block) if last < 0 else len(block) - last - 1
            start = 0
            while (count := block.count(b"\n", start)) >= wanted - lines:
                end = start - 1
                for _ in range(wanted - lines):
                    end = block.index(b"\n", end + 1)
                pieces.append(block[start : end + 1])
                yield pieces, wanted
                pieces, lines, start, wanted = [], 0, end + 1, records
            if start < len(block):
                pieces.append(block[start:])
                lines += count
    if pieces:
        yield pieces, lines + (1 if run else 0)


def _chunk_rows() -> int:
    """Rows per COPY between progress commits (TRACS_INGESTION_CHUNK_ROWS): fewer commits on a big file, or a
    progress page that moves on a small one (the browser journey's worker)."""
    return max(1, int(settings.TRACS_INGESTION_CHUNK_ROWS))


def _stage_csv_plain(*, ingestion: Ingestion, path: Path, record_type: str) -> int | None:
    """Stage a plain CSV file with COPY of its bytes, _chunk_rows() records at a time (progress after each):
    the records staged, or None (staging emptied) if it must be read by the csv reader."""
    read = 0
    header = True
    try:
        for pieces, lines in _line_pieces(path=path, records=_chunk_rows()):
            expected = lines - (1 if header else 0)
            if read + expected > formats.MAX_ROWS:
                raise FileRefused(str(formats.FILE_TOO_MANY_ROWS % {"max": f"{formats.MAX_ROWS:,}"}))
            # A savepoint in a transaction (a COPY that fails ends only it); its own commit otherwise.
            with transaction.atomic():
                copied = sql.stage_copy_csv(record_type=record_type, pieces=pieces, header=header)
                if copied != expected:
                    raise _NotPlain
            header = False
            read += copied
            if copied:
                _progress(ingestion, rows_read=read)
    except (_NotPlain, psycopg.Error):
        sql.stage_empty()
        return None
    return read


def _progress(ingestion: Ingestion, **counters: Any) -> None:
    """Publish counters at once (outside any store transaction: other connections read them while it runs)."""
    Ingestion.objects.filter(pk=ingestion.pk).update(**counters)
    for key, value in counters.items():
        setattr(ingestion, key, value)


def ingestion_run(*, ingestion_id: int) -> Ingestion:
    """Read, validate and store a received file. Safe to run twice: a finished ingestion is returned as it is,
    and one interrupted while running starts again from its file (nothing was stored before its last step)."""
    ingestion = Ingestion.objects.select_related("account").get(pk=ingestion_id)
    if ingestion.is_finished:
        return ingestion
    _progress(ingestion, status=Ingestion.Status.RUNNING, started_at=timezone.now(), rows_read=0)
    assert ingestion.month is not None  # a received file's month is read at receipt
    record_type, month = ingestion.record_type, _month_text(ingestion.month)
    try:
        sql.stage_create(record_type=record_type)
        path = Path(settings.MEDIA_ROOT) / ingestion.stored_path
        rows: Iterator[tuple[Any, ...]] = iter(())
        plain = None
        if ingestion.format == Ingestion.Format.XML:
            rows = xml_format.xml_rows(
                path=path, record_type=record_type, account_number=ingestion.account.number, month=month
            )
        elif (plain := _stage_csv_plain(ingestion=ingestion, path=path, record_type=record_type)) is None:
            rows = _csv_rows(path=path, record_type=record_type)
        read = plain or 0
        for batch in _batched(rows, _chunk_rows()):
            read += len(batch)
            if read > formats.MAX_ROWS:
                raise FileRefused(str(formats.FILE_TOO_MANY_ROWS % {"max": f"{formats.MAX_ROWS:,}"}))
            sql.stage_copy(record_type=record_type, rows=batch)
            _progress(ingestion, rows_read=read)
        staged, rejected = sql.validate(
            record_type=record_type, account=ingestion.account, month=month, ingestion_id=ingestion.pk
        )
        _progress(ingestion, rows_accepted=staged - rejected, rows_rejected=rejected)
        with transaction.atomic():
            _store_and_finish(
                ingestion=ingestion, month=month, actor=Actor.job("filings.sales.ingestion_run")
            )
    except FileRefused as refused:
        _progress(
            ingestion,
            status=Ingestion.Status.REFUSED,
            refusal=refused.message,
            rows_accepted=0,
            rows_rejected=0,
            finished_at=timezone.now(),
        )
    except Exception:
        logger.exception("filings.sales: ingestion %s failed", ingestion.pk)
        _progress(
            ingestion,
            status=Ingestion.Status.FAILED,
            refusal=str(formats.FILE_FAILED),
            rows_accepted=0,
            finished_at=timezone.now(),
        )
    finally:
        sql.drop()
    return ingestion


def _store_and_finish(
    *, ingestion: Ingestion, month: str, actor: Actor, only_if_all_accepted: bool = False
) -> None:
    accepted, rejected = sql.store(
        record_type=ingestion.record_type,
        account=ingestion.account,
        month=month,
        ingestion_id=ingestion.pk,
        messages=formats.row_messages(record_type=ingestion.record_type),
        accept=not ingestion.validate_only,
        only_if_all_accepted=only_if_all_accepted,
    )
    _progress(
        ingestion,
        # Nothing was stored: the submission stands as a check, so its rejected rows are no one's to correct.
        validate_only=ingestion.validate_only or bool(only_if_all_accepted and rejected),
        status=Ingestion.Status.DONE,
        rows_read=accepted + rejected,
        rows_accepted=accepted,
        rows_rejected=rejected,
        finished_at=timezone.now(),
    )
    _log(actor=actor, ingestion=ingestion, action="marked-fuel records stored")


# --- The web forms' door -----------------------------------------------------------------------------------------
CORRECTS = "corrects_rejected"


@transaction.atomic
def ingestion_rows(
    *,
    account: ProgramAccount,
    record_type: str,
    month: date,
    rows: list[dict[str, Any]],
    actor: Actor,
    validate_only: bool = False,
    only_if_all_accepted: bool = False,
) -> Ingestion:
    """Validate and store rows typed in the portal's forms, through the same rules and store as a file, in one
    transaction. Row numbers are positions in `rows` from 1. A row with `corrects_rejected` (a RejectedRow id of
    this account) that is accepted is linked to the rejected row it corrects. With `only_if_all_accepted`, one
    rejected row stores none (the form shows the errors beside their rows): the ingestion is then a check
    (`validate_only`), so a submission is one ingestion whichever way it goes."""
    if record_type not in formats.COLUMNS:
        raise ValueError(f"unknown record type {record_type!r}")
    if not rows or len(rows) > formats.MAX_WEB_ROWS:
        raise ValueError(f"between 1 and {formats.MAX_WEB_ROWS} rows")
    month_start = month.replace(day=1)
    now = timezone.now()
    ingestion = Ingestion.objects.create(
        account=account,
        door=Ingestion.Door.WEB,
        format=Ingestion.Format.WEB,
        record_type=record_type,
        month=month_start,
        validate_only=validate_only,
        status=Ingestion.Status.RUNNING,
        rows_expected=len(rows),
        submitted_by=_person(actor),
        received_at=now,
        started_at=now,
    )
    columns = formats.COLUMNS[record_type]
    staged = [
        (number, len(columns), account.number, _month_text(month_start), *_values(row, columns[2:]))
        for number, row in enumerate(rows, start=1)
    ]
    try:
        sql.stage_create(record_type=record_type)
        sql.stage_copy(record_type=record_type, rows=staged)
        if record_type == RecordType.SALES:
            sql.errors_add(_correction_errors(account=account, rows=rows))
        sql.validate(
            record_type=record_type,
            account=account,
            month=_month_text(month_start),
            ingestion_id=ingestion.pk,
        )
        _store_and_finish(
            ingestion=ingestion,
            month=_month_text(month_start),
            actor=actor,
            only_if_all_accepted=only_if_all_accepted,
        )
    finally:
        sql.drop()
    if record_type == RecordType.SALES and not ingestion.validate_only:
        _link_corrections(ingestion=ingestion, rows=rows)
    return ingestion


def _values(row: dict[str, Any], columns: tuple[str, ...]) -> list[str]:
    return ["" if row.get(column) is None else str(row[column]) for column in columns]


def _correctable(*, account: ProgramAccount) -> QuerySet[RejectedRow]:
    return RejectedRow.objects.filter(
        ingestion__account=account,
        ingestion__record_type=RecordType.SALES,
        ingestion__validate_only=False,
        corrected_by__isnull=True,
    )


def _correction_errors(
    *, account: ProgramAccount, rows: list[dict[str, Any]]
) -> list[tuple[int, str, str, str]]:
    """Rows naming a rejected row that is not one of this account's rejected sales still to correct."""
    wanted = {number: str(row[CORRECTS]) for number, row in enumerate(rows, start=1) if row.get(CORRECTS)}
    ids = [int(value) for value in wanted.values() if value.isdigit()]
    known = {str(pk) for pk in _correctable(account=account).filter(pk__in=ids).values_list("pk", flat=True)}
    return [
        (number, CORRECTS, "correction_invalid", value)
        for number, value in wanted.items()
        if value not in known
    ]


def _link_corrections(*, ingestion: Ingestion, rows: list[dict[str, Any]]) -> None:
    wanted = {number: row[CORRECTS] for number, row in enumerate(rows, start=1) if row.get(CORRECTS)}
    if not wanted:
        return
    correctable = _correctable(account=ingestion.account)
    for sale in Sale.objects.filter(ingestion=ingestion, row_number__in=list(wanted)):
        correctable.filter(pk=wanted[sale.row_number]).update(corrected_by=sale)
