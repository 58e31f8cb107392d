"""Payment Options (TRACS's menu item 40): whom to pay, the account number to quote, what the account owes by
period (oldest first, the order a payment is applied in) and how to pay; under "view account information"."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import LedgerTransaction
from assessments.services.ledger import ledger_post
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.assessments.factories import acting
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.", effective_date=date(2024, 1, 1))


def _post(account, period_end, amount, kind=LedgerTransaction.Kind.ASSESSED_TAX):
    return ledger_post(
        account=account,
        period_end=period_end,
        kind=kind,
        amount=Decimal(amount),
        description="Test posting",
        actor=acting(),
    )


def test_the_owner_sees_the_reference_to_quote_and_the_periods_owing_oldest_first(account):
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    _post(account, date(2024, 3, 31), "250.00")
    _post(account, date(2024, 1, 31), "1300.00")
    _post(account, date(2024, 2, 29), "900.00")
    _post(account, date(2024, 2, 29), "-900.00", kind=LedgerTransaction.Kind.PAYMENT)  # paid: not owing

    page = sign_in(Client(), owner).get(reverse("payment_options", kwargs={"number": account.number}))

    html = page.content.decode()
    assert page.status_code == 200
    assert account.number in html
    assert "$1,550.00" in html
    assert "owing" in html
    owing = html[html.index("Periods with an amount owing") :]
    assert owing.index("2024-01-31") < owing.index("2024-03-31")
    assert "2024-02-29" not in owing
    assert "Online banking" in html
    assert "Cheque" in html
    assert f'href="{reverse("payment_options", kwargs={"number": account.number})}"' in html  # the menu item


def test_a_credit_says_there_is_nothing_to_pay(account):
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    _post(account, date(2024, 1, 31), "-40.00", kind=LedgerTransaction.Kind.PAYMENT)

    html = (
        sign_in(Client(), owner)
        .get(reverse("payment_options", kwargs={"number": account.number}))
        .content.decode()
    )

    assert "($40.00)" in html
    assert "credit: nothing to pay" in html
    assert "Periods with an amount owing" not in html


def test_a_delegate_without_view_account_is_refused_and_a_stranger_does_not_find_it(account):
    delegate = UserFactory()
    delegate_grant(account=account, user=delegate, privileges=(Privilege.FILE_RETURNS,))
    url = reverse("payment_options", kwargs={"number": account.number})
    assert sign_in(Client(), delegate).get(url).status_code == 403
    assert sign_in(Client(), UserFactory()).get(url).status_code == 404
