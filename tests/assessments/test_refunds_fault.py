"""The fault test of issue 6 ("the refund job killed after issuing some refunds and run again issues each refund
exactly once"), with a real kill: the refund job runs in a separate process on the test database and is sent
SIGKILL (no cleanup, no rollback handler in our code: PostgreSQL alone rolls back what was not committed), once
between two refunds and once in the middle of a refund's transaction (its REFUND_ISSUED posted, not committed).
A second run then issues the rest. Afterwards: one REFUND_ISSUED per refund, each refund issued and in exactly
one row of exactly one closed payment file, and the files' totals equal the ledger's postings.

The child process is the real job (assessments.refunds.refunds_issue) with one wrapper: it reports each refund
it reaches on stdout and pauses there, so the kill lands at a known point instead of at a random one.
"""

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from assessments import refund_files, refunds
from assessments.models import LedgerTransaction, Refund, RefundPaymentFile
from tests.accounts.factories import UserFactory, staff_member
from tests.assessments.claim_factories import assess_claim, bank_account, june_claim, mailing_address
from tests.assessments.factories import acting
from tests.consent.factories import ProgramAccountFactory
from tests.test_celery_worker import database_url

pytestmark = pytest.mark.django_db(transaction=True)

REFUNDS_PER_ACCOUNT = 4
KILL_AFTER = 3  # refunds reached by the first run before it is killed
CHILD_TIMEOUT = 60

# The job, reporting each refund it reaches and pausing at the PAUSE_AFTER-th, either "between" (after that
# refund's transaction committed) or "inside" (in its transaction, after its REFUND_ISSUED was posted: the
# announcement is the last thing the transaction does). The parent kills it during that pause.
CHILD = """
import os, sys, time
import django
django.setup()
from accounts.actors import Actor
from assessments import refunds
where, after = os.environ["PAUSE_AT"], int(os.environ["PAUSE_AFTER"])
real_issue, real_announce = refunds.refund_issue, refunds._announce
reached = []
def reach(refund_id, what):
    reached.append(refund_id)
    print("REACHED", refund_id, what, flush=True)
    if len(reached) == after:
        time.sleep(60)
def issue(*, refund_id, actor):
    outcome = real_issue(refund_id=refund_id, actor=actor)
    if where == "between":
        reach(refund_id, outcome)
    return outcome
def announce(*, refund):
    real_announce(refund=refund)
    if where == "inside":
        reach(refund.pk, "uncommitted")
refunds.refund_issue, refunds._announce = issue, announce
run = refunds.refunds_issue(actor=Actor.job("refunds_issue"))
print("DONE", len(run.issued), flush=True)
"""


def _child_env(*, where: str, pause_after: int, **extra: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracs.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CONN_MAX_AGE": "0",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "EMAIL_URL": "consolemail://",
        "SECRET_KEY": settings.SECRET_KEY,  # the bank account numbers are encrypted with a key derived from it
        "OUTBOX_KEY": settings.OUTBOX_KEY,
        "LOG_LEVEL": "WARNING",
        "PAUSE_AT": where,
        "PAUSE_AFTER": str(pause_after),
        **extra,
    }


def run_job(
    *, where: str = "between", kill_after: int | None = None, child: str = CHILD, **extra_env: str
) -> list[str]:
    """Run the job (`child`: another job's script, with `extra_env`) in a child process; SIGKILL it once it has
    reached `kill_after` points (None: let it finish). Returns the lines it reported."""
    process = subprocess.Popen(
        [sys.executable, "-c", child],
        cwd=settings.BASE_DIR,
        env=_child_env(where=where, pause_after=kill_after or 0, **extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reported: list[str] = []
    deadline = time.monotonic() + CHILD_TIMEOUT
    try:
        for raw in process.stdout:
            if raw.startswith(("REACHED", "DONE")):
                reported.append(raw.strip())
            if kill_after is not None and sum(line.startswith("REACHED") for line in reported) >= kill_after:
                os.kill(process.pid, signal.SIGKILL)
                break
            assert time.monotonic() < deadline, "the job took too long"
        process.wait(timeout=CHILD_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if kill_after is not None:
        assert process.returncode == -signal.SIGKILL, process.stderr.read()
    else:
        assert process.returncode == 0, process.stderr.read()
    return reported


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
    reported = run_job(where=where, kill_after=KILL_AFTER)
    assert not any(line.startswith("DONE") for line in reported)
    postings = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND_ISSUED)
    assert postings.count() == issued_when_killed
    assert Refund.objects.filter(status=Refund.Status.ISSUED).count() == issued_when_killed
    assert RefundPaymentFile.objects.filter(
        closed_at__isnull=True
    ).exists()  # the killed run's file, left open

    reported = run_job()
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
    assert run_job() == ["DONE 0"]
