"""Writes to the exemption registry: the registry import file, and the single changes staff make in admin.

Every change, one or a million, goes through the same path (registry_sql.py): rows are checked for their own
form here as they stream in, COPYed into a staging table, checked against the registry and each other by one
SQL statement per rule, and stored only if no row of the whole file has an error (all or nothing), in one
transaction with its access-log row. So admin and the file follow exactly the same rules:

- register: a new number, active from its date; AFFB numbers for 3 years (rules.py, the dated term);
- renew (AFFB only): active again from its date for a new 3-year term;
- suspend (an active number), reinstate (a suspended one, within its AFFB term), cancel (final);
- update_holder: a registered holder's name and address.

A change of status ends the open status period the day the new one starts; a change never starts on or before
the start of the status it follows (history is not rewritten), and the database refuses overlapping periods.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.actors import Actor
from accounts.models import AccessLogEntry
from accounts.services import access_log_record, access_log_wait
from programs import validators
from programs.models import ProgramAccount
from programs.registries import registry_sql, rules, selectors
from programs.registries.models import ExemptionCertificate, ExemptionHolder, ExemptionImport

HEADER = [
    "action",
    "number",
    "effective_date",
    "holder_reference",
    "holder_name",
    "address_line1",
    "address_line2",
    "city",
    "province",
    "postal_code",
    "reason",
]
REGISTER, RENEW, SUSPEND, REINSTATE, CANCEL, UPDATE_HOLDER = (
    "register",
    "renew",
    "suspend",
    "reinstate",
    "cancel",
    "update_holder",
)
ACTIONS = (REGISTER, RENEW, SUSPEND, REINSTATE, CANCEL, UPDATE_HOLDER)
STATUS_ACTIONS = (RENEW, SUSPEND, REINSTATE, CANCEL)
HOLDER_FIELDS = ("holder_name", "address_line1", "address_line2", "city", "province", "postal_code")
MAX_REASON = 300
ERRORS_LISTED = 200  # a file with more errors lists the first ones and says how many there are in all
_REFERENCE = re.compile(r"^[A-Z0-9-]{1,20}$")

# File-level refusals (nothing read further).
FILE_NOT_UTF8 = gettext_lazy("Line %(line)s: the file is not UTF-8 text. Save it as CSV UTF-8 and try again.")
FILE_HEADER = gettext_lazy("Line 1: the header must be exactly %(header)s.")
FILE_EMPTY = gettext_lazy("The file has no changes after its header.")
FILE_TOO_MANY_ROWS = gettext_lazy(
    "The file has more than %(max)s changes. Split it, or import it with manage.py exemption_registry_import."
)
FILE_ALREADY_IMPORTED = gettext_lazy(
    "This file was already imported on %(day)s (%(filename)s): nothing was stored."
)
REGISTRY_RACED = gettext_lazy(
    "The registry refused the changes (%(detail)s): nothing was stored. Check the file against the registry "
    "and import it again."
)
# Row-level refusals, each named with its line and field.
FIELD_COUNT = gettext_lazy("%(expected)s fields expected, found %(count)s.")
ACTION_UNKNOWN = gettext_lazy("“%(value)s” is not an action: use one of %(actions)s.")
REQUIRED = gettext_lazy("This field is required for %(action)s.")
NOT_FOR_HOLDER_UPDATE = gettext_lazy("Leave this field empty on an update_holder row.")
HOLDER_ONLY_ON_REGISTER = gettext_lazy(
    "A holder's name and address are given on register or update_holder rows only: leave them empty here."
)
DATE_FORMAT = gettext_lazy("Enter the date as YYYY-MM-DD, like 2025-04-01.")
RENEW_AFFB_ONLY = gettext_lazy(
    "Only AFFB numbers are renewed (every 3 years); TEFU and carbon levy certificates do not expire."
)
REFERENCE_FORMAT = gettext_lazy("A holder reference is 1 to 20 letters, digits or hyphens.")
REASON_TOO_LONG = gettext_lazy("At most %(max)s characters.")
TOO_LONG = gettext_lazy("At most %(max)s characters.")
RULE_MESSAGES: dict[str, Any] = {
    "already_registered": gettext_lazy(
        "%(value)s is already registered: use renew, suspend, reinstate or cancel."
    ),
    "registered_above": gettext_lazy("This number is already registered on line %(value)s of this file."),
    "unknown_number": gettext_lazy("%(value)s is not registered (register it first, on an earlier line)."),
    "not_after_previous": gettext_lazy(
        "The date must be after %(day)s, the date of this number's change on line %(line)s (one change per day, in date order)."
    ),
    "not_after_current": gettext_lazy(
        "The date must be after %(value)s, when the number's current status began: the registry's history is not rewritten."
    ),
    "after_cancel": gettext_lazy(
        "%(value)s is cancelled by then: a cancellation is final (a new number is registered instead)."
    ),
    "already_suspended": gettext_lazy("%(value)s is already suspended on that date."),
    "suspend_lapsed": gettext_lazy(
        "The AFFB eligibility ended on %(value)s (not renewed): there is nothing to suspend."
    ),
    "reinstate_not_suspended": gettext_lazy(
        "%(value)s is not suspended on that date: only a suspended number is reinstated."
    ),
    "reinstate_lapsed": gettext_lazy(
        "The AFFB eligibility ended on %(value)s while suspended: record a renewal (renew) instead of a reinstatement."
    ),
    "holder_exists": gettext_lazy(
        "Holder %(value)s is already in the registry: leave its name and address empty (change them with an update_holder row)."
    ),
    "holder_details_required": gettext_lazy(
        "Holder %(value)s is new: give its name and address (holder_name, address_line1, city, province, postal_code)."
    ),
    "holder_details_above": gettext_lazy(
        "This holder's name and address are given on line %(value)s: leave them empty here."
    ),
    "unknown_holder": gettext_lazy(
        "There is no holder %(value)s in the registry (a new holder comes with its first register row)."
    ),
    "holder_updated_above": gettext_lazy("This holder is already updated on line %(value)s of this file."),
}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str  # the CSV column, or "" for the row as a whole
    message: str

    def __str__(self) -> str:
        if self.field:
            return _("Line %(line)s, %(field)s: %(message)s") % {
                "line": self.line,
                "field": self.field,
                "message": self.message,
            }
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportResult:
    """What a check or an import found: every error (the first ERRORS_LISTED of `error_count`), or the rows
    by action that were (or, checking only, would be) stored."""

    errors: list[RowError | str] = field(default_factory=list)
    error_count: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    validate_only: bool = False
    registry_import: ExemptionImport | None = None

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def stored(self) -> bool:
        return self.ok and not self.validate_only


@dataclass(frozen=True)
class Change:
    """One change to the registry, as a row of the import file says it (strings as typed)."""

    action: str
    number: str = ""
    effective_date: str = ""
    holder_reference: str = ""
    holder_name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    province: str = ""
    postal_code: str = ""
    reason: str = ""


class _FileRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Reading rows ------------------------------------------------------------------------------------------


def _holder_details(change: Change, line: int, errors: list[RowError]) -> tuple[Any, ...] | None:
    """(name, line1, line2, city, province, postal code), normalized, or None if the row gives none."""
    given = [getattr(change, name).strip() for name in HOLDER_FIELDS]
    if not any(given):
        return None
    name, line1, line2, city, province, postal_code = given
    for column, value, limit in (
        ("holder_name", name, 200),
        ("address_line1", line1, 200),
        ("address_line2", line2, 200),
        ("city", city, 100),
    ):
        if len(value) > limit:
            errors.append(RowError(line, column, str(TOO_LONG % {"max": limit})))
    for column, value in (("holder_name", name), ("address_line1", line1), ("city", city)):
        if not value:
            errors.append(RowError(line, column, str(REQUIRED % {"action": change.action})))
    try:
        province = validators.province_normalize(province)
    except ValidationError as error:
        errors.append(RowError(line, "province", error.messages[0]))
        province = ""
    try:
        postal_code = validators.postal_code_normalize(postal_code)
        if province:
            validators.postal_code_in_province(postal_code=postal_code, province=province)
    except ValidationError as error:
        errors.append(RowError(line, "postal_code", error.messages[0]))
    return (name, line1, line2, city, province, postal_code)


def _certificate_fields(
    line: int, action: str, change: Change, errors: list[RowError]
) -> tuple[str | None, str | None, date | None, date | None]:
    """(number, its kind, the effective date, the end of the term it grants) of a row, as far as they are valid."""
    number = kind = effective_on = grant_until = None
    if action == UPDATE_HOLDER:
        for column in ("number", "effective_date"):
            if getattr(change, column).strip():
                errors.append(RowError(line, column, str(NOT_FOR_HOLDER_UPDATE)))
        return number, kind, effective_on, grant_until
    if not change.number.strip():
        errors.append(RowError(line, "number", str(REQUIRED % {"action": action})))
    else:
        try:
            number = rules.number_normalize(change.number)
            kind = rules.number_kind(number)
        except ValidationError as error:
            errors.append(RowError(line, "number", error.messages[0]))
    try:
        effective_on = date.fromisoformat(change.effective_date.strip())
    except ValueError:
        message = REQUIRED % {"action": action} if not change.effective_date.strip() else DATE_FORMAT
        errors.append(RowError(line, "effective_date", str(message)))
    if action == RENEW and kind is not None and kind != rules.AFFB:
        errors.append(RowError(line, "action", str(RENEW_AFFB_ONLY)))
    if action in (REGISTER, RENEW) and kind is not None and effective_on is not None:
        grant_until = rules.eligible_until(kind=kind, granted_on=effective_on)
    return number, kind, effective_on, grant_until


def _holder_reference(line: int, action: str, change: Change, errors: list[RowError]) -> str | None:
    reference = change.holder_reference.strip().upper() or None
    if action in (REGISTER, UPDATE_HOLDER):
        if reference is None:
            errors.append(RowError(line, "holder_reference", str(REQUIRED % {"action": action})))
        elif not _REFERENCE.fullmatch(reference):
            errors.append(RowError(line, "holder_reference", str(REFERENCE_FORMAT)))
    elif reference is not None or any(getattr(change, name).strip() for name in HOLDER_FIELDS):
        errors.append(RowError(line, "holder_name", str(HOLDER_ONLY_ON_REGISTER)))
    return reference


def _staged(line: int, change: Change) -> tuple[tuple[Any, ...] | None, list[RowError]]:
    """The row in registry_sql.STAGE_COLUMNS order, or None with the errors of its own form."""
    errors: list[RowError] = []
    action = change.action.strip().lower()
    if action not in ACTIONS:
        errors.append(
            RowError(
                line, "action", str(ACTION_UNKNOWN % {"value": change.action, "actions": ", ".join(ACTIONS)})
            )
        )
        return None, errors
    number, kind, effective_on, grant_until = _certificate_fields(line, action, change, errors)
    reference = _holder_reference(line, action, change, errors)
    details = _holder_details(change, line, errors) if action in (REGISTER, UPDATE_HOLDER) else None
    if action == UPDATE_HOLDER and details is None:
        errors.append(RowError(line, "holder_name", str(REQUIRED % {"action": action})))
    reason = change.reason.strip()
    if len(reason) > MAX_REASON:
        errors.append(RowError(line, "reason", str(REASON_TOO_LONG % {"max": MAX_REASON})))
    if errors:
        return None, errors
    name, line1, line2, city, province, postal_code = details or (None,) * 6
    row = (
        line,
        action,
        number,
        kind,
        effective_on,
        grant_until,
        reference,
        name,
        line1,
        line2,
        city,
        province,
        postal_code,
        details is not None,
        reason,
    )
    return row, []


def _csv_changes(stream: IO[bytes]) -> Iterator[tuple[int, Change | RowError]]:
    """(line, change or the row's error) for each row after the header, streaming; _FileRefused for a file
    that is not UTF-8, has the wrong header or too many rows. Blank rows are skipped."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    line = 1
    try:
        header = next(reader, None)
        if header is None or [cell.strip().lower() for cell in header] != HEADER:
            raise _FileRefused(str(FILE_HEADER % {"header": ",".join(HEADER)}))
        limit = settings.TRACS_EXEMPTION_IMPORT_MAX_ROWS
        for cells in reader:
            line += 1
            if not any(cell.strip() for cell in cells):
                continue
            if line - 1 > limit:
                raise _FileRefused(str(FILE_TOO_MANY_ROWS % {"max": limit}))
            if len(cells) != len(HEADER):
                yield (
                    line,
                    RowError(line, "", str(FIELD_COUNT % {"expected": len(HEADER), "count": len(cells)})),
                )
                continue
            yield line, Change(*cells)
    except UnicodeDecodeError as error:
        raise _FileRefused(str(FILE_NOT_UTF8 % {"line": line + 1})) from error
    finally:
        text.detach()  # the caller's stream stays open (an upload, a file the command opened)


# --- The one path every change takes ----------------------------------------------------------------------


def _rule_message(code: str, value: str) -> str:
    params: dict[str, str] = {"value": value}
    if code == "not_after_previous":
        params["line"], params["day"] = value.split("|")
    return str(RULE_MESSAGES[code] % params)


def _run(
    changes: Iterable[tuple[int, Change | RowError]],
    *,
    actor: Actor,
    validate_only: bool,
    before_store: Callable[[ImportResult], ExemptionImport] | None = None,
) -> ImportResult:
    """Stage, check and (unless `validate_only` or any row has an error) store `changes`. Call inside
    transaction.atomic: the temporary tables are dropped at its end."""
    result = ImportResult(validate_only=validate_only)
    registry_sql.lock()

    def rows() -> Iterator[tuple[Any, ...]]:
        for line, change in changes:
            result.rows += 1
            problems = [change] if isinstance(change, RowError) else []
            row = None
            if not problems:
                row, problems = _staged(line, change)  # type: ignore[arg-type]
            for problem in problems:
                result.error_count += 1
                if len(result.errors) < ERRORS_LISTED:
                    result.errors.append(problem)
            if row is not None:
                yield row

    registry_sql.stage(rows())
    if result.rows == 0:
        raise _FileRefused(str(FILE_EMPTY))
    registry_sql.plan()
    found, total = registry_sql.rule_errors(limit=ERRORS_LISTED)
    rule_errors = [RowError(line, column, _rule_message(code, value)) for line, column, code, value in found]
    # The form errors were read in line order, the rule errors too: list them together in line order.
    listed = sorted(
        [*result.errors, *rule_errors],
        key=lambda e: (e.line, e.field) if isinstance(e, RowError) else (0, ""),
    )
    result.errors = listed[:ERRORS_LISTED]
    result.error_count += total
    result.counts = registry_sql.counts()
    if not result.ok or validate_only:
        return result
    registry_import = before_store(result) if before_store is not None else None
    recorder = actor.user.pk if actor.user is not None else None
    try:
        with transaction.atomic():
            registry_sql.apply(
                recorded_by=recorder, registry_import=registry_import.pk if registry_import else None
            )
    except IntegrityError as error:
        raise _FileRefused(str(REGISTRY_RACED % {"detail": str(error).splitlines()[0]})) from error
    result.registry_import = registry_import
    return result


def registry_file_import(
    *, stream: IO[bytes], filename: str, actor: Actor, validate_only: bool = False
) -> ImportResult:
    """Check every row of a registry import file (docs/exemption-registry-import.md) and, unless
    `validate_only`, store all its changes in one transaction, or none if any row has an error. Errors name the
    line and the column. The same file (by SHA-256) is stored once."""
    digest = hashlib.sha256()
    # Hash first (streaming, bounded memory), so a file imported before is refused before any row is read.
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    stream.seek(0)
    sha256 = digest.hexdigest()
    earlier = ExemptionImport.objects.filter(sha256=sha256).first()
    if earlier is not None:
        day = timezone.localtime(earlier.imported_at).date().isoformat()
        return ImportResult(
            errors=[str(FILE_ALREADY_IMPORTED % {"day": day, "filename": earlier.filename})],
            error_count=1,
            validate_only=validate_only,
        )

    def record(result: ImportResult) -> ExemptionImport:
        registry_import = ExemptionImport.objects.create(
            filename=filename[:200],
            sha256=sha256,
            rows=result.rows,
            counts=result.counts,
            imported_by=actor.user,
        )
        access_log_record(
            actor=actor,
            kind=AccessLogEntry.Kind.CHANGE,
            action="exemption registry file imported",
            capacity="staff",
            detail=f"{filename[:200]} ({result.rows} rows, sha256 {sha256[:12]}): "
            + ", ".join(f"{action} {count}" for action, count in sorted(result.counts.items())),
        )
        return registry_import

    try:
        with transaction.atomic():
            return _run(_csv_changes(stream), actor=actor, validate_only=validate_only, before_store=record)
    except _FileRefused as refusal:
        return ImportResult(errors=[refusal.message], error_count=1, validate_only=validate_only)
    except IntegrityError:  # the same file imported at the same moment by someone else (sha256 is unique)
        return ImportResult(errors=[str(REGISTRY_RACED % {"detail": "sha256"})], error_count=1)


# --- Single changes (staff administration) ----------------------------------------------------------------


def registry_change_problems(*, change: Change) -> list[str]:
    """What would refuse `change` now (every rule, nothing stored): for a form to show next to its fields."""
    try:
        with transaction.atomic():
            result = _run([(1, change)], actor=Actor.job("registry check"), validate_only=True)
    except _FileRefused as refusal:
        return [refusal.message]
    return [error.message if isinstance(error, RowError) else str(error) for error in result.errors]


@transaction.atomic
def registry_change(*, change: Change, actor: Actor) -> None:
    """Make one change (a row as the import file would say it) or raise ValidationError with its messages,
    nothing written; logged in the access log in the same transaction."""
    try:
        result = _run([(1, change)], actor=actor, validate_only=False)
    except _FileRefused as refusal:
        raise ValidationError(refusal.message, code="registry_refused") from refusal
    if not result.ok:
        messages = [error.message if isinstance(error, RowError) else str(error) for error in result.errors]
        raise ValidationError(messages, code="registry_refused")
    subject = change.number.strip().upper() or change.holder_reference.strip().upper()
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=f"exemption registry: {change.action.strip().lower()}",
        capacity="staff",
        detail=f"{subject} {change.effective_date}".strip()
        + (f": {change.reason.strip()}" if change.reason.strip() else ""),
    )


