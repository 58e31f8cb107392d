"""/health/ (liveness) and /health/ready/ (readiness), tracs/health.py. Outages are played with throwaway servers
on ports of their own (a Redis this test starts and stops, a PostgreSQL port nothing listens on), never the
suite's own services."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_deploy_check import database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ready(client):
    response = client.get("/health/ready/", HTTP_ACCEPT="text/plain")
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("path", ["/health/", "/healthz"])
def test_liveness_answers_without_asking_the_database(client, path):
    response = client.get(path)  # no django_db mark: a query would raise
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_readiness_is_200_on_the_suites_services_and_names_what_it_checked(client):
    status, body = ready(client)
    assert status == 200, body
    for component in ("Database", "Migrations", "Cache", "Storage"):
        assert f"{component}(" in body
    # No broker server (kombu's file transport) and no scanner configured: neither is asked.
    assert "CeleryBroker" not in body
    assert "MalwareScanner" not in body


@pytest.mark.django_db
def test_readiness_is_html_and_json_too(client):
    assert client.get("/health/ready/").status_code == 200
    response = client.get("/health/ready/?format=json")
    assert response.status_code == 200
    assert set(response.json().values()) == {"OK"}


class ThrowawayRedis:
    def __init__(self, port: int):
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def throwaway_redis():
    # make test runs scripts/ensure_services.sh, which installs it: a missing server is a broken setup
    assert shutil.which("redis-server"), (
        "redis-server is not installed (scripts/ensure_services.sh installs it)"
    )
    redis = ThrowawayRedis(free_port())
    redis.start()
    yield redis
    redis.stop()


@pytest.mark.django_db
def test_readiness_turns_503_naming_redis_when_the_broker_stops_and_200_when_it_is_back(
    client, settings, throwaway_redis
):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{throwaway_redis.port}/0"
    settings.TRACS_HEALTH_CELERY_WORKER = False  # the broker alone here; the worker's heartbeat is below
    status, body = ready(client)
    assert status == 200, body
    assert f"CeleryBroker(Redis at 127.0.0.1:{throwaway_redis.port}): OK" in body

    throwaway_redis.stop()
    status, body = ready(client)
    assert status == 503
    assert f"CeleryBroker(Redis at 127.0.0.1:{throwaway_redis.port}): Unavailable" in body
    assert "Database(alias='default'): OK" in body  # only the failing component fails

    throwaway_redis.start()
    status, body = ready(client)
    assert status == 200, body


@pytest.mark.django_db
def test_readiness_needs_a_workers_heartbeat_when_a_broker_is_configured(client, settings, throwaway_redis):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{throwaway_redis.port}/0"
    status, body = ready(client)
    assert status == 503
    assert "CeleryWorker(): Unavailable: no Celery worker answered" in body
    assert f"CeleryBroker(Redis at 127.0.0.1:{throwaway_redis.port}): OK" in body


@pytest.mark.django_db
def test_readiness_asks_the_configured_malware_scanner(client, settings):
    settings.CLAMD_HOST, settings.CLAMD_PORT = "127.0.0.1", free_port()  # nothing listens there
    status, body = ready(client)
    assert status == 503
    assert "MalwareScanner(): Unavailable: clamd could not be reached" in body


def _readiness_in_a_process(url: str, tmp_path: Path) -> tuple[int, str]:
    """/health/ready/ in a process of its own whose DATABASE_URL is `url` (the test process's database
    connection cannot be pointed elsewhere and back)."""
    code = (
        "import django, sys; django.setup(); from django.test import Client; "
        "r = Client().get('/health/ready/', HTTP_ACCEPT='text/plain'); "
        "sys.stdout.write(f'{r.status_code}\\n' + r.content.decode())"
    )
    env = {key: value for key, value in os.environ.items() if key != "CELERY_BROKER_URL"}
    env.update(DATABASE_URL=url, MEDIA_ROOT=str(tmp_path / "media"), DJANGO_SETTINGS_MODULE="tracs.settings")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout, result.stderr[-2000:]
    status, _, body = result.stdout.partition("\n")
    return int(status), body


@pytest.mark.django_db
def test_readiness_turns_503_naming_the_database_when_postgresql_does_not_answer(tmp_path):
    status, body = _readiness_in_a_process(f"postgres://postgres@127.0.0.1:{free_port()}/tracs", tmp_path)
    assert status == 503
    assert "Database(alias='default'): Unavailable" in body
    assert "Storage(alias='default'): OK" in body

    status, body = _readiness_in_a_process(database_url(), tmp_path)  # the suite's own database
    assert status == 200, body
