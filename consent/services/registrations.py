"""Online registration: approval (issue 4, part 6).

Programs open what they keep (programs.services.registration_review.registration_accounts_open); the access layer adds what only
it may: the registrant becomes an owner of each new account, and the taxpayer's all-accounts consents that cover
later accounts reach them. The approval letter is a PDF, so a Celery job renders it after the approval commits
and places it in the accounts' documents (ARCHITECTURE.md: PDFs are jobs)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from accounts.actors import Actor
from accounts.models import User
from accounts.services import email_queue
from consent.models import Grant
from consent.services.consents import consent_cover_new_account
from consent.services.grants import check_caps, log_change, owners_emails
from programs.models import Document, Registration
from programs.services import documents as document_services
from programs.services import registration_review

logger = logging.getLogger(__name__)
REGISTRATION_LETTER_NOT_APPROVED = _("Only an approved registration has an approval letter.")


@transaction.atomic
def registration_approve(*, registration: Registration, by: User, actor: Actor) -> Registration:
    """Approve a pending registration in one transaction: taxpayer and BIN (if new), program account(s),
    BFLO numbers, the registrant as owner; then the letter job is scheduled. Approving an approved
    registration again changes nothing (no second account), so a double click or a retried job is safe."""
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("program", "registrant")
        .get(pk=registration.pk)
    )
    if registration.status == Registration.Status.APPROVED:
        return registration
    accounts = registration_review.registration_accounts_open(registration=registration, by=by, actor=actor)
    registrant = registration.registrant
    for account in accounts:
        check_caps(account=account, role=Grant.Role.OWNER)
        Grant.objects.create(
            account=account,
            user=registrant,
            role=Grant.Role.OWNER,
            status=Grant.Status.ACTIVE,
            name=registrant.display_name,
            email=registrant.email,
            created_by=by,
            activated_at=timezone.now(),
        )
        log_change(
            actor=actor,
            account=account,
            action="registrant made owner on approval of the registration",
            detail=f"{registration.reference_number}: {registrant.email}",
            capacity="staff",
        )
        consent_cover_new_account(account=account, actor=actor)
    registration_id = registration.pk
    transaction.on_commit(lambda: _schedule_registration_letter(registration_id))
    return registration


def _schedule_registration_letter(registration_id: int) -> None:
    from consent.tasks import registration_letter_issue_job

    try:
        registration_letter_issue_job.delay(registration_id)
    except (
        OSError,
        OperationalError,
    ):  # the broker is down: the approval stands; staff place the letter later
        logger.exception("registration %s: could not schedule the approval letter", registration_id)


@transaction.atomic
def registration_letter_issue(*, registration_id: int) -> list[Document]:
    """Render the approval letter and place it in every account the registration opened, then tell the
    accounts' owners by e-mail that it is available (seed 004, "Step 4: Once approved"). Safe to run twice:
    a registration gets its letter once."""
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("program", "taxpayer", "registrant")
        .get(pk=registration_id)
    )
    if registration.status != Registration.Status.APPROVED:
        raise ValidationError(REGISTRATION_LETTER_NOT_APPROVED)
    if registration.letter_issued_at is not None:
        return []
    taxpayer = registration.taxpayer
    if taxpayer is None:  # approval creates the taxpayer (or names the existing one) in the same transaction
        raise ValidationError(REGISTRATION_LETTER_NOT_APPROVED)
    pdf = registration_review.registration_letter_pdf(registration=registration)
    # Only the letter job runs this: it acts for the reviewer whose approval it completes, as the log names them.
    actor = Actor.job("registration letter", user=registration.reviewed_by)
    accounts = list(registration.accounts.select_related("program", "taxpayer").order_by("number"))
    documents = [
        document_services.document_issue(
            account=account,
            files=[(f"approval-letter-{registration.reference_number}.pdf", pdf)],
            document_type=Document.Type.TRA_LETTER,
            description=_("Approval letter, registration %(reference)s")
            % {"reference": registration.reference_number},
            by=registration.reviewed_by,
            actor=actor,
        )
        for account in accounts
    ]
    registration_review.registration_letter_record(registration=registration)
    recipients = sorted({email for account in accounts for email in owners_emails(account)})
    email_queue(
        to=recipients,
        subject=_("TRACS: your %(program)s approval letter is available")
        % {"program": registration.program.name},
        body=_(
            "Tax and Revenue Administration approved the %(program)s registration %(reference)s of %(taxpayer)s.\n\n"
            "Your approval letter is available in your TRACS account. Business Identification Number (BIN): %(bin)s. "
            "Account(s): %(numbers)s.\n\n"
            "Sign in to TRACS: the account(s) are on your home page, and the letter is under Submit Documents of each "
            "account. You are an owner of the account(s) and can give your employees or tax preparer access under "
            "Manage access.\n%(site)s"
        )
        % {
            "program": registration.program.name,
            "reference": registration.reference_number,
            "taxpayer": taxpayer.legal_name,
            "bin": taxpayer.bin,
            "numbers": ", ".join(account.number for account in accounts),
            "site": settings.TRACS_SITE_URL,
        },
        purpose="registration-approved",
    )
    return documents
