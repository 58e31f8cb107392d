"""A request id on every log line of a request and of the Celery tasks it starts.

Taken from an incoming X-Request-ID when it is well formed (a proxy in front may set one), else generated; kept
in a context variable that a logging filter reads, returned as a response header, and sent with each task the
request publishes (a Celery message header) so the worker's log lines carry it too."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun

HEADER = "X-Request-ID"
CELERY_HEADER = "tracs_request_id"
WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")  # nothing a log line could be forged with

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def incoming_or_new(value: str | None) -> str:
    return value if value and WELL_FORMED.match(value) else uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every later line of the request has the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        value = incoming_or_new(request.headers.get(HEADER))
        request.request_id = value
        token = request_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = value
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


@before_task_publish.connect
def _send_request_id(headers=None, **kwargs) -> None:
    value = request_id.get()
    if value and headers is not None:
        headers[CELERY_HEADER] = value


@task_prerun.connect
def _receive_request_id(task=None, **kwargs) -> None:
    value = getattr(task.request, CELERY_HEADER, None) if task is not None else None
    if value is None and task is not None:
        value = (task.request.headers or {}).get(CELERY_HEADER)
    task.request.tracs_request_token = request_id.set(value or "") if task is not None else None


@task_postrun.connect
def _forget_request_id(task=None, **kwargs) -> None:
    token = getattr(task.request, "tracs_request_token", None) if task is not None else None
    if token is not None:
        request_id.reset(token)
