"""The one ingestion service (issue 14, item 6) through its file door: receive (whole-file refusals up front),
run (row problems with row number, field and reason; the registry on each sale date; the seller's BFLOs), the
store (all accepted rows or none; nothing twice), amendments and voids, validate-only, and the acknowledgement.

Row numbers are the file's line numbers: the header is line 1, so the first record is row 2."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from accounts.actors import Door
from accounts.models import AccessLogEntry
from filings.periods import Period
from filings.sales import formats, report, selectors
from filings.sales import ingestion as service
from filings.sales.models import Ingestion, InventoryCount, Movement, RejectedRow, Sale
from tests.accounts.factories import UserFactory, actor_for
from tests.filings.sales_helpers import (
    MONTH,
    bflo,
    csv_bytes,
    inventory_row,
    movement_row,
    registered_seller,
    sale_row,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return registered_seller()


@pytest.fixture
def person():
    return UserFactory()


def receive(account, data: bytes, name: str = "sales.csv", person=None, **kwargs) -> Ingestion:
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)] if len(data) < 4000 else [data, b""]
    return service.ingestion_receive(
        account=account,
        door=Ingestion.Door.UPLOAD,
        file_name=name,
        chunks=chunks,
        actor=actor_for(person or UserFactory(), door=Door.FILE),
        **kwargs,
    )


def run(account, data: bytes, **kwargs) -> Ingestion:
    received = receive(account, data, **kwargs)
    assert received.status == Ingestion.Status.RECEIVED, received.refusal
    return service.ingestion_run(ingestion_id=received.pk)


def problems(ingestion) -> dict[int, list[tuple[str, str]]]:
    return {
        row.row_number: [(problem["field"], problem["code"]) for problem in row.errors]
        for row in selectors.acknowledgement_rows(ingestion=ingestion)
    }


def test_a_file_of_good_sales_is_stored_whole(account, person, django_capture_on_commit_callbacks):
    rows = [
        sale_row(account, "INV-1", 1),
        sale_row(account, "INV-1", 2, exemption_number="t-200 0001", fuel="marked_gasoline", litres="12.345"),
        sale_row(account, "INV-2", 1, bflo_number=bflo(account, 2), sale_date=f"{MONTH}-31"),
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        received = receive(account, csv_bytes("sales", rows), person=person)
    assert len(callbacks) == 1  # the Celery job, queued once the file is safely received
    assert (received.status, received.record_type, received.month) == ("received", "sales", date(2026, 10, 1))
    assert (received.rows_expected, received.size, len(received.sha256)) == (
        3,
        len(csv_bytes("sales", rows)),
        64,
    )
    assert received.submitted_by == person
    done = service.ingestion_run(ingestion_id=received.pk)
    assert (done.status, done.rows_read, done.rows_accepted, done.rows_rejected) == ("done", 3, 3, 0)
    sales = list(Sale.objects.order_by("row_number"))
    assert [(s.row_number, s.invoice_number, s.line) for s in sales] == [
        (2, "INV-1", 1),
        (3, "INV-1", 2),
        (4, "INV-2", 1),
    ]
    assert sales[1].exemption_number == "T2000001"
    assert sales[1].exemption_kind == "tefu"
    assert sales[1].carbon_levy_exempt  # TEFU with the holder's carbon levy certificate active that day
    assert sales[1].litres == Decimal("12.345")
    assert sales[1].fuel == "marked_gasoline"
    assert sales[2].bflo.number == bflo(account, 2)
    assert sales[2].sale_date == date(2026, 10, 31)
    assert service.ingestion_run(ingestion_id=received.pk).rows_accepted == 3  # run twice: nothing more
    assert Sale.objects.count() == 3
    assert AccessLogEntry.objects.filter(
        account_number=account.number, action="marked-fuel records stored"
    ).exists()


def test_every_row_problem_is_reported_with_its_row_and_field(account):
    rows = [
        sale_row(account, "A", 1),  # 2: good
        sale_row(account, "A", 2, exemption_number="F9999999"),  # 3: unknown
        sale_row(account, "A", 3, exemption_number="F1000002"),  # 4: cancelled
        sale_row(account, "A", 4, exemption_number="T2000002"),  # 5: suspended
        sale_row(account, "A", 5, exemption_number="CL3000001"),  # 6: carbon levy only
        sale_row(account, "A", 6, exemption_number="X12"),  # 7: not a number
        sale_row(account, "A", 7, litres="0"),  # 8
        sale_row(account, "A", 8, litres="-5"),  # 9
        sale_row(account, "A", 9, litres="ten"),  # 10
        sale_row(account, "A", 10, sale_date="2026-09-30"),  # 11: outside the month
        sale_row(account, "A", 11, sale_date="2026-10-32"),  # 12
        sale_row(
            account, "A", 12, sale_date="2026-02-30".replace("2026-02", MONTH[:4] + "-11")
        ),  # 13: 11-30 ok
        sale_row(account, "A", 13, bflo_number="B999"),  # 14: not the seller's
        sale_row(account, "A", 14, bflo_number=f"B100003{account.pk}"),  # 15: the seller's, closed
        sale_row(account, "A", 15, fuel="clear_diesel"),  # 16
        sale_row(account, "A", "x"),  # 17
        sale_row(account, "A", 1),  # 18: the same as row 2
        sale_row(account, "A", 16, record="refund"),  # 19
        sale_row(
            account, "", 17, exemption_number="", litres="", bflo_number="", sale_date=""
        ),  # 20: requireds
        sale_row(account, "A", 18, month="2026-11"),  # 21
        sale_row(account, "A", 19, account_number="999999999-02-001"),  # 22
        sale_row(account, "A" * 31, 20),  # 23
    ]
    data = csv_bytes("sales", rows) + b"700,2026-10,sale\r\n"  # 24: too few values
    done = run(account, data)
    found = problems(done)
    assert (done.rows_read, done.rows_accepted, done.rows_rejected) == (23, 1, 22)
    assert 2 not in found
    assert 13 in found
    assert found[3] == [("exemption_number", "unknown")]
    assert found[4] == [("exemption_number", "cancelled")]
    assert found[5] == [("exemption_number", "suspended")]
    assert found[6] == [("exemption_number", "not_for_marked_fuel")]
    assert found[7] == [("exemption_number", "number_format")]
    assert found[8] == [("litres", "litres_positive")]
    assert found[9] == [("litres", "litres_positive")]
    assert found[10] == [("litres", "litres_format")]
    assert found[11] == [("sale_date", "date_outside_month")]
    assert found[12] == [("sale_date", "date_format")]
    assert found[13] == [("sale_date", "date_outside_month")]
    assert found[14] == [("bflo_number", "bflo_not_yours")]
    assert found[15] == [("bflo_number", "bflo_not_yours")]
    assert found[16] == [("fuel", "fuel_unknown")]
    assert found[17] == [("line", "line_format")]
    assert found[18] == [("invoice_number", "duplicate_in_file")]
    assert found[19] == [("record", "record_unknown")]
    assert sorted(found[20]) == sorted(
        [
            ("sale_date", "required"),
            ("invoice_number", "required"),
            ("exemption_number", "required"),
            ("litres", "required"),
            ("bflo_number", "required"),
        ]
    )
    assert found[21] == [("month", "other_month")]
    assert found[22] == [("account_number", "other_account")]
    assert found[23] == [("invoice_number", "too_long")]
    assert found[24] == [("row", "field_count")]
    first = selectors.acknowledgement_rows(ingestion=done).get(row_number=18)
    assert (first.field, first.reason) == ("invoice_number", "The same record is on row 2 of this file.")
    assert first.values["invoice_number"] == "A"
    assert first.values["line"] == "1"
    assert selectors.acknowledgement_rows(ingestion=done).get(row_number=24).reason == (
        "The row has 3 values; the header has 10."
    )
    assert selectors.acknowledgement_rows(ingestion=done).get(row_number=3).reason == (
        "F9999999 is not in the exemption registry. Check the number on the certificate."
    )
    assert Sale.objects.count() == 1


def test_a_number_not_yet_valid_on_the_sale_date(account):
    """F1000001 is valid from 2024-03-01: a sale on 2024-02-29 is refused, one on 2024-03-01 accepted."""
    rows = [
        sale_row(account, "A", 1, month="2024-02", sale_date="2024-02-29"),
    ]
    done = run(account, csv_bytes("sales", rows))
    assert problems(done) == {2: [("exemption_number", "not_yet_valid")]}
    rows = [sale_row(account, "A", 1, month="2024-03", sale_date="2024-03-01")]
    assert run(account, csv_bytes("sales", rows)).rows_accepted == 1


def test_a_sale_already_reported_is_not_added_again_from_another_file(account):
    run(account, csv_bytes("sales", [sale_row(account, "A", 1), sale_row(account, "A", 2)]))
    again = run(
        account, csv_bytes("sales", [sale_row(account, "A", 2, litres="7"), sale_row(account, "A", 3)])
    )
    assert (again.rows_accepted, again.rows_rejected) == (1, 1)
    assert problems(again) == {2: [("invoice_number", "already_reported")]}
    assert Sale.objects.filter(invoice_number="A", line=2).get().litres == Decimal("1000.5")


def test_the_same_file_twice_is_refused_and_adds_nothing(account):
    data = csv_bytes("sales", [sale_row(account)])
    first = run(account, data)
    second = receive(account, data, name="again.csv")
    assert second.status == "refused"
    assert "was already received on" in second.refusal
    assert "sales.csv" in second.refusal
    assert Ingestion.objects.get(pk=second.pk).stored_path == ""
    # A validate-only run of a stored file is allowed (it answers, and stores nothing).
    check = receive(account, data, validate_only=True)
    assert check.status == "received"
    assert service.ingestion_run(ingestion_id=check.pk).rows_rejected == 1
    assert Sale.objects.count() == first.rows_accepted == 1


def test_validate_only_runs_everything_but_the_store(account):
    rows = [sale_row(account, "A", 1), sale_row(account, "A", 2, litres="0")]
    done = run(account, csv_bytes("sales", rows), validate_only=True)
    assert (done.status, done.rows_accepted, done.rows_rejected) == ("done", 1, 1)
    assert Sale.objects.count() == 0
    assert list(problems(done)) == [3]  # the answer is kept
    assert not selectors.rejected_sales(account=account).exists()  # but is no rejected sale to correct
    assert run(account, csv_bytes("sales", rows)).rows_accepted == 1  # the same file, for real


def test_amendments_and_voids_name_the_sale_they_change(account):
    run(
        account,
        csv_bytes("sales", [sale_row(account, "A", 1), sale_row(account, "A", 2), sale_row(account, "A", 3)]),
    )
    void_only = {
        "record": "void",
        "sale_date": "",
        "exemption_number": "",
        "fuel": "",
        "litres": "",
        "bflo_number": "",
    }
    changes = [
        sale_row(account, "A", 1, record="amendment", litres="900"),
        sale_row(account, "A", 2, record="void", **{k: v for k, v in void_only.items() if k != "record"}),
        sale_row(account, "A", 9, record="amendment"),  # names no sale
        sale_row(account, "A", 3, record="amendment", litres="0"),  # an amendment is checked like a sale
    ]
    done = run(account, csv_bytes("sales", changes))
    assert problems(done) == {4: [("invoice_number", "sale_not_found")], 5: [("litres", "litres_positive")]}
    amendment = Sale.objects.get(invoice_number="A", line=1, revision=1)
    assert (amendment.kind, amendment.litres, amendment.corrects.revision) == ("amendment", Decimal("900"), 0)
    void = Sale.objects.get(invoice_number="A", line=2, revision=1)
    assert (void.kind, void.litres, void.corrects.line) == ("void", Decimal("1000.5"), 2)  # the sale's values
    standing = selectors.sales_for_month(account=account, month=date(2026, 10, 9))
    assert sorted((s.line, s.litres) for s in standing) == [(1, Decimal("900")), (3, Decimal("1000.5"))]
    # A second amendment is the next revision; a voided sale changes no more.
    later = run(
        account,
        csv_bytes(
            "sales",
            [
                sale_row(account, "A", 1, record="amendment", litres="800"),
                sale_row(account, "A", 2, record="amendment"),
            ],
        ),
    )
    assert problems(later) == {3: [("invoice_number", "sale_voided")]}
    assert Sale.objects.get(invoice_number="A", line=1, revision=2).corrects.revision == 0
    summary = report.month_summary(account=account, period=Period(date(2026, 10, 1)))
    assert summary.sales_litres == Decimal("1800.5")  # 800 (line 1 as amended) + 1000.5 (line 3)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"", "sales.csv", formats.FILE_EMPTY),
        (b"account_number,month\r\n1,2\r\n", "sales.csv", "Line 1 must be the header row"),
        (b"\xef\xbb\xbfwrong,header\r\n", "sales.csv", "Line 1 must be the header row"),
        (",".join(formats.COLUMNS["sales"]).encode() + b"\r\n", "sales.csv", formats.FILE_NO_ROWS),
        (b"account_number\r\nnaive caf\xe9\r\n", "sales.csv", "Line 2: the file is not UTF-8"),
        (b"a,b\r\n\xe2\x82", "sales.csv", "Line 2: the file is not UTF-8"),  # cut inside a character
        (b"anything", "sales.xlsx", "is neither a CSV file"),
        (csv_bytes("sales", [{"account_number": "ACCOUNT", "month": "2026-1"}]), "s.csv", "is for account"),
    ],
)
def test_whole_file_problems_are_refused_up_front(account, data, name, expected):
    refused = receive(account, data, name=name)
    assert refused.status == "refused"
    assert refused.finished_at is not None
    assert str(expected) in refused.refusal
    assert refused.stored_path == ""
    assert not Sale.objects.exists()


def test_a_file_for_another_account_or_month_is_refused(account):
    other = csv_bytes("sales", [sale_row(account, account_number="123456789-02-001")])
    assert "is for account 123456789-02-001, not " in receive(account, other).refusal
    for month in ("October", "2026-1"):
        refused = receive(account, csv_bytes("sales", [sale_row(account, month=month)]))
        assert "month must be given as YYYY-MM" in refused.refusal


def test_limits_are_refused_before_the_file_is_read(account, monkeypatch):
    data = csv_bytes("sales", [sale_row(account, "A", n) for n in range(1, 6)])
    monkeypatch.setattr(formats, "MAX_ROWS", 3)
    assert "more than 3 records" in receive(account, data).refusal
    monkeypatch.setattr(formats, "MAX_FILE_BYTES", 100)
    assert "larger than 0 MB" in receive(account, data).refusal


def test_a_truncated_or_unreadable_file_is_refused_when_read(account):
    data = csv_bytes("sales", [sale_row(account)]) + b'700,"2026-10,sale'
    done = run(account, data)
    assert done.status == "refused"
    assert "cut short" in done.refusal
    assert Sale.objects.count() == 0  # accepted rows are committed together or not at all
    stray = run(account, csv_bytes("sales", [sale_row(account)]) + b'700,2026-10,"sale"x\r\n')
    assert stray.status == "refused"
    assert stray.refusal.startswith("Line 3: the file cannot be read as CSV")


def test_movements_and_inventory_counts(account):
    rows = [
        movement_row(account, "BOL-1"),
        movement_row(account, "BOL-2", movement="import", jurisdiction="SK"),
        movement_row(account, "BOL-3", movement="export"),  # no jurisdiction
        movement_row(account, "BOL-4", jurisdiction="SK"),  # an acquisition has none
        movement_row(account, "BOL-1"),  # the same as row 2
        movement_row(account, "BOL-6", movement="gift", counterparty_name=""),
    ]
    done = run(account, csv_bytes("movements", rows), name="movements.csv")
    assert done.record_type == "movements"
    assert problems(done) == {
        4: [("jurisdiction", "jurisdiction_required")],
        5: [("jurisdiction", "jurisdiction_not_allowed")],
        6: [("document_number", "duplicate_in_file")],
        7: [("movement", "movement_unknown"), ("counterparty_name", "required")],
    }
    assert sorted(Movement.objects.values_list("document_number", "kind", "jurisdiction")) == [
        ("BOL-1", "acquisition", ""),
        ("BOL-2", "import", "SK"),
    ]
    again = run(account, csv_bytes("movements", [movement_row(account, "BOL-1", litres="5")]))
    assert problems(again) == {2: [("document_number", "movement_already_reported")]}
    counts = [
        inventory_row(account),
        inventory_row(account, count="opening", litres="0"),
        inventory_row(account, litres="-1", fuel="marked_gasoline"),
    ]
    done = run(account, csv_bytes("inventory", counts))
    assert problems(done) == {4: [("litres", "litres_negative")]}
    # A recount is the next revision; the same count again is not stored twice.
    recount = run(
        account,
        csv_bytes(
            "inventory",
            [inventory_row(account, litres="11900"), inventory_row(account, count="opening", litres="0")],
        ),
    )
    assert problems(recount) == {3: [("count", "count_already_reported")]}
    assert list(InventoryCount.objects.filter(kind="closing").values_list("revision", "litres")) == [
        (0, Decimal("12000")),
        (1, Decimal("11900")),
    ]
    lines = report.month_summary(account=account, period=Period(date(2026, 10, 1))).lines
    diesel = next(line for line in lines if (line.bflo_number, line.fuel) == (bflo(account), "marked_diesel"))
    assert (diesel.sold, diesel.acquired, diesel.imported, diesel.disposed, diesel.exported) == (
        0,
        Decimal("30000"),
        Decimal("30000"),
        0,
        0,
    )
    assert diesel.closing_counted == Decimal("11900")  # the recount stands


def test_progress_and_acknowledgement(account, monkeypatch, settings):
    rows = [sale_row(account, "A", n) for n in range(1, 6)] + [sale_row(account, "B", 1, litres="0")]
    received = receive(account, csv_bytes("sales", rows), name="oct.csv")
    seen = []
    original = service._progress

    def spy(ingestion, **counters):
        original(ingestion, **counters)
        seen.append(selectors.ingestion_progress(ingestion=ingestion))

    settings.TRACS_INGESTION_CHUNK_ROWS = 2
    monkeypatch.setattr(service, "_progress", spy)
    assert selectors.ingestion_progress(ingestion=received)["percent"] == 0
    done = service.ingestion_run(ingestion_id=received.pk)
    assert [p["rows_read"] for p in seen[:4]] == [0, 2, 4, 6]  # after each chunk
    assert [p["percent"] for p in seen[:4]] == [0, 33, 66, 99]
    assert (seen[4]["rows_accepted"], seen[4]["rows_rejected"], seen[4]["finished"]) == (5, 1, False)
    assert seen[-1] == {
        "status": "done",
        "status_label": "Processed",
        "rows_expected": 6,
        "rows_read": 6,
        "rows_accepted": 5,
        "rows_rejected": 1,
        "percent": 100,
        "finished": True,
        "refusal": "",
    }
    text = "".join(selectors.acknowledgement_csv(ingestion=done))
    assert text.splitlines() == [
        "file,status,validate_only,rows_read,rows_accepted,rows_rejected,message",
        "oct.csv,done,no,6,5,1,",
        "",
        "row,field,reason,values",
        f'7,litres,litres: Litres must be more than zero (this row says 0).,"{account.number},2026-10,sale,'
        f'2026-10-15,B,1,F1000001,marked_diesel,0,{bflo(account)}"',
    ]
    assert selectors.acknowledgement_file_name(ingestion=done) == "oct.csv.ack.csv"
    assert list(selectors.ingestions_for_account(account=account)) == [done]
    assert [r.row_number for r in selectors.rejected_sales(account=account)] == [7]


def test_a_failure_stores_nothing_and_says_so(account, monkeypatch):
    received = receive(account, csv_bytes("sales", [sale_row(account)]))

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service.sql, "validate", broken)
    done = service.ingestion_run(ingestion_id=received.pk)
    assert (done.status, done.refusal) == ("failed", str(formats.FILE_FAILED))
    assert not Sale.objects.exists()
    with connection.cursor() as cursor:  # the staging tables are gone
        cursor.execute("SELECT to_regclass('pg_temp.ingest_stage')")
        assert cursor.fetchone() == (None,)


def test_the_celery_job_runs_the_service(account):
    from filings.sales import tasks

    received = receive(account, csv_bytes("sales", [sale_row(account)]))
    assert tasks.ingestion_run.apply(args=[received.pk]).get() == "done"
    assert RejectedRow.objects.count() == 0
    assert Sale.objects.count() == 1


def test_a_file_past_its_first_screenful_blank_lines_and_a_race(account, monkeypatch):
    """More than the head receiving keeps (64 KB); blank lines are no records; a file received twice at the
    same moment through two doors is stored once (the database's unique constraint decides)."""
    rows = [sale_row(account, f"INV-{n}", 1) for n in range(800)]
    data = csv_bytes("sales", rows).replace(b"\r\n", b"\r\n\r\n", 1)
    assert len(data) > service.HEAD_CHARS
    done = run(account, data)
    assert (done.rows_expected, done.rows_read, done.rows_accepted) == (801, 800, 800)
    assert Sale.objects.get(invoice_number="INV-0").row_number == 3  # line 2 is blank
    monkeypatch.setattr(service, "_already_received", lambda **kwargs: None)
    raced = receive(account, data)
    assert (raced.status, raced.refusal) == ("refused", "")
    assert Ingestion.objects.filter(sha256=done.sha256, status="done").count() == 1


def test_the_row_limit_holds_when_the_file_is_read(account, monkeypatch, settings):
    received = receive(account, csv_bytes("sales", [sale_row(account, "A", n) for n in range(1, 5)]))
    monkeypatch.setattr(formats, "MAX_ROWS", 3)
    settings.TRACS_INGESTION_CHUNK_ROWS = 2
    done = service.ingestion_run(ingestion_id=received.pk)
    assert (done.status, done.refusal) == (
        "refused",
        "The file has more than 3 records: nothing was read. Split the month into several files.",
    )
    assert not Sale.objects.exists()


def test_the_job_is_queued_once_received_and_a_broker_down_fails_nothing(
    account, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from filings.sales import tasks

    queued = []
    monkeypatch.setattr(tasks.ingestion_run, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        received = receive(account, csv_bytes("sales", [sale_row(account)]))
    assert queued == [received.pk]

    def down(pk):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.ingestion_run, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        other = receive(account, csv_bytes("sales", [sale_row(account, "B")]))
    assert other.status == "received"
    assert f"could not queue ingestion {other.pk}" in caplog.text


def test_the_records_name_themselves(account):
    done = run(account, csv_bytes("sales", [sale_row(account), sale_row(account, "B", litres="0")]))
    run(account, csv_bytes("movements", [movement_row(account)]), name="m.csv")
    run(account, csv_bytes("inventory", [inventory_row(account)]), name="i.csv")
    assert str(done).startswith("sales.csv (")
    assert str(Sale.objects.get()) == "INV-1/1 Sale 2026-10-15"
    assert str(RejectedRow.objects.get()) == "row 3: Litres must be more than zero (this row says 0)."
    assert str(Movement.objects.get()) == "Acquisition BOL-1 2026-10-03"
    assert str(InventoryCount.objects.get()) == "Closing inventory 2026-10 marked_diesel"
