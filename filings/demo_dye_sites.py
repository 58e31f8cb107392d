"""Demo dye site for `make run` (issue 15, item 7): Prairie Fuels (TEFS account 123456789-02-001) is registered to
dye fuel at its first BFLO, approved four months before the current one; each month's Dye Stock Report (AT4984)
and Litres Dyed during the Month (AT366) filed a week before it was due, except the last month ended, whose two
reports are still to file; one month's Litres Dyed report gives a concentrate used that differs from its Dye Stock
Report (staff find it with the queue's filter). Each thing happens at the moment it would have
(accounts.demo.as_of). Idempotent: nothing is added to an account that has a dye site already."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.actors import Actor
from accounts.demo import as_of
from filings import dye_sites
from filings.definitions.dye_sites import DYE_STOCK_REPORT, LITRES_DYED_REPORT
from filings.dye_sites import DyedInput, StockInput
from filings.periods import Period
from filings.sales.demo import EDMONTON
from filings.services_dye_sites import dye_report_submit
from programs.models import BulkFuelLocation, DyeSite, ProgramAccount

FILED_MONTHS = 3  # filed; the month after them (the last ended) is due
DIFFERS = (
    1  # the month whose Litres Dyed report's concentrate differs from its Dye Stock Report's by 5 litres
)


def seed(*, users) -> None:
    account = ProgramAccount.objects.filter(taxpayer__bin="123456789", program__code="tefs").first()
    if account is None or DyeSite.objects.filter(account=account).exists():
        return
    location = BulkFuelLocation.objects.filter(account=account, active=True).order_by("number").first()
    last = Period.of(timezone.localdate()).previous()
    months = [last]
    while len(months) < FILED_MONTHS + 1:
        months.insert(0, months[0].previous())
    site = DyeSite.objects.create(
        account=account,
        location=location,
        name=location.name if location else "Prairie Fuels terminal",
        line1="SE-14-43-25-W4",
        city="Ponoka County",
        storage_litres=Decimal(1_200_000),
        security_features="Fenced and gated yard, locked after hours, camera monitored",
        supplied_by=["rail", "truck"],
        outlets=["rebranded", "bulk_consumers"],
        injector_security="Injector in a locked, sealed cabinet; seal numbers logged at each refill",
        effective_date=months[0].start,
    )
    actor = Actor.job("demo data", user=users["owner"]).acting_for(capacity="owner")
    closing = Decimal(2_400)
    for index, period in enumerate(months[:FILED_MONTHS]):
        used = Decimal(900 + 50 * index)
        received = Decimal(1_000) if index % 2 == 0 else Decimal(0)
        opening, closing = closing, closing + received - used
        filed_at = datetime.combine(
            dye_sites.due_on(period) - timedelta(days=7), time(10, 0), tzinfo=EDMONTON
        )
        with as_of(min(filed_at, timezone.now() - timedelta(hours=1))):
            common = {
                "site": site,
                "period": period,
                "certified_name": users["owner"].full_name,
                "certified_capacity": "Terminal manager",
                "actor": actor,
            }
            dye_report_submit(
                definition=DYE_STOCK_REPORT,
                figures=StockInput(opening=opening, received=received, used=used, closing=closing),
                **common,
            )
            dye_report_submit(
                definition=LITRES_DYED_REPORT,
                figures=DyedInput(
                    litres={"diesel": used * 400, "gasoline": used * 150},
                    concentrate_used=used + (5 if index == DIFFERS else 0),
                ),
                **common,
            )
