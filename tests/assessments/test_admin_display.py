"""Amounts and dates in staff administration read as the portal shows them (issue 10, item 24): money with `$`,
thousands separators and credits in brackets ($3,400.90, ($3,400.90)), litres grouped, dates in ISO form and
Alberta time (2021-07-05 22:33), on the queues' columns, the records' pages and the date filters alike."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from assessments import payments
from assessments.models import Assessment, LedgerTransaction, Payment, Refund
from tests.assessments.claim_factories import assess_claim, june_claim, mailing_address
from tests.assessments.factories import acting, assess
from tests.filings.factories import edmonton, file_return

# What Django admin shows by default and the portal never does.
RAW_AMOUNT = re.compile(r"(?<![$\d,.])\d{4,}\.\d{2}\b")
TWELVE_HOUR = ("a.m.", "p.m.", "midnight", "noon")


def text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def assert_portal_style(page: str) -> None:
    assert RAW_AMOUNT.findall(page) == []
    for word in TWELVE_HOUR:
        assert word not in page


@pytest.fixture
def paid_return(account, owner, staff, django_capture_on_commit_callbacks):
    """June 2021 ($13,800.00) received 2021-07-05 at 22:33 Alberta time, assessed 2021-08-02 at 15:10, and a
    payment of $3,400.90 recorded 2021-08-10 at 16:45."""
    with time_machine.travel(edmonton(2021, 7, 5, 22, 33), tick=False):
        tax_return = file_return(
            account=account,
            period="2021-06",
            user=owner,
            clear_gasoline__taxable="100000",
            marked_diesel__taxable="20000",
        )
    assess(
        django_capture_on_commit_callbacks, tax_return=tax_return, by=staff, when=edmonton(2021, 8, 2, 15, 10)
    )
    with time_machine.travel(edmonton(2021, 8, 10, 16, 45), tick=False):
        payments.payment_record(
            account=account,
            amount=Decimal("3400.90"),
            received_on=date(2021, 8, 10),
            method=Payment.Method.ONLINE_BANKING,
            reference="BNK-3400",
            actor=acting(staff),
        )
    return tax_return


def test_the_returns_queue_shows_received_in_alberta_time(staff_client, paid_return):
    page = text(staff_client.get(reverse("admin:assessments_returntoassess_changelist") + "?queue=all"))
    assert "2021-07-05 22:33" in page
    assert "$13,800.00" in page
    assert_portal_style(page)


def test_the_ledger_shows_dollars_credits_in_brackets_and_iso_dates(staff_client, paid_return):
    page = text(staff_client.get(reverse("admin:assessments_ledgertransaction_changelist")))
    assert "$13,800.00" in page
    assert "($3,400.90)" in page
    assert "2021-08-10" in page
    assert_portal_style(page)
    payment = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.PAYMENT)
    detail = text(staff_client.get(reverse("admin:assessments_ledgertransaction_change", args=[payment.pk])))
    assert "($3,400.90)" in detail
    assert_portal_style(detail)


def test_the_ledger_date_filter_reads_iso_months_and_days(staff_client, paid_return):
    ledger = reverse("admin:assessments_ledgertransaction_changelist")
    months = text(staff_client.get(ledger + "?processed_on__year=2021"))
    assert "2021-08" in months
    assert "August" not in months
    days = text(staff_client.get(ledger + "?processed_on__year=2021&processed_on__month=8"))
    assert "2021-08-02" in days
    assert "2021-08-10" in days


def test_payments_show_dollars_and_the_recorded_moment(staff_client, paid_return):
    page = text(staff_client.get(reverse("admin:assessments_payment_changelist")))
    assert "$3,400.90" in page
    assert "2021-08-10" in page
    assert_portal_style(page)
    detail = text(
        staff_client.get(reverse("admin:assessments_payment_change", args=[Payment.objects.get().pk]))
    )
    assert "$3,400.90" in detail
    assert "2021-08-10 16:45" in detail
    assert_portal_style(detail)


def test_an_assessment_page_shows_every_amount_and_litres_as_the_portal_does(staff_client, paid_return):
    assessment = Assessment.objects.get()
    page = text(staff_client.get(reverse("admin:assessments_assessment_change", args=[assessment.pk])))
    assert "$13,800.00" in page
    assert "100,000" in page  # litres reported, grouped
    assert "$0.13/L" in page  # the rate applied
    assert "2021-08-02 15:10" in page
    assert_portal_style(page)


def test_refunds_show_the_amount_in_dollars_and_when_prepared(
    staff_client, account, owner, django_capture_on_commit_callbacks
):
    mailing_address(account)
    assess_claim(
        django_capture_on_commit_callbacks,
        claim=june_claim(account=account, user=owner, litres="26161"),
        when=edmonton(2024, 6, 20, 14, 5),
    )
    refund = Refund.objects.get()
    assert refund.amount == Decimal("3400.93")
    page = text(staff_client.get(reverse("admin:assessments_refund_changelist")))
    assert "$3,400.93" in page
    assert_portal_style(page)
    detail = text(staff_client.get(reverse("admin:assessments_refund_change", args=[refund.pk])))
    assert "$3,400.93" in detail
    assert "2024-06-20 14:05" in detail
    assert_portal_style(detail)