def certificate_register(
    *, number: str, holder: ExemptionHolder, valid_from: date, reason: str = "", actor: Actor
) -> ExemptionCertificate:
    """Register a new number for a holder already in the registry, active from `valid_from`."""
    registry_change(
        change=Change(
            action=REGISTER,
            number=number,
            effective_date=valid_from.isoformat(),
            holder_reference=holder.reference,
            reason=reason,
        ),
        actor=actor,
    )
    return ExemptionCertificate.objects.get(number=rules.number_normalize(number))


def certificate_status_change(
    *, certificate: ExemptionCertificate, action: str, effective_on: date, reason: str = "", actor: Actor
) -> None:
    """Renew, suspend, reinstate or cancel a certificate from `effective_on`: the open status period ends that
    day and the new one starts."""
    if action not in STATUS_ACTIONS:
        raise ValidationError(ACTION_UNKNOWN % {"value": action, "actions": ", ".join(STATUS_ACTIONS)})
    registry_change(
        change=Change(
            action=action, number=certificate.number, effective_date=effective_on.isoformat(), reason=reason
        ),
        actor=actor,
    )


@transaction.atomic
def holder_save(*, holder: ExemptionHolder, actor: Actor, changed: Iterable[str] = ()) -> ExemptionHolder:
    """Create or change a holder (staff administration), its address checked like the import file's."""
    holder.reference = holder.reference.strip().upper()
    if not _REFERENCE.fullmatch(holder.reference):
        raise ValidationError({"reference": REFERENCE_FORMAT})
    try:
        holder.province = validators.province_normalize(holder.province)
        holder.postal_code = validators.postal_code_normalize(holder.postal_code)
        validators.postal_code_in_province(postal_code=holder.postal_code, province=holder.province)
    except ValidationError as error:
        field_name = "province" if error.code == "province" else "postal_code"
        raise ValidationError({field_name: error.messages}) from error
    created = holder.pk is None
    holder.full_clean()
    holder.save()
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="exemption holder added" if created else "exemption holder changed",
        capacity="staff",
        detail=holder.reference + ("" if created else f": {', '.join(changed)}"),
    )
    return holder


