"""Error reports to Sentry (sentry-sdk with its Django and Celery integrations), only when SENTRY_DSN is set
(tracs/settings.py; docs/configuration.md, "Errors and logs").

Nothing personal leaves: send_default_pii is off (no user, cookies or client address), request bodies are never
sent (a form's PIN or bank account would be in one), nor a frame's local variables; and every report and
breadcrumb is scrubbed as the logs are (tracs/log_filters.py `scrub`): fields named like a secret, PINs, bank
numbers and amounts in any text, and the secrets the request or task registered (tracs/log_context.py). Each
report is tagged with the request id, the acting person's id and the account number, as the log lines are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from tracs import log_context
from tracs.log_filters import scrub

if TYPE_CHECKING:
    from sentry_sdk._types import Event

# The parts of an event that carry text from the request or the code: scrubbed. The rest (timestamps, the SDK's
# and the platform's descriptions, stack frames' file names and line numbers) is left as Sentry needs it.
SCRUBBED_PARTS = ("message", "logentry", "request", "extra", "user")


def _scrub_frames(container: dict[str, Any]) -> None:
    for frame in (container.get("stacktrace") or {}).get("frames") or []:
        if "vars" in frame:
            frame["vars"] = scrub(frame["vars"])


def before_send(event: Event, hint: dict[str, Any] | None) -> Event:
    """Sentry's hook for every error report (and, as before_send_transaction, every trace)."""
    data = cast(dict[str, Any], event)
    for part in SCRUBBED_PARTS:
        if part in data:
            data[part] = scrub(data[part])
    for kind in ("exception", "threads"):
        for value in (data.get(kind) or {}).get("values") or []:
            if isinstance(value.get("value"), str):
                value["value"] = scrub(value["value"])
            _scrub_frames(value)
    for crumb in (data.get("breadcrumbs") or {}).get("values") or []:
        before_breadcrumb(crumb, None)
    for span in data.get("spans") or []:
        if isinstance(span.get("description"), str):
            span["description"] = scrub(span["description"])
    tags = data.setdefault("tags", {})
    for name, value in log_context.current().items():
        if value:
            tags.setdefault(name, value)
    return event


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None) -> dict[str, Any]:
    """Each breadcrumb (a log line, a query) as it is taken, while the request's registered secrets are known."""
    for part in ("message", "data"):
        if part in crumb:
            crumb[part] = scrub(crumb[part])
    return crumb


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> bool:
    """Start reporting to Sentry; nothing at all without a DSN. Returns whether it started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=before_send,
        before_send_transaction=before_send,
        before_breadcrumb=before_breadcrumb,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
    return True
