"""The dye site demo (issue 15, item 7): Prairie Fuels' TEFS account has one dye site at its first BFLO, three
months of both reports filed a week before they were due (one Litres Dyed report differing from its Dye Stock
Report by 5 litres of concentrate) and the last month ended still to file. Loading it again adds nothing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts import demo as people
from filings import demo_dye_sites
from filings.models import DyeStockReport, LitresDyedReport
from filings.selectors_dye_sites import dye_sites_with_months
from programs import demo as programs_demo
from programs.models import DyeSite, ProgramAccount

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("America/Edmonton"))


@time_machine.travel(TODAY, tick=False)
def test_the_demo_dye_site_has_three_months_filed_and_one_due():
    users = people.seed()
    programs_demo.seed(users=users)
    demo_dye_sites.seed(users=users)
    account = ProgramAccount.objects.get(taxpayer__bin="123456789", program__code="tefs")
    site = DyeSite.objects.get(account=account)
    assert site.location is not None
    assert site.storage_litres >= 500_000
    assert site.effective_date.isoformat() == "2026-08-01"
    assert (
        sorted(DyeStockReport.objects.values_list("period_start", flat=True))[0].isoformat() == "2026-08-01"
    )
    assert DyeStockReport.objects.count() == LitresDyedReport.objects.count() == 3
    (entry,) = dye_sites_with_months(account=account, today=TODAY.date())
    assert [month.period.key for month in entry.months] == ["2026-11", "2026-10", "2026-09", "2026-08"]
    assert entry.outstanding == 1
    assert not entry.months[0].days_overdue  # November's reports are due on 2026-12-28
    differs = [report.concentrate_difference for report in LitresDyedReport.objects.order_by("period_start")]
    assert differs == [Decimal(0), Decimal(5), Decimal(0)]
    assert all(report.late_days == 0 for report in DyeStockReport.objects.all())
    demo_dye_sites.seed(users=users)  # again: nothing more
    assert DyeSite.objects.count() == 1
    assert DyeStockReport.objects.count() == 3