# --- The seller's eligibility check -------------------------------------------------------------------------

ELIGIBILITY_CHECKED = "exemption eligibility checked"  # the access log's action: also the rate limit's count
ELIGIBILITY_REFUSED = "exemption eligibility check refused: too many checks"
CHECK_DATE_IN_FUTURE = gettext_lazy(
    "Enter a date no later than today (%(today)s): the registry says what was valid up to today, not what will be."
)
NOT_A_SELLER = gettext_lazy(
    "Account %(number)s is not a marked fuel (TEFS) account: AFFB and TEFU numbers are checked from the account "
    "of a seller approved to sell marked fuel."
)
CHECKS_EXHAUSTED = gettext_lazy(
    "This account has checked %(limit)s numbers in the last %(window)s minutes, the most allowed. Wait "
    "%(minutes)s minute(s) and try again. To check the numbers of many sales, report the sales: each one is "
    "checked against the registry on its sale date."
)


class ChecksExhausted(Exception):
    """The account ran its allowance of eligibility checks; `message` says how long to wait."""

    def __init__(self, *, minutes: int):
        self.minutes = minutes
        self.message = str(
            CHECKS_EXHAUSTED
            % {
                "limit": settings.TRACS_ELIGIBILITY_CHECKS,
                "window": settings.TRACS_ELIGIBILITY_CHECK_WINDOW_MINUTES,
                "minutes": minutes,
            }
        )
        super().__init__(self.message)


