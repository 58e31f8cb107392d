"""Each log line of a request, and of the tasks it starts, says which request, which person and which account
(tracs/log_context.py), returned as a header for the request id, and never shows a PIN, a bank number or an
amount, even one a developer formatted into the message (tracs/log_filters.py)."""

import io
import json
import logging

import pytest
from celery import shared_task
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from accounts import pins
from consent.access import account_view
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant
from tracs import log_context as lc
from tracs.log_filters import JsonFormatter, PlainFormatter, scrub_text

logger = logging.getLogger("tests.log_context")


@shared_task
def _task_seeing_the_context() -> dict:
    logger.warning("in the task")
    return lc.current()


@account_view(Privilege.VIEW_ACCOUNT, log_reads=False)
def _careless_view(request):
    """A view whose developer formats what must never be logged into its messages."""
    lc.secret("000987654321")  # as the direct deposit service registers what it was given
    logger.warning("deposit to 000987654321 for %s", request.account.number)
    logger.warning("bank account 123456789012, transit: 12345, owing $1,234.56, line total 4321.09")
    return HttpResponse(json.dumps(_task_seeing_the_context.delay().get()))


urlpatterns = [path("careless/<str:number>/", _careless_view), path("", include("tracs.urls"))]


@pytest.fixture
def json_log():
    """What production's console handler writes (LOG_FORMAT=json), for the test's logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(lc.LogContextFilter())
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_a_well_formed_incoming_id_is_kept_and_returned(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123-def-456")
    assert response["X-Request-ID"] == "abc-123-def-456"


@pytest.mark.django_db
def test_a_malformed_id_is_replaced_by_a_new_one(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nforged line")
    assert lc.WELL_FORMED.match(response["X-Request-ID"])
    assert "forged" not in response["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_requests_lines_and_its_tasks_name_the_person_and_the_account_and_show_no_secret(caplog, json_log):
    account = ProgramAccountFactory()
    delegate = UserFactory()
    delegate_grant(account=account, user=delegate, privileges=[Privilege.VIEW_ACCOUNT])
    client = sign_in(Client(), delegate)

    with caplog.at_level(logging.WARNING, logger="tests.log_context"):
        response = client.get(f"/careless/{account.number}/", HTTP_X_REQUEST_ID="req-7777-8888")

    assert response.status_code == 200
    # The task the request started ran with the request's id, person and account.
    assert json.loads(response.content) == {
        "request_id": "req-7777-8888",
        "actor_id": str(delegate.pk),
        "account_number": account.number,
    }
    records = [record for record in caplog.records if record.name == "tests.log_context"]
    assert len(records) == 3
    for record in records:
        assert (record.request_id, record.actor_id, record.account_number) == (
            "req-7777-8888",
            str(delegate.pk),
            account.number,
        )
    text = json_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 3
    assert lines[0]["message"] == f"deposit to [scrubbed] for {account.number}"
    assert {(line["actor_id"], line["account_number"]) for line in lines} == {
        (str(delegate.pk), account.number)
    }
    for secret in ("000987654321", "123456789012", "12345,", "1,234.56", "4321.09"):
        assert secret not in text
    assert lc.current() == {"request_id": "", "actor_id": "", "account_number": ""}  # forgotten after
    assert lc.secrets.get() == ()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_refused_account_is_named_on_the_requests_lines_too(caplog):
    stranger = sign_in(Client(), UserFactory())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = stranger.get("/careless/123456789-01-001/")
    assert response.status_code == 404
    [record] = [record for record in caplog.records if record.name == "django.request"]
    assert record.account_number == "123456789-01-001"


def test_a_task_published_during_a_request_carries_its_context_in_headers_but_no_secret():
    headers: dict = {}
    with lc.scope(request="req-2222-3333", actor="42"):
        lc.bind(account="123456789-01-001")
        lc.secret("7Q4K99XZABCD")
        lc._send_context(headers=headers)
    assert headers == {
        "tracs_request_id": "req-2222-3333",
        "tracs_actor_id": "42",
        "tracs_account_number": "123456789-01-001",
    }
    result = _task_seeing_the_context.apply(headers=headers)
    assert result.get() == {
        "request_id": "req-2222-3333",
        "actor_id": "42",
        "account_number": "123456789-01-001",
    }
    assert lc.current() == {
        "request_id": "",
        "actor_id": "",
        "account_number": "",
    }  # forgotten after the task


def test_a_json_record_has_the_context_and_never_a_pin_bank_account_or_amount():
    record = logging.LogRecord("tracs", logging.INFO, __file__, 1, "filed %s", ("R-1",), None)
    record.request_id = "req-4444-5555"
    record.account_number = "123456789-01-001"
    record.pin = "7Q4K-99XZ"
    record.bank_account_number = "000123456789"
    record.total_tax_amount = "1234.56"
    record.refund = {"to": "transit 54321", "sum": 99.5}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "filed R-1"
    assert entry["request_id"] == "req-4444-5555"
    assert entry["account_number"] == "123456789-01-001"
    assert entry["refund"] == {"to": "transit [scrubbed]", "sum": "[scrubbed]"}
    for secret in ("7Q4K-99XZ", "000123456789", "1234.56", "54321", "99.5"):
        assert secret not in json.dumps(entry)


def test_a_pin_formatted_into_a_message_is_scrubbed_wherever_it_stands():
    issued = pins.pin_generate()
    for message in (
        f"issued {issued}",
        f"issued {pins.pin_format(issued)}",
        f"typed {pins.pin_format(issued).lower()}",
        f"PIN: {issued[:6]}",
    ):
        assert issued[:6] not in scrub_text(message).upper(), message


@pytest.mark.parametrize("part", ["KNAFMR", "7Q4K99", "XZWV"])
def test_part_of_a_pin_after_the_word_is_scrubbed_even_without_a_digit(part):
    """A PIN's first six characters hold no digit one time in six ((23/31)^6): scrubbed all the same."""
    assert scrub_text(f"PIN: {part}") == "PIN: [scrubbed]"


