"""Staff administration of marked-fuel records: the exemptions officer searches a seller's sales, reads the
ingestion log with each file's counts and its rejected rows, and changes nothing (tests/security's matrix proves
who reaches which page)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AccessLogEntry
from filings.sales.ingestion import ingestion_rows
from filings.sales.models import Ingestion, Sale
from tests.accounts.factories import actor_for, staff_member
from tests.conftest import sign_in
from tests.filings.sales_helpers import OCTOBER, registered_seller, sale_row, web_row

pytestmark = pytest.mark.django_db


def test_the_exemptions_officer_searches_sales_and_reads_the_ingestion_log():
    account = registered_seller()
    rows = [sale_row(account, "INV-77", 1), sale_row(account, "INV-78", 1, litres="0")]
    done = ingestion_rows(
        account=account,
        record_type="sales",
        month=OCTOBER,
        rows=[web_row(r) for r in rows],
        actor=actor_for(None),
    )
    client = sign_in(Client(), staff_member("exemptions_officer"))
    found = client.get(reverse("admin:filings_sale_changelist"), {"q": "INV-77"}).content.decode()
    assert "INV-77" in found
    assert "1 marked-fuel sale" in found
    page = client.get(reverse("admin:filings_ingestion_change", args=[done.pk])).content.decode()
    assert "2 read, 1 accepted, 1 rejected." in page
    assert f"?ingestion__id__exact={done.pk}" in page
    rejected = client.get(reverse("admin:filings_rejectedrow_changelist"), {"ingestion__id__exact": done.pk})
    assert "Litres must be more than zero" in rejected.content.decode()
    client.get(reverse("admin:filings_sale_change", args=[Sale.objects.get().pk]))
    assert (
        AccessLogEntry.objects.filter(
            account_number=account.number, action__contains="opened in staff"
        ).count()
        == 2
    )
    assert client.post(reverse("admin:filings_ingestion_change", args=[done.pk]), {}).status_code == 403
    assert Ingestion.objects.get(pk=done.pk).status == "done"
