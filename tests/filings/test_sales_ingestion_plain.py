"""A plain CSV file (no quote, one record a line) is COPY'd into staging as it is; any other is read by the csv
reader. Both must give the same answer: the same rows accepted, the same problems on the same row numbers (the
file's line numbers), the same progress after each chunk. Each case here is a file COPY would read differently
from the csv reader, or refuse, so it must fall back without a trace."""

from __future__ import annotations

from decimal import Decimal

import pytest

from filings.sales import ingestion as service
from filings.sales import selectors
from filings.sales.models import Ingestion, Sale
from tests.accounts.factories import UserFactory, actor_for
from tests.filings.sales_helpers import csv_bytes, registered_seller, sale_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return registered_seller()


def run(account, data: bytes, **kwargs) -> Ingestion:
    received = service.ingestion_receive(
        account=account,
        door=Ingestion.Door.UPLOAD,
        file_name="sales.csv",
        chunks=[data],
        actor=actor_for(UserFactory()),
        **kwargs,
    )
    assert received.status == "received", received.refusal
    return service.ingestion_run(ingestion_id=received.pk)


def answer(done: Ingestion) -> tuple:
    problems = {
        row.row_number: [(p["field"], p["code"]) for p in row.errors]
        for row in selectors.acknowledgement_rows(ingestion=done)
    }
    sales = list(
        Sale.objects.filter(ingestion=done)
        .order_by("row_number")
        .values_list("row_number", "invoice_number", "line", "litres")
    )
    return done.status, done.refusal, done.rows_read, done.rows_accepted, done.rows_rejected, problems, sales


def _rows(account):
    return [
        sale_row(account, "A", 1),
        sale_row(account, "A", 2, litres="0"),
        sale_row(account, "A", 3, exemption_number="F9999999"),
        sale_row(account, "A", 4),
    ]


def test_a_plain_file_is_copied_as_it_is(account, monkeypatch, settings):
    copied = []
    original = service.sql.stage_copy_csv

    def spy(**kwargs):
        copied.append(original(**kwargs))
        return copied[-1]

    monkeypatch.setattr(service.sql, "stage_copy_csv", spy)
    settings.TRACS_INGESTION_CHUNK_ROWS = 3
    done = run(account, csv_bytes("sales", _rows(account)))
    assert copied == [3, 1]  # two COPYs of three records and one
    assert answer(done) == (
        "done",
        "",
        4,
        2,
        2,
        {3: [("litres", "litres_positive")], 4: [("exemption_number", "unknown")]},
        [(2, "A", 1, Decimal("1000.5")), (5, "A", 4, Decimal("1000.5"))],
    )


def _after_line(data: bytes, number: int, inserted: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join([*lines[:number], inserted, *lines[number:]])


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda data: data.replace(b",A,2,", b',"A",2,'), id="a quoted value"),
        pytest.param(lambda data: data.replace(b",A,2,", b',"A\r\nX",2,'), id="a line break in a value"),
        pytest.param(lambda data: _after_line(data, 3, b"\r\n"), id="a blank line"),
        pytest.param(lambda data: data.replace(b"1000.5\r\n", b"1000.5\n", 1), id="mixed line endings"),
        pytest.param(lambda data: _after_line(data, 3, b"\\.\r\n"), id="a COPY end-of-data line"),
        pytest.param(lambda data: data + b"700,2026-10,sale\r\n", id="a short row"),
        pytest.param(lambda data: data.replace(b"1000.5\r\n", b"1000.5,x\r\n", 1), id="a long row"),
        pytest.param(lambda data: data.rstrip(b"\r\n"), id="no line break at the end"),
    ],
)
def test_a_file_copy_would_read_otherwise_gives_the_csv_reader_answer(account, monkeypatch, change, settings):
    data = change(csv_bytes("sales", _rows(account)))
    settings.TRACS_INGESTION_CHUNK_ROWS = 2
    done = run(account, data, validate_only=True)
    monkeypatch.setattr(service, "_stage_csv_plain", lambda **kwargs: None)
    assert answer(done) == answer(run(account, data, validate_only=True))


def test_a_line_past_64_kb_is_read_by_the_csv_reader(account):
    data = csv_bytes("sales", [sale_row(account, "A", 1), sale_row(account, "B" * 70_000, 1)])
    done = run(account, data)
    assert answer(done)[2:6] == (2, 1, 1, {3: [("invoice_number", "too_long")]})
