from celery import shared_task

from accounts.actors import Actor
from accounts.models import User
from consent import services
from programs.models import ProgramAccount


@shared_task(acks_late=True)
def enrolment_letter_prepare(account_id: int, staff_id: int) -> int:
    """Generate, hash and print an enrolment PIN into its letter, in one job (the PIN never leaves it)."""
    staff = User.objects.get(pk=staff_id)
    pin = services.enrolment_pin_issue(
        account=ProgramAccount.objects.get(pk=account_id),
        by=staff,
        actor=Actor.job("enrolment_letter_prepare", user=staff),
    )
    return pin.pk


@shared_task(acks_late=True)
def registration_letter_issue_job(registration_id: int) -> int:
    """Render an approved registration's letter and place it in its accounts' documents (once)."""
    return len(services.registration_letter_issue(registration_id=registration_id))
