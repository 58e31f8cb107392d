"""The request id: returned as a header, on the request's log lines, and carried into the tasks it starts."""

import logging

import pytest
from celery import shared_task

from tracs import request_id as rid


@shared_task
def _task_seeing_the_id() -> str:
    logging.getLogger("tests.task").warning("in the task")
    return rid.request_id.get()


@pytest.mark.django_db
def test_a_well_formed_incoming_id_is_kept_and_returned(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123-def-456")
    assert response["X-Request-ID"] == "abc-123-def-456"


@pytest.mark.django_db
def test_a_malformed_id_is_replaced_by_a_new_one(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nforged line")
    assert rid.WELL_FORMED.match(response["X-Request-ID"])
    assert "forged" not in response["X-Request-ID"]


def test_log_records_carry_the_current_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "message", None, None)
    token = rid.request_id.set("req-0000-1111")
    try:
        rid.RequestIdFilter().filter(record)
    finally:
        rid.request_id.reset(token)
    assert record.request_id == "req-0000-1111"


def test_a_task_published_during_a_request_runs_with_its_id():
    headers: dict = {}
    token = rid.request_id.set("req-2222-3333")
    try:
        rid._send_request_id(headers=headers)
    finally:
        rid.request_id.reset(token)
    assert headers == {rid.CELERY_HEADER: "req-2222-3333"}
    result = _task_seeing_the_id.apply(headers=headers)
    assert result.get() == "req-2222-3333"
    assert rid.request_id.get() == ""  # forgotten after the task


def test_a_json_record_has_the_id_and_never_a_pin_bank_account_or_amount():
    import json

    from tracs.log_filters import JsonFormatter

    record = logging.LogRecord("tracs", logging.INFO, __file__, 1, "filed %s", ("R-1",), None)
    record.request_id = "req-4444-5555"
    record.account_number = "1234567"
    record.pin = "7Q4K-99XZ"
    record.bank_account_number = "000123456789"
    record.total_tax_amount = "1234.56"
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "filed R-1"
    assert entry["request_id"] == "req-4444-5555"
    assert entry["account_number"] == "1234567"
    for secret in ("7Q4K-99XZ", "000123456789", "1234.56"):
        assert secret not in line
