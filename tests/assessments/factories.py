"""Helpers of the assessment tests: returns filed as people file them (tests.filings.factories), a return
"as reported" on paper (its lines' tax and total changed in the database, as a paper return or a filer's own
arithmetic would bring them), and an assessment with its notice issued (the on-commit job run)."""

from __future__ import annotations

from decimal import Decimal

import time_machine

from accounts.actors import Actor, Door
from assessments.services import returns
from filings.models import FuelTaxReturn, ReturnLine
from tests.filings.factories import edmonton, file_return


def acting(user=None) -> Actor:
    """Who acts when a test calls an assessments service directly: a member of staff in Django admin, or (no
    user) a job."""
    if user is None:
        return Actor.job("test")
    return Actor(user=user, door=Door.ADMIN)


def june_2021(*, account, user, **overrides):
    """June 2021: 100,000 L clear gasoline and 20,000 L marked diesel, all taxable, filed 2021-07-05."""
    litres = {"clear_gasoline__taxable": "100000", "marked_diesel__taxable": "20000", **overrides}
    with time_machine.travel(edmonton(2021, 7, 5, 9, 30), tick=False):
        return file_return(account=account, period="2021-06", user=user, **litres)


def reported_as(tax_return: FuelTaxReturn, **tax_by_key: str) -> FuelTaxReturn:
    """Make the return say it reported `tax_by_key` (e.g. clear_gasoline__taxable="12980.00") on those lines,
    and the sum of its lines as its total."""
    for key, tax in tax_by_key.items():
        fuel, category = key.split("__")
        ReturnLine.objects.filter(tax_return=tax_return, fuel=fuel, category=category).update(
            tax=Decimal(tax)
        )
    total = sum(tax_return.lines.values_list("tax", flat=True), start=Decimal("0.00"))
    FuelTaxReturn.objects.filter(pk=tax_return.pk).update(total_tax=total)
    tax_return.refresh_from_db()
    return tax_return


def assess(capture, *, tax_return, by=None, when=None, reassess=False, reason=""):
    """Assess (or reassess) with the on-commit jobs run (the notice is rendered), optionally at `when`."""

    def make():
        with capture(execute=True):
            if reassess:
                return returns.reassessment_make(
                    tax_return=tax_return, actor=acting(by), reason=reason or "Audit"
                )
            return returns.assessment_make(tax_return=tax_return, actor=acting(by), reason=reason)

    if when is None:
        return make()
    with time_machine.travel(when, tick=False):
        return make()
