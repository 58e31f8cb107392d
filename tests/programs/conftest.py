"""Fixtures for the account pages of programs' data (addresses, contacts, direct deposit): an account with
two owners, and separate signed-in browsers."""

import pytest
from django.test import Client

from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant


@pytest.fixture
def account(db):
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.")


@pytest.fixture
def owner(account):
    user = UserFactory(full_name="Olivia Owner", email="olivia@example.ca")
    owner_grant(account=account, user=user)
    return user


@pytest.fixture
def co_owner(account):
    user = UserFactory(full_name="Oscar Owner", email="oscar@example.ca")
    owner_grant(account=account, user=user)
    return user


@pytest.fixture
def owner_client(client, owner, co_owner):
    return sign_in(client, owner)


@pytest.fixture
def client_for(db):
    """A separate browser (its own session) signed in as `user`."""

    def make(user):
        return sign_in(Client(), user)

    return make


def field_errors(response, field: str) -> list[str]:
    """The error messages shown next to one field (templates/includes/field.html)."""
    import re

    return re.findall(rf'<p class="field-error" id="id_{field}_error">([^<]*)</p>', response.content.decode())


@pytest.fixture
def in_process_reference(account, owner):
    """The confirmation number of a return of `account` that TRA has received and not yet assessed: the
    reference Submit Documents accepts for supporting documents (filings answers through programs' hook)."""
    from datetime import date

    from accounts.actors import Actor, Door
    from filings.services import return_submit

    filed = return_submit(
        account=account,
        period_end=date(2024, 1, 31),
        lines=[],
        certified_name=owner.display_name,
        certified_capacity="Owner",
        actor=Actor(user=owner, door=Door.WEB, capacity="owner"),
    )
    return filed.confirmation_number
