"""Celery jobs of the SFTP door: the acknowledgement of a file once its ingestion ends, and the inbox sweep."""

from __future__ import annotations

from celery import shared_task

from filings.sales.models import Ingestion
from filings.sales.sftp import pickup

# The ingestion of the file runs in its own job (filings.sales.tasks.ingestion_run, scheduled by the service on the
# same commit): this one waits for it, asking again every few seconds, for at most about half an hour.
ACKNOWLEDGE_RETRY_SECONDS = 5
ACKNOWLEDGE_RETRIES = 400


@shared_task(bind=True, acks_late=True, max_retries=ACKNOWLEDGE_RETRIES)
def sftp_acknowledge(self, ingestion_id: int) -> str:
    """Write the acknowledgement of an SFTP file into its account's outbox once its ingestion has ended (safe to
    run twice: the same file again). The sweep writes any this job gave up on."""
    ingestion = Ingestion.objects.select_related("account").get(pk=ingestion_id)
    written = pickup.outbox_acknowledge(ingestion=ingestion)
    if written is None:
        raise self.retry(countdown=ACKNOWLEDGE_RETRY_SECONDS)
    return written.name


@shared_task(acks_late=True)
def sftp_inbox_sweep() -> int:
    """Pick up inbox files the server did not see closed, once settled, and write missing acknowledgements."""
    return pickup.inbox_sweep()
