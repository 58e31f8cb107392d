"""Demo marked-fuel data for `make run` (issue 14, item 12; README, "Marked fuel"): Prairie Fuels' TEFS account
123456789-02-001 sells marked fuel at two BFLOs; six months of consumer sales, acquisitions, an import, exports and
dispositions, and a closing count each month (a few litres short; the last month's diesel at the first BFLO past
the variance tolerance), entered through the web door of the one ingestion service on the
first day of the next month; in the fifth month one sale typed with a wrong AFFB number is kept as a rejected
sale and corrected an hour later; in the second month an acquisition's supplier is corrected by an amendment; the
monthly reports of the first five months submitted three days before they were due, the sixth still to submit; TRA
(Sam Staff, the assessor) processed the first three a week after they were due, returned the fourth with a reason
and has the fifth in review. Each thing happens at the moment it would have (accounts.demo.as_of), and the
history ends where the demo is looked at, whatever the day it is loaded. Idempotent: nothing is added to an
account that has marked-fuel records already."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.actors import Actor, Door
from accounts.demo import as_of
from filings.periods import Period
from filings.sales import report_rules
from filings.sales.ingestion import ingestion_rows
from filings.sales.models import Ingestion, RejectedRow
from filings.sales.report import marked_fuel_report_submit
from filings.sales.report_processing import marked_fuel_report_process, marked_fuel_report_return
from filings.status import filing_status_change
from programs.models import BulkFuelLocation, ProgramAccount

EDMONTON = ZoneInfo("America/Edmonton")
MONTHS = 6
REPORTED = 5  # the monthly reports submitted; the last month's is left to submit
PROCESSED = 3  # TRA processed the first three reports, returned the fourth and has the fifth in review
AMENDED = 1  # the month whose first acquisition is amended (its supplier's name)
RETURN_REASON = (
    "The export EXP-{key} to Saskatchewan names the permit SK-445566, which is not on file: check the buyer's "
    "Saskatchewan permit number, amend the export if it is wrong, then submit an amended report."
)
WRONG_NUMBER, RIGHT_NUMBER = "F1000011", "F1000001"  # the rejected sale's typo, and the farmer's number
# Customers (the demo registry, programs.demo): a farmer's AFFB and a county's TEFU.
CUSTOMERS = ("F1000001", "T2000001")
SECOND_BFLO = ("B456790", "Prairie Fuels Ponoka cardlock", "4410 50 Street, Ponoka AB")
# Each count is a few litres short of the computed inventory (evaporation), within the variance tolerance
# (filings/rules/marked_fuel_inventory.yaml, 0.5 percent); the last month's diesel at the first BFLO is counted
# far shorter (a leak), past it: the one variance the Inventory Summary, and staff's variances, flag.
SHORT, LEAK = Decimal(12), Decimal(180)


def _actor(owner) -> Actor:
    return Actor.job("demo data", user=owner).acting_for(capacity="owner")


def _entered_at(period: Period) -> datetime:
    """The first day of the next month, 9:00, or an hour ago if that is later than now."""
    moment = datetime.combine(period.end + timedelta(days=1), time(9, 0), tzinfo=EDMONTON)
    return min(moment, timezone.now() - timedelta(hours=1))


def _sales(period: Period, index: int, bflos: list[str]) -> list[dict[str, str]]:
    rows = []
    for n in range(10):
        rows.append(
            {
                "record": "sale",
                "sale_date": (period.start + timedelta(days=2 * n + 1)).isoformat(),
                "invoice_number": f"PF-{period.start:%Y%m}-{n + 1:02d}",
                "line": "1",
                "exemption_number": CUSTOMERS[n % 2],
                "fuel": "marked_gasoline" if n % 5 == 4 else "marked_diesel",
                "litres": str(400 + 35 * ((n + index) % 7)),
                "bflo_number": bflos[n % 2],
            }
        )
    return rows


def _movement(kind: str, period: Period, day: int, bflo: str, fuel: str, litres: int, document: str, **extra):
    return {
        "record": "movement",
        "movement": kind,
        "movement_date": (period.start + timedelta(days=day)).isoformat(),
        "bflo_number": bflo,
        "fuel": fuel,
        "litres": str(litres),
        "counterparty_name": extra.get("name", "Parkland Wholesale Fuels Ltd."),
        "counterparty_number": extra.get("number", "987654321"),
        "jurisdiction": extra.get("jurisdiction", ""),
        "document_number": document,
    }


def _movements(period: Period, index: int, bflos: list[str]) -> list[dict[str, str]]:
    key = f"{period.start:%Y%m}"
    rows = [
        _movement("acquisition", period, 0, bflos[0], "marked_diesel", 3000, f"BOL-{key}-1"),
        _movement("acquisition", period, 0, bflos[1], "marked_diesel", 2500, f"BOL-{key}-2"),
        _movement("acquisition", period, 1, bflos[0], "marked_gasoline", 900, f"BOL-{key}-3"),
        _movement("acquisition", period, 1, bflos[1], "marked_gasoline", 600, f"BOL-{key}-4"),
        _movement(
            "export",
            period,
            20,
            bflos[0],
            "marked_diesel",
            300,
            f"EXP-{key}",
            name="Lloydminster Farm Co-op",
            number="SK-445566",
            jurisdiction="SK",
        ),
    ]
    if index == 2:
        rows.append(
            _movement(
                "import",
                period,
                8,
                bflos[1],
                "marked_diesel",
                1200,
                f"IMP-{key}",
                name="Saskatoon Bulk Fuels",
                number="SK-778899",
                jurisdiction="SK",
            )
        )
    if index % 2:
        rows.append(
            _movement(
                "disposition",
                period,
                15,
                bflos[1],
                "marked_diesel",
                250,
                f"TRF-{key}",
                name="Foothills Cardlock Co-op",
                number="234567891",
            )
        )
    return rows


def _closing(
    account: ProgramAccount, period: Period, bflos: list[str], *, before: bool = False, leak: bool = False
) -> list[dict]:
    """Each location and fuel's count: the computed closing inventory, a few litres short (evaporation), or the
    count before the six months began; with `leak`, the first BFLO's diesel far short (past tolerance)."""
    from filings.sales.report import month_summary

    if before:
        return [
            {"count": "closing", "bflo_number": bflo, "fuel": fuel, "litres": litres}
            for bflo in bflos
            for fuel, litres in (("marked_diesel", "8000"), ("marked_gasoline", "2500"))
        ]
    summary = month_summary(account=account, period=period)

    def short(line) -> Decimal:
        leaked = leak and (line.bflo_number, line.fuel) == (bflos[0], "marked_diesel")
        return LEAK if leaked else SHORT

    return [
        {
            "count": "closing",
            "bflo_number": line.bflo_number,
            "fuel": line.fuel,
            "litres": str(max(Decimal(0), line.closing_computed - short(line))),
        }
        for line in summary.lines
    ]


