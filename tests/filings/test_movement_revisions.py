"""Correcting a fuel movement (issue 14, item 6): an accepted acquisition, import, disposition or export is
changed only by an amendment or a void record naming it (its kind, document number, BFLO and fuel), kept as the
movement's next revision, through the one ingestion service from every door (a CSV file, an XML file, the web
form), shown to staff with its revision, and counted in the month's totals only as it stands (the latest revision,
voids left out).

Row numbers are the file's line numbers (the header is line 1) or, for the web door, the row's position."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.actors import Door
from consent.privileges import Privilege
from filings.periods import Period
from filings.sales import formats, report, selectors
from filings.sales import ingestion as service
from filings.sales.models import Ingestion, Movement
from filings.sales.xml_format import NAMESPACE
from tests.accounts.factories import UserFactory, actor_for, staff_member
from tests.conftest import sign_in
from tests.consent.factories import delegate_grant
from tests.filings.sales_helpers import (
    MONTH,
    OCTOBER,
    bflo,
    csv_bytes,
    movement_row,
    registered_seller,
    seller,
    web_row,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return registered_seller()


def run(account, data: bytes, name: str = "movements.csv", door: str = Ingestion.Door.UPLOAD) -> Ingestion:
    received = service.ingestion_receive(
        account=account,
        door=door,
        file_name=name,
        chunks=[data],
        actor=actor_for(UserFactory(), door=Door.FILE),
    )
    assert received.status == Ingestion.Status.RECEIVED, received.refusal
    return service.ingestion_run(ingestion_id=received.pk)


def problems(ingestion) -> dict[int, list[tuple[str, str]]]:
    return {
        row.row_number: [(problem["field"], problem["code"]) for problem in row.errors]
        for row in selectors.acknowledgement_rows(ingestion=ingestion)
    }


def amendment(account, document: str = "BOL-1", **values) -> dict[str, str]:
    return movement_row(account, document, record="amendment", **values)


def void(account, document: str = "BOL-1", **values) -> dict[str, str]:
    """A void names the movement; its other columns may be empty."""
    row = movement_row(account, document, record="void", **values)
    for column in ("movement_date", "litres", "counterparty_name", "counterparty_number"):
        row[column] = values.get(column, "")
    return row


def reported(account) -> Ingestion:
    """BOL-1 (an acquisition of 30,000 L of diesel at the first BFLO) and BOL-2 (an export of 400 L to SK)."""
    done = run(
        account,
        csv_bytes(
            "movements",
            [
                movement_row(account, "BOL-1"),
                movement_row(account, "BOL-2", movement="export", jurisdiction="SK", litres="400"),
            ],
        ),
        name="first.csv",
    )
    assert (done.rows_accepted, done.rows_rejected) == (2, 0), problems(done)
    return done


def totals(account) -> dict[str, Decimal]:
    line = report.month_summary(account=account, period=Period(OCTOBER)).lines[0]
    return {"acquisition": line.acquired, "export": line.exported}


def test_a_csv_amendment_and_void_are_revisions_and_the_totals_count_the_movement_as_it_stands(account):
    reported(account)
    assert totals(account) == {"acquisition": Decimal("30000"), "export": Decimal("400")}
    done = run(
        account,
        csv_bytes(
            "movements",
            [
                amendment(account, litres="29500.5", counterparty_name="Prairie Wholesale Fuels Ltd."),
                void(account, "BOL-2", movement="export"),
            ],
        ),
        name="corrections.csv",
    )
    assert (done.rows_accepted, done.rows_rejected) == (2, 0), problems(done)
    original = Movement.objects.get(document_number="BOL-1", revision=0)
    amended = Movement.objects.get(document_number="BOL-1", revision=1)
    assert (amended.record, amended.corrects, amended.kind, amended.litres) == (
        "amendment",
        original,
        "acquisition",
        Decimal("29500.500"),
    )
    assert amended.counterparty_name == "Prairie Wholesale Fuels Ltd."
    voided = Movement.objects.get(document_number="BOL-2", revision=1)
    # A void repeats the movement as it stood, so the record says what it cancelled.
    assert (voided.record, voided.litres, voided.jurisdiction, voided.counterparty_name) == (
        "void",
        Decimal("400.000"),
        "SK",
        "Prairie Wholesale Ltd.",
    )
    assert original.litres == Decimal("30000.000")  # nothing changed in place
    assert totals(account) == {"acquisition": Decimal("29500.5"), "export": Decimal("0")}
    standing = selectors.movements_for_month(account=account, month=OCTOBER)
    assert [(m.document_number, m.revision) for m in standing] == [("BOL-1", 1)]


def test_the_monthly_report_copies_the_movements_as_they_stand(account):
    reported(account)
    run(account, csv_bytes("movements", [amendment(account, litres="1000")]), name="amend.csv")
    run(account, csv_bytes("movements", [amendment(account, litres="2000")]), name="amend-again.csv")
    summary = report.month_summary(account=account, period=Period(OCTOBER))
    (line,) = summary.lines
    assert (line.acquired, line.exported) == (Decimal("2000.000"), Decimal("400.000"))
    assert Movement.objects.get(document_number="BOL-1", revision=2).corrects.revision == 0


def test_an_xml_amendment_and_void(account):
    reported(account)

    def record(kind: str, document: str, movement: str, extra: str = "") -> str:
        return (
            f"<FuelMovement><Record>{kind}</Record><Movement>{movement}</Movement>{extra}"
            f"<BfloNumber>{bflo(account)}</BfloNumber><Fuel>marked_diesel</Fuel>"
            f"{'<Litres>31000</Litres><CounterpartyName>Prairie</CounterpartyName>' if kind == 'amendment' else ''}"
            f"{'<CounterpartyNumber>123456789</CounterpartyNumber>' if kind == 'amendment' else ''}"
            f"<DocumentNumber>{document}</DocumentNumber></FuelMovement>"
        )

    records = record(
        "amendment", "BOL-1", "acquisition", f"<MovementDate>{MONTH}-04</MovementDate>"
    ) + record("void", "BOL-2", "export")
    data = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<MarkedFuelFile xmlns="{NAMESPACE}"><Header>'
        f"<AccountNumber>{account.number}</AccountNumber><Month>{MONTH}</Month><RecordType>movements</RecordType>"
        f"</Header><FuelMovements>{records}</FuelMovements></MarkedFuelFile>"
    ).encode()
    done = run(account, data, name="corrections.xml", door=Ingestion.Door.SFTP)
    assert (done.rows_accepted, done.rows_rejected) == (2, 0), problems(done)
    assert Movement.objects.get(document_number="BOL-1", revision=1).litres == Decimal("31000")
    assert Movement.objects.get(document_number="BOL-2", revision=1).record == "void"


def test_what_an_amendment_or_void_may_not_do(account):
    reported(account)
    other = seller()
    run(other, csv_bytes("movements", [movement_row(other, "THEIRS-1")]), name="theirs.csv")
    run(account, csv_bytes("movements", [void(account, "BOL-2", movement="export")]), name="void.csv")
    rows = [
        amendment(account, "BOL-9"),  # row 2: never reported
        amendment(account, "THEIRS-1"),  # row 3: another account's movement
        amendment(account, "BOL-2", movement="export", jurisdiction="SK"),  # row 4: voided
        void(account, "BOL-2", movement="export"),  # row 5: voided already
        amendment(account, "BOL-1", movement="import", jurisdiction="SK"),  # row 6: BOL-1 was no import
        amendment(account, "BOL-7", litres="0"),  # row 7: the values are checked as a movement's
        void(account, "BOL-1", bflo_number="", fuel=""),  # row 8: a void names the location and fuel
        movement_row(account, "BOL-1", record="correction"),  # row 9: no such record kind
        movement_row(account, "BOL-2", movement="export", jurisdiction="SK"),  # row 10: reported (and voided)
        amendment(account, "BOL-1", litres="10"),  # row 11
        amendment(account, "BOL-1", litres="11"),  # row 12: the same amendment twice in a file
    ]
    done = run(account, csv_bytes("movements", rows), name="bad.csv")
    assert problems(done) == {
        2: [("document_number", "movement_not_found")],
        3: [("document_number", "movement_not_found")],
        4: [("document_number", "movement_voided")],
        5: [("document_number", "movement_voided")],
        6: [("document_number", "movement_not_found")],
        7: [("litres", "litres_positive"), ("document_number", "movement_not_found")],
        8: [("bflo_number", "required"), ("fuel", "fuel_unknown")],
        9: [("record", "movement_record_unknown")],
        10: [("document_number", "movement_already_reported")],
        12: [("document_number", "duplicate_in_file")],
    }
    reasons = {row.row_number: row.reason for row in selectors.acknowledgement_rows(ingestion=done)}
    assert reasons[4] == str(formats.ROW_MESSAGES["movement_voided"])
    assert reasons[9] == "“correction” is not a record kind: use movement, amendment or void."
    assert Movement.objects.get(ingestion=done).litres == Decimal("10.000")  # row 11, the one accepted
    assert not Movement.objects.filter(account=other, revision__gt=0).exists()


def test_the_web_door_takes_amendments_and_voids_like_a_file(account):
    reported(account)
    done = service.ingestion_rows(
        account=account,
        record_type="movements",
        month=OCTOBER,
        rows=[web_row(amendment(account, litres="12")), web_row(void(account, "BOL-2", movement="export"))],
        actor=actor_for(UserFactory()),
    )
    assert (done.door, done.rows_accepted, done.rows_rejected) == ("web", 2, 0)
    assert list(Movement.objects.filter(ingestion=done).values_list("record", "revision")) == [
        ("amendment", 1),
        ("void", 1),
    ]


# --- The pages -------------------------------------------------------------------------------------------------


@pytest.fixture
def clerk(account):
    user = UserFactory()
    delegate_grant(account=account, user=user, privileges=[Privilege.REPORT_FUEL])
    return sign_in(Client(), user)


def url(name: str, account, **kwargs) -> str:
    return reverse(name, kwargs={"number": account.number, **kwargs})


def change_post(values: dict[str, str], *, step: str = "amend") -> dict[str, str]:
    data = {
        "step": step,
        "rows-TOTAL_FORMS": "1",
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "200",
    }
    data.update({f"rows-0-{name}": value for name, value in values.items()})
    return data


AMENDED_BOXES = {
    "movement_date": f"{MONTH}-05",
    "litres": "28000",
    "counterparty_name": "Prairie Wholesale Ltd.",
    "counterparty_number": "123456789",
    "jurisdiction": "",
}


def test_a_movement_is_amended_then_voided_from_the_months_movements(clerk, account):
    reported(account)
    first = Movement.objects.get(document_number="BOL-1")
    month_page = clerk.get(url("marked_fuel_movements_month", account, period=MONTH)).content.decode()
    change = url("marked_fuel_movement_change", account, movement_id=first.pk)
    assert change in month_page
    assert "BOL-2" in month_page
    page = clerk.get(change).content.decode()
    assert 'value="30000"' in page  # the movement as it stands, to change
    assert 'name="rows-0-bflo_number"' not in page  # the location, fuel, kind and document name it

    refused = clerk.post(change, change_post({**AMENDED_BOXES, "litres": "-5"}))
    assert refused.status_code == 400
    found = re.search(r'id="id_rows-0-litres_error">([^<]*)<', refused.content.decode())
    assert found
    assert "more than zero" in found.group(1)
    assert not Movement.objects.filter(revision__gt=0).exists()

    amended = clerk.post(change, change_post(AMENDED_BOXES))
    assert amended.status_code == 302
    assert amended["Location"] == url("marked_fuel_movements_month", account, period=MONTH)
    assert Movement.objects.get(revision=1).litres == Decimal("28000")
    assert 'value="28000"' in clerk.get(change).content.decode()

    assert clerk.post(change, {"step": "void"}).status_code == 302
    month_page = clerk.get(url("marked_fuel_movements_month", account, period=MONTH)).content.decode()
    table = month_page[month_page.index('data-testid="month-movements"') :]
    assert "BOL-1" not in table
    assert "This movement was voided" in clerk.get(change).content.decode()
    voided_again = clerk.post(change, {"step": "void"})
    assert voided_again.status_code == 400
    amended_after_void = clerk.post(change, change_post(AMENDED_BOXES))
    assert amended_after_void.status_code == 400
    assert list(Movement.objects.filter(document_number="BOL-1").values_list("record", flat=True)) == [
        "movement",
        "amendment",
        "void",
    ]


def test_another_accounts_movement_or_a_revision_id_is_not_found(clerk, account):
    reported(account)
    other = seller()
    run(other, csv_bytes("movements", [movement_row(other, "THEIRS-1")]), name="theirs.csv")
    theirs = Movement.objects.get(account=other)
    assert clerk.get(url("marked_fuel_movement_change", account, movement_id=theirs.pk)).status_code == 404
    assert (
        clerk.post(
            url("marked_fuel_movement_change", account, movement_id=theirs.pk), {"step": "void"}
        ).status_code
        == 404
    )
    first = Movement.objects.get(document_number="BOL-1")
    clerk.post(url("marked_fuel_movement_change", account, movement_id=first.pk), change_post(AMENDED_BOXES))
    revision = Movement.objects.get(revision=1)
    assert clerk.get(url("marked_fuel_movement_change", account, movement_id=revision.pk)).status_code == 404
    assert Movement.objects.get(account=other).record == "movement"


def test_staff_see_each_revision_of_a_movement(account):
    reported(account)
    run(account, csv_bytes("movements", [amendment(account, litres="5")]), name="amend.csv")
    client = sign_in(Client(), staff_member("exemptions_officer"))
    listing = client.get(reverse("admin:filings_movement_changelist"), {"q": "BOL-1"}).content.decode()
    assert "Amendment 1" in listing
    amended = Movement.objects.get(revision=1)
    page = client.get(reverse("admin:filings_movement_change", args=[amended.pk])).content.decode()
    assert "Acquisition BOL-1 " in page  # the movement it corrects, named
