"""Staff decisions on Notices of Objection and waiver requests (assessments/decisions/): each decision's effect
on the ledger and its notice of decision, the interest job after a waiver, and the refusals that write nothing.

The account: the June 2021 return ($13,800.00 tax, due 2021-07-28) received 2021-08-15, assessed 2021-08-20 with a
late-filing penalty of $690.00; interest accrued through 2021-09-30."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import AccessLogEntry
from assessments import decisions, interest, selectors
from assessments.models import Assessment, LedgerTransaction, Notice
from assessments.models_objections import Objection, WaiverRequest
from assessments.services import ledger, returns
from tests.accounts.factories import actor_for
from tests.assessments.factories import acting
from tests.assessments.objection_factories import (  # noqa: F401 (fixtures)
    PERIOD_END,
    accrue,
    assessed_fixture,
    objection_fixture,
    waiver_request,
)
from tests.filings.factories import edmonton

Kind = LedgerTransaction.Kind
DECIDED = edmonton(2021, 10, 5, 11)


def balance(account):
    return selectors.period_balance(account=account, period_end=PERIOD_END)


def decide(capture, **kwargs):
    with time_machine.travel(DECIDED, tick=False), capture(execute=True):
        return decisions.objection_decide(**kwargs)


def decide_waiver(capture, **kwargs):
    with time_machine.travel(DECIDED, tick=False), capture(execute=True):
        return decisions.waiver_decide(**kwargs)


def test_confirm_posts_nothing_and_issues_the_notice(
    account, staff, objection, django_capture_on_commit_callbacks
):
    before = list(LedgerTransaction.objects.values_list("pk", flat=True))
    decided = decide(
        django_capture_on_commit_callbacks,
        objection_id=objection.pk,
        outcome="confirmed",
        actor=acting(staff),
        reasons="The litres were sold in Alberta.",
    )
    assert list(LedgerTransaction.objects.values_list("pk", flat=True)) == before
    assert decided.status == Objection.Status.DECIDED
    assert decided.outcome == "confirmed"
    assert decided.decided_by == staff
    assert decided.decided_on == date(2021, 10, 5)
    notice = Notice.objects.get(source_reference=f"objection:{objection.pk}")
    assert notice.kind == Notice.Kind.OBJECTION_DECISION
    assert notice.reference == decided.decision_notice_reference == f"ND-202110-{objection.pk:07d}"
    assert notice.amount == Decimal("1380.00")
    assert notice.objection_deadline is None
    assert (notice.period_start, notice.period_end) == (date(2021, 6, 1), PERIOD_END)
    assert notice.pdf.read().startswith(b"%PDF-")
    assert AccessLogEntry.objects.filter(
        actor=staff, account_number=account.number, action="notice of objection: decided (confirmed)"
    ).exists()
    # The job run again finds the notice issued.
    assert decisions.decision_notice_issue(kind="objection", filing_id=objection.pk, actor=acting()) == notice
    assert Notice.objects.filter(source_reference=f"objection:{objection.pk}").count() == 1


def test_vary_reassesses_with_the_staff_adjustments(
    account, staff, objection, django_capture_on_commit_callbacks
):
    """90,000 L of clear gasoline instead of 100,000 L: 10,000 L x $0.13 = $1,300.00 less tax."""
    owing = balance(account)
    decided = decide(
        django_capture_on_commit_callbacks,
        objection_id=objection.pk,
        outcome="varied",
        actor=acting(staff),
        reasons="10,000 L were exported.",
        adjustments={("clear_gasoline", "taxable"): "90000"},
    )
    reassessment = Assessment.objects.get(pk=decided.reassessment_id)
    assert reassessment.kind == Assessment.Kind.REASSESSMENT
    assert reassessment.assessed_tax == Decimal("12500.00")
    assert reassessment.change == Decimal("-1300.00")
    assert reassessment.reason.startswith(f"Objection {objection.reference_number}")
    assert balance(account) == owing - Decimal("1300.00")
    assert Notice.objects.filter(assessment=reassessment, kind=Notice.Kind.REASSESSMENT).exists()
    assert Notice.objects.get(source_reference=f"objection:{objection.pk}").amount is None


def test_vacate_reverses_what_the_assessment_posted(
    account, owner, staff, objection, django_capture_on_commit_callbacks
):
    """The assessment posted $13,800.00 tax and the $690.00 penalty: both reversed, counting from their own dates,
    so the next interest run cancels the interest charged on them."""
    interest_before = sum(
        LedgerTransaction.objects.filter(account=account, kind=Kind.INTEREST).values_list("amount", flat=True)
    )
    assert interest_before > 0
    decide(
        django_capture_on_commit_callbacks,
        objection_id=objection.pk,
        outcome="vacated",
        actor=acting(staff),
        reasons="Void.",
    )
    reversals = LedgerTransaction.objects.filter(account=account, kind=Kind.REVERSAL).order_by("id")
    assert [(r.reverses.kind, r.amount) for r in reversals] == [
        (Kind.ASSESSED_TAX, Decimal("-13800.00")),
        (Kind.PENALTY, Decimal("-690.00")),
    ]
    assert all(r.effective_on == r.reverses.effective_on for r in reversals)
    assert balance(account) == interest_before
    with time_machine.travel(edmonton(2021, 11, 1, 1), tick=False):  # the daily job of 2021-11-01
        credit = accrue(account=account, through=date(2021, 10, 31))
    assert credit.amount == -interest_before
    assert balance(account) == Decimal("0.00")
    assert ledger.ledger_check(account=account).ok
    assert Notice.objects.get(source_reference=f"objection:{objection.pk}").amount == Decimal("0.00")
    # A later reassessment starts from the tax that stands (none), not from the vacated assessment's.
    with (
        time_machine.travel(edmonton(2021, 11, 2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        again = returns.reassessment_make(
            tax_return=assessed_return(account), actor=acting(staff), reason="Audit"
        )
    assert again.previously_assessed_tax == Decimal("0.00")
    assert again.change == Decimal("13800.00")


def assessed_return(account):
    return Assessment.objects.filter(account=account).order_by("sequence").first().tax_return


def test_deciding_twice_is_refused_and_writes_nothing(staff, objection, django_capture_on_commit_callbacks):
    decide(
        django_capture_on_commit_callbacks,
        objection_id=objection.pk,
        outcome="confirmed",
        actor=acting(staff),
        reasons="Ok.",
    )
    count = LedgerTransaction.objects.count()
    with pytest.raises(ValidationError) as refused:
        decide(
            django_capture_on_commit_callbacks,
            objection_id=objection.pk,
            outcome="vacated",
            actor=acting(staff),
            reasons="No.",
        )
    assert "was already decided on 2021-10-05" in refused.value.messages[0]
    assert LedgerTransaction.objects.count() == count
    assert Objection.objects.get(pk=objection.pk).outcome == "confirmed"


def test_reasons_are_required(staff, objection, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as refused:
        decide(
            django_capture_on_commit_callbacks,
            objection_id=objection.pk,
            outcome="confirmed",
            actor=acting(staff),
            reasons=" ",
        )
    assert refused.value.messages == [str(decisions.REASONS_REQUIRED)]
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.RECEIVED


def test_a_letter_objection_cannot_be_varied_or_vacated(
    account, owner, staff, django_capture_on_commit_callbacks
):
    from assessments import objections
    from tests.assessments.objection_factories import REPRESENTATIVE

    with time_machine.travel(edmonton(2021, 10, 1, 9), tick=False):
        state = objections.objection_subject_check(
            account=account, against="letter", letter_kind="suspension", letter_dated_on=date(2021, 9, 1)
        )
        letter = objections.objection_submit(
            account=account,
            state={**state, "facts": "Suspended in error."},
            documents=[],
            representative=REPRESENTATIVE,
            actor=actor_for(owner).acting_for(capacity="owner"),
        )
    for outcome in ("varied", "vacated"):
        with pytest.raises(ValidationError) as refused:
            decide(
                django_capture_on_commit_callbacks,
                objection_id=letter.pk,
                outcome=outcome,
                actor=acting(staff),
                reasons="x",
            )
        assert "can be varied or vacated" in refused.value.messages[0]
    decided = decide(
        django_capture_on_commit_callbacks,
        objection_id=letter.pk,
        outcome="confirmed",
        actor=acting(staff),
        reasons="Stands.",
    )
    notice = Notice.objects.get(source_reference=f"objection:{letter.pk}")
    assert notice.amount is None
    assert (notice.period_start, notice.period_end) == (date(2021, 9, 1), date(2021, 9, 30))
    assert decided.is_decided


def test_only_the_latest_assessment_can_be_vacated(
    account, staff, objection, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(edmonton(2021, 10, 2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        returns.reassessment_make(tax_return=assessed_return(account), actor=acting(staff), reason="Audit")
    count = LedgerTransaction.objects.count()
    with pytest.raises(ValidationError) as refused:
        decide(
            django_capture_on_commit_callbacks,
            objection_id=objection.pk,
            outcome="vacated",
            actor=acting(staff),
            reasons="x",
        )
    assert "only the latest assessment of a period can be vacated" in refused.value.messages[0]
    assert LedgerTransaction.objects.count() == count
    assert not Objection.objects.get(pk=objection.pk).is_decided


# --- Waivers -------------------------------------------------------------------------------------------------------


def charges(account):
    penalty = LedgerTransaction.objects.get(account=account, kind=Kind.PENALTY)
    charged = LedgerTransaction.objects.get(account=account, kind=Kind.INTEREST)
    return penalty, charged


def test_granted_waiver_lowers_the_balance_by_exactly_the_amounts_waived(
    account, owner, staff, assessed, django_capture_on_commit_callbacks
):
    penalty, charged = charges(account)
    waiver = waiver_request(account=account, user=owner, transactions=[penalty, charged])
    owing = balance(account)
    decided = decide_waiver(
        django_capture_on_commit_callbacks,
        waiver_id=waiver.pk,
        grant=True,
        transaction_ids=[penalty.pk, charged.pk],
        actor=acting(staff),
        reasons="The flood of July 2021.",
    )
    assert decided.outcome == WaiverRequest.Outcome.GRANTED
    assert decided.amount_waived == penalty.amount + charged.amount
    assert balance(account) == owing - penalty.amount - charged.amount
    assert ledger.ledger_check(account=account).ok
    reversals = LedgerTransaction.objects.filter(account=account, kind=Kind.REVERSAL).order_by("reverses_id")
    assert [r.source_reference for r in reversals] == [
        f"waiver:{waiver.pk}:{penalty.pk}",
        f"waiver:{waiver.pk}:{charged.pk}",
    ]
    notice = Notice.objects.get(source_reference=f"waiver:{waiver.pk}")
    assert notice.kind == Notice.Kind.WAIVER_DECISION
    assert notice.amount == decided.amount_waived
    assert notice.reference == f"WD-202110-{waiver.pk:07d}"
    assert decisions.decision_notice_issue(kind="waiver", filing_id=waiver.pk, actor=acting()) == notice


def test_interest_waived_is_not_charged_again(
    account, owner, staff, assessed, django_capture_on_commit_callbacks
):
    """Waive the interest through 2021-09-30; the job through 2021-10-31 posts exactly October's interest, the same as
    without the waiver, and a second run posts nothing."""
    _penalty, charged = charges(account)
    without_waiver = interest.accrual(
        account=account, period_end=PERIOD_END, through=date(2021, 10, 31)
    ).to_post
    waiver = waiver_request(account=account, user=owner, transactions=[charged])
    decide_waiver(
        django_capture_on_commit_callbacks,
        waiver_id=waiver.pk,
        grant=True,
        transaction_ids=[charged.pk],
        actor=acting(staff),
        reasons="TRA's delay.",
    )
    owing = balance(account)
    october = accrue(account=account, through=date(2021, 10, 31))
    assert october.amount == without_waiver
    assert balance(account) == owing + without_waiver
    assert accrue(account=account, through=date(2021, 10, 31)) is None
    assert interest.interest_accrue_all(through=date(2021, 10, 31), actor=acting()) == 0


def test_a_waived_penalty_stops_bearing_interest_from_the_decision(
    account, owner, staff, assessed, django_capture_on_commit_callbacks
):
    penalty, _charged = charges(account)
    waiver = waiver_request(account=account, user=owner, transactions=[penalty])
    decide_waiver(
        django_capture_on_commit_callbacks,
        waiver_id=waiver.pk,
        grant=True,
        transaction_ids=[penalty.pk],
        actor=acting(staff),
        reasons="x",
    )
    result = interest.accrual(account=account, period_end=PERIOD_END, through=date(2021, 10, 31))
    principal = {segment.first: segment.principal for segment in result.segments}
    assert principal[date(2021, 10, 6)] == Decimal("13800.00")  # the day after the decision: the tax alone
    assert max(value for day, value in principal.items() if day < date(2021, 10, 6)) == Decimal("14490.00")
    assert result.to_post > 0


def test_partial_grant_and_refusal(account, owner, staff, assessed, django_capture_on_commit_callbacks):
    penalty, charged = charges(account)
    partly = waiver_request(account=account, user=owner, transactions=[penalty, charged])
    decided = decide_waiver(
        django_capture_on_commit_callbacks,
        waiver_id=partly.pk,
        grant=True,
        transaction_ids=[charged.pk],
        actor=acting(staff),
        reasons="x",
    )
    assert decided.outcome == WaiverRequest.Outcome.PARTLY_GRANTED
    assert decided.waived_transaction_ids == [charged.pk]
    assert decided.amount_waived == charged.amount
    refused = waiver_request(account=account, user=owner, transactions=[penalty])
    count = LedgerTransaction.objects.count()
    decided = decide_waiver(
        django_capture_on_commit_callbacks,
        waiver_id=refused.pk,
        grant=False,
        actor=acting(staff),
        reasons="No grounds.",
    )
    assert decided.outcome == WaiverRequest.Outcome.REFUSED
    assert decided.amount_waived is None
    assert LedgerTransaction.objects.count() == count
    assert Notice.objects.get(source_reference=f"waiver:{refused.pk}").amount == Decimal("0.00")


def test_granting_a_waiver_on_a_reversed_charge_is_refused(
    account, owner, staff, assessed, django_capture_on_commit_callbacks
):
    penalty, charged = charges(account)
    first = waiver_request(account=account, user=owner, transactions=[penalty])
    second = waiver_request(account=account, user=owner, transactions=[penalty, charged])
    decide_waiver(
        django_capture_on_commit_callbacks,
        waiver_id=first.pk,
        grant=True,
        transaction_ids=[penalty.pk],
        actor=acting(staff),
        reasons="x",
    )
    count = LedgerTransaction.objects.count()
    with pytest.raises(ValidationError) as refused:
        decide_waiver(
            django_capture_on_commit_callbacks,
            waiver_id=second.pk,
            grant=True,
            transaction_ids=[penalty.pk, charged.pk],
            actor=acting(staff),
            reasons="x",
        )
    assert (
        f"Transaction {penalty.pk} (penalty of June 2021) was already reversed" in refused.value.messages[0]
    )
    assert LedgerTransaction.objects.count() == count
    assert not WaiverRequest.objects.get(pk=second.pk).is_decided
    with pytest.raises(ValidationError) as refused:
        decide_waiver(
            django_capture_on_commit_callbacks,
            waiver_id=second.pk,
            grant=True,
            transaction_ids=[],
            actor=acting(staff),
            reasons="x",
        )
    assert refused.value.messages == [str(decisions.WAIVER_NOTHING_CHOSEN)]
    tax = LedgerTransaction.objects.get(account=account, kind=Kind.ASSESSED_TAX)
    with pytest.raises(ValidationError) as refused:
        decide_waiver(
            django_capture_on_commit_callbacks,
            waiver_id=second.pk,
            grant=True,
            transaction_ids=[tax.pk],
            actor=acting(staff),
            reasons="x",
        )
    assert "was not asked to be waived" in refused.value.messages[0]


def test_waiver_decided_twice_is_refused(account, owner, staff, assessed, django_capture_on_commit_callbacks):
    penalty, _charged = charges(account)
    waiver = waiver_request(account=account, user=owner, transactions=[penalty])
    decide_waiver(
        django_capture_on_commit_callbacks,
        waiver_id=waiver.pk,
        grant=False,
        actor=acting(staff),
        reasons="No.",
    )
    with pytest.raises(ValidationError):
        decide_waiver(
            django_capture_on_commit_callbacks,
            waiver_id=waiver.pk,
            grant=True,
            transaction_ids=[penalty.pk],
            actor=acting(staff),
            reasons="x",
        )
    assert not LedgerTransaction.objects.filter(kind=Kind.REVERSAL).exists()


def _text(html: str) -> str:
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_what_the_notices_of_decision_say(
    account, owner, staff, objection, django_capture_on_commit_callbacks
):
    decided = decide(
        django_capture_on_commit_callbacks,
        objection_id=objection.pk,
        outcome="confirmed",
        actor=acting(staff),
        reasons="Sold here.",
    )
    _content, html = decisions.decision_notice_html(kind="objection", filing=decided)
    text = _text(html)
    assert "Notice of decision (objection)" in text
    assert f"Notice number {decided.decision_notice_reference}" in text
    assert f"Your reference {objection.reference_number}" in text
    assert "The notice of assessment is confirmed." in text
    assert "amount in dispute of $1,380.00 remains payable" in text
    assert "Sold here." in text
    penalty, charged = charges(account)
    waiver = waiver_request(account=account, user=owner, transactions=[penalty, charged])
    decided = decide_waiver(
        django_capture_on_commit_callbacks,
        waiver_id=waiver.pk,
        grant=True,
        transaction_ids=[penalty.pk],
        actor=acting(staff),
        reasons="Flood.",
    )
    text = _text(decisions.decision_notice_html(kind="waiver", filing=decided)[1])
    assert "Your request is granted in part." in text
    assert "$690.00 in all" in text
    assert "Penalty 2021-06" in text
    assert "Waived" in text
    assert "Not waived" in text
