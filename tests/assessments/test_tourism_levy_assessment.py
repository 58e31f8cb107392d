"""A tourism levy return is assessed through the same skeleton as a fuel tax return (assessments/services/returns.py
`TOURISM_LEVY_RETURNS`): recomputed by the levy's own computation, compared within the tolerance, the levy posted to
the ledger, the late-filing penalty of its own dated data (assessments/rules/penalties.yaml), its notice; staff
assess it from its queue in Django admin; View Assessment Status shows the levy assessed and the notice."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from assessments import penalties
from assessments.models import Assessment, LedgerTransaction, Notice
from assessments.services import returns
from assessments.tourism_levy import recompute
from filings.models import TourismLevyReturn
from tests.accounts.factories import UserFactory
from tests.assessments.factories import acting
from tests.conftest import sign_in
from tests.consent.factories import owner_grant
from tests.filings.factories import edmonton
from tests.filings.tourism_levy_factories import establishment, file_levy_return

Kind = LedgerTransaction.Kind


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.fixture
def inn(db):
    return establishment(opened=date(2019, 1, 1))


@pytest.fixture
def operator(inn):
    user = UserFactory(full_name="Hana Hotelier")
    owner_grant(account=inn, user=user)
    return user


JULY_10_2023 = edmonton(2023, 7, 10)  # before June 2023's due date, 2023-07-28


def _file(inn, operator, *, period="2023-06", on=JULY_10_2023, gross="10000.00", collected="400.00"):
    with time_machine.travel(on, tick=False):
        return file_levy_return(account=inn, period=period, user=operator, gross=gross, collected=collected)


def _assess(capture, tax_return, *, on, reassess=False, reason="", adjustments=None):
    with time_machine.travel(on, tick=False), capture(execute=True):
        if reassess:
            return returns.reassessment_make(
                tax_return=tax_return, actor=acting(), reason=reason, adjustments=adjustments
            )
        return returns.assessment_make(tax_return=tax_return, actor=acting(), adjustments=adjustments)


def test_a_return_on_time_is_assessed_and_its_levy_posted(inn, operator, django_capture_on_commit_callbacks):
    """June 2023, due 2023-07-28 (28 days after June 30), received 2023-07-10: $10,000.00 taxable x 4% = $400.00
    levy, reported $400.00 payable -> clean, $400.00 assessed and posted as assessed tax bearing interest after
    the due date; on time, so no penalty; the notice of assessment is issued."""
    tax_return = _file(inn, operator)
    assert recompute(tax_return=tax_return).is_clean
    assessment = _assess(django_capture_on_commit_callbacks, tax_return, on=edmonton(2023, 7, 11))
    assert (assessment.tourism_levy_return, assessment.tax_return) == (tax_return, None)
    assert (assessment.reported_tax, assessment.recomputed_tax, assessment.assessed_tax) == (
        Decimal("400.00"),
        Decimal("400.00"),
        Decimal("400.00"),
    )
    assert assessment.period.key == "2023-06"
    posted = LedgerTransaction.objects.filter(account=inn)
    assert [(t.kind, t.amount, t.effective_on) for t in posted] == [
        (Kind.ASSESSED_TAX, Decimal("400.00"), date(2023, 7, 28))
    ]
    assert posted.get().description == "Assessment of the tourism levy return for June 2023"
    tax_return.refresh_from_db()
    assert tax_return.status == TourismLevyReturn.Status.ASSESSED
    assert Notice.objects.filter(assessment=assessment).exists()


def test_a_late_return_carries_the_levys_penalty(inn, operator, django_capture_on_commit_callbacks):
    """June 2023, due 2023-07-28, received 2023-08-09, 12 days late, nothing paid: the penalty
    is the lesser of 12 x $25.00 = $300.00 and the $400.00 unpaid at the due date, at least $100.00: $300.00,
    posted with the assessment; the notice's statement shows both."""
    tax_return = _file(inn, operator, on=edmonton(2023, 8, 9))
    assert tax_return.late_days == 12
    assessment = _assess(django_capture_on_commit_callbacks, tax_return, on=edmonton(2023, 8, 10))
    penalty = LedgerTransaction.objects.get(account=inn, kind=Kind.PENALTY)
    assert penalty.amount == Decimal("300.00")
    assert penalty.description.startswith("Late-filing penalty: 12 day(s) late; the lesser of $300.00")
    html_text = Notice.objects.get(assessment=assessment).pdf.read()
    assert html_text.startswith(b"%PDF")


