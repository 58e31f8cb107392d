"""Where a return or a claim stands as TRA processes it: received -> in review -> assessed (-> reassessed).

`filing_status_change` is the one way a status moves, for staff actions in admin and for the assessments app
(which calls down here when it issues a notice of assessment or reassessment). It logs the change and e-mails
the filer and everyone who may view the account's assessments (VIEW_ASSESSMENTS), without any amount: an
e-mail may be read by anyone with the mailbox, the figures stay behind the sign-in.

Moves allowed: received -> in review (and back, when it was opened by mistake), received or in review ->
assessed, assessed or reassessed -> reassessed. A filing model with statuses of its own says its moves
(`STATUS_TRANSITIONS`) and which statuses end its processing (`PROCESSED_STATUSES`): a marked-fuel monthly report
is processed or returned to the seller, never assessed (filings.sales.report_processing). Anything else is refused
with STATUS_CHANGE_REFUSED.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import units
from accounts.actors import Actor
from accounts.models import AccessLogEntry
from accounts.services import access_log_record, email_queue
from consent.access import in_force_grants, privileges_of
from consent.models import Grant
from consent.privileges import Privilege
from filings import claim_rules
from filings.definitions import DEFINITIONS, definition_of
from filings.skeleton import models as skeleton
from programs.models import ProgramAccount

Status = skeleton.Status
# A return, a claim: what every program's filing model is (filings/skeleton/models.py).
Filing = skeleton.Filing
F = TypeVar("F", bound=Filing)

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.IN_REVIEW, Status.ASSESSED}),
    Status.IN_REVIEW: frozenset({Status.RECEIVED, Status.ASSESSED}),
    Status.ASSESSED: frozenset({Status.REASSESSED}),
    Status.REASSESSED: frozenset({Status.REASSESSED}),
}
PROCESSED = frozenset({Status.ASSESSED, Status.REASSESSED})

STATUS_CHANGE_REFUSED = _("%(item)s %(number)s is “%(current)s”: it cannot be moved to “%(new)s”.")


def _transitions(filing: Filing) -> dict[str, frozenset[str]]:
    return getattr(type(filing), "STATUS_TRANSITIONS", TRANSITIONS)


def _processed(filing: Filing) -> frozenset[str]:
    return getattr(type(filing), "PROCESSED_STATUSES", PROCESSED)


def _status_label(filing: Filing, status: str) -> str:
    """A status as the filing's own model names it (its field's choices), or the value itself if it has none."""
    choices = dict(type(filing)._meta.get_field("status").choices or ())
    return str(choices.get(status, status))


def filing_label(filing: Filing) -> str:
    """How pages and e-mails name a return or a claim: "fuel tax return for June 2021 (version 2)", "fuel tax
    refund claim" (its definition's words)."""
    return definition_of(filing).described(filing)


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def filing_item(filing: Filing) -> str:
    """Its service standard's item (claim_rules.ITEM_RETURN, ITEM_CLAIM), as its definition says."""
    return definition_of(filing).item


def expected_processing_on(filing: Filing) -> date | None:
    """The day TRA expects to have processed the item, by the service standard in force when it was
    received (filings/rules/service_standards.yaml); None when the program has none."""
    return claim_rules.expected_processing_on(
        program=filing.account.program.code,
        item=filing_item(filing),
        received_on=timezone.localdate(filing.received_at),
    )


def assessment_viewer_emails(*, account: ProgramAccount) -> list[str]:
    """The addresses of everyone whose access to the account is in force and includes VIEW_ASSESSMENTS
    (owners hold every privilege)."""
    grants = Grant.objects.filter(in_force_grants(), account=account, user__isnull=False).select_related(
        "user"
    )
    return sorted(
        {grant.user.email for grant in grants if Privilege.VIEW_ASSESSMENTS in privileges_of(grant)}
    )


def _has_access(*, account: ProgramAccount, email: str) -> bool:
    return Grant.objects.filter(in_force_grants(), account=account, user__email__iexact=email).exists()


def status_change_recipients(*, filing: Filing) -> list[str]:
    """The filer (while their access to the account is in force: a revoked delegate hears no more) and the
    holders of VIEW_ASSESSMENTS."""
    recipients = set(assessment_viewer_emails(account=filing.account))
    if filing.filed_by_email and _has_access(account=filing.account, email=filing.filed_by_email):
        recipients.add(filing.filed_by_email)
    return sorted(recipients)


