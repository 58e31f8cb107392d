"""What every log line of a request, and of the Celery tasks it starts, says about its context: the request id,
the acting person's id and the account number acted on, plus the secrets the request or task has handled, which
no log line may show (tracs/log_filters.py scrubs them).

- The request id is taken from an incoming X-Request-ID when it is well formed (a proxy in front may set one),
  else generated; it is returned as a response header.
- The person's id is that of the Actor the request acts as (tracs.actors.actor_from_request): bound when the
  request's user is known (LogContextMiddleware, after authentication) and again whenever an Actor is built.
- The account number is bound where the account is resolved: the access chokepoint (consent.access.account_view)
  for the portal's account pages, a staff page's record in admin (accounts.admin.StaffReadLoggedAdmin).
- Secrets (a PIN in clear, bank details) are registered with `secret()` by the code that holds them, so even a
  developer's message that formats one in is scrubbed for the rest of the request or task.

All live in context variables, begun afresh for each request (`LogContextMiddleware`) and each task
(`task_prerun`), and ended after it, so nothing carries over to the next request a thread serves. The request id,
person and account travel with each task the request publishes (Celery message headers); secrets never do."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from celery.signals import before_task_publish, task_postrun, task_prerun

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")  # nothing a log line could be forged with
# Shortest value `secret()` keeps: a shorter one would scrub unrelated digits (a bank's 3-digit institution number
# names a bank, not an account: the keyword rule of tracs/log_filters.py still scrubs it after "institution").
SECRET_MIN_LENGTH = 5
# Most values one scope keeps (the newest): a request handles a few; a batch job that registered one per row must
# not make every log line cost more as it goes.
SECRETS_KEPT = 100

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
actor_id: contextvars.ContextVar[str] = contextvars.ContextVar("actor_id", default="")
account_number: contextvars.ContextVar[str] = contextvars.ContextVar("account_number", default="")
secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("log_secrets", default=())

# What travels with a task, as Celery message headers: (header, context variable).
CELERY_HEADERS: tuple[tuple[str, contextvars.ContextVar[str]], ...] = (
    ("tracs_request_id", request_id),
    ("tracs_actor_id", actor_id),
    ("tracs_account_number", account_number),
)
CELERY_HEADER = CELERY_HEADERS[0][0]


def incoming_or_new(value: str | None) -> str:
    return value if value and WELL_FORMED.match(value) else uuid.uuid4().hex


def begin(*, request: str = "") -> None:
    """Start a request's context afresh: its id, no person, no account, no secret."""
    request_id.set(request)
    actor_id.set("")
    account_number.set("")
    secrets.set(())


def end() -> None:
    begin()


@contextmanager
def scope(*, request: str = "", actor: str = "", account: str = "") -> Iterator[None]:
    """A fresh context for one request or task: what it binds inside is forgotten when it ends."""
    tokens = [
        (request_id, request_id.set(request)),
        (actor_id, actor_id.set(actor)),
        (account_number, account_number.set(account)),
    ]
    secrets_token = secrets.set(())
    try:
        yield
    finally:
        secrets.reset(secrets_token)
        for variable, token in reversed(tokens):
            variable.reset(token)


def bind(*, actor: object = None, account: str | None = None) -> None:
    """Name the acting person (a user, or their id) and the account acted on, for the rest of the scope."""
    if actor is not None:
        actor_id.set(str(getattr(actor, "pk", actor) or ""))
    if account is not None:
        account_number.set(account[:40])


def secret(*values: object) -> None:
    """Values no log line of this request or task may show (a PIN in clear, a bank account, transit or
    institution number): the log formatters and Sentry's before_send replace each wherever it appears."""
    found = [str(value).strip() for value in values if value is not None]
    kept = tuple(value for value in found if len(value) >= SECRET_MIN_LENGTH)
    if kept:
        secrets.set(tuple(dict.fromkeys((*secrets.get(), *kept)))[-SECRETS_KEPT:])


def current() -> dict[str, str]:
    return {
        "request_id": request_id.get(),
        "actor_id": actor_id.get(),
        "account_number": account_number.get(),
    }


class LogContextMiddleware:
    """First in MIDDLEWARE, so every later line of the request has its id. `actor_bind` runs after
    authentication (MIDDLEWARE: tracs.log_context.ActorLogMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        value = incoming_or_new(request.headers.get(HEADER))
        request.request_id = value
        begin(request=value)
        response = self.get_response(request)
        response[HEADER] = value
        # Django logs a 4xx or 5xx answer ("Not Found: /path") after the middleware has returned
        # (BaseHandler.get_response), so the context ends when the response is closed, after that line, with
        # what Django closes then (the one hook it offers there).
        response._resource_closers.append(end)
        return response


class ActorLogMiddleware:
    """Right after authentication: the signed-in person's id on every later line of the request. Reading
    request.user costs nothing more here: the two-factor middleware reads it on every request anyway."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            bind(actor=user)
        return self.get_response(request)


class LogContextFilter(logging.Filter):
    """Adds `request_id`, `actor_id` and `account_number` to every record (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current().items():
            setattr(record, name, value)
        return True


@before_task_publish.connect
def _send_context(headers=None, **kwargs) -> None:
    if headers is None:
        return
    for header, variable in CELERY_HEADERS:
        value = variable.get()
        if value:
            headers[header] = value


def _received(task, header: str) -> str:
    value = getattr(task.request, header, None)
    if value is None:
        value = (task.request.headers or {}).get(header)
    return str(value or "")


@task_prerun.connect
def _receive_context(task=None, **kwargs) -> None:
    if task is None:
        return
    # A task run inline (eager) is in its caller's context already: what no header brings is kept from it.
    values = {header: _received(task, header) or variable.get() for header, variable in CELERY_HEADERS}
    if values["tracs_request_id"] and not WELL_FORMED.match(values["tracs_request_id"]):
        values["tracs_request_id"] = ""
    opened = scope(
        request=values["tracs_request_id"],
        actor=values["tracs_actor_id"][:40],
        account=values["tracs_account_number"][:40],
    )
    opened.__enter__()
    task.request.tracs_log_scope = opened


@task_postrun.connect
def _forget_context(task=None, **kwargs) -> None:
    opened = getattr(task.request, "tracs_log_scope", None) if task is not None else None
    if opened is not None:
        task.request.tracs_log_scope = None
        opened.__exit__(None, None, None)
