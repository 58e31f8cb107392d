from celery import shared_task

from accounts import services


@shared_task(bind=True, acks_late=True, max_retries=8, default_retry_delay=60)
def outbox_send(self, email_id: int) -> bool:
    try:
        return services.outbox_send(email_id=email_id)
    except Exception as error:  # SMTP down: retry with backoff; the periodic sweep is the last resort
        raise self.retry(exc=error, countdown=min(3600, 60 * 2**self.request.retries)) from error


@shared_task(acks_late=True)
def outbox_send_pending() -> int:
    sent = 0
    for email_id in services.outbox_pending_ids():
        try:
            sent += services.outbox_send(email_id=email_id)
        except Exception:  # noqa: S112 - one failing address must not stop the rest; it stays pending
            continue
    return sent
