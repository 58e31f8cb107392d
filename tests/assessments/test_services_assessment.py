"""Assessing returns: the worked examples of issue 6, the tolerance at its edges, reassessments that keep what
came before, refusals that write nothing, the automatic assessment of clean returns, and the database refusing
to change an issued assessment."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AccessLogEntry
from assessments import selectors
from assessments.models import Assessment, AssessmentLine, LedgerTransaction, Notice
from assessments.services import returns
from assessments.tasks import assess_clean_returns
from filings.models import FuelTaxReturn
from tests.assessments.factories import acting, assess, june_2021, reported_as
from tests.filings.factories import amend_return, edmonton, file_return


@pytest.mark.parametrize(
    ("period", "expected_total", "expected_lines"),
    [
        pytest.param(
            "2021-06",
            Decimal("13800.00"),
            [
                ("clear_gasoline", Decimal("0.130000"), date(2015, 3, 27), Decimal("13000.00")),
                ("marked_diesel", Decimal("0.040000"), date(2015, 4, 1), Decimal("800.00")),
            ],
            id="june-2021",
        ),
        pytest.param(
            "2022-06",
            Decimal("0.00"),
            [
                ("clear_gasoline", Decimal("0.000000"), date(2022, 4, 1), Decimal("0.00")),
                ("marked_diesel", Decimal("0.000000"), date(2022, 4, 1), Decimal("0.00")),
            ],
            id="june-2022",
        ),
    ],
)
def test_worked_examples(
    account, owner, django_capture_on_commit_callbacks, period, expected_total, expected_lines
):
    """100,000 L clear gasoline and 20,000 L marked diesel, all taxable.

    June 2021: 100,000 x $0.13 = $13,000.00 + 20,000 x $0.04 = $800.00 -> $13,800.00, due 2021-07-28 (the 28th
    of the month after the period, a Wednesday). June 2022 (fuel tax relief from 2022-04-01, rate 0):
    100,000 x $0 + 20,000 x $0 = $0.00. Each line copies the rate it applied and the date it was in force from.
    """
    year, month = (int(part) for part in period.split("-"))
    with django_capture_on_commit_callbacks(execute=True):
        import time_machine

        with time_machine.travel(edmonton(year, month + 1, 5), tick=False):
            tax_return = file_return(
                account=account, period=period, user=owner,
                clear_gasoline__taxable="100000", marked_diesel__taxable="20000",
            )  # fmt: skip
        with time_machine.travel(edmonton(year, month + 1, 10), tick=False):
            assessment = returns.assessment_make(tax_return=tax_return, actor=acting())
    assert assessment.kind == Assessment.Kind.ASSESSMENT
    assert assessment.sequence == 1
    assert assessment.assessed_by is None  # automatic: a clean return
    assert (assessment.reported_tax, assessment.recomputed_tax, assessment.difference) == (
        expected_total,
        expected_total,
        Decimal("0.00"),
    )
    assert assessment.assessed_tax == expected_total
    assert assessment.change == expected_total
    assert not assessment.tolerance_applied
    assert assessment.tolerance == Decimal("20.00")
    lines = list(
        assessment.lines.order_by("id").values_list(
            "fuel", "rate_value", "rate_effective_from", "tax_assessed"
        )
    )
    assert lines == expected_lines
    if period == "2021-06":
        assert assessment.payment_due_on == date(2021, 7, 28)
        assert assessment.objection_deadline == date(2021, 10, 8)  # 2021-07-10 + 90 days
    # The ledger holds the assessed tax, effective on the due date; the return is assessed and processed.
    posting = LedgerTransaction.objects.get(account=account)
    assert (posting.kind, posting.amount, posting.period_end) == (
        "assessed_tax",
        expected_total,
        tax_return.period_end,
    )
    assert posting.effective_on == tax_return.due_on
    assert selectors.account_balance(account=account) == expected_total
    tax_return.refresh_from_db()
    assert tax_return.status == FuelTaxReturn.Status.ASSESSED
    assert timezone.localtime(tax_return.processed_at).date() == date(year, month + 1, 10)
    # Its notice was issued by the on-commit job.
    assert Notice.objects.get(assessment=assessment).reference.startswith(f"NA-{year}{month:02d}-")


@pytest.mark.parametrize(
    ("reported_gasoline_tax", "difference", "within", "assessed"),
    [
        # recomputed $13,800.00; reported $13,780.00: +$20.00, within the tolerance, the reported tax stands
        ("12980.00", Decimal("20.00"), True, Decimal("13780.00")),
        # reported $13,779.99: +$20.01, beyond it: the recomputed tax is assessed ($20.01 collected)
        ("12979.99", Decimal("20.01"), False, Decimal("13800.00")),
        # reported $13,820.00: -$20.00, within: not refunded
        ("13020.00", Decimal("-20.00"), True, Decimal("13820.00")),
        # reported $13,820.01: -$20.01, beyond: $20.01 refunded (assessed below what was reported)
        ("13020.01", Decimal("-20.01"), False, Decimal("13800.00")),
    ],
    ids=["plus-20.00", "plus-20.01", "minus-20.00", "minus-20.01"],
)
def test_tolerance_edges(
    account,
    owner,
    staff,
    django_capture_on_commit_callbacks,
    reported_gasoline_tax,
    difference,
    within,
    assessed,
):
    """A difference of $20 or less is neither collected nor refunded (assessments/rules/assessment.yaml).
    June 2021 recomputes to $13,000.00 + $800.00 = $13,800.00; the return reports its gasoline line as shown."""
    tax_return = reported_as(
        june_2021(account=account, user=owner), clear_gasoline__taxable=reported_gasoline_tax
    )
    assessment = assess(django_capture_on_commit_callbacks, tax_return=tax_return, by=staff)
    assert assessment.difference == difference
    assert assessment.tolerance_applied is within
    assert assessment.assessed_tax == assessed
    assert selectors.account_balance(account=account) == assessed
    line = assessment.lines.get(fuel="clear_gasoline")
    assert line.tax_assessed == Decimal("13000.00")
    assert line.difference == Decimal("13000.00") - Decimal(reported_gasoline_tax)
    assert "100,000 L x $0.13/L = $13,000.00" in line.reason
    assert assessment.lines.get(fuel="marked_diesel").reason == ""


def test_a_reassessment_is_a_new_assessment_and_keeps_the_old_one(
    account, owner, staff, django_capture_on_commit_callbacks
):
    """Assessed at $13,800.00; an audit finds 90,000 L of clear gasoline, not 100,000: 90,000 x $0.13 =
    $11,700.00 + $800.00 = $12,500.00, a change of -$1,300.00 posted; the first assessment and notice stay."""
    tax_return = june_2021(account=account, user=owner)
    first = assess(django_capture_on_commit_callbacks, tax_return=tax_return, by=staff)
    first_row = Assessment.objects.filter(pk=first.pk).values().get()
    with django_capture_on_commit_callbacks(execute=True):
        second = returns.reassessment_make(
            tax_return=tax_return,
            actor=acting(staff),
            reason="Audit of bills of lading",
            adjustments={("clear_gasoline", "taxable"): "90000"},
        )
    assert (second.kind, second.sequence) == (Assessment.Kind.REASSESSMENT, 2)
    assert second.previously_assessed_tax == Decimal("13800.00")
    assert second.assessed_tax == Decimal("12500.00")
    assert second.change == Decimal("-1300.00")
    assert second.reason == "Audit of bills of lading"
    assert "Litres adjusted from 100,000 L to 90,000 L." in second.lines.get(fuel="clear_gasoline").reason
    assert Assessment.objects.filter(pk=first.pk).values().get() == first_row  # untouched
    assert list(
        LedgerTransaction.objects.filter(account=account).order_by("id").values_list("amount", flat=True)
    ) == [
        Decimal("13800.00"),
        Decimal("-1300.00"),
    ]
    assert selectors.account_balance(account=account) == Decimal("12500.00")
    assert sorted(Notice.objects.filter(account=account).values_list("kind", flat=True)) == [
        "assessment",
        "reassessment",
    ]
    tax_return.refresh_from_db()
    assert tax_return.status == FuelTaxReturn.Status.REASSESSED


def test_an_amended_return_after_the_assessment_is_a_reassessment_of_the_period(
    account, owner, django_capture_on_commit_callbacks
):
    """Assessed at $13,800.00; the amended return reports 110,000 L: 110,000 x $0.13 + $800.00 = $15,100.00,
    a change of +$1,300.00."""
    original = june_2021(account=account, user=owner)
    assess(django_capture_on_commit_callbacks, tax_return=original)
    amended = amend_return(
        original=original, user=owner, clear_gasoline__taxable="110000", marked_diesel__taxable="20000"
    )
    second = assess(django_capture_on_commit_callbacks, tax_return=amended)
    assert (second.kind, second.sequence, second.tax_return) == (Assessment.Kind.REASSESSMENT, 2, amended)
    assert second.change == Decimal("1300.00")
    assert selectors.account_balance(account=account) == Decimal("15100.00")
    amended.refresh_from_db()
    assert amended.status == FuelTaxReturn.Status.ASSESSED


def _nothing_written(account):
    return (
        Assessment.objects.filter(account=account).count(),
        AssessmentLine.objects.filter(assessment__account=account).count(),
        LedgerTransaction.objects.filter(account=account).count(),
        Notice.objects.filter(account=account).count(),
    )


def test_a_return_not_received_is_refused_and_nothing_is_written(
    account, owner, django_capture_on_commit_callbacks
):
    tax_return = june_2021(account=account, user=owner)
    assess(django_capture_on_commit_callbacks, tax_return=tax_return)
    before = _nothing_written(account)
    log_before = AccessLogEntry.objects.count()
    with pytest.raises(returns.AssessmentRefused) as refused:
        returns.assessment_make(tax_return=tax_return, actor=acting())
    assert refused.value.messages == [
        str(returns.NOT_RECEIVED % {"number": tax_return.confirmation_number, "status": "Assessed"})
    ]
    assert _nothing_written(account) == before
    assert AccessLogEntry.objects.count() == log_before


def test_a_return_never_assessed_cannot_be_reassessed(account, owner, staff):
    tax_return = june_2021(account=account, user=owner)
    with pytest.raises(returns.AssessmentRefused) as refused:
        returns.reassessment_make(tax_return=tax_return, actor=acting(staff), reason="Audit")
    assert refused.value.code == "not_assessed"
    with pytest.raises(returns.AssessmentRefused) as no_reason:
        returns.reassessment_make(tax_return=tax_return, actor=acting(staff), reason="  ")
    assert no_reason.value.messages == [str(returns.REASON_REQUIRED)]
    assert _nothing_written(account) == (0, 0, 0, 0)


def test_a_superseded_version_is_refused(account, owner):
    original = june_2021(account=account, user=owner)
    amend_return(original=original, user=owner, clear_gasoline__taxable="1")
    with pytest.raises(returns.AssessmentRefused) as refused:
        returns.assessment_make(tax_return=original, actor=acting())
    assert refused.value.code == "later_version"
    assert _nothing_written(account) == (0, 0, 0, 0)
    original.refresh_from_db()
    assert original.status == FuelTaxReturn.Status.RECEIVED


def test_one_assessment_per_period_and_sequence_in_the_database(
    account, owner, django_capture_on_commit_callbacks
):
    tax_return = june_2021(account=account, user=owner)
    first = assess(django_capture_on_commit_callbacks, tax_return=tax_return)
    twin = Assessment.objects.filter(pk=first.pk).values().get()
    twin.pop("id")
    with pytest.raises(IntegrityError, match="assessment_unique_sequence_per_period"), transaction.atomic():
        Assessment.objects.create(**twin)


def test_an_issued_assessment_is_never_updated_or_deleted(account, owner, django_capture_on_commit_callbacks):
    tax_return = june_2021(account=account, user=owner)
    assessment = assess(django_capture_on_commit_callbacks, tax_return=tax_return)
    notice = Notice.objects.get(assessment=assessment)
    for queryset, change in [
        (Assessment.objects.filter(pk=assessment.pk), {"reason": "changed"}),
        (AssessmentLine.objects.filter(assessment=assessment), {"reason": "changed"}),
        (Notice.objects.filter(pk=notice.pk), {"reference": "X"}),
    ]:
        with pytest.raises(IntegrityError, match="never changed or deleted"), transaction.atomic():
            queryset.update(**change)
        with pytest.raises(IntegrityError, match="never changed or deleted"), transaction.atomic():
            queryset._raw_delete(queryset.db)


def test_clean_returns_are_assessed_automatically_and_twice_is_harmless(
    account, owner, django_capture_on_commit_callbacks
):
    """The beat job assesses the clean return (June 2021) and leaves the one with a difference (July 2021,
    reported $1.00 short) to staff; run again, it assesses nothing more."""
    clean = june_2021(account=account, user=owner)
    import time_machine

    with time_machine.travel(edmonton(2021, 8, 3), tick=False):
        differing = file_return(account=account, period="2021-07", user=owner, clear_diesel__taxable="1000")
    reported_as(differing, clear_diesel__taxable="129.00")
    with django_capture_on_commit_callbacks(execute=True):
        assert assess_clean_returns.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert assess_clean_returns.delay().get() == 0
    assert list(Assessment.objects.values_list("tax_return", flat=True)) == [clean.pk]
    differing.refresh_from_db()
    assert differing.status == FuelTaxReturn.Status.RECEIVED
    assert Notice.objects.count() == 1


def test_the_beat_schedule_runs_the_clean_returns_job():
    from tracs.celery import app

    entry = app.conf.beat_schedule["assessments-assess-clean-returns"]
    assert entry["task"] == "assessments.tasks.assess_clean_returns"


def test_the_assessment_is_in_the_access_log(account, owner, staff, django_capture_on_commit_callbacks):
    tax_return = june_2021(account=account, user=owner)
    assess(django_capture_on_commit_callbacks, tax_return=tax_return, by=staff)
    entry = AccessLogEntry.objects.get(action="return assessment")
    assert (entry.actor, entry.capacity, entry.account_number) == (staff, "staff", account.number)
    assert "assessed $13,800.00" in entry.detail
