"""Demo history of the biweekly marked-fuel refund for `make run` (issue 15, item 10): Prairie Fuels' marked-fuel
account sold marked fuel in the spring of 2018 to a farmer then holding an AFFB number (F1000004, Red Deer River
Ranch, registered 2017-06-01; its 3 years have since lapsed), entered through the web door of the one ingestion
service during three claim periods; each period's cycle ran the day after it ended, at 02:30, and paid its carbon
levy (a claim filed by TRACS, assessed, refunded, issued into a payment file). The cycles of the last six claim
periods ran too, over the recent sales (filings.sales.demo): the levy was repealed from 2019-05-30, so they paid
nothing, and each run says so. Every step happens at the moment it would have (accounts.demo.as_of).
Idempotent: an account that has cycle claims already is left as it is."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.actors import Actor, Door
from accounts.demo import as_of
from assessments.cycles import services
from assessments.cycles.models import CycleClaim
from filings.definitions.marked_fuel_refund import claim_period_of
from filings.periods import Period
from filings.sales.demo import EDMONTON
from filings.sales.ingestion import ingestion_rows
from programs.models import BulkFuelLocation, ProgramAccount
from programs.registries import services as registry_services
from programs.registries.models import ExemptionCertificate

FARMER = "F1000004"
FARMER_ROW = [
    "register",
    FARMER,
    "2017-06-01",
    "DEMO-2018",
    "Red Deer River Ranch",
    "RR 1",
    "",
    "Innisfail",
    "AB",
    "T4G 1T6",
    "",
]
# The first days of the three claim periods of 2018 whose sales were refunded (14 days from 2017-01-02).
PAID_PERIODS = (date(2018, 4, 9), date(2018, 4, 23), date(2018, 5, 7))
RECENT_PERIODS = 6


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=EDMONTON)


def _farmer() -> None:
    if ExemptionCertificate.objects.filter(number=FARMER).exists():
        return
    lines = [",".join(registry_services.HEADER), ",".join(FARMER_ROW)]
    with as_of(_at(date(2017, 6, 1), 9)):
        registry_services.registry_file_import(
            stream=io.BytesIO("\n".join(lines).encode()),
            filename="demo-registry-2017.csv",
            actor=Actor.job("demo data", door=Door.FILE),
        )


def _sales(period: Period, bflos: list[str]) -> list[dict[str, str]]:
    """Six sales in the period's first days (all in its first month), diesel and gasoline, at both BFLOs."""
    return [
        {
            "record": "sale",
            "sale_date": (period.start + timedelta(days=n)).isoformat(),
            "invoice_number": f"PF-{period.start:%Y%m%d}-{n + 1:02d}",
            "line": "1",
            "exemption_number": FARMER,
            "fuel": "marked_gasoline" if n % 3 == 2 else "marked_diesel",
            "litres": str(1800 + 150 * n),
            "bflo_number": bflos[n % len(bflos)],
        }
        for n in range(6)
    ]


def _run(period: Period) -> None:
    with as_of(_at(period.next().start, 2, 30)):
        services.cycle_run(period=period, actor=Actor.job("refund_cycle_due"))


def seed(*, users) -> None:
    account = ProgramAccount.objects.filter(taxpayer__bin="123456789", program__code="tefs").first()
    if account is None or CycleClaim.objects.filter(account=account).exists():
        return
    _farmer()
    bflos = list(
        BulkFuelLocation.objects.filter(account=account, active=True)
        .order_by("number")
        .values_list("number", flat=True)
    )[:2]
    actor = Actor.job("demo data", user=users["owner"]).acting_for(capacity="owner")
    for start in PAID_PERIODS:
        period = claim_period_of(start)
        with as_of(_at(period.start + timedelta(days=6), 16)):
            ingestion_rows(
                account=account,
                record_type="sales",
                month=period.start.replace(day=1),
                rows=_sales(period, bflos),
                actor=actor,
            )
        _run(period)
    last = services.latest_ended_period(today=timezone.localdate())
    recent = [last]
    while len(recent) < RECENT_PERIODS:
        recent.insert(0, recent[0].previous())
    for period in recent:
        _run(period)
