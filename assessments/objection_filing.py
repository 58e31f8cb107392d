"""Filing Notices of Objection (AT4762) and waiver requests (AT4764), and recording their review and decision.

Filing: the wizard's checks (assessments/objections.py: the notice is the account's, its age against the dated
objection rules, the transactions are the account's penalties and interest) come first, then `objection_file` / `waiver_request_file`, which validate the rest and write the filing, its
documents, the access log and the confirmation e-mail in one transaction: a failure leaves nothing, not even a
copied file. Documents were checked and scanned as they were uploaded, by the same service as Submit Documents
(programs.services.documents.document_file_stage), and wait under temporary names until then.

Deciding: assessments/decisions/ locks the filing (`objection_lock`), does the ledger work, and records the
decision here (`objection_decision_record`, `waiver_decision_record`) in its own transaction.
(Until issue 11 this module was filings/objections.py; see docs/adr/0014.)
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from assessments.models import Assessment, ClaimAssessment, Notice
from assessments.models_objections import (
    FACTS_MAX_CHARS,
    FiledRequest,
    Objection,
    SupportingDocument,
    WaiverCharge,
    WaiverRequest,
)
from programs import documents
from programs.models import ProgramAccount
from programs.services import documents as document_services

MAX_DOCUMENTS = 10
FACTS_REQUIRED = _("Give the facts and reasons (up to 2,000 characters).")
FACTS_TOO_LONG = _("The statement of facts and reasons is %(length)s characters; it may be at most 2,000.")
EXTENSION_REASON_REQUIRED = _(
    "The %(what)s is more than %(days)s days old: give the reason for the extension of time to object."
)
TOO_MANY_DOCUMENTS = _("At most %(limit)s documents can be filed with it. Remove some.")
DOCUMENT_DESCRIPTION_REQUIRED = _("Describe the document (up to 300 characters).")
REPRESENTATIVE_REQUIRED = _("Enter the authorized representative's %(what)s.")
ALREADY_DECIDED = _("%(reference)s was already decided on %(day)s: a decision is made once.")
CHARGES_REQUIRED = _("Choose at least one penalty or interest charge to be waived.")
NOT_UNDER_REVIEW = _("%(reference)s is “%(status)s”: only a received filing can be taken into review.")

# An objection or a waiver request: the services both share keep the kind they are given.
Filing = TypeVar("Filing", Objection, WaiverRequest)

REPRESENTATIVE_FIELDS = {
    "representative_name": _("name"),
    "representative_position": _("position or title"),
    "representative_address": _("address"),
    "representative_phone": _("telephone number"),
}


@dataclass(frozen=True)
class Representative:
    """The authorized representative who signs the filing (AT4762, AT4764: name, position, address, phone)."""

    name: str
    position: str
    address: str
    phone: str

    def as_fields(self) -> dict[str, str]:
        return {
            "representative_name": self.name.strip(),
            "representative_position": self.position.strip(),
            "representative_address": " ".join(self.address.split()),
            "representative_phone": self.phone.strip(),
        }


def representative_check(*, representative: Representative) -> dict[str, str]:
    """Every field is required: TRA writes to, and calls, the person who signed."""
    fields = representative.as_fields()
    errors = {
        field: [
            ValidationError(REPRESENTATIVE_REQUIRED % {"what": REPRESENTATIVE_FIELDS[field]}, code="required")
        ]
        for field, value in fields.items()
        if not value
    }
    if errors:
        raise ValidationError(errors)
    return fields


def facts_check(*, facts: str) -> str:
    facts = facts.strip()
    if not facts:
        raise ValidationError({"facts": [ValidationError(FACTS_REQUIRED, code="required")]})
    if len(facts) > FACTS_MAX_CHARS:
        raise ValidationError(
            {"facts": [ValidationError(FACTS_TOO_LONG % {"length": f"{len(facts):,}"}, code="too_long")]}
        )
    return facts


def documents_check(*, staged: Sequence[dict[str, Any]]) -> None:
    """At most 10, each described, each still waiting under its temporary name."""
    if len(staged) > MAX_DOCUMENTS:
        raise ValidationError(
            {"documents": [ValidationError(TOO_MANY_DOCUMENTS % {"limit": MAX_DOCUMENTS}, code="too_many")]}
        )
    for item in staged:
        if not item.get("description", "").strip():
            raise ValidationError(
                {"documents": [ValidationError(DOCUMENT_DESCRIPTION_REQUIRED, code="description_required")]}
            )
        token = item.get("token", "")
        if not token.startswith(document_services.INCOMING_PREFIX) or not default_storage.exists(token):
            raise ValidationError(
                {"documents": [ValidationError(document_services.DOCUMENT_FILES_EXPIRED, code="expired")]}
            )


def _reference(prefix: str, model: type[Objection] | type[WaiverRequest], day: date) -> str:
    for _attempt in range(10):
        suffix = "".join(secrets.choice(document_services.DOCUMENT_REFERENCE_ALPHABET) for _ in range(6))
        reference = f"{prefix}-{day:%Y%m%d}-{suffix}"
        if not model.objects.filter(reference_number=reference).exists():
            return reference
    raise RuntimeError("no free reference number after 10 attempts")  # 32^6 per day: never


def _store_documents(*, filing: FiledRequest, staged: Sequence[dict[str, Any]], saved: list[str]) -> None:
    folder = "objections" if isinstance(filing, Objection) else "waivers"
    for position, item in enumerate(staged, start=1):
        kind = documents.KINDS[item["kind"]]
        with default_storage.open(item["token"], "rb") as temporary:
            name = default_storage.save(
                f"{folder}/{filing.account.number}/{filing.reference_number}/{position}{kind.extensions[0]}",
                temporary,
            )
        saved.append(name)
        SupportingDocument.objects.create(
            objection=filing if isinstance(filing, Objection) else None,
            waiver_request=filing if isinstance(filing, WaiverRequest) else None,
            position=position,
            description=item["description"].strip()[:300],
            file=name,
            original_name=item["name"],
            content_type=kind.content_type,
            size=item["size"],
            sha256=item["sha256"],
            scan_status=item["scan_status"],
            scan_detail=item.get("scan_detail", "")[:200],
        )


def _confirm_by_email(*, filing: FiledRequest, title: str, person: User | None) -> None:
    """The receipt: the reference number, the account and the time; never the amounts or the facts."""
    if person is None or not person.email:
        return
    when = timezone.localtime(filing.received_at)
    email_queue(
        to=[person.email],
        subject=f"TRACS: {title} received, reference {filing.reference_number}",
        body=(
            f"Tax and Revenue Administration received the {title} you filed in TRACS for account "
            f"{filing.account.number} on {when:%Y-%m-%d} at {when:%H:%M} Alberta time.\n\n"
            f"Reference number: {filing.reference_number}\n\n"
            "Keep the reference number: quote it if you contact TRA about it. TRA will send its decision as a "
            "notice; sign in to TRACS to follow it under File a Notice of Objection.\n\n"
            "For your security this e-mail does not include what you filed."
        ),
        purpose="objection-receipt",
    )


def _file(
    *,
    filing: Filing,
    staged: Sequence[dict[str, Any]],
    title: str,
    actor: Actor,
    charges: Sequence[int] = (),
) -> None:
    """Store `filing` with its documents (and a waiver request's `charges`, by transaction id), log and confirm;
    the files copied are deleted if anything fails."""
    saved: list[str] = []
    try:
        with transaction.atomic():
            filing.full_clean(exclude=["submission_token"])  # the database decides a twin (below)
            try:
                with transaction.atomic():
                    filing.save()
            except IntegrityError as error:
                twin = _already_filed(type(filing), account=filing.account, token=filing.submission_token)
                if twin is None:
                    raise
                raise AlreadyFiled(twin) from error
            if isinstance(filing, WaiverRequest):
                WaiverCharge.objects.bulk_create(
                    WaiverCharge(waiver_request=filing, transaction_id=pk) for pk in sorted(set(charges))
                )
            _store_documents(filing=filing, staged=staged, saved=saved)
            access_log_record(
                actor=actor,
                kind=AccessLogEntry.Kind.CHANGE,
                action=f"{title} filed",
                account_number=filing.account.number,
                on_behalf_of=filing.account.on_behalf_of,
                capacity=filing.capacity,
                detail=f"{filing.reference_number}: {len(staged)} document(s)",
            )
            _confirm_by_email(filing=filing, title=title, person=filing.filed_by)
            tokens = [{"token": item["token"]} for item in staged]
            transaction.on_commit(lambda: document_services.document_files_discard(staged=tokens))
    except BaseException:
        for name in saved:  # rolled back: no filing, so no files either
            default_storage.delete(name)
        raise


class AlreadyFiled(Exception):
    """The same wizard was sent twice (a double click, a second tab): `filing` is what the first one filed."""

    def __init__(self, filing: Objection | WaiverRequest):
        self.filing = filing
        super().__init__(filing.reference_number)


def _already_filed(model: type[Filing], *, account: ProgramAccount, token: uuid.UUID | None) -> Filing | None:
    if token is None:
        return None
    return model.objects.filter(account=account, submission_token=token).first()


def _filer(actor: Actor) -> tuple[User | None, str]:
    """Who filed (the actor's person, if signed in) and their e-mail."""
    person = actor.user if actor.user is not None and actor.user.is_authenticated else None
    return person, person.email if person else ""


def objection_file(
    *,
    account: ProgramAccount,
    against: str,
    dated_on: date,
    facts: str,
    representative: Representative,
    documents: Sequence[dict[str, Any]],
    actor: Actor,
    extension_needed_after_days: int | None = None,
    extension_reason: str = "",
    notice: Notice | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    amount_in_dispute: Decimal | None = None,
    letter_kind: str = "",
    submission_token: uuid.UUID | None = None,
) -> Objection:
    """File a Notice of Objection by `actor` (filed as their user, in the actor's capacity). `extension_needed_after_days`: set by the caller when the notice or letter
    is older than the objection period (the dated rule), so a reason for the extension is required.
    `submission_token`: drawn when the wizard started; sent again, the objection already filed is returned."""
    twin = _already_filed(Objection, account=account, token=submission_token)
    if twin is not None:
        return twin
    errors: dict[str, list[ValidationError]] = {}
    for check in (
        lambda: facts_check(facts=facts),
        lambda: representative_check(representative=representative),
        lambda: documents_check(staged=documents),
    ):
        try:
            check()
        except ValidationError as error:
            for field, field_errors in error.error_dict.items():
                errors.setdefault(field, []).extend(field_errors)
    if extension_needed_after_days is not None and not extension_reason.strip():
        what = _("notice") if against == Objection.Against.NOTICE else _("letter")
        errors["extension_reason"] = [
            ValidationError(
                EXTENSION_REASON_REQUIRED % {"what": what, "days": extension_needed_after_days},
                code="required",
            )
        ]
    if errors:
        raise ValidationError(errors)
    person, email = _filer(actor)
    received_at = timezone.now()
    objection = Objection(
        account=account,
        reference_number=_reference("NOO", Objection, timezone.localdate(received_at)),
        against=against,
        notice=notice,
        letter_kind=letter_kind,
        period_start=period_start,
        period_end=period_end,
        dated_on=dated_on,
        amount_in_dispute=amount_in_dispute,
        facts=facts.strip(),
        extension_reason=extension_reason.strip() if extension_needed_after_days is not None else "",
        filed_by=person,
        filed_by_email=email,
        capacity=actor.capacity,
        received_at=received_at,
        submission_token=submission_token or uuid.uuid4(),
        **representative.as_fields(),
    )
    try:
        _file(filing=objection, staged=documents, title="Notice of Objection", actor=actor)
    except AlreadyFiled as twin:
        return cast(Objection, twin.filing)  # the twin of an objection is an objection
    return objection


def waiver_request_file(
    *,
    account: ProgramAccount,
    transaction_ids: Sequence[int],
    amount_requested: Decimal,
    period_ends: Sequence[date],
    grounds: Sequence[str],
    facts: str,
    representative: Representative,
    documents: Sequence[dict[str, Any]],
    actor: Actor,
    submission_token: uuid.UUID | None = None,
) -> WaiverRequest:
    """File a Request for a Waiver of Penalties and Interest by `actor`, in its capacity (the caller checked the transactions are the
    account's penalties and interest, not reversed). Sent again with the same `submission_token`: the request
    already filed is returned."""
    twin = _already_filed(WaiverRequest, account=account, token=submission_token)
    if twin is not None:
        return twin
    if not transaction_ids:
        raise ValidationError({"transactions": [ValidationError(CHARGES_REQUIRED, code="required")]})
    person, email = _filer(actor)
    received_at = timezone.now()
    waiver = WaiverRequest(
        account=account,
        reference_number=_reference("WPI", WaiverRequest, timezone.localdate(received_at)),
        amount_requested=amount_requested,
        period_ends=sorted(set(period_ends)),
        grounds=list(dict.fromkeys(grounds)),
        facts=facts_check(facts=facts),
        filed_by=person,
        filed_by_email=email,
        capacity=actor.capacity,
        received_at=received_at,
        submission_token=submission_token or uuid.uuid4(),
        **representative_check(representative=representative),
    )
    documents_check(staged=documents)
    try:
        _file(
            filing=waiver,
            staged=documents,
            title="Request for a Waiver of Penalties and Interest",
            actor=actor,
            charges=transaction_ids,
        )
    except AlreadyFiled as twin:
        return cast(WaiverRequest, twin.filing)
    return waiver


# --- Staff: review and decisions (called down by assessments/decisions/) ----------------------------------


def objection_lock(*, objection_id: int) -> Objection:
    """The objection, its row locked until the caller's transaction ends (one decision at a time)."""
    return Objection.objects.select_for_update().select_related("account__taxpayer").get(pk=objection_id)


def waiver_request_lock(*, waiver_id: int) -> WaiverRequest:
    return WaiverRequest.objects.select_for_update().select_related("account__taxpayer").get(pk=waiver_id)


def refuse_if_decided(*, filing: FiledRequest) -> None:
    """A decision is made once: refused, nothing written, if it was made already."""
    if filing.is_decided:
        raise ValidationError(
            ALREADY_DECIDED % {"reference": filing.reference_number, "day": f"{filing.decided_on:%Y-%m-%d}"},
            code="already_decided",
        )


@transaction.atomic
def review_start(*, filing: Filing, actor: Actor) -> Filing:
    """Staff take a received objection or waiver request into review (the taxpayer sees "In review")."""
    locked = type(filing).objects.select_for_update().get(pk=filing.pk)
    if locked.status != FiledRequest.Status.RECEIVED:
        raise ValidationError(
            NOT_UNDER_REVIEW % {"reference": locked.reference_number, "status": locked.get_status_display()},
            code="not_received",
        )
    locked.status = FiledRequest.Status.IN_REVIEW
    locked.review_started_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=["status", "review_started_at"])
    _log_staff(filing=locked, actor=actor, action="review started", detail=locked.reference_number)
    return locked


def _log_staff(*, filing: FiledRequest, actor: Actor, action: str, detail: str) -> None:
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=f"{filing._meta.verbose_name}: {action}",
        account_number=filing.account.number,
        on_behalf_of=filing.account.on_behalf_of,
        capacity="staff",
        detail=detail[:500],
    )


