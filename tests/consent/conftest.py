import re

import pytest
from django.test import Client

from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant

CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def account(db):
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.")


@pytest.fixture
def owner(account):
    user = UserFactory(full_name="Olivia Owner")
    owner_grant(account=account, user=user)
    return user


@pytest.fixture
def owner_client(client, owner):
    return sign_in(client, owner)


@pytest.fixture
def client_for(db):
    """A separate browser (its own session) signed in as `user`."""

    def make(user):
        return sign_in(Client(), user)

    return make


def page_without_tokens(response) -> bytes:
    """The page with its per-request CSRF tokens blanked, to compare two pages byte for byte."""
    return CSRF_TOKEN.sub(b'name="csrfmiddlewaretoken" value=""', response.content)
