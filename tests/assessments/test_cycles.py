"""The biweekly marked-fuel refund cycle (assessments/cycles/, issue 15 items 1-2 and its bad input): claim
periods of 14 days from the anchor; per seller the carbon levy on the AFFB sales processed in the period at the
rate for its fuel on its sale date, filed by TRACS as a claim, assessed, credited, refunded once (approved by
TRACS at or below the threshold, four eyes above); nothing twice, whatever is run again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor
from accounts.models import AccessLogEntry
from assessments import refunds, selectors
from assessments.cycles import services, sql
from assessments.cycles.models import CycleClaim, CycleRun
from assessments.models import ClaimAssessment, LedgerTransaction, Refund, RefundPaymentFile
from filings import claims as filing_claims
from filings.definitions.marked_fuel_refund import MARKED_FUEL_REFUND, claim_period_of
from filings.models import Claim
from filings.periods import Period
from programs.models import DirectDeposit
from tests.accounts.factories import UserFactory
from tests.assessments.cycle_helpers import JUNE_2019, MARCH_2018, NEXT, after, during, sale, tefs_seller
from tests.test_celery_worker import connect_kwargs

Kind = LedgerTransaction.Kind
JOB = Actor.job("refund_cycle_due")


def run(period: Period, *, when=None):
    with time_machine.travel(when or after(period), tick=False):
        return services.cycle_run(period=period, actor=JOB)


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (date(2017, 1, 2), date(2017, 1, 2)),  # the anchor starts one
        (date(2017, 1, 15), date(2017, 1, 2)),  # its 14th day
        (date(2017, 1, 16), date(2017, 1, 16)),  # the next
        (date(2017, 1, 1), date(2016, 12, 19)),  # the day before the anchor: the period before
        (date(2018, 3, 14), date(2018, 3, 12)),  # 434 days = 31 periods after the anchor
    ],
)
def test_claim_periods_are_14_days_from_the_anchor(day, start):
    period = claim_period_of(day)
    assert (period.start, period.kind, period.days) == (start, "biweekly", 14)


def test_a_day_that_starts_no_period_is_refused(db):
    with pytest.raises(services.CycleRefused) as refused:
        services.claim_period_from_start(date(2018, 3, 13))
    assert refused.value.code == "not_a_period"


@pytest.fixture
def sellers(db):
    prairie = tefs_seller("Prairie Fuels Ltd.")
    aspen = tefs_seller("Aspen Co-op")
    return prairie, aspen


def test_the_cycle_refunds_each_seller_the_levy_on_its_affb_sales(sellers):
    """Prairie: 1,000 L marked diesel x $0.0803 + 500.5 L marked gasoline x $0.0673 = $80.30 + $33.68 = $113.98;
    a TEFU sale (not a farmer's) and a sale accepted after the period are not counted. Aspen: 2,000 L diesel
    sold 2017-12-30 (at 2017's $0.0535, its sale date's rate) and accepted in the period = $107.00."""
    prairie, aspen = sellers
    sale(prairie, accepted=during(MARCH_2018, 1))
    sale(prairie, accepted=during(MARCH_2018, 5), fuel="marked_gasoline", litres="500.5")
    sale(prairie, accepted=during(MARCH_2018, 6), exemption_kind="tefu", litres="9999")
    sale(prairie, accepted=during(NEXT, 0, hour=0))
    sale(aspen, accepted=during(MARCH_2018, 2), sale_date=date(2017, 12, 30), litres="2000")

    cycle = run(MARCH_2018)

    assert (cycle.status, cycle.sellers, cycle.claims, cycle.refunds) == ("done", 2, 2, 2)
    assert cycle.total_refunded == Decimal("220.98")
    mine = CycleClaim.objects.get(account=prairie)
    assert (mine.sales, mine.litres, mine.levy, mine.status) == (
        2,
        Decimal("1500.500"),
        Decimal("113.98"),
        "paid",
    )
    claim = mine.claim
    assert claim.kind == Claim.Kind.MARKED_FUEL_REFUND
    assert claim.confirmation_number.startswith("MR-201803-")
    assert (claim.period_start, claim.period_end, claim.total_refund) == (
        date(2018, 3, 12),
        date(2018, 3, 25),
        Decimal("113.98"),
    )
    assert claim.filed_by is None
    assert claim.status == Claim.Status.ASSESSED
    assert sorted((line.fuel, line.rate_value, line.refund) for line in claim.lines.all()) == [
        ("marked_diesel", Decimal("0.080300"), Decimal("80.30")),
        ("marked_gasoline", Decimal("0.067300"), Decimal("33.68")),
    ]
    assessment = ClaimAssessment.objects.get(claim=claim)
    assert (assessment.allowed, assessment.assessed_by) == (Decimal("113.98"), None)
    refund = mine.refund
    assert (refund.status, refund.method, refund.amount) == ("issued", "direct_deposit", Decimal("113.98"))
    assert refund.approved_by_system
    assert refund.first_approved_by is None
    assert refund.payment_file.closed_at is not None
    assert selectors.account_balance(account=prairie) == 0  # credited, then paid out
    theirs = CycleClaim.objects.get(account=aspen)
    assert theirs.levy == Decimal("107.00")
    assert theirs.claim.lines.get().rate_effective_from == date(2017, 1, 1)


def test_run_twice_and_rerun_later_pays_nothing_twice(sellers):
    prairie, _ = sellers
    sale(prairie, accepted=during(MARCH_2018, 1))
    run(MARCH_2018)
    again = run(MARCH_2018)
    later = run(MARCH_2018, when=after(NEXT))

    assert (again.computed, again.claims, again.refunds) == (0, 0, 0)
    assert later.claims == 0
    assert later.sellers == 1
    assert Claim.objects.filter(account=prairie).count() == 1
    assert Refund.objects.filter(account=prairie).count() == 1
    assert LedgerTransaction.objects.filter(account=prairie, kind=Kind.REFUND_ISSUED).count() == 1
    assert CycleRun.objects.filter(period_start=MARCH_2018.start).count() == 3


def test_a_period_not_ended_is_refused_and_nothing_is_written(sellers):
    with (
        time_machine.travel(during(MARCH_2018, 13, hour=23), tick=False),
        pytest.raises(services.CycleRefused) as no,
    ):
        services.cycle_run(period=MARCH_2018, actor=JOB)
    assert no.value.code == "period_not_ended"
    assert "2018-03-26" in no.value.messages[0]
    assert not CycleRun.objects.exists()


def test_sales_after_the_repeal_earn_nothing_and_the_run_says_so(sellers):
    prairie, _ = sellers
    sale(prairie, accepted=during(JUNE_2019, 1))
    cycle = run(JUNE_2019)
    mine = CycleClaim.objects.get(account=prairie)
    assert (cycle.status, cycle.sellers, cycle.claims, cycle.total_refunded) == ("done", 1, 0, 0)
    assert (mine.sales, mine.levy, mine.lines, mine.status, mine.claim) == (1, 0, [], "nothing", None)
    assert not Claim.objects.exists()
    assert not LedgerTransaction.objects.exists()


def test_a_period_without_sales_is_recorded(db):
    cycle = run(MARCH_2018)
    assert (cycle.status, cycle.sellers, cycle.claims, cycle.refunds) == ("done", 0, 0, 0)
    assert cycle.duration is not None


def test_banking_removed_pays_by_cheque_to_the_address_of_record(sellers):
    prairie, _ = sellers
    DirectDeposit.objects.filter(account=prairie).delete()
    sale(prairie, accepted=during(MARCH_2018, 1))
    run(MARCH_2018)
    refund = CycleClaim.objects.get(account=prairie).refund
    assert (refund.method, refund.address_line1, refund.status) == ("cheque", "100 Main Street", "issued")
    assert refund.claim_assessment.claim.refund_method == "cheque"
    assert refund.payment_file.kind == RefundPaymentFile.Kind.CHEQUE


def test_an_account_closed_mid_period_is_paid_for_its_sales(sellers):
    prairie, _ = sellers
    sale(prairie, accepted=during(MARCH_2018, 1))
    prairie.closed_on = during(MARCH_2018, 4).date()
    prairie.save()
    run(MARCH_2018)
    assert CycleClaim.objects.get(account=prairie).status == "paid"


def test_above_the_threshold_two_approvers_then_the_refund_job_issues_it(sellers, settings):
    settings.TRACS_REFUND_SECOND_APPROVAL_ABOVE = Decimal("50.00")
    prairie, _ = sellers
    sale(prairie, accepted=during(MARCH_2018, 1))  # $80.30
    cycle = run(MARCH_2018)
    mine = CycleClaim.objects.get(account=prairie)
    assert (mine.status, cycle.awaiting_approval, cycle.refunds) == ("awaiting_approval", 1, 0)
    refund = mine.refund
    with pytest.raises(refunds.RefundRefused) as alone:
        refunds.refund_approve_by_system(refund=refund, actor=JOB)
    assert alone.value.code == "system_approval_above"
    first, second = (UserFactory(is_staff=True, is_superuser=True) for _ in range(2))
    for person in (first, second):
        refunds.refund_approve(refund=refund, actor=Actor.job("admin", user=person))
    refunds.refunds_issue(actor=JOB)
    refund.refresh_from_db()
    assert refund.status == "issued"
    assert not refund.approved_by_system


def test_a_sale_corrected_after_payment_is_taken_back_in_the_next_period(sellers):
    """Paid in March: 1,000 L + 2,000 L diesel ($80.30 + $160.60). In the next period the first is voided, the
    second amended to 1,500 L, and a new sale of 500 L: claim 1,500 + 500 = 2,000 L ($160.60), the levy paid on
    the 3,000 L replaced taken back ($240.90): refund nothing, $80.30 owing."""
    prairie, _ = sellers
    first = sale(prairie, accepted=during(MARCH_2018, 1), sale_date=date(2018, 3, 12))
    second = sale(prairie, accepted=during(MARCH_2018, 2), sale_date=date(2018, 3, 13), litres="2000")
    run(MARCH_2018)
    paid = CycleClaim.objects.get(account=prairie, period_start=MARCH_2018.start)
    assert paid.levy == Decimal("240.90")

    sale(prairie, accepted=during(NEXT, 1), corrects=first, kind="void", sale_date=first.sale_date)
    sale(
        prairie,
        accepted=during(NEXT, 2),
        corrects=second,
        kind="amendment",
        sale_date=second.sale_date,
        litres="1500",
    )
    sale(prairie, accepted=during(NEXT, 3), litres="500")
    run(NEXT)

    adjusted = CycleClaim.objects.get(account=prairie, period_start=NEXT.start)
    assert (adjusted.sales, adjusted.levy, adjusted.adjustment, adjusted.corrections) == (
        2,
        Decimal("160.60"),
        Decimal("-240.90"),
        2,
    )
    assert adjusted.status == "credited"
    assert adjusted.refund is None
    paid.refresh_from_db()
    assert paid.claim.total_refund == Decimal("240.90")  # the paid claim is never changed
    taken_back = LedgerTransaction.objects.get(account=prairie, kind=Kind.ASSESSED_TAX)
    assert taken_back.amount == Decimal("240.90")
    assert selectors.account_balance(account=prairie) == Decimal("80.30")


def test_a_sale_amended_within_its_period_counts_once_as_amended(sellers):
    prairie, _ = sellers
    original = sale(prairie, accepted=during(MARCH_2018, 1))
    sale(
        prairie,
        accepted=during(MARCH_2018, 2),
        corrects=original,
        kind="amendment",
        litres="100",
        sale_date=original.sale_date,
    )
    run(MARCH_2018)
    mine = CycleClaim.objects.get(account=prairie)
    assert (mine.sales, mine.litres, mine.levy, mine.adjustment) == (
        1,
        Decimal("100.000"),
        Decimal("8.03"),
        0,
    )


def test_two_runs_at_once_one_runs_the_other_says_so(sellers):
    """Another session holds the period's lock (a run in progress): this one is refused, writing nothing."""
    CycleRun.objects.create(
        period_start=MARCH_2018.start, period_end=MARCH_2018.end, started_at=after(MARCH_2018)
    )
    with psycopg.connect(**connect_kwargs(connection.settings_dict), autocommit=True) as other:
        other.execute(
            "SELECT pg_advisory_lock(%s, %s)", [services.LOCK_NAMESPACE, MARCH_2018.start.toordinal()]
        )
        with pytest.raises(services.CycleRefused) as busy:
            run(MARCH_2018)
    assert busy.value.code == "running"
    assert "already running (started 2018-03-26 02:30)" in busy.value.messages[0]
    assert CycleRun.objects.count() == 1
    assert not CycleClaim.objects.exists()


def test_nobody_files_the_automatic_claim_by_hand(sellers):
    prairie, _ = sellers
    person = UserFactory()
    with pytest.raises(filing_claims.ValidationError) as refused:
        filing_claims.claim_submit(
            account=prairie,
            kind=Claim.Kind.MARKED_FUEL_REFUND,
            lines=[],
            certified_name="A",
            certified_capacity="B",
            actor=Actor.job("web", user=person),
            submission_token=filing_claims.submission_token_new(),
        )
    assert refused.value.code == "system_filed"
    assert filing_claims.claim_kinds_for(account=prairie) == ()


def test_the_claim_and_its_refund_show_under_view_assessment_status(sellers, client):
    from django.urls import reverse

    from tests.conftest import sign_in
    from tests.consent.factories import owner_grant

    prairie, _ = sellers
    owner = UserFactory()
    owner_grant(account=prairie, user=owner)
    sale(prairie, accepted=during(MARCH_2018, 1))
    run(MARCH_2018)
    claim = Claim.objects.get(account=prairie)
    page = sign_in(client, owner).get(reverse("assessment_status", kwargs={"number": prairie.number}))
    assert page.status_code == 200
    text = page.content.decode()
    assert claim.confirmation_number in text
    assert "Marked-fuel carbon levy refund" in text
    assert "$80.30" in text


def test_the_beat_runs_the_period_that_ended_yesterday_once(sellers):
    from assessments.cycles.tasks import refund_cycle_due

    prairie, _ = sellers
    sale(prairie, accepted=during(MARCH_2018, 1))
    with time_machine.travel(after(MARCH_2018), tick=False):
        first = refund_cycle_due()
        assert refund_cycle_due() is None  # the next day's run, or a second beat: already done
    assert CycleRun.objects.get(pk=first).period_start == MARCH_2018.start
    with time_machine.travel(during(NEXT, 13, hour=23), tick=False):
        assert refund_cycle_due() is None  # the next period has not ended: still March's, done
    assert Claim.objects.filter(account=prairie).count() == 1


def test_a_seller_is_one_unit_its_eight_access_log_rows_in_one_statement(sellers):
    """One seller's transaction is a unit (accounts/units.py): the services it calls open no savepoints of their
    own but refund_prepare's and the confirmation number's (whose refusals or clashes the caller carries on from),
    the account's ledger lock is taken once, and the eight access-log rows (claim filed, status changed, credit
    posted, claim assessed, refund prepared, approved, posted, issued) go in one statement. 43 statements a seller
    where there were 83 (ADR 0022, "Measured")."""
    prairie, _ = sellers
    sale(prairie, accepted=during(MARCH_2018, 1))
    with time_machine.travel(after(MARCH_2018), tick=False):
        starts, ends = services.period_bounds(MARCH_2018)
        cycle = CycleRun.objects.create(
            period_start=MARCH_2018.start, period_end=MARCH_2018.end, started_at=after(MARCH_2018)
        )
        sql.seller_totals_compute(
            run_id=cycle.pk,
            period_start=MARCH_2018.start,
            period_end=MARCH_2018.end,
            starts=starts,
            ends=ends,
        )
        pk = CycleClaim.objects.get(account=prairie).pk
        before = AccessLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with CaptureQueriesContext(connection) as queries:
            assert services.cycle_claim_settle(cycle_claim_id=pk, actor=JOB) == "paid"

    statements = [query["sql"] for query in queries.captured_queries]
    logged = [sql for sql in statements if sql.startswith('INSERT INTO "accounts_accesslogentry"')]
    assert len(logged) == 1
    assert list(
        AccessLogEntry.objects.filter(account_number=prairie.number, id__gt=before)
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        MARKED_FUEL_REFUND.access_log_action(),
        "claim status changed",
        "ledger transaction posted",
        "claim assessment",
        "refund prepared",
        "refund approved",
        "ledger transaction posted",
        "refund issued",
    ]
    assert sum("pg_advisory_xact_lock" in sql for sql in statements) == 1
    # The unit's own savepoint (inside the test's transaction), the confirmation number's, refund_prepare's two,
    # and the one that opens the payment file (this is its first refund).
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) == 5
    assert len(statements) <= 47