@pytest.mark.parametrize("message", ["PIN letter mailed", "PIN issued", "the PIN was typed"])
def test_words_after_pin_are_kept(message):
    assert scrub_text(message) == message


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("bank account 000123456789 set", "bank account [scrubbed] set"),
        ("institution 001, transit: 12345", "institution [scrubbed], transit: [scrubbed]"),
        ("acct no. 1234567", "acct no. [scrubbed]"),
        ("owing $1,234.56, credit 1,000", "owing [scrubbed], credit [scrubbed]"),
        (
            "total 1234.567 litres; amount=950; interest of 12",
            "total [scrubbed] litres; amount=[scrubbed]; interest of [scrubbed]",
        ),
        # What operators need stays: program account numbers, ids and counts, addresses, durations.
        ("notice for account 123456789-01-001", "notice for account 123456789-01-001"),
        ("e-mail 12 undeliverable after 10 attempts", "e-mail 12 undeliverable after 10 attempts"),
        ("clamd at 127.0.0.1 took 0.25 s", "clamd at 127.0.0.1 took 0.25 s"),
        ("Account Information opened", "Account Information opened"),
    ],
)
def test_message_text_scrubbing(message, expected):
    assert scrub_text(message) == expected


def test_the_plain_format_is_scrubbed_too():
    record = logging.LogRecord("tracs", logging.INFO, __file__, 1, "owing %s", ("$12.00",), None)
    lc.LogContextFilter().filter(record)
    assert PlainFormatter("%(message)s [%(request_id)s]").format(record) == "owing [scrubbed] []"


def test_a_secret_is_scrubbed_only_for_its_own_request_or_task():
    with lc.scope():
        lc.secret("SECRET-VALUE-1", "ab")  # too short to be scrubbed safely: ignored
        assert scrub_text("x SECRET-VALUE-1 ab") == "x [scrubbed] ab"
    assert scrub_text("x SECRET-VALUE-1") == "x SECRET-VALUE-1"
