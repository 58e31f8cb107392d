"""Celery jobs of filings. Thin: they take ids, call one function, and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from filings import documents

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def confirmation_pdf_render(kind: str, pk: int) -> int:
    """Make the confirmation PDF of a return or a claim (`kind` "return" or "claim") and keep it."""
    return documents.confirmation_pdf_store(kind=kind, pk=pk).pk


def confirmation_pdf_schedule(*, kind: str, pk: int) -> None:
    """Queue the confirmation PDF; a broker that is down must not fail the filer's request (the download
    queues it again when it is asked for)."""
    try:
        confirmation_pdf_render.delay(kind, pk)
    except Exception:
        logger.warning("filings: could not queue the confirmation PDF of %s %s", kind, pk, exc_info=True)


# The marked-fuel ingestion's job and the SFTP door's (each file's acknowledgement, the inbox sweep), registered
# with Celery by these imports (autodiscovery reads filings.tasks).
from filings.sales.sftp.tasks import sftp_acknowledge, sftp_inbox_sweep  # noqa: E402, F401
from filings.sales.tasks import ingestion_run  # noqa: E402, F401
