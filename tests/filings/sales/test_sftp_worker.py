"""The SFTP door with the production topology's jobs: a file put with OpenSSH's sftp client is received by TRACS's
SFTP server, and its ingestion and its acknowledgement run in a real Celery worker, a process of its own reached
through Redis (tests/test_celery_worker.py), not inline as in the other tests: the acknowledgement appears in the
account's outbox/ and in the portal once the worker has ingested the file."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from filings.sales.models import Ingestion, Sale
from tests.conftest import sign_in
from tests.filings.sales.sftp_helpers import csv_text
from tests.filings.sales.test_sftp_door import door, outbox_file, put  # noqa: F401 - the door fixture
from tests.filings.sales_helpers import sale_row
from tests.test_celery_worker import broker, queue_name, worker_process  # noqa: F401 - fixtures

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ACKNOWLEDGED_WITHIN_SECONDS = 90  # the worker starts (Django, Celery) and then runs two jobs


def test_an_sftp_files_acknowledgement_comes_from_the_worker(door, broker, queue_name, settings, tmp_path):  # noqa: F811
    account = door["account"]
    log = tmp_path / "worker.log"
    extra = {"MEDIA_ROOT": str(settings.MEDIA_ROOT), "TRACS_SFTP_ROOT": str(settings.TRACS_SFTP_ROOT)}
    with worker_process(queue_name=queue_name, log=log, **extra) as process:
        local = door["tmp"] / "sales-2026-10.csv"
        local.write_text(
            csv_text([sale_row(account), sale_row(account, line=2, exemption_number="F7654321")])
        )
        result = put(door, f"put {local} inbox/{local.name}\n")
        assert result.returncode == 0, result.stderr

        ingestion = Ingestion.objects.get(account=account)
        assert ingestion.door == "sftp"
        try:
            answer = outbox_file(account, f"{local.name}.ack.csv", timeout=ACKNOWLEDGED_WITHIN_SECONDS)
        finally:
            assert process.poll() is None, f"the worker stopped:\n{log.read_text()}"
    worker_log = log.read_text()
    # Both jobs ran in the worker: the ingestion, then the acknowledgement that waited for it.
    assert "filings.sales.tasks.ingestion_run" in worker_log
    assert "succeeded" in worker_log
    assert "filings.sales.sftp.tasks.sftp_acknowledge" in worker_log
    ingestion.refresh_from_db()
    assert (ingestion.status, ingestion.rows_accepted, ingestion.rows_rejected) == ("done", 1, 1)
    assert Sale.objects.filter(ingestion=ingestion).count() == 1
    summary, rejected = answer.split("\r\n\r\n", 1) if "\r\n\r\n" in answer else answer.split("\n\n", 1)
    assert list(csv.reader(io.StringIO(summary)))[1][1:6] == ["done", "no", "2", "1", "1"]
    assert "F7654321" in rejected

    page = sign_in(Client(), door["owner"]).get(
        reverse("sales_file", kwargs={"number": account.number, "ingestion_id": ingestion.pk})
    )
    assert "F7654321" in page.content.decode()  # the same acknowledgement in the portal
