from datetime import date

import pytest
from django.test import Client

from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant


@pytest.fixture
def account(db):
    """A fuel tax remitter owing returns from January 2021."""
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.", effective_date=date(2021, 1, 1))


@pytest.fixture
def owner(account):
    user = UserFactory(full_name="Olivia Owner")
    owner_grant(account=account, user=user)
    return user


@pytest.fixture
def owner_client(owner):
    return sign_in(Client(), owner)


@pytest.fixture
def staff(db):
    return UserFactory(full_name="Sam Staff", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff):
    return sign_in(Client(), staff)


@pytest.fixture
def viewer(account):
    """A delegate who may view the account's balances and transactions, and its notices."""
    user = UserFactory(full_name="Vera Viewer")
    delegate_grant(
        account=account, user=user, privileges=(Privilege.VIEW_ACCOUNT, Privilege.VIEW_ASSESSMENTS)
    )
    return user