def test_a_quarterly_return_is_assessed_for_its_quarter(db, django_capture_on_commit_callbacks):
    """The chalets file quarterly: Q3 2023 ends 2023-09-30, due 28 days later, Saturday 2023-10-28 -> Monday
    2023-10-30; $30,000.00 taxable -> $1,200.00 levy, assessed for the quarter, the ledger's period its end."""
    chalets = establishment(name="Cascade Chalets", opened=date(2023, 1, 1), quarterly_from=date(2023, 1, 1))
    user = UserFactory()
    owner_grant(account=chalets, user=user)
    tax_return = _file(
        chalets, user, period="2023-Q3", on=edmonton(2023, 10, 20), gross="30000.00", collected="1200.00"
    )
    assessment = _assess(django_capture_on_commit_callbacks, tax_return, on=edmonton(2023, 10, 21))
    assert (assessment.period.key, assessment.period_end) == ("2023-Q3", date(2023, 9, 30))
    assert assessment.period.label == tax_return.period.label
    posted = LedgerTransaction.objects.get(account=chalets)
    assert (posted.amount, posted.period_end, posted.effective_on) == (
        Decimal("1200.00"),
        date(2023, 9, 30),
        date(2023, 10, 30),
    )


@pytest.mark.parametrize(
    ("gross", "assessed", "within"),
    [
        # $10,400.00 x 4% = $416.00, $16.00 more than the $400.00 reported: within the $20.00 tolerance.
        ("10400.00", Decimal("400.00"), True),
        # $10,500.00 x 4% = $420.00, $20.00 more: within (the tolerance is "$20 or less").
        ("10500.00", Decimal("400.00"), True),
        # $12,000.00 x 4% = $480.00, $80.00 more: beyond it, the recomputed levy is assessed.
        ("12000.00", Decimal("480.00"), False),
    ],
)
def test_staff_assess_other_figures_within_the_tolerance(
    inn, operator, django_capture_on_commit_callbacks, gross, assessed, within
):
    """An audit finds more gross revenue than the $10,000.00 reported ($400.00 payable)."""
    tax_return = _file(inn, operator)
    assessment = _assess(
        django_capture_on_commit_callbacks,
        tax_return,
        on=edmonton(2023, 7, 11),
        adjustments={"gross_revenue": gross},
    )
    assert (assessment.assessed_tax, assessment.tolerance_applied) == (assessed, within)


def test_a_reassessment_posts_only_the_change(inn, operator, django_capture_on_commit_callbacks):
    """Assessed at $400.00, then reassessed on $12,000.00 of gross revenue: 4% = $480.00, a change of $80.00."""
    tax_return = _file(inn, operator)
    _assess(django_capture_on_commit_callbacks, tax_return, on=edmonton(2023, 7, 11))
    tax_return.refresh_from_db()
    again = _assess(
        django_capture_on_commit_callbacks,
        tax_return,
        on=edmonton(2023, 9, 1),
        reassess=True,
        reason="Audit: unreported stays",
        adjustments={"gross_revenue": "12000.00"},
    )
    assert (again.kind, again.sequence, again.change) == (Assessment.Kind.REASSESSMENT, 2, Decimal("80.00"))
    assert [
        t.amount for t in LedgerTransaction.objects.filter(account=inn, kind=Kind.ASSESSED_TAX).order_by("id")
    ] == [
        Decimal("400.00"),
        Decimal("80.00"),
    ]


def test_the_2020_deferral_moves_the_penalty_and_interest_to_august_31(
    db, django_capture_on_commit_callbacks
):
    """February 2020 (before the abatement), due 28 days after 2020-02-29: Saturday 2020-03-28 -> Monday
    2020-03-30, inside the deferral (due from 2020-03-27): payable by 2020-08-31. Received 2020-05-01, after its
    due date but before 2020-08-31: no penalty, and the levy bears interest only after 2020-08-31."""
    inn = establishment(opened=date(2020, 1, 1))
    user = UserFactory()
    owner_grant(account=inn, user=user)
    tax_return = _file(inn, user, period="2020-02", on=edmonton(2020, 5, 1))
    assert tax_return.late_days > 0
    assert tax_return.payable_by == date(2020, 8, 31)
    assessment = _assess(django_capture_on_commit_callbacks, tax_return, on=edmonton(2020, 5, 2))
    assert not LedgerTransaction.objects.filter(account=inn, kind=Kind.PENALTY).exists()
    assert LedgerTransaction.objects.get(account=inn).effective_on == date(2020, 8, 31)
    assert assessment.payment_due_on == date(2020, 8, 31)


