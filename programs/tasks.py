from celery import shared_task

from programs.services import documents as document_services


@shared_task(acks_late=True)
def documents_incoming_sweep() -> int:
    """Delete the temporary uploads of Submit Documents wizards left unfinished for a day (safe to rerun)."""
    return document_services.documents_incoming_sweep()
