"""Who may reach the filing pages: FILE_RETURNS on the account. Without it: 403 naming the privilege; without
access to the account at all: 404, the same as a made-up account number; nothing is stored either way."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AccessLogEntry
from consent.privileges import Privilege
from filings.models import FuelTaxReturn
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ConsentFactory, delegate_grant, representative_grant
from tests.filings.factories import file_return

CERTIFY = {"certified_name": "Someone", "certified_capacity": "Clerk", "declaration": "on", "step": "submit"}


@pytest.fixture
def filed(account, owner):
    return file_return(account=account, period="2021-05", user=owner)


def _urls(account, filed):
    number = account.number
    return [
        ("get", reverse("returns_owed", kwargs={"number": number})),
        ("get", reverse("return_period", kwargs={"number": number, "period": "2021-05"})),
        (
            "get",
            reverse(
                "return_confirmation",
                kwargs={"number": number, "confirmation_number": filed.confirmation_number},
            ),
        ),
        ("get", reverse("return_file", kwargs={"number": number, "period": "2021-06"})),
        ("post", reverse("return_file", kwargs={"number": number, "period": "2021-06"})),
        ("post", reverse("return_nil", kwargs={"number": number, "period": "2021-06"})),
        ("post", reverse("return_amend", kwargs={"number": number, "period": "2021-05"})),
        ("post", reverse("return_compute", kwargs={"number": number, "period": "2021-06"})),
    ]


def test_without_file_returns_the_answer_is_403(account, filed):
    user = UserFactory()
    delegate_grant(
        account=account, user=user, privileges=(Privilege.VIEW_ACCOUNT, Privilege.VIEW_ASSESSMENTS)
    )
    client = sign_in(Client(), user)
    for method, path in _urls(account, filed):
        response = getattr(client, method)(path, {"propane__taxable": "5", **CERTIFY})
        assert response.status_code == 403, path
        assert str(Privilege.FILE_RETURNS.label) in response.content.decode(), path
    assert FuelTaxReturn.objects.count() == 1
    assert AccessLogEntry.objects.filter(actor=user, kind="denied").count() == len(_urls(account, filed))


def test_an_outsider_gets_404(account, filed):
    client = sign_in(Client(), UserFactory())
    for method, path in _urls(account, filed):
        response = getattr(client, method)(path, {"propane__taxable": "5", **CERTIFY})
        assert response.status_code == 404, path
        assert account.taxpayer.legal_name not in response.content.decode()
        made_up = getattr(client, method)(path.replace(account.number, "000000000-01-001"), CERTIFY)
        assert made_up.status_code == 404
    assert FuelTaxReturn.objects.count() == 1


def test_anonymous_people_are_sent_to_sign_in(account, filed):
    for method, path in _urls(account, filed):
        response = getattr(Client(), method)(path, CERTIFY)
        assert response.status_code == 302
        assert "/auth/login/" in response["Location"]


def test_an_owner_of_another_account_gets_404(account, filed):
    from tests.consent.factories import ProgramAccountFactory, owner_grant

    other = ProgramAccountFactory()
    user = owner_grant(account=other).user
    client = sign_in(Client(), user)
    confirmation = reverse(
        "return_confirmation",
        kwargs={"number": other.number, "confirmation_number": filed.confirmation_number},
    )
    assert client.get(confirmation).status_code == 404  # their own account, someone else's return
    assert client.get(reverse("returns_owed", kwargs={"number": account.number})).status_code == 404


def test_a_representative_with_file_returns_files_as_representative(account):
    consent = ConsentFactory(
        taxpayer=account.taxpayer, privileges=[Privilege.FILE_RETURNS.value], accounts=[account]
    )
    representative_grant(consent=consent, account=account)
    client = sign_in(Client(), consent.representative)
    response = client.post(
        reverse("return_file", kwargs={"number": account.number, "period": "2021-06"}),
        {"propane__taxable": "100", **CERTIFY},
    )
    assert response.status_code == 302
    tax_return = FuelTaxReturn.objects.get()
    assert (tax_return.filed_by, tax_return.filed_in_capacity, tax_return.total_tax) == (
        consent.representative,
        "representative",
        Decimal("6.50"),
    )
    log = AccessLogEntry.objects.get(action="fuel tax return filed")
    assert (log.actor, log.capacity) == (consent.representative, "representative")


def test_the_account_menu_offers_file_a_return_to_those_who_may(account, owner, filer):
    returns_url = reverse("returns_owed", kwargs={"number": account.number})
    account_url = reverse("account_detail", kwargs={"number": account.number})
    viewer = UserFactory()
    delegate_grant(account=account, user=viewer, privileges=(Privilege.VIEW_ACCOUNT,))
    both = UserFactory()
    delegate_grant(account=account, user=both, privileges=(Privilege.VIEW_ACCOUNT, Privilege.FILE_RETURNS))
    assert f'href="{returns_url}"' in sign_in(Client(), owner).get(account_url).content.decode()
    assert f'href="{returns_url}"' in sign_in(Client(), both).get(account_url).content.decode()
    assert f'href="{returns_url}"' not in sign_in(Client(), viewer).get(account_url).content.decode()
    page = sign_in(Client(), filer).get(returns_url).content.decode()
    assert f'href="{returns_url}" aria-current="page">File a Return</a>' in page
