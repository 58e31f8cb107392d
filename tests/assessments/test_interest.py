"""Interest on amounts owing (issue 6, item 5): the worked example to the cent, a quarter boundary crossed
day by day, the daily job safe to run twice and to miss days (the same total), penalties bearing interest from
the day after their assessment, and the balance going to zero once tax, penalty and interest are paid."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from assessments import interest, rules, selectors
from assessments.models import LedgerTransaction
from assessments.services import ledger
from assessments.tasks import accrue_interest
from tests.assessments.factories import acting, assess
from tests.filings.factories import edmonton, file_return

Kind = LedgerTransaction.Kind
JUNE_END = date(2021, 6, 30)


def late_june_2021(
    *, account, owner, capture, received=date(2021, 8, 15), assessed=date(2021, 8, 20), paid=None
):
    """The June 2021 return ($13,800.00, due 2021-07-28) received late; optionally paid in full on `paid`
    before it is assessed; assessed on `assessed`."""
    with time_machine.travel(edmonton(received.year, received.month, received.day, 10), tick=False):
        tax_return = file_return(
            account=account,
            period="2021-06",
            user=owner,
            clear_gasoline__taxable="100000",
            marked_diesel__taxable="20000",
        )
    if paid is not None:
        pay(account=account, amount="13800.00", on=paid, reference="PAY-1")
    assess(capture, tax_return=tax_return, when=edmonton(assessed.year, assessed.month, assessed.day))
    return tax_return


def pay(*, account, amount: str, on: date, reference: str):
    return ledger.ledger_post(
        account=account,
        period_end=JUNE_END,
        kind=Kind.PAYMENT,
        amount=-Decimal(amount),
        description="Payment received",
        processed_on=on,
        effective_on=on,
        source_reference=reference,
        actor=acting(),
    )


def interest_posted(account) -> Decimal:
    return sum(
        LedgerTransaction.objects.filter(account=account, kind=Kind.INTEREST).values_list(
            "amount", flat=True
        ),
        start=Decimal("0.00"),
    )


def test_worked_example_paid_in_full_on_2021_08_15(account, owner, django_capture_on_commit_callbacks):
    """$13,800.00 due 2021-07-28, paid in full on 2021-08-15: interest runs 2021-07-29 through 2021-08-15, 18 days.

    r = the 2021 Q3 debit rate of assessments/rules/interest_rates.yaml: 4.5% a year. Its source says so
    plainly: TRA's table after 2015 Q3 could not be retrieved, and 2015 Q3's published 4.5% (TRA, "Prescribed
    Interest Rates", June 4, 2015) is carried forward until verified.
    $13,800.00 x 4.5% x 18 / 365 = $11,178.00 / 365 = $30.6246... -> $30.62.
    (The penalty, $450.00 = 18 x $25 since nothing was unpaid at assessment, is assessed 2021-08-20 and bears
    interest only from 2021-08-21: the accrual through 2021-08-20 holds none of it.)"""
    rate = rules.rule_on(rule=interest.DEBIT_RATE, day=date(2021, 7, 1))
    assert rate.value == Decimal("4.5")
    assert "NOT VERIFIED" in rate.source
    late_june_2021(
        account=account, owner=owner, capture=django_capture_on_commit_callbacks, paid=date(2021, 8, 15)
    )
    posted = interest.interest_accrue(
        account=account, period_end=JUNE_END, through=date(2021, 8, 20), actor=acting()
    )
    assert posted.amount == Decimal("30.62")
    assert posted.amount == (Decimal("13800.00") * rate.value / 100 * 18 / 365).quantize(Decimal("0.01"))
    assert posted.effective_on == date(2021, 8, 20)
    assert "2021-07-29 through 2021-08-20" in posted.description


def test_quarter_boundary_uses_each_days_rate():
    """$10,000.00 due 2013-09-28: 2013-09-29 and -30 at 4.5% (Q3), 2013-10-01 through -10 at 5.5% (Q4, TRA's
    table): $10,000 x (2 x 4.5% + 10 x 5.5%) / 365 = $10,000 x 0.64 / 365 = $17.5342... -> $17.53. Across 2014
    Q1 (back to 4.5%): 2013-12-30 and -31 at 5.5%, 2014-01-01 through -03 at 4.5%: $10,000 x (0.11 + 0.135) /
    365 = $6.712... -> $6.71."""
    tax = LedgerTransaction(
        kind=Kind.ASSESSED_TAX, amount=Decimal("10000.00"), effective_on=date(2013, 9, 28)
    )
    segments = interest.compute(entries=[tax], due_on=date(2013, 9, 28), through=date(2013, 10, 10))
    assert [(s.first, s.days, s.rate) for s in segments] == [
        (date(2013, 9, 29), 2, Decimal("4.5")),
        (date(2013, 10, 1), 10, Decimal("5.5")),
    ]
    assert sum(s.interest for s in segments).quantize(Decimal("0.01")) == Decimal("17.53")
    segments = interest.compute(entries=[tax], due_on=date(2013, 12, 29), through=date(2014, 1, 3))
    assert [(s.days, s.rate) for s in segments] == [(2, Decimal("5.5")), (3, Decimal("4.5"))]
    assert sum(s.interest for s in segments).quantize(Decimal("0.01")) == Decimal("6.71")


def test_payment_day_bears_interest_and_a_part_payment_lowers_the_principal():
    """$1,000.00 due 2021-07-28; $600.00 paid 2021-07-31: 3 days (07-29..31) on $1,000, then 2 days on $400:
    (3 x 1,000 + 2 x 400) x 4.5% / 365 = 3,800 x 0.045 / 365 = $0.4684... -> $0.47."""
    entries = [
        LedgerTransaction(kind=Kind.ASSESSED_TAX, amount=Decimal("1000.00"), effective_on=date(2021, 7, 28)),
        LedgerTransaction(kind=Kind.PAYMENT, amount=Decimal("-600.00"), effective_on=date(2021, 7, 31)),
    ]
    segments = interest.compute(entries=entries, due_on=date(2021, 7, 28), through=date(2021, 8, 2))
    assert sum(s.interest for s in segments).quantize(Decimal("0.01")) == Decimal("0.47")


def run_daily(account, first: date, last: date, *, skip=(), twice=False):
    day = first
    while day <= last:
        if day not in skip:
            with time_machine.travel(edmonton(day.year, day.month, day.day, 1, 15), tick=False):
                accrue_interest()
                if twice:
                    accrue_interest()
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "how",
    [
        pytest.param({}, id="every-day"),
        pytest.param({"twice": True}, id="every-day-twice"),
        pytest.param({"skip": {date(2021, 8, 25), date(2021, 8, 26), date(2021, 9, 2)}}, id="missed-days"),
    ],
)
def test_daily_job_same_total_run_twice_or_after_missed_days(
    account, owner, django_capture_on_commit_callbacks, how
):
    """Not paid: $13,800.00 from 2021-07-29 and the $690.00 penalty from 2021-08-21, both through 2021-09-04
    (the job of 2021-09-05 accrues through yesterday): 38 days on $13,800 and 15 days on $690 at 4.5%:
    (38 x 13,800 + 15 x 690) x 0.045 / 365 = (524,400 + 10,350) x 0.045 / 365 = 24,063.75 / 365 = $65.9280...
    -> $65.93, whichever way the job ran."""
    late_june_2021(account=account, owner=owner, capture=django_capture_on_commit_callbacks)
    run_daily(account, date(2021, 8, 21), date(2021, 9, 5), **how)
    assert interest_posted(account) == Decimal("65.93")
    sources = list(
        LedgerTransaction.objects.filter(kind=Kind.INTEREST).values_list("source_reference", flat=True)
    )
    assert len(sources) == len(set(sources))


def test_running_the_same_day_again_posts_nothing(account, owner, django_capture_on_commit_callbacks):
    late_june_2021(account=account, owner=owner, capture=django_capture_on_commit_callbacks)
    first = interest.interest_accrue(
        account=account, period_end=JUNE_END, through=date(2021, 8, 31), actor=acting()
    )
    assert first is not None
    assert (
        interest.interest_accrue(
            account=account, period_end=JUNE_END, through=date(2021, 8, 31), actor=acting()
        )
        is None
    )
    assert interest.interest_accrue_all(through=date(2021, 8, 31), actor=acting()) == 0
    assert LedgerTransaction.objects.filter(kind=Kind.INTEREST).count() == 1


def test_no_interest_before_the_day_after_the_due_date(account, owner, django_capture_on_commit_callbacks):
    late_june_2021(account=account, owner=owner, capture=django_capture_on_commit_callbacks)
    assert (
        interest.interest_accrue(
            account=account, period_end=JUNE_END, through=date(2021, 7, 28), actor=acting()
        )
        is None
    )


def test_balance_goes_to_zero_after_paying_tax_penalty_and_interest(
    account, owner, django_capture_on_commit_callbacks
):
    """Assessed 2021-08-20: $13,800.00 + $690.00 penalty. Paid in full on 2021-09-01, what the balance says once
    the job of 2021-09-02 has accrued interest through 2021-09-01: 35 days on $13,800 (07-29..09-01) and 12 days
    on $690 (08-21..09-01): (483,000 + 8,280) x 0.045 / 365 = $60.5687... -> $60.57; $14,550.57 paid. Later
    runs post nothing more: the balance stays $0.00."""
    late_june_2021(account=account, owner=owner, capture=django_capture_on_commit_callbacks)
    run_daily(account, date(2021, 8, 21), date(2021, 9, 2))
    owing = selectors.account_balance(account=account)
    assert owing == Decimal("14550.57")
    pay(account=account, amount=str(owing), on=date(2021, 9, 1), reference="PAY-ALL")
    run_daily(account, date(2021, 9, 3), date(2021, 9, 10))
    assert selectors.account_balance(account=account) == Decimal("0.00")
    assert ledger.ledger_check(account=account).ok


def test_interest_rules_are_dated_quarterly_data_with_sources():
    def rate(day):
        return rules.rule_on(rule=interest.DEBIT_RATE, day=day)

    assert rate(date(2009, 4, 1)).value == Decimal("4.5")
    assert rate(date(2013, 11, 15)).value == Decimal("5.5")
    assert rate(date(2014, 1, 1)).value == Decimal("4.5")
    assert rate(date(2015, 9, 30)).value == Decimal("4.5")
    assert "Prescribed Interest Rates" in rate(date(2012, 5, 5)).source
    assert rate(date(2026, 12, 31)).effective_from == date(2026, 10, 1)
    quarters = [row.effective_from for row in rules.rules()[interest.DEBIT_RATE].values]
    assert all(day.day == 1 and day.month in (1, 4, 7, 10) for day in quarters)
    bears = rules.rule_on(rule=interest.PENALTIES_BEAR_INTEREST, day=date(2021, 8, 1))
    assert bears.value == Decimal("1")
    assert bears.source


def test_the_daily_job_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["assessments-accrue-interest"]
    assert entry["task"] == "assessments.tasks.accrue_interest"
    assert accrue_interest.name == entry["task"]
