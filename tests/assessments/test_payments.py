"""Payments received (issue 6, item 6): recorded by staff in admin (refused to a closed account, zero or
negative, a reference twice: nothing written), a payment file imported with line-numbered errors, all or
nothing, a re-import posting nothing twice; the public payment-instructions page and its link; the balance
going to zero once the assessed tax, penalty and interest are paid."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments import interest, payments, selectors
from assessments.models import LedgerTransaction, Payment, PaymentImport
from assessments.services import ledger
from programs.models import ProgramAccount
from tests.assessments.factories import acting, assess
from tests.consent.factories import ProgramAccountFactory
from tests.filings.factories import edmonton, file_return

Kind = LedgerTransaction.Kind
ADD = reverse("admin:assessments_payment_add")
IMPORT = reverse("admin:assessments_payment_import")
JUNE_END = date(2021, 6, 30)


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.fixture
def assessed(account, owner, django_capture_on_commit_callbacks):
    """The June 2021 return ($13,800.00) filed on time and assessed 2021-08-02."""
    with time_machine.travel(edmonton(2021, 7, 5, 10), tick=False):
        tax_return = file_return(
            account=account,
            period="2021-06",
            user=owner,
            clear_gasoline__taxable="100000",
            marked_diesel__taxable="20000",
        )
    return assess(django_capture_on_commit_callbacks, tax_return=tax_return, when=edmonton(2021, 8, 2))


@pytest.fixture
def closed_account(db):
    account = ProgramAccountFactory(effective_date=date(2021, 1, 1))
    ProgramAccount.objects.filter(pk=account.pk).update(
        status=ProgramAccount.Status.CLOSED, closed_on=date(2021, 12, 31)
    )
    account.refresh_from_db()
    return account


def post_payment(client, account, amount="13800.00", reference="BNK-1", received="2021-08-10"):
    return client.post(
        ADD,
        {
            "account": account.pk,
            "amount": amount,
            "received_on": received,
            "method": Payment.Method.ONLINE_BANKING,
            "reference": reference,
            "post": "yes",  # the confirmation page's Confirm (tests/assessments/test_admin_confirmations.py)
        },
    )


def test_staff_record_a_payment_in_admin(staff_client, staff, account, assessed):
    response = post_payment(staff_client, account)
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.received_on, payment.recorded_by) == (
        Decimal("13800.00"),
        date(2021, 8, 10),
        staff,
    )
    credit = LedgerTransaction.objects.get(kind=Kind.PAYMENT)
    assert credit.amount == Decimal("-13800.00")
    assert credit.effective_on == date(2021, 8, 10)
    assert credit.period_end == JUNE_END
    assert credit.posted_by == staff
    assert selectors.account_balance(account=account) == Decimal("0.00")
    assert staff_client.get(reverse("admin:assessments_payment_change", args=[payment.pk])).status_code == 200


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0.00", "more than zero"), ("-5.00", "more than zero"), ("1.005", "")],
)
def test_admin_refuses_zero_and_negative(staff_client, account, assessed, amount, message):
    response = post_payment(staff_client, account, amount=amount)
    assert response.status_code == 200
    assert message in text(response)
    assert not Payment.objects.exists()
    assert not LedgerTransaction.objects.filter(kind=Kind.PAYMENT).exists()


def test_admin_refuses_a_closed_account(staff_client, closed_account):
    response = post_payment(staff_client, closed_account)
    assert response.status_code == 200
    assert f"Account {closed_account.number} is closed" in text(response)
    assert not Payment.objects.exists()
    assert not LedgerTransaction.objects.exists()


def test_service_refuses_a_closed_account_and_writes_nothing(staff, closed_account):
    with pytest.raises(payments.PaymentRefused, match="closed"):
        payments.payment_record(
            account=closed_account,
            amount=Decimal("10.00"),
            received_on=date(2021, 8, 10),
            method=Payment.Method.CHEQUE,
            reference="CHQ-1",
            actor=acting(staff),
        )
    assert not Payment.objects.exists()
    assert not LedgerTransaction.objects.exists()


def test_service_refuses_the_same_reference_twice(staff, account, assessed):
    kwargs = {
        "account": account,
        "amount": Decimal("100.00"),
        "received_on": date(2021, 8, 10),
        "method": Payment.Method.CHEQUE,
        "reference": "CHQ-7",
        "actor": acting(staff),
    }
    payments.payment_record(**kwargs)
    with pytest.raises(payments.PaymentRefused, match="already recorded"):
        payments.payment_record(**kwargs)
    assert LedgerTransaction.objects.filter(kind=Kind.PAYMENT).count() == 1


def test_overpayment_goes_to_the_owing_period_then_stays_a_credit(staff, account, assessed):
    payments.payment_record(
        account=account,
        amount=Decimal("14000.00"),
        received_on=date(2021, 8, 10),
        method=Payment.Method.WIRE,
        reference="W-1",
        actor=acting(staff),
    )
    assert selectors.period_balance(account=account, period_end=JUNE_END) == Decimal("-200.00")
    assert ledger.ledger_check(account=account).ok


def csv_file(*rows, header="account_number,amount,received_date,reference"):
    return ("\n".join([header, *rows]) + "\n").encode()


def upload(client, content, name="payments.csv"):
    return client.post(
        IMPORT,
        {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "method": Payment.Method.EFT},
    )


def test_import_a_payment_file(staff_client, account, assessed):
    content = csv_file(
        f"{account.number},13000.00,2021-08-10,BNK-1",
        f'{account.number},"800.00",2021-08-11,BNK-2',
    )
    response = upload(staff_client, content)
    assert response.status_code == 200
    page = text(response)
    assert "$13,000.00" in page
    assert "$13,800.00" in page  # the total
    assert not Payment.objects.exists()  # not before Confirm
    response = staff_client.post(IMPORT, {**dict(response.context["hidden"]), "post": "yes"})
    assert response.status_code == 302
    assert Payment.objects.count() == 2
    assert PaymentImport.objects.get().recorded == 2
    assert selectors.account_balance(account=account) == Decimal("0.00")


def test_import_errors_with_line_numbers_and_nothing_written(staff_client, account, closed_account, assessed):
    content = csv_file(
        f"{account.number},100.00,2021-08-10,OK-1",  # line 2: fine
        f"{account.number},0,2021-08-10,Z-1",  # line 3
        "999999999-01-001,5.00,2021-08-10,X-1",  # line 4
        f"{account.number},abc,2021-13-40,X-2",  # line 5
        f"{closed_account.number},5.00,2021-08-10,X-3",  # line 6
        f"{account.number},5.00,2021-08-10,OK-1",  # line 7: same reference as line 2
        f"{account.number},5.00",  # line 8
    )
    response = upload(staff_client, content)
    assert response.status_code == 200
    page = text(response)
    assert "nothing was recorded" in page
    for expected in (
        "Line 3: The amount must be more than zero.",
        "Line 4: No account 999999999-01-001.",
        "Line 5: The amount must be dollars and cents",
        "Line 5: The received date is required",
        f"Line 6: Account {closed_account.number} is closed",
        "Line 7: Reference OK-1 is also on line 2.",
        "Line 8: 4 fields expected, found 2.",
    ):
        assert expected in page
    assert "Line 2" not in page
    assert not Payment.objects.exists()
    assert not PaymentImport.objects.exists()
    assert not LedgerTransaction.objects.filter(kind=Kind.PAYMENT).exists()


def test_import_with_a_bad_header_is_refused(staff_client, account):
    response = upload(
        staff_client, csv_file(f"{account.number},1.00,2021-08-10,A", header="acct,amt,date,ref")
    )
    assert "Line 1: the header must be account_number,amount,received_date,reference" in text(response)
    assert not Payment.objects.exists()


def test_import_is_all_or_nothing_when_a_posting_fails(staff, account, assessed, monkeypatch):
    content = csv_file(
        f"{account.number},100.00,2021-08-10,A-1",
        f"{account.number},200.00,2021-08-10,A-2",
    )
    calls = []
    original = ledger.ledger_post

    def failing(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return original(**kwargs)

    monkeypatch.setattr(ledger, "ledger_post", failing)
    with pytest.raises(RuntimeError):
        payments.payment_file_import(
            content=content, filename="p.csv", method=Payment.Method.EFT, actor=acting(staff)
        )
    assert len(calls) == 2
    assert not Payment.objects.exists()
    assert not PaymentImport.objects.exists()
    assert not LedgerTransaction.objects.filter(kind=Kind.PAYMENT).exists()


def test_reimport_of_the_same_file_posts_nothing_twice(staff, account, assessed):
    content = csv_file(
        f"{account.number},100.00,2021-08-10,R-1",
        f"{account.number},200.00,2021-08-11,R-2",
    )
    first = payments.payment_file_import(
        content=content, filename="p.csv", method=Payment.Method.EFT, actor=acting(staff)
    )
    assert first.ok
    assert len(first.recorded) == 2
    again = payments.payment_file_import(
        content=content, filename="p.csv", method=Payment.Method.EFT, actor=acting(staff)
    )
    assert again.ok
    assert again.recorded == []
    assert again.already_recorded == ["R-1", "R-2"]
    assert LedgerTransaction.objects.filter(kind=Kind.PAYMENT).count() == 2
    assert selectors.account_balance(account=account) == Decimal("13500.00")
    # The same reference for a different amount is an error, not a skip.
    changed = payments.payment_file_import(
        content=csv_file(f"{account.number},999.00,2021-08-10,R-1"),
        filename="p2.csv",
        method=Payment.Method.EFT,
        actor=acting(staff),
    )
    assert changed.errors == ["Line 2: Reference R-1 was already recorded for another payment."]


def test_payment_instructions_page_is_public_and_linked_from_balances(owner_client, account, assessed):
    response = Client().get(reverse("payment_instructions"))
    assert response.status_code == 200
    page = text(response)
    for heading in ("Online banking", "Cheque", "Wire transfer"):
        assert heading in page
    assert "Tax and Revenue Administration" in page
    balances = owner_client.get(reverse("balances", kwargs={"number": account.number}))
    assert reverse("payment_instructions") in balances.content.decode()


def test_balance_goes_to_zero_after_paying_tax_penalty_and_interest(
    staff, account, owner, django_capture_on_commit_callbacks
):
    """June 2021 received 2021-08-15 and assessed 2021-08-20: $13,800.00 + $690.00 penalty. Interest accrued
    through 2021-08-31 (the job of 2021-09-01): 34 days on $13,800 (07-29..08-31) + 11 days on $690 (08-21..31)
    at 4.5%: (469,200 + 7,590) x 0.045 / 365 = $58.7823... -> $58.78; balance $14,548.78, paid 2021-08-31
    through the payments service. The next runs post nothing: the balance is $0.00."""
    with time_machine.travel(edmonton(2021, 8, 15, 10), tick=False):
        tax_return = file_return(
            account=account,
            period="2021-06",
            user=owner,
            clear_gasoline__taxable="100000",
            marked_diesel__taxable="20000",
        )
    assess(django_capture_on_commit_callbacks, tax_return=tax_return, when=edmonton(2021, 8, 20))
    interest.interest_accrue_all(through=date(2021, 8, 31), actor=acting())
    owing = selectors.account_balance(account=account)
    assert owing == Decimal("14548.78")
    with time_machine.travel(edmonton(2021, 9, 1, 9), tick=False):
        payments.payment_record(
            account=account,
            amount=owing,
            received_on=date(2021, 8, 31),
            method=Payment.Method.ONLINE_BANKING,
            reference="BNK-ALL",
            actor=acting(staff),
        )
    for day in (1, 2, 3, 10):
        interest.interest_accrue_all(through=date(2021, 9, day), actor=acting())
    assert selectors.account_balance(account=account) == Decimal("0.00")
    assert ledger.ledger_check(account=account).ok


def test_admin_pages_answer(staff_client, account, assessed):
    assert staff_client.get(ADD).status_code == 200
    assert "Import a payment file" in text(staff_client.get(reverse("admin:assessments_payment_changelist")))
    assert "account_number,amount,received_date,reference" in text(staff_client.get(IMPORT))