def eligibility_check(
    *, account: ProgramAccount, number: str, day: date, actor: Actor
) -> selectors.Eligibility:
    """A seller's check of one AFFB/TEFU (or carbon levy exemption certificate) number on one day, logged in
    the access log with the account it was made for. Refused with ChecksExhausted (logged as denied) once the
    account made TRACS_ELIGIBILITY_CHECKS within TRACS_ELIGIBILITY_CHECK_WINDOW_MINUTES; ValidationError for a
    malformed number or a date after today, or an account that does not sell marked fuel. Each of its writes is
    one row (the log's), so it needs no transaction of its own, and a refusal's row is kept."""
    if not selectors.sells_marked_fuel(account):
        raise ValidationError(NOT_A_SELLER % {"number": account.number}, code="not_a_seller")
    number = rules.number_normalize(number)
    today = timezone.localdate()
    if day > today:
        raise ValidationError({"day": CHECK_DATE_IN_FUTURE % {"today": today.isoformat()}})
    wait = access_log_wait(
        account_number=account.number,
        action=ELIGIBILITY_CHECKED,
        limit=settings.TRACS_ELIGIBILITY_CHECKS,
        window=timedelta(minutes=settings.TRACS_ELIGIBILITY_CHECK_WINDOW_MINUTES),
    )
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        access_log_record(
            actor=actor,
            kind=AccessLogEntry.Kind.DENIED,
            action=ELIGIBILITY_REFUSED,
            account_number=account.number,
            detail=f"{number} on {day.isoformat()}; wait {minutes} min",
        )
        raise ChecksExhausted(minutes=minutes)
    eligibility = selectors.eligibility_on(number=number, day=day)
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.READ,
        action=ELIGIBILITY_CHECKED,
        account_number=account.number,
        detail=f"{number} on {day.isoformat()}: {eligibility.outcome}"
        + (", marked fuel" if eligibility.marked_fuel else "")
        + (", carbon levy exemption" if eligibility.carbon_levy_exempt else ""),
    )
    return eligibility