def _process(report, *, index: int, staff, due) -> None:
    """TRA's side of the report: into review on its due date, then processed a week later (the first three),
    returned with a reason (the fourth) or left in review (the fifth)."""
    staff_actor = Actor(user=staff, door=Door.ADMIN)

    def at(day) -> datetime:
        return min(
            datetime.combine(day, time(14, 0), tzinfo=EDMONTON), timezone.now() - timedelta(minutes=30)
        )

    with as_of(at(due)):
        report = filing_status_change(filing=report, status="in_review", actor=staff_actor)
    if index >= PROCESSED + 1:
        return
    with as_of(at(due + timedelta(days=7))):
        if index < PROCESSED:
            marked_fuel_report_process(report=report, actor=staff_actor)
        else:
            reason = RETURN_REASON.format(key=f"{report.period_start:%Y%m}")
            marked_fuel_report_return(report=report, reason=reason, actor=staff_actor)


def seed(*, users) -> None:
    account = ProgramAccount.objects.filter(taxpayer__bin="123456789", program__code="tefs").first()
    if account is None or Ingestion.objects.filter(account=account).exists():
        return
    number, name, address = SECOND_BFLO
    BulkFuelLocation.objects.get_or_create(
        number=number, defaults={"account": account, "name": name, "address": address}
    )
    bflos = list(
        BulkFuelLocation.objects.filter(account=account, active=True)
        .order_by("number")
        .values_list("number", flat=True)
    )[:2]
    owner = users["owner"]
    actor = _actor(owner)
    last = Period.of(timezone.localdate()).previous()
    months = [last]
    while len(months) < MONTHS:
        months.insert(0, months[0].previous())
    months = [month for month in months if month.end >= account.effective_date]

    def put(period: Period, record_type: str, rows: list[dict]) -> Ingestion:
        return ingestion_rows(
            account=account, record_type=record_type, month=period.start, rows=rows, actor=actor
        )

    before = months[0].previous()
    with as_of(_entered_at(before)):
        put(before, "inventory", _closing(account, before, bflos, before=True))
    for index, period in enumerate(months):
        entered = _entered_at(period)
        with as_of(entered):
            put(period, "movements", _movements(period, index, bflos))
            rows = _sales(period, index, bflos)
            if index == REPORTED - 1:
                rows.append(
                    {
                        **rows[0],
                        "invoice_number": f"PF-{period.start:%Y%m}-99",
                        "exemption_number": WRONG_NUMBER,
                    }
                )
            put(period, "sales", rows)
        if index == REPORTED - 1:
            rejected = RejectedRow.objects.get(ingestion__account=account, ingestion__validate_only=False)
            with as_of(entered + timedelta(minutes=50)):
                corrected = {
                    **rejected.values,
                    "exemption_number": RIGHT_NUMBER,
                    "corrects_rejected": str(rejected.pk),
                }
                put(
                    period,
                    "sales",
                    [{"record": "sale", **{k: v for k, v in corrected.items() if k != "record"}}],
                )
        if index == AMENDED:
            with as_of(entered + timedelta(minutes=30)):
                first = {**_movements(period, index, bflos)[0], "record": "amendment"}
                put(period, "movements", [{**first, "counterparty_name": "Parkland Fuel Corporation"}])
        with as_of(entered + timedelta(hours=2)):
            put(period, "inventory", _closing(account, period, bflos, leak=index == len(months) - 1))
        if index < REPORTED:
            due = report_rules.due_on(period)
            with as_of(datetime.combine(due - timedelta(days=3), time(10, 30), tzinfo=EDMONTON)):
                filed = marked_fuel_report_submit(
                    account=account,
                    period_end=period.end,
                    certified_name=owner.display_name,
                    certified_capacity="Owner",
                    actor=actor,
                )
            if users.get("staff") is not None:
                _process(filed, index=index, staff=users["staff"], due=due)
