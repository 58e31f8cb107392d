"""A sale's account, ingestion and BFLO are held by the database once per statement (migration 0013) instead of
by three foreign keys per row: a sale naming a parent that does not exist is refused, and a parent that sales
name cannot be deleted or renumbered, by the ORM or by plain SQL."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError

from filings.sales import ingestion as service
from filings.sales.models import Ingestion, Sale
from programs.models import BulkFuelLocation
from tests.accounts.factories import UserFactory, actor_for
from tests.filings.sales_helpers import csv_bytes, registered_seller, sale_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale():
    account = registered_seller()
    received = service.ingestion_receive(
        account=account,
        door=Ingestion.Door.UPLOAD,
        file_name="sales.csv",
        chunks=[csv_bytes("sales", [sale_row(account, "A", 1), sale_row(account, "A", 2)])],
        actor=actor_for(UserFactory()),
    )
    assert service.ingestion_run(ingestion_id=received.pk).rows_accepted == 2
    return Sale.objects.order_by("line").first()


def _fails(statement: str, params: list) -> str:
    with pytest.raises(IntegrityError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
    return str(raised.value)


_COLUMNS = (
    "account_id, ingestion_id, row_number, kind, revision, sale_date, month, invoice_number, line, "
    "exemption_number, exemption_kind, carbon_levy_exempt, fuel, litres, bflo_id, created_at"
)


@pytest.mark.parametrize(
    ("column", "what"),
    [("bflo_id", "a BFLO"), ("ingestion_id", "an ingestion"), ("account_id", "an account")],
)
def test_a_sale_naming_a_parent_that_does_not_exist_is_refused(sale, column, what):
    # A copy of the sale under another invoice number, naming a parent that is not there.
    values = _COLUMNS.replace("invoice_number", "'B'").replace(column, f"{column} + 1000000")
    insert = f"INSERT INTO filings_sale ({_COLUMNS}) SELECT {values} FROM filings_sale WHERE id = %s"
    assert f"{what} the sales name does not exist" in _fails(insert, [sale.pk])
    assert f"{what} the sales name does not exist" in _fails(
        f"UPDATE filings_sale SET {column} = {column} + 1000000 WHERE id = %s", [sale.pk]
    )
    assert Sale.objects.count() == 2


def test_a_parent_named_by_sales_is_kept(sale):
    bflo = sale.bflo
    with pytest.raises(ProtectedError), transaction.atomic():
        bflo.delete()  # the ORM says so first
    for table, pk in (
        ("programs_bulkfuellocation", sale.bflo_id),
        ("filings_ingestion", sale.ingestion_id),
        ("programs_programaccount", sale.account_id),
    ):
        assert "is named by marked-fuel sales" in _fails(f"DELETE FROM {table} WHERE id = %s", [pk])
        assert "is named by marked-fuel sales" in _fails(
            f"UPDATE {table} SET id = id + 1000000 WHERE id = %s", [pk]
        )
    # A parent no sale names goes as before, and one renamed keeps its sales.
    unused = BulkFuelLocation.objects.filter(account=sale.account).exclude(pk=sale.bflo_id).first()
    unused.delete()
    BulkFuelLocation.objects.filter(pk=bflo.pk).update(name="Renamed")
    assert Sale.objects.filter(bflo__name="Renamed").count() == 2
