"""Liveness and readiness (django-health-check; docs/operations.md, "Health checks").

`/health/` (and its old name `/healthz`) answers as soon as the process does: nothing is asked of the database,
so a slow database never gets a healthy web process restarted. `/health/ready/` asks everything a request may
need: the database, migrations applied, the cache, the file storage, the Celery broker and a worker's heartbeat
when a broker server is configured, and the malware scanner when one is. It answers 503 naming the failing
component (text/plain, JSON with ?format=json), 200 when all answer.

The list of checks is built per request from settings, so a test that overrides a setting sees its own list.
"""

from __future__ import annotations

import dataclasses
import datetime
import typing
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

# Brokers with a server behind them; kombu's filesystem and memory transports have none to lose.
BROKER_SERVERS = ("redis", "rediss", "amqp", "amqps", "pyamqp", "sqs")


def liveness(request: HttpRequest) -> HttpResponse:
    """The process answers: no database, no cache, no broker."""
    return HttpResponse("ok", content_type="text/plain")


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration of the code that runs is applied: a web process started before `migrate` finished (or
    with newer code than the database) is not ready."""

    alias: str = "default"

    def run(self) -> None:
        connection = connections[self.alias]
        try:
            executor = MigrationExecutor(connection)
            unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as error:
            raise ServiceUnavailable(f"migrations could not be read: {type(error).__name__}") from error
        finally:
            # Checks run in a thread of their own: its connection would outlive the request otherwise.
            connection.close()
        if unapplied:
            raise ServiceUnavailable(f"{len(unapplied)} migration(s) not applied, first {unapplied[0][0]}")


@dataclasses.dataclass
class CeleryBroker(HealthCheck):
    """The broker accepts a connection (Redis in production). Its address is shown without its password."""

    url: str = dataclasses.field(default="", repr=False)
    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=3), repr=False)

    def __repr__(self) -> str:
        parts = urlsplit(self.url)
        name = "Redis" if parts.scheme.startswith("redis") else parts.scheme
        return f"CeleryBroker({name} at {parts.hostname}:{parts.port or ''})"

    def run(self) -> None:
        from kombu import Connection

        seconds = self.timeout.total_seconds()
        try:
            with Connection(self.url, connect_timeout=seconds, transport_options={"max_retries": 0}) as conn:
                conn.ensure_connection(max_retries=1, timeout=int(seconds))
        except Exception as error:
            raise ServiceUnavailable(f"the broker does not answer: {type(error).__name__}") from error


@dataclasses.dataclass
class CeleryWorker(HealthCheck):
    """At least one worker answers a ping through the broker: queued mail and jobs are being worked on."""

    url: str = dataclasses.field(default="", repr=False)
    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=2), repr=False)

    def run(self) -> None:
        from tracs.celery import app

        # Half the check's time for the replies: the rest is for connecting to the broker, so a busy machine says
        # "no worker answered" rather than the health framework's bare "Timed out" (a worker answers in ms).
        try:
            with app.connection_for_write(self.url) as connection:
                replies = app.control.ping(timeout=self.timeout.total_seconds() / 2, connection=connection)
        except Exception as error:
            raise ServiceUnavailable(f"the workers could not be asked: {type(error).__name__}") from error
        if not replies:
            raise ServiceUnavailable("no Celery worker answered")


@dataclasses.dataclass
class MalwareScanner(HealthCheck):
    """clamd answers PING with PONG (only when a scanner is configured: without one, files are kept and marked
    not scanned, which is the configured behaviour, not a fault)."""

    def run(self) -> None:
        from programs.documents import ClamdScanner, scanner

        clamd = scanner()
        if not isinstance(clamd, ClamdScanner):
            return
        try:
            answer = clamd.ping()
        except OSError as error:
            raise ServiceUnavailable(f"clamd could not be reached: {type(error).__name__}") from error
        if answer != "PONG":
            raise ServiceUnavailable(f"clamd answered {answer[:40]!r}")


def _scanner_configured() -> bool:
    return bool(settings.TRACS_MALWARE_SCANNER or settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def readiness_checks() -> list[HealthCheck]:
    broker = settings.CELERY_BROKER_URL
    checks: list[HealthCheck] = [Database(), Migrations(), Cache(), Storage()]
    if broker.split("://")[0] in BROKER_SERVERS:
        checks.append(CeleryBroker(url=broker))
        if settings.TRACS_HEALTH_CELERY_WORKER:
            checks.append(CeleryWorker(url=broker))
    if _scanner_configured():
        checks.append(MalwareScanner())
    return checks


@dataclasses.dataclass
class ScheduledJobs(HealthCheck):
    """Every scheduled job succeeded within twice its period (accounts/scheduled_jobs.py). Never part of readiness:
    a late batch job does not stop the portal serving. For a monitor outside TRACS, which alerts even when beat
    itself is down and the in-house alert (a beat job too) cannot run."""

    def run(self) -> None:
        from accounts.scheduled_jobs import stale_scheduled_jobs

        stale = stale_scheduled_jobs()
        if stale:
            raise ServiceUnavailable("stale: " + ", ".join(job.name for job in stale))


class ReadinessView(HealthCheckView):
    """django-health-check's view with the portal's checks, 503 (not the library's 500) when one fails, so a
    load balancer and a log reader tell "not ready" from a crash."""

    def get_checks(self) -> typing.Generator[HealthCheck, None, None]:
        yield from readiness_checks()

    async def get(self, request: HttpRequest, *args: typing.Any, **kwargs: typing.Any) -> HttpResponse:
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        return response


class ScheduledJobsView(ReadinessView):
    """/health/jobs/: 503 naming the stale scheduled jobs, 200 when none is."""

    def get_checks(self) -> typing.Generator[HealthCheck, None, None]:
        yield ScheduledJobs()
