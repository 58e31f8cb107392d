"""Demo assessments of the hotel operator's tourism levy returns (filings/demo_tourism_levy.py), each at the moment
it happened (accounts.demo.as_of), as for Prairie Fuels' fuel tax returns (assessments/demo.py): every return
assessed by the demo's staff member the day after it was received, with its notice; each paid on its due date,
except the inn's late month, left owing its levy and its late-filing penalty (12 days late: the lesser of
12 x $25.00 and the levy unpaid, at least $100.00: assessments/rules/penalties.yaml), and interest from the worker's
daily job. A nil return is assessed at $0.00 and nothing is paid. Idempotent: returns already assessed are left."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import partial

from accounts.actors import Actor, Door
from accounts.demo import as_of
from assessments.demo import pay_on_due_date
from assessments.models import Assessment
from assessments.services import returns
from filings.demo import EDMONTON
from filings.demo_tourism_levy import BIN
from filings.models import TourismLevyReturn

ASSESSED_AFTER = timedelta(days=1)  # after the return was received


def seed(*, users) -> None:
    filed = TourismLevyReturn.objects.filter(
        account__taxpayer__bin=BIN, account__program__code="tourism_levy"
    )
    staff = users.get("staff")
    if (
        staff is None
        or not filed.exists()
        or Assessment.objects.filter(tourism_levy_return__in=filed).exists()
    ):
        return
    by = Actor(user=staff, door=Door.ADMIN)  # assessed as in Django admin's queue
    events: list[tuple[datetime, Callable[[], object]]] = []
    for tax_return in filed.order_by("received_at"):
        events.append(
            (
                tax_return.received_at + ASSESSED_AFTER,
                partial(returns.assessment_make, tax_return=tax_return, actor=by),
            )
        )
        if tax_return.late_days == 0 and tax_return.amount_payable > 0:
            paid = datetime.combine(tax_return.due_on, time(15, 0), tzinfo=EDMONTON)
            events.append((paid, partial(pay_on_due_date, tax_return=tax_return, by=by)))
    # In the order they happened, so each notice prints the balance as of its own date (assessments/demo.py).
    for moment, event in sorted(events, key=lambda pair: pair[0]):
        with as_of(moment):
            event()
