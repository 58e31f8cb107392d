"""What the marked-fuel doors' tests share: a seller (a TEFS account) with its SFTP folders in the test's own
folder, its owner, and a clerk (a delegate who may report fuel transactions)."""

from __future__ import annotations

import pytest

from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant


@pytest.fixture
def seller(db, settings, tmp_path):
    settings.TRACS_SFTP_ROOT = str(tmp_path / "sftp")
    return ProgramAccountFactory(program="tefs", taxpayer__legal_name="Counter Fuels Ltd.")


@pytest.fixture
def owner(seller):
    person = UserFactory()
    owner_grant(account=seller, user=person)
    return person


@pytest.fixture
def clerk(seller):
    person = UserFactory()
    delegate_grant(account=seller, user=person, privileges=[Privilege.REPORT_FUEL])
    return person
