"""The demo's SFTP key: the demo owner's, on Prairie Fuels' marked-fuel account, its private half beside the SFTP
folders; loading the demo again keeps it, and makes a new pair only when the private half is gone."""

from __future__ import annotations

import asyncssh
import pytest

from accounts import demo as people
from consent import demo as consent_demo
from filings.sales.sftp import demo, keys
from filings.sales.sftp.models import SftpKey
from programs import demo as programs_demo

pytestmark = pytest.mark.django_db


def test_the_demo_owner_has_a_working_sftp_key_for_the_marked_fuel_account():
    users = people.seed()
    programs_demo.seed(users=users)
    consent_demo.seed(users=users)
    demo.seed(users=users)
    demo.seed(users=users)  # idempotent
    key = SftpKey.objects.get(status=SftpKey.Status.ACTIVE)
    assert (key.account.program.code, key.account.taxpayer.bin, key.person) == (
        "tefs",
        "123456789",
        users["owner"],
    )
    private = asyncssh.read_private_key(str(demo.demo_key_path()))
    assert private.get_fingerprint("sha256") == key.fingerprint
    assert keys.sftp_key_check(account_number=key.account.number, fingerprint=key.fingerprint) == key

    demo.demo_key_path().unlink()
    demo.seed(users=users)
    assert SftpKey.objects.filter(status=SftpKey.Status.REVOKED).get().pk == key.pk
    assert SftpKey.objects.get(status=SftpKey.Status.ACTIVE).pk != key.pk
