"""The fault test of issue 6 ("the refund job killed after issuing some refunds and run again issues each refund
exactly once"), with a real kill: the refund job runs in a separate process on the test database and is sent
SIGKILL (no cleanup, no rollback handler in our code: PostgreSQL alone rolls back what was not committed), once
between two refunds and once in the middle of a refund's transaction (its REFUND_ISSUED posted, not committed).
A second run then issues the rest. Afterwards: one REFUND_ISSUED per refund, each refund issued and in exactly
one row of exactly one closed payment file, and the files' totals equal the ledger's postings.

The child process is the real job (assessments.refunds.refunds_issue) with one wrapper: it reports each refund
it reaches and pauses there, so the kill lands at a known point instead of at a random one. The child is forked
from the test process (multiprocessing's "fork"), Django already set up, instead of a new interpreter running
django.setup() (3.5-4 s of CPU each, three children a test): it is still a separate process with its own
connection to the test database, killed with SIGKILL mid-way.
"""

import csv
import io
import multiprocessing
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from multiprocessing.connection import Connection

import pytest
from django.db import connections

from accounts.actors import Actor
from assessments import refund_files, refunds
from assessments.models import LedgerTransaction, Refund, RefundPaymentFile
from tests.accounts.factories import UserFactory, staff_member
from tests.assessments.claim_factories import assess_claim, bank_account, june_claim, mailing_address
from tests.assessments.factories import acting
from tests.consent.factories import ProgramAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)

REFUNDS_PER_ACCOUNT = 4
KILL_AFTER = 3  # refunds reached by the first run before it is killed
CHILD_TIMEOUT = 60
FORK = multiprocessing.get_context("fork")

# A job run in the child: given `reach` (report a point reached; it pauses at the kill's point), it runs the real
# service and returns what the "DONE" line reports.
Job = Callable[[Callable[[str], None]], str]


def _child(job: Job, report: Connection, pause_after: int) -> None:
    """The child's whole life: run `job`, sending each line to the parent; pause at the `pause_after`-th point
    reached (0: never) until the parent kills it."""
    # Coverage's tracer came along with the fork; the child ends in os._exit, so what it would record is never
    # saved: tracing it would be CPU for nothing.
    sys.settrace(None)
    reached = 0

    def reach(what: str) -> None:
        nonlocal reached
        reached += 1
        report.send(f"REACHED {what}")
        if reached == pause_after:
            time.sleep(CHILD_TIMEOUT)

    try:
        report.send(f"DONE {job(reach)}")
    except BaseException:
        report.send(f"FAILED {traceback.format_exc()}")
        raise
    finally:
        connections.close_all()


def run_job(job: Job, *, kill_after: int | None = None) -> list[str]:
    """Run `job` in a child process; SIGKILL it once it has reached `kill_after` points (None: let it finish).
    Returns the lines it reported."""
    # The child must open its own connection: one socket shared by two processes would interleave their queries
    # (the test is on transactional_db, so nothing of the test's is left uncommitted by closing it).
    connections.close_all()
    reader, writer = FORK.Pipe(duplex=False)
    process = FORK.Process(target=_child, args=(job, writer, kill_after or 0), daemon=True)
    process.start()
    writer.close()  # the child holds the other end: the pipe ends (EOFError) when the child does
    reported: list[str] = []
    deadline = time.monotonic() + CHILD_TIMEOUT
    try:
        while True:
            assert reader.poll(max(deadline - time.monotonic(), 0)), "the job took too long"
            try:
                line = reader.recv()
            except EOFError:
                break
            assert not line.startswith("FAILED"), line
            reported.append(line)
            if kill_after is not None and sum(line.startswith("REACHED") for line in reported) >= kill_after:
                process.kill()  # SIGKILL
                break
        process.join(timeout=CHILD_TIMEOUT)
    finally:
        if process.is_alive():
            process.kill()
            process.join()
        reader.close()
    if kill_after is not None:
        assert process.exitcode == -signal.SIGKILL, reported
    else:
        assert process.exitcode == 0, reported
    return reported


