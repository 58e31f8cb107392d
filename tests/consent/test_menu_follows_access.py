"""The account menu is built from the grant read on each request, never from a cache (ADR 0018): a privilege an
owner takes away is gone from the delegate's menu on the very next page, and a revoked grant opens no page."""

import pytest
from django.test import Client
from django.urls import reverse

from consent import services
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant

pytestmark = pytest.mark.django_db


def test_a_privilege_taken_away_leaves_the_menu_on_the_next_request_and_a_revocation_closes_the_account():
    account = ProgramAccountFactory()
    owner, delegate = UserFactory(), UserFactory()
    owner_grant(account=account, user=owner)
    grant = delegate_grant(
        account=account, user=delegate, privileges=(Privilege.VIEW_ACCOUNT, Privilege.MESSAGES)
    )
    client = sign_in(Client(), delegate)
    page = reverse("account_detail", kwargs={"number": account.number})
    messages_link = f'href="{reverse("messages_list", kwargs={"number": account.number})}"'

    assert messages_link in client.get(page).content.decode()

    services.grant_update(
        grant=grant, by=owner, privileges=[Privilege.VIEW_ACCOUNT], ends_on=None, actor=actor_for(owner)
    )
    assert messages_link not in client.get(page).content.decode()

    services.grant_revoke(grant=grant, by=owner, actor=actor_for(owner))
    assert client.get(page).status_code == 404
