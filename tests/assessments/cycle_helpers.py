"""What the refund cycle's tests share: a marked-fuel seller with a BFLO, an address and (by default) banking,
and sales as ingestion stores them (accepted at a given moment: `created_at` is the store's own time)."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal

from filings.periods import Period, PeriodKind
from filings.sales.models import Ingestion, Sale
from programs.models import BulkFuelLocation, ProgramAccount
from tests.assessments.claim_factories import bank_account, mailing_address
from tests.consent.factories import ProgramAccountFactory
from tests.filings.factories import edmonton

_invoices = itertools.count(1)

# Claim periods of 14 days counted from 2017-01-02 (filings/rules/marked_fuel_refund.yaml).
MARCH_2018 = Period(date(2018, 3, 12), PeriodKind.BIWEEKLY)  # 2018-03-12..2018-03-25
NEXT = MARCH_2018.next()  # 2018-03-26..2018-04-08
JUNE_2019 = Period(date(2019, 6, 3), PeriodKind.BIWEEKLY)  # after the repeal of 2019-05-30


def tefs_seller(name: str = "Prairie Fuels Ltd.", *, banking: bool = True, **fields) -> ProgramAccount:
    account: ProgramAccount = ProgramAccountFactory(  # type: ignore[assignment]
        program="tefs", taxpayer__legal_name=name, effective_date=date(2017, 1, 1), **fields
    )
    BulkFuelLocation.objects.create(
        account=account, number=f"B2{account.pk:06d}", name="Lacombe", address="1 Main St, Lacombe"
    )
    mailing_address(account)
    if banking:
        bank_account(account)
    return account


def sale(
    account: ProgramAccount,
    *,
    accepted: datetime,
    sale_date: date | None = None,
    litres: str = "1000",
    fuel: str = "marked_diesel",
    exemption_kind: str = "affb",
    corrects: Sale | None = None,
    kind: str = "sale",
) -> Sale:
    """One sale (or, naming `corrects`, its amendment or void) accepted by ingestion at `accepted`."""
    bflo = account.bulk_fuel_locations.first()
    assert bflo is not None, "a seller's account has a bulk fuel location (seller() makes one)"
    ingestion = Ingestion.objects.create(
        account=account, door="web", format="web", record_type="sales", status="done", received_at=accepted
    )
    day = sale_date or accepted.date()
    revision = 0
    if corrects is not None:
        revision = max(corrects.corrections.values_list("revision", flat=True), default=0) + 1
    return Sale.objects.create(
        account=account,
        ingestion=ingestion,
        row_number=1,
        month=day.replace(day=1),
        bflo=bflo,
        fuel=fuel,
        litres=Decimal(litres),
        kind=kind,
        revision=revision,
        corrects=corrects,
        sale_date=day,
        invoice_number=corrects.invoice_number if corrects else f"INV-{next(_invoices)}",
        line=1,
        exemption_number="F1000001" if exemption_kind == "affb" else "T100001",
        exemption_kind=exemption_kind,
        carbon_levy_exempt=exemption_kind == "affb",
        created_at=accepted,
    )


def during(period: Period, day: int = 3, hour: int = 10) -> datetime:
    """A moment `day` days into `period`, in Alberta."""
    start = period.start
    return edmonton(start.year, start.month, start.day, hour) + (
        datetime(2000, 1, 1 + day) - datetime(2000, 1, 1)
    )


def after(period: Period, hour: int = 2) -> datetime:
    """The day after `period` ends, at `hour` in Alberta (the beat's run)."""
    day = period.next().start
    return edmonton(day.year, day.month, day.day, hour, 30)