@units.service_transaction
def filing_status_change(
    *, filing: F, status: str, actor: Actor, fields: Mapping[str, Any] | None = None, note: str = ""
) -> F:
    """Move `filing` to `status`, by `actor` (staff in admin, or the assessment that moved it); log it; e-mail the
    filer and the VIEW_ASSESSMENTS holders. Assessed and reassessed set the processed date; moving back to
    received or in review clears it. `fields`: columns of the filing's own saved with the move (a returned
    report's reason, which the database requires of a returned report); `note`: a sentence the e-mail adds."""
    locked = (
        type(filing)
        ._default_manager.select_for_update()
        .select_related("account__taxpayer", "account__program")
        .get(pk=filing.pk)
    )
    current = locked.status
    if status not in _transitions(locked).get(current, frozenset()):
        raise ValidationError(
            STATUS_CHANGE_REFUSED
            % {
                "item": _sentence_case(filing_label(locked)),
                "number": locked.confirmation_number,
                "current": _status_label(locked, current),
                "new": _status_label(locked, status),
            },
            code="status_change_refused",
        )
    now = timezone.now()
    locked.status = status
    locked.status_changed_at = now
    locked.processed_at = now if status in _processed(locked) else None
    for name, value in (fields or {}).items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "status_changed_at", "processed_at", *(fields or {})])
    account = locked.account
    by = actor.user
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=f"{filing_item(locked)} status changed",
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity="staff" if by is not None and by.is_staff else "",
        detail=f"{locked.confirmation_number}: {_status_label(locked, current)} -> {_status_label(locked, status)}",
    )
    _notify(filing=locked, note=note)
    return locked


def _notify(*, filing: Filing, note: str = "") -> None:
    account = filing.account
    label = filing_label(filing)
    status = _status_label(filing, filing.status)
    if filing.status in _processed(filing):
        when = f"Processed: {timezone.localtime(filing.processed_at):%Y-%m-%d}\n"
    else:
        expected = expected_processing_on(filing)
        when = f"Expected processing date: {expected:%Y-%m-%d}\n" if expected else ""
    body = (
        f"The status of a {label} changed.\n\n"
        f"Account: {account.number} ({account.display_name})\n"
        f"Reference number: {filing.confirmation_number}\n"
        f"Status: {status}\n"
        f"{when}\n"
        + (f"{note}\n\n" if note else "")
        + "Sign in to TRACS and choose View Assessment Status to see it, and its notice once one is issued."
    )
    for address in status_change_recipients(filing=filing):
        email_queue(
            to=[address],
            subject=f"TRACS: {label} {filing.confirmation_number} is now {str(status).lower()}",
            body=body,
            purpose="filing-status",
        )


def overdue_for_processing(*, item: str, today: date) -> Q:
    """The condition of items still in process after their expected processing date (staff queues): received
    before `today` less the standard's days, under each standard in force when they were received."""
    condition = Q(pk__in=[])
    for (program, standard_item), entries in claim_rules.service_standards().items():
        if standard_item != item:
            continue
        for index, entry in enumerate(entries):
            received = Q(
                account__program__code=program,
                received_at__gte=_start_of(entry.effective_from),
                received_at__lt=_start_of(today - timedelta(days=entry.days)),
            )
            if index + 1 < len(entries):
                received &= Q(received_at__lt=_start_of(entries[index + 1].effective_from))
            condition |= received
    return condition & Q(status__in=[Status.RECEIVED, Status.IN_REVIEW])


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in Alberta (deadlines and standards are kept by the date there)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


NOT_IN_PROCESS = _(
    "No return or claim of this account in process has the reference number %(reference)s. Check the number on "
    "its confirmation or under View Assessment Status."
)


def in_process_reference_check(account: ProgramAccount, reference: str) -> None:
    """Submit Documents asks for the reference number of the in-process return or claim the documents support
    (the interface layer passes this check to programs' document services: programs cannot see filings).
    Raises ValidationError unless it is a confirmation number of one of the account's returns or claims still
    received or in review."""
    for model in dict.fromkeys(definition.model for definition in DEFINITIONS):  # each table once
        if model.objects.filter(
            account=account, confirmation_number=reference, status__in=skeleton.IN_PROCESS
        ).exists():
            return
    raise ValidationError(NOT_IN_PROCESS % {"reference": reference}, code="reference_not_in_process")
