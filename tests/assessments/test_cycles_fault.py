"""The refund cycle's fault test (issue 15, "Show"): the real cycle in a child process on the test database,
SIGKILLed once between two sellers (the second seller's transaction committed) and once inside a seller's
transaction (its claim filed, assessed, credited, its refund prepared, approved and issued, not committed), then
run again. Afterwards each seller has exactly one claim, one assessment, one refund issued in one row of one
closed payment file, and each account's ledger equals its balances (assessments.services.ledger.ledger_check).

As tests/assessments/test_refunds_fault.py does for the refund job, the child is the real service
(assessments.cycles.services.cycle_run) with one wrapper that reports each seller it reaches and pauses there, so
the kill lands at a known point; the child is forked from the test process, as there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
import time_machine

from accounts.actors import Actor
from assessments import refunds
from assessments.cycles import services
from assessments.cycles.models import CycleClaim, CycleRun
from assessments.models import ClaimAssessment, LedgerTransaction, Refund, RefundPaymentFile
from assessments.services import ledger
from filings.models import Claim
from tests.assessments.cycle_helpers import MARCH_2018, after, during, sale, tefs_seller
from tests.assessments.test_refunds_fault import Job, file_rows, run_job

pytestmark = pytest.mark.django_db(transaction=True)

SELLERS = 5
KILL_AT = 2  # the seller whose settling the kill lands on


def cycle_job(*, where: str = "between") -> Job:
    """The cycle of March 2018's claim period, run the day after it, reaching each seller either "between" (after
    that seller's transaction committed) or "inside" (in its transaction, once its refund was issued). Patched
    in the child only."""

    def job(reach: Callable[[str], None]) -> str:
        real_settle, real_issue = services.cycle_claim_settle, refunds.refund_issue

        def settle(*, cycle_claim_id: int, actor: Actor, tally: services.Tally | None = None) -> str:
            status = real_settle(cycle_claim_id=cycle_claim_id, actor=actor, tally=tally)
            if where == "between":
                reach(f"{cycle_claim_id} {status}")
            return status

        def issue(*, refund_id: int, actor: Actor) -> str:
            outcome = real_issue(refund_id=refund_id, actor=actor)
            if where == "inside":
                reach(f"refund {refund_id} {outcome} uncommitted")
            return outcome

        services.cycle_claim_settle, refunds.refund_issue = settle, issue
        with time_machine.travel(after(MARCH_2018), tick=True):
            run = services.cycle_run(period=MARCH_2018, actor=Actor.job("refund_cycle_due"))
        return f"{run.claims} {run.refunds}"

    return job


def run_cycle(*, where: str = "between", kill_after: int | None = None) -> list[str]:
    return run_job(cycle_job(where=where), kill_after=kill_after)


@pytest.fixture
def sellers():
    """Five sellers, each with AFFB sales processed in March 2018's claim period; the third without banking."""
    accounts = []
    for index in range(SELLERS):
        account = tefs_seller(f"Seller {index} Ltd.", banking=index != 2)
        for day in (1, 4):
            sale(account, accepted=during(MARCH_2018, day), litres=str(1000 + 100 * index))
        accounts.append(account)
    return accounts


@pytest.mark.parametrize(
    ("where", "settled_when_killed"),
    [
        ("between", KILL_AT),  # the 2nd seller's transaction had committed
        ("inside", KILL_AT - 1),  # the 2nd seller's transaction was open: PostgreSQL rolled it back
    ],
)
def test_the_cycle_killed_and_run_again_pays_each_seller_exactly_once(sellers, where, settled_when_killed):
    reported = run_cycle(where=where, kill_after=KILL_AT)
    assert not any(line.startswith("DONE") for line in reported)
    assert CycleClaim.objects.count() == SELLERS  # the set-based step had committed
    assert CycleClaim.objects.exclude(status="computed").count() == settled_when_killed
    assert Claim.objects.count() == settled_when_killed
    assert Refund.objects.filter(status="issued").count() == settled_when_killed
    assert CycleRun.objects.get().status == "running"  # the killed run, never finished

    reported = run_cycle()
    assert reported[-1] == f"DONE {SELLERS - settled_when_killed} {SELLERS - settled_when_killed}"

    # Exactly once per seller: one claim, one assessment, one refund issued, in one row of one closed file.
    assert Counter(Claim.objects.values_list("account_id", flat=True)) == Counter(a.pk for a in sellers)
    assert ClaimAssessment.objects.count() == SELLERS
    assert CycleClaim.objects.filter(status="paid").count() == SELLERS
    refunds = Refund.objects.filter(status="issued")
    assert Counter(refunds.values_list("account_id", flat=True)) == Counter(a.pk for a in sellers)
    postings = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND_ISSUED)
    assert Counter(postings.values_list("source_reference", flat=True)) == Counter(
        f"refund:{pk}" for pk in refunds.values_list("pk", flat=True)
    )
    assert file_rows() == Counter(refunds.values_list("pk", flat=True))
    assert not RefundPaymentFile.objects.filter(closed_at__isnull=True).exists()
    assert refunds.filter(method="cheque").count() == 1  # the seller without banking
    # The ledger equals its balances, for every seller: credited, then paid out.
    for account in sellers:
        check = ledger.ledger_check(account=account)
        assert check.ok, check
        assert check.balance == 0
    assert list(CycleRun.objects.order_by("id").values_list("status", flat=True)) == [
        "failed",
        "done",
    ]
    # A third run finds nothing to do.
    assert run_cycle() == ["DONE 0 0"]
