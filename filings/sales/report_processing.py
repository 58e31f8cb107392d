"""TRA's processing of marked-fuel monthly reports (the assessor's role, in staff administration): a report received
is taken into review (and back) like a return, then **processed** (TRA has what it needs for the month) or
**returned to the seller** with a reason the seller reads on View Assessment Status and in a secure message from
TRA; the seller corrects the month (amendments, voids, late rows) and submits an amended report, a new version,
which is processed in its turn.

Every move goes through the filing skeleton's one status path (filings.status.filing_status_change, with the
report's own statuses and moves: MarkedFuelReport.STATUS_TRANSITIONS), which locks the report, refuses a move its
status does not allow, writes the access-log row and e-mails the filer and the account's VIEW_ASSESSMENTS holders
(no figure in the e-mail). A report carries no tax, so nothing is assessed and no notice is issued."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from filings.sales.models_report import MarkedFuelReport, ReportStatus
from filings.status import filing_status_change
from programs.services import messages

RETURN_REASON_REQUIRED = _(
    "Say why the report is returned: the seller reads it in TRACS and corrects the month."
)
RETURN_REASON_MAX = 2000
RETURN_REASON_TOO_LONG = _("Keep the reason to %(max)d characters.")
RETURNED_NOTE = (
    "TRA returned the report: TRA's reason is on View Assessment Status and in a message from TRA under Messages. "
    "Correct the month's sales and movements, then submit an amended report."
)
RETURNED_SUBJECT = "Your marked-fuel report for {period} was returned ({confirmation})"
RETURNED_BODY = (
    "TRA returned your marked-fuel monthly report for {period} (confirmation number {confirmation}, version "
    "{version}).\n\nTRA's reason:\n{reason}\n\nCorrect the month's sales and fuel movements (amend or void a "
    "record from the month's pages, or send amendment and void records in a file), then submit an amended report "
    "for {period} from Marked Fuel Reports."
)


@transaction.atomic
def marked_fuel_report_process(*, report: MarkedFuelReport, actor: Actor) -> MarkedFuelReport:
    """Staff process a report in review: it is complete (in review -> processed, with today's processed date)."""
    return filing_status_change(filing=report, status=ReportStatus.PROCESSED, actor=actor)


def _reason_check(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [ValidationError(RETURN_REASON_REQUIRED, code="required")]})
    if len(reason) > RETURN_REASON_MAX:
        raise ValidationError(
            {
                "reason": [
                    ValidationError(RETURN_REASON_TOO_LONG % {"max": RETURN_REASON_MAX}, code="too_long")
                ]
            }
        )
    return reason


@transaction.atomic
def marked_fuel_report_return(*, report: MarkedFuelReport, reason: str, actor: Actor) -> MarkedFuelReport:
    """Staff return a report in review to the seller with `reason` (in review -> returned): the reason is kept on
    the report (the seller's View Assessment Status shows it) and sent to the account as a secure message from TRA.
    The status e-mail says a message is waiting, so the message itself notifies nobody again."""
    reason = _reason_check(reason)
    returned = filing_status_change(
        filing=report,
        status=ReportStatus.RETURNED,
        actor=actor,
        fields={"return_reason": reason},
        note=RETURNED_NOTE,
    )
    facts = {
        "period": returned.period.label,
        "confirmation": returned.confirmation_number,
        "version": returned.version,
        "reason": reason,
    }
    messages.message_send(
        account=returned.account,
        subject=RETURNED_SUBJECT.format(**facts),
        body=RETURNED_BODY.format(**facts),
        by=actor.user if actor.user is not None and actor.user.is_authenticated else None,
        actor=actor,
    )
    return returned
