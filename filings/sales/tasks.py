"""Celery jobs of the marked-fuel ingestion: thin, by id, safe to run twice (a finished ingestion is returned)."""

from __future__ import annotations

from celery import shared_task

from filings.sales import ingestion


@shared_task(acks_late=True, soft_time_limit=3600, time_limit=3700)
def ingestion_run(ingestion_id: int) -> str:
    """Read, validate and store one received file (filings.sales.ingestion.ingestion_run)."""
    return ingestion.ingestion_run(ingestion_id=ingestion_id).status