@pytest.mark.parametrize(
    ("due_on", "received_on", "unpaid", "amount"),
    [
        # 3 days late: 4 days or less, $25.00 a day whatever is unpaid: 3 x $25.00 = $75.00.
        (date(2023, 7, 28), date(2023, 7, 31), "400.00", Decimal("75.00")),
        # 4 days late, still the grace: 4 x $25.00 = $100.00.
        (date(2023, 7, 28), date(2023, 8, 1), "0.00", Decimal("100.00")),
        # 5 days late: the lesser of 5 x $25.00 = $125.00 and $400.00 unpaid = $125.00.
        (date(2023, 7, 28), date(2023, 8, 2), "400.00", Decimal("125.00")),
        # 12 days late with $60.00 unpaid: the lesser is $60.00, raised to the $100.00 minimum.
        (date(2023, 7, 28), date(2023, 8, 9), "60.00", Decimal("100.00")),
        # 12 days late, a nil return ($0.00 unpaid): the minimum, $100.00.
        (date(2023, 7, 28), date(2023, 8, 9), "0.00", Decimal("100.00")),
        # 60 days late with $5,000.00 unpaid: 60 x $25.00 = $1,500.00, at most $1,000.00.
        (date(2023, 7, 28), date(2023, 9, 26), "5000.00", Decimal("1000.00")),
    ],
)
def test_the_levys_late_filing_penalty(due_on, received_on, unpaid, amount):
    found = penalties.tourism_levy_late_filing_penalty(
        due_on=due_on, received_on=received_on, unpaid_levy=Decimal(unpaid)
    )
    assert found is not None
    assert found.amount == amount


def test_no_levy_penalty_on_time_or_before_its_data_begins():
    """On the due date: none. Due 2005-12-28, before the 2006-01-01 rule (Special Notice Vol. 7 No. 3): none on
    file, so none charged; due 2006-01-30: $25.00 a day."""
    on_time = penalties.tourism_levy_late_filing_penalty(
        due_on=date(2023, 7, 28), received_on=date(2023, 7, 28), unpaid_levy=Decimal("400")
    )
    before = penalties.tourism_levy_late_filing_penalty(
        due_on=date(2005, 12, 28), received_on=date(2006, 1, 10), unpaid_levy=Decimal("400")
    )
    after = penalties.tourism_levy_late_filing_penalty(
        due_on=date(2006, 1, 30), received_on=date(2006, 2, 1), unpaid_levy=Decimal("400")
    )
    assert (on_time, before) == (None, None)
    assert after is not None
    assert after.amount == Decimal("50.00")


def test_staff_assess_it_from_its_queue_in_admin(inn, operator, django_capture_on_commit_callbacks):
    """The queue lists it with its $400.00 reported; its page shows the return's figures and the recomputation;
    Assess (confirmed) assesses it and issues its notice."""
    tax_return = _file(inn, operator)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = sign_in(Client(), staff)
    queue = client.get(reverse("admin:assessments_tourismlevyreturntoassess_changelist"))
    assert [row.pk for row in queue.context["cl"].result_list] == [tax_return.pk]
    page = text(
        client.get(reverse("admin:assessments_tourismlevyreturntoassess_change", args=[tax_return.pk]))
    )
    assert "Gross accommodation revenue" in page
    assert "Levy at 4% (in force from 2005-04-01)" in page
    assert "Assess this return" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:assessments_tourismlevyreturntoassess_assess", args=[tax_return.pk]),
            {"reason": "", "post": "yes"},
        )
    assert response.status_code == 302
    assessment = Assessment.objects.get(tourism_levy_return=tax_return)
    assert (assessment.assessed_by, assessment.assessed_tax) == (staff, Decimal("400.00"))
    assert Notice.objects.filter(assessment=assessment).exists()


def test_view_assessment_status_shows_the_levy_assessed_and_its_notice(
    inn, operator, django_capture_on_commit_callbacks
):
    tax_return = _file(inn, operator)
    assessment = _assess(django_capture_on_commit_callbacks, tax_return, on=edmonton(2023, 7, 11))
    page = text(sign_in(Client(), operator).get(f"/accounts/{inn.number}/assessments/"))
    assert "Tourism levy return, June 2023" in page
    assert "$400.00" in page
    assert assessment.notice.reference in page


def test_its_notice_shows_the_levys_figures(inn, operator, django_capture_on_commit_callbacks):
    from assessments import notices

    tax_return = _file(inn, operator)
    assessment = _assess(django_capture_on_commit_callbacks, tax_return, on=edmonton(2023, 7, 11))
    page = re.sub(
        r"\s+", " ", notices.notice_html(assessment=assessment, template=returns.TOURISM_LEVY.notice_template)
    )
    assert "How the levy was assessed" in page
    assert 'Taxable purchase price</td><td class="num">$10,000.00' in page
    assert 'Levy assessed for the period</td><td class="num">$400.00' in page
    assert "(July 28, 2023)" in page  # interest after the due date
