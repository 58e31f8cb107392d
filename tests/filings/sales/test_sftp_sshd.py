"""sshd's side of the SFTP door (docker/sftp): the AuthorizedKeysCommand answers a key only while it works (the
revoked delegate's is refused and logged), and the system accounts sshd needs are the accounts with keys."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AccessLogEntry
from consent.models import Grant
from filings.sales.sftp import directories, keys
from tests.accounts.factories import actor_for
from tests.filings.sales.sftp_helpers import key_pair

pytestmark = pytest.mark.django_db


def command(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_authorized_keys_command_answers_a_working_key_only(seller, owner, clerk, tmp_path):
    pair = key_pair(tmp_path)
    key = keys.sftp_key_register(
        account=seller,
        person=clerk,
        name="Clerk",
        public_key=pair.public_text,
        by=owner,
        actor=actor_for(owner),
    )
    answer = command("sftp_authorized_keys", seller.number, key.fingerprint)
    assert answer == f"restrict {key.public_key} tracs-key-{key.pk}\n"
    assert command("sftp_authorized_keys", "700000099-02-001", key.fingerprint) == ""  # another account
    assert not AccessLogEntry.objects.filter(
        action="SFTP sign-in refused"
    ).exists()  # an unknown key: nothing

    Grant.objects.filter(account=seller, user=clerk).update(
        status=Grant.Status.REVOKED, revoked_at=timezone.now()
    )
    assert command("sftp_authorized_keys", seller.number, key.fingerprint) == ""
    assert AccessLogEntry.objects.get(action="SFTP sign-in refused").detail == str(keys.ACCESS_ENDED)


def test_sshd_gets_one_system_account_per_account_with_keys(seller, owner, tmp_path):
    pair = key_pair(tmp_path)
    keys.sftp_key_register(
        account=seller,
        person=owner,
        name="Server",
        public_key=pair.public_text,
        by=owner,
        actor=actor_for(owner),
    )
    uid = 20000 + seller.pk
    assert (
        command("sftp_passwd")
        == f"{seller.number}:x:{uid}:20000:TRACS SFTP {seller.number}:/:/usr/sbin/nologin\n"
    )
    assert directories.inbox(account_number=seller.number).is_dir()
