"""The tourism levy's demo (filings/demo_tourism_levy.py): a hotel operator with two establishments, one monthly
and one quarterly, a year of returns (stays of 28 days or more, a nil quarter, one return late); loading it again
adds nothing."""

from datetime import date

import pytest
import time_machine

from filings import demo_tourism_levy as demo
from filings.models import TourismLevyReturn
from programs.models import ProgramAccount
from tests.accounts.factories import UserFactory
from tests.filings.factories import edmonton


@pytest.mark.django_db
def test_the_demo_operator_files_a_year_for_each_establishment():
    """On 2026-12-03: the inn's last return due is October 2026's (28 days after it is Saturday 2026-11-28: due Monday 2026-11-30), its twelve months from
    November 2025; the chalets' last is Q3 2026's (due 2026-10-28), four quarters from Q4 2025."""
    owner = UserFactory(full_name="Hana Hotelier")
    with time_machine.travel(edmonton(2026, 12, 3), tick=False):
        demo.seed(users={"operator": owner})
        demo.seed(users={"operator": owner})  # idempotent
    inn = ProgramAccount.objects.get(trade_name=demo.INN)
    chalets = ProgramAccount.objects.get(trade_name=demo.CHALETS)
    assert inn.taxpayer_id == chalets.taxpayer_id
    returns = TourismLevyReturn.objects.filter(account=inn).order_by("period_start")
    assert [r.period.key for r in returns][0] == "2025-11"
    assert [r.period.key for r in returns][-1] == "2026-10"
    assert len(returns) == 12
    quarters = TourismLevyReturn.objects.filter(account=chalets).order_by("period_start")
    assert [r.period.key for r in quarters] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert [r.is_nil for r in quarters] == [False, False, True, False]
    assert any(line.reason == "long_stay" for r in returns for line in r.lines.all())
    late = [r.period.key for r in [*returns, *quarters] if r.late_days]
    assert late == ["2026-09"]
    assert returns.get(period_start=date(2026, 9, 1)).late_days == 12
    assert demo.seed(users={}) is None  # no operator among the demo people: nothing to do