def refund_job(*, where: str = "between") -> Job:
    """The refund job, reaching each refund either "between" (after that refund's transaction committed) or
    "inside" (in its transaction, after its REFUND_ISSUED was posted: the announcement is the last thing the
    transaction does). Patched in the child only: the parent's module is untouched."""

    def job(reach: Callable[[str], None]) -> str:
        real_issue, real_announce = refunds.refund_issue, refunds._announce

        def issue(*, refund_id: int, actor: Actor) -> str:
            outcome = real_issue(refund_id=refund_id, actor=actor)
            if where == "between":
                reach(f"{refund_id} {outcome}")
            return outcome

        def announce(*, refund: Refund) -> None:
            real_announce(refund=refund)
            if where == "inside":
                reach(f"{refund.pk} uncommitted")

        refunds.refund_issue, refunds._announce = issue, announce
        run = refunds.refunds_issue(actor=Actor.job("refunds_issue"))
        return str(len(run.issued))

    return job


@pytest.fixture
def approved_refunds(django_capture_on_commit_callbacks):
    """Eight approved refunds: four by direct deposit (an account with banking), four by cheque."""
    staff = staff_member("refund_approver")
    by_deposit = ProgramAccountFactory(taxpayer__legal_name="Deposit Fuels Ltd.")
    by_cheque = ProgramAccountFactory(taxpayer__legal_name="Cheque Fuels Ltd.")
    bank_account(by_deposit)
    for account in (by_deposit, by_cheque):
        mailing_address(account)
        owner = UserFactory()
        for index in range(REFUNDS_PER_ACCOUNT):
            claim = june_claim(account=account, user=owner, litres=str(1000 + 100 * index))
            assess_claim(django_capture_on_commit_callbacks, claim=claim)
    for refund in Refund.objects.all():
        refunds.refund_approve(refund=refund, actor=acting(staff))
    assert Refund.objects.filter(status=Refund.Status.APPROVED).count() == 2 * REFUNDS_PER_ACCOUNT
    return list(Refund.objects.order_by("id"))


def file_rows() -> Counter:
    """How many times each refund id appears in a detail row of the closed payment files."""
    seen: Counter = Counter()
    for payment_file in RefundPaymentFile.objects.all():
        assert payment_file.closed_at is not None
        rows = list(csv.reader(io.StringIO(refund_files.payment_file_content(payment_file).decode())))
        details = [row for row in rows if row[0] == "D"]
        seen.update(int(row[1]) for row in details)
        trailer = rows[-1]
        assert trailer[0] == "T"
        assert int(trailer[1]) == len(details) == payment_file.count
        assert Decimal(trailer[2]) == payment_file.total
    return seen


@pytest.mark.parametrize(
    ("where", "issued_when_killed"),
    [
        ("between", KILL_AFTER),  # the 3rd refund's transaction had committed
        ("inside", KILL_AFTER - 1),  # the 3rd refund's transaction was open: rolled back by PostgreSQL
    ],
)
def test_the_job_killed_and_run_again_issues_each_refund_exactly_once(
    approved_refunds, where, issued_when_killed
):
    reported = run_job(refund_job(where=where), kill_after=KILL_AFTER)
    assert not any(line.startswith("DONE") for line in reported)
    postings = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND_ISSUED)
    assert postings.count() == issued_when_killed
    assert Refund.objects.filter(status=Refund.Status.ISSUED).count() == issued_when_killed
    assert RefundPaymentFile.objects.filter(
        closed_at__isnull=True
    ).exists()  # the killed run's file, left open

    reported = run_job(refund_job())
    assert reported[-1] == f"DONE {len(approved_refunds) - issued_when_killed}"

    # Exactly once: one REFUND_ISSUED per refund, each refund issued and in one row of one closed file.
    sources = Counter(postings.values_list("source_reference", flat=True))
    assert sources == Counter(f"refund:{refund.pk}" for refund in approved_refunds)
    issued = Refund.objects.filter(status=Refund.Status.ISSUED)
    assert issued.count() == len(approved_refunds)
    assert file_rows() == Counter(refund.pk for refund in approved_refunds)
    assert not RefundPaymentFile.objects.filter(closed_at__isnull=True).exists()
    # Each method in its own file; the files' totals are the ledger's postings.
    for refund in issued.select_related("payment_file", "ledger_transaction"):
        assert refund.payment_file.kind == refund.method
        assert refund.ledger_transaction.amount == refund.amount
    files_total = sum(RefundPaymentFile.objects.values_list("total", flat=True), start=Decimal(0))
    assert files_total == sum(postings.values_list("amount", flat=True), start=Decimal(0))
    # A third run finds nothing to do.
    assert run_job(refund_job()) == ["DONE 0"]