def _decider(actor: Actor) -> User:
    """Who decides: a member of staff (a decision names its decider)."""
    if actor.user is None:
        raise ValueError("a decision is made by a person: the actor names no user")
    return actor.user


def _decide(*, filing: FiledRequest, outcome: str, actor: Actor, reasons: str, notice_reference: str) -> None:
    refuse_if_decided(filing=filing)
    now = timezone.now()
    filing.status = FiledRequest.Status.DECIDED
    filing.outcome = outcome
    filing.decided_by = _decider(actor)
    filing.decided_at = now
    filing.decided_on = timezone.localdate(now)
    filing.decision_reasons = reasons.strip()
    filing.decision_notice_reference = notice_reference


@transaction.atomic
def objection_decision_record(
    *,
    objection: Objection,
    outcome: str,
    actor: Actor,
    reasons: str,
    notice_reference: str,
    reassessment: Assessment | None = None,
    claim_reassessment: ClaimAssessment | None = None,
) -> Objection:
    """Record the decision on a locked objection (refused, nothing written, if it was decided already).
    `reassessment`: the return's reassessment a variation made; `claim_reassessment`: the claim assessment a
    decision on an objection to a claim's letter of assessment made."""
    _decide(
        filing=objection, outcome=outcome, actor=actor, reasons=reasons, notice_reference=notice_reference
    )
    objection.reassessment = reassessment
    objection.claim_reassessment = claim_reassessment
    objection.full_clean()
    objection.save()
    _log_staff(
        filing=objection,
        actor=actor,
        action=f"decided ({outcome})",
        detail=f"{objection.reference_number}: notice {notice_reference}",
    )
    return objection


@transaction.atomic
def waiver_decision_record(
    *,
    waiver: WaiverRequest,
    outcome: str,
    actor: Actor,
    reasons: str,
    notice_reference: str,
    waived_transaction_ids: Sequence[int] = (),
    amount_waived: Decimal | None = None,
) -> WaiverRequest:
    """Record the decision on a locked waiver request (refused, nothing written, if it was decided already)."""
    _decide(filing=waiver, outcome=outcome, actor=actor, reasons=reasons, notice_reference=notice_reference)
    waiver.waiver_charges.filter(transaction_id__in=waived_transaction_ids).update(waived=True)
    waiver.amount_waived = amount_waived
    waiver.full_clean()
    waiver.save()
    _log_staff(
        filing=waiver,
        actor=actor,
        action=f"decided ({outcome})",
        detail=f"{waiver.reference_number}: notice {notice_reference}; transactions {list(waived_transaction_ids)}",
    )
    return waiver
