"""The marked-fuel demo (issue 14, item 12; README, "Marked fuel"): Prairie Fuels' TEFS account at two BFLOs with
six months of sales and movements and a closing count each month, one rejected sale corrected, one acquisition
amended, exactly one inventory variance past tolerance (the last month's diesel at the first BFLO), five monthly
reports submitted on time (three processed by TRA, one returned, one in review) and the sixth to submit; the
registry's active and cancelled holders are programs.demo's. Loading it again adds nothing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts import demo as people
from filings.periods import Period
from filings.sales import demo, inventory_sql, inventory_summary, report
from filings.sales.models import Ingestion, InventoryCount, Movement, RejectedRow, Sale
from filings.sales.models_report import MarkedFuelReport
from programs import demo as programs_demo
from programs.models import BulkFuelLocation, ExemptionCertificate, Message, ProgramAccount

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("America/Edmonton"))


@time_machine.travel(TODAY, tick=False)
def test_the_demo_seller_has_six_months_a_corrected_sale_and_five_reports():
    users = people.seed()
    programs_demo.seed(users=users)
    demo.seed(users=users)
    account = ProgramAccount.objects.get(taxpayer__bin="123456789", program__code="tefs")
    assert BulkFuelLocation.objects.filter(account=account, active=True).count() == 2
    assert ExemptionCertificate.objects.filter(number__in=["F1000001", "F1000002"]).count() == 2
    months = sorted(set(Sale.objects.filter(account=account).values_list("month", flat=True)))
    assert [f"{month:%Y-%m}" for month in months] == [
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]
    assert set(Movement.objects.filter(account=account).values_list("month", flat=True)) == set(months)
    assert set(Movement.objects.filter(account=account).values_list("kind", flat=True)) == {
        "acquisition",
        "import",
        "disposition",
        "export",
    }
    rejected = RejectedRow.objects.get(ingestion__account=account, ingestion__validate_only=False)
    assert rejected.corrected_by.exemption_number == demo.RIGHT_NUMBER
    assert rejected.values["exemption_number"] == demo.WRONG_NUMBER
    reports = MarkedFuelReport.objects.filter(account=account).order_by("period_start")
    assert [f"{r.period_start:%Y-%m}" for r in reports] == [
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    assert all(r.late_days == 0 for r in reports)
    assert [r.status for r in reports] == ["processed", "processed", "processed", "returned", "in_review"]
    assert "EXP-202609" in reports[3].return_reason
    assert Message.objects.filter(account=account, subject__contains=reports[3].confirmation_number).exists()
    amended = Movement.objects.get(account=account, record="amendment")
    assert (amended.month.isoformat(), amended.counterparty_name) == (
        "2026-07-01",
        "Parkland Fuel Corporation",
    )
    assert (
        amended.litres == amended.corrects.litres
    )  # the supplier's name corrected: the month's totals stand
    october = report.month_summary(account=account, period=Period.from_key("2026-10"))
    assert all(line.difference == -12 for line in october.lines)  # each count 12 L short of the computed
    # The Inventory Summary flags exactly one variance in the six months: November's diesel at Leduc, 180 L short.
    flagged = [
        (period.key, line.location.number, line.fuel, line.difference)
        for period in map(Period, months)
        for line in inventory_summary.inventory_summary(account=account, period=period).lines
        if line.flagged
    ]
    assert flagged == [("2026-11", "B456789", "marked_diesel", -demo.LEAK)]
    november = inventory_sql.Selection(period=Period.from_key("2026-11"), flagged_only=True)
    assert [line.account_number for line in inventory_sql.inventory_lines(november).lines] == [account.number]
    assert InventoryCount.objects.filter(account=account, month="2026-05-01").count() == 4  # the count before
    latest = report.months_for_account(account=account, today=TODAY.date())[0]
    assert (latest.period.key, latest.is_reported, latest.is_overdue) == ("2026-11", False, False)
    counts = Ingestion.objects.filter(account=account).count(), Sale.objects.count()
    demo.seed(users=users)
    assert (Ingestion.objects.filter(account=account).count(), Sale.objects.count()) == counts
