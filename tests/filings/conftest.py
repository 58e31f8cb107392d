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
def filer(account):
    """A delegate who may file returns (and nothing else)."""
    user = UserFactory(full_name="Fiona Filer")
    delegate_grant(account=account, user=user, privileges=(Privilege.FILE_RETURNS,))
    return user


@pytest.fixture
def filer_client(filer):
    return sign_in(Client(), filer)
