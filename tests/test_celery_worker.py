"""A real Celery worker (Redis broker, the test database) sends an e-mail queued through the outbox.

Everywhere else jobs run inline (tests/conftest.py); this test proves the wiring the production topology
relies on: the task is published only when the transaction commits, travels through Redis, and a separate
worker process decrypts, sends (console backend) and marks the e-mail sent in the same database.
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction
from kombu import pools as kombu_pools

from accounts.models import OutboxEmail
from accounts.services import email_queue
from tracs.celery import app

BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
CELERY = Path(sys.executable).with_name("celery")
SENT_WITHIN_SECONDS = 30

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def database_url(settings_dict) -> str:
    """DATABASE_URL for the worker: the test process's own (test) database. A HOST starting with "/" is
    PostgreSQL's socket directory (the embedded server), passed URL-encoded in the path (django-environ)."""
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if user else ""
    host, port, name = settings_dict["HOST"] or "", settings_dict["PORT"] or "", settings_dict["NAME"]
    if host.startswith("/"):
        return f"postgres://{credentials}/{quote(host, safe='')}/{quote(name, safe='')}"
    return f"postgres://{credentials}{host}{f':{port}' if port else ''}/{quote(name, safe='')}"


def connect_kwargs(settings_dict) -> dict[str, str]:
    """psycopg.connect's keywords for the test process's own database: a second session of the same database (a
    HOST starting with "/" is the embedded server's socket directory, which a URL cannot carry for psycopg)."""
    values = {
        "dbname": settings_dict["NAME"],
        "host": settings_dict["HOST"],
        "port": str(settings_dict["PORT"] or ""),
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"],
    }
    return {key: value for key, value in values.items() if value}


def _reset_producer_pools() -> None:
    """Forget broker connections made with the previous broker URL (the app configures itself lazily)."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools in a registry of its own, keyed by the broker's URL: once the URL is back to
    # what it was, it would hand out the pool just closed ("Acquire on closed pool") to every later test.
    kombu_pools.reset()


@pytest.fixture
def queue_name():
    # A queue of our own: another test run sharing this Redis database never takes our messages.
    return f"tracs-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def broker(queue_name):
    """The app publishes to Redis for real (no eager mode) for the length of the test."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER_URL
    app.conf.task_default_queue = queue_name
    _reset_producer_pools()
    with app.connection_for_write() as conn:
        try:
            conn.ensure_connection(max_retries=2, interval_start=0.2)
        except Exception as error:
            pytest.fail(
                f"Redis does not answer at {BROKER_URL} ({error}); scripts/ensure_services.sh starts it"
            )
    yield
    _reset_producer_pools()
    for key, value in saved.items():
        app.conf[key] = value


@contextmanager
def worker_process(*, queue_name: str, log: Path, **extra_env: str) -> Iterator[subprocess.Popen]:
    """`celery -A tracs worker` in its own process, on the test database, taking `queue_name`; stopped at the end.
    `extra_env`: settings the worker must share with the test (the folders its jobs read and write)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracs.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": BROKER_URL,
        "EMAIL_URL": "consolemail://",
        "SECRET_KEY": settings.SECRET_KEY,  # the outbox key derives from it when OUTBOX_KEY is empty
        "OUTBOX_KEY": settings.OUTBOX_KEY,
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(CELERY), "-A", "tracs", "worker", "--pool", "solo", "--queues", queue_name,
             "--loglevel", "INFO", "--without-heartbeat", "--without-mingle", "--without-gossip"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.fixture
def worker(transactional_db, broker, queue_name, tmp_path):
    """A worker (worker_process) for the length of the test: (the process, its log file)."""
    log = tmp_path / "worker.log"
    with worker_process(queue_name=queue_name, log=log) as process:
        yield process, log


def test_worker_sends_outbox_email_queued_in_a_committed_transaction(worker):
    process, log = worker
    with transaction.atomic():
        email = email_queue(
            to=["owner@example.ca"],
            subject="TRACS worker check",
            body="Sent by a real Celery worker.",
            purpose="worker-test",
        )
        # Nothing is published before the transaction commits.
        assert OutboxEmail.objects.get(pk=email.pk).status == OutboxEmail.Status.PENDING

    deadline = time.monotonic() + SENT_WITHIN_SECONDS
    email.refresh_from_db()
    while email.status != OutboxEmail.Status.SENT and time.monotonic() < deadline:
        assert process.poll() is None, f"the worker stopped:\n{log.read_text()}"
        time.sleep(0.25)
        email.refresh_from_db()

    assert email.status == OutboxEmail.Status.SENT, (
        f"not sent within {SENT_WITHIN_SECONDS} s:\n{log.read_text()}"
    )
    assert email.attempts == 1
    assert email.sent_at is not None
    assert bytes(email.subject_encrypted) == b""
    assert bytes(email.body_encrypted) == b""
    assert "Subject: TRACS worker check" in log.read_text()
