"""SFTP keys (issue 14, item 9): an owner registers a key for a person who may report fuel transactions; the key
works while that person's access does (checked at each sign-in); staff approval when settings say so; keys are
revoked by owners and by staff; every change is an access-log row."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AccessLogEntry
from consent.models import Grant
from consent.privileges import Privilege
from consent.services.grants import OWNERS_ONLY
from filings.sales.sftp import directories, keys
from filings.sales.sftp.models import SftpKey
from programs.registries.services import NOT_A_SELLER
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.filings.sales.sftp_helpers import key_pair

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    return {
        "ed25519": key_pair(folder, "ed"),
        "other": key_pair(folder, "other"),
        "ecdsa": key_pair(folder, "ec", kind="ecdsa", bits=256),
        "rsa_short": key_pair(folder, "rsa2048", kind="rsa", bits=2048),
    }


def register(seller, owner, person, text, **kwargs):
    return keys.sftp_key_register(
        account=seller, person=person, name="Accounting server", public_key=text, by=owner, actor=actor_for(owner),
        **kwargs,
    )  # fmt: skip


def test_an_owner_registers_a_key_for_a_delegate_who_reports_fuel(seller, owner, clerk, pairs):
    key = register(seller, owner, clerk, pairs["ed25519"].public_text)

    assert key.status == SftpKey.Status.ACTIVE
    assert key.algorithm == "ssh-ed25519"
    assert key.fingerprint.startswith("SHA256:")
    assert "@seller" not in key.public_key  # the comment is not kept
    assert directories.inbox(account_number=seller.number).is_dir()
    assert directories.outbox(account_number=seller.number).is_dir()
    entry = AccessLogEntry.objects.get(action="SFTP key registered")
    assert entry.account_number == seller.number
    assert clerk.email in entry.detail
    assert key.fingerprint in entry.detail
    assert keys.sftp_key_check(account_number=seller.number, fingerprint=key.fingerprint) == key


def test_with_staff_approval_a_key_waits_then_works(seller, owner, pairs, settings):
    settings.TRACS_SFTP_KEY_APPROVAL = True
    key = register(seller, owner, owner, pairs["ecdsa"].public_text)
    assert key.status == SftpKey.Status.PENDING
    with pytest.raises(keys.SignInRefused) as refused:
        keys.sftp_key_check(account_number=seller.number, fingerprint=key.fingerprint)
    assert refused.value.reason == str(keys.KEY_PENDING)

    officer = UserFactory(is_staff=True)
    keys.sftp_key_approve(key=key, by=officer, actor=actor_for(officer))
    key.refresh_from_db()
    assert (key.status, key.approved_by) == (SftpKey.Status.ACTIVE, officer)
    assert keys.sftp_key_check(account_number=seller.number, fingerprint=key.fingerprint) == key
    with pytest.raises(ValidationError, match="Only a key waiting"):
        keys.sftp_key_approve(key=key, by=officer, actor=actor_for(officer))


def test_the_key_dies_with_its_persons_access_at_the_next_sign_in(seller, owner, clerk, pairs):
    key = register(seller, owner, clerk, pairs["ed25519"].public_text)
    grant = Grant.objects.get(account=seller, user=clerk)
    grant.status = Grant.Status.REVOKED
    grant.revoked_at = timezone.now()
    grant.save()

    with pytest.raises(keys.SignInRefused) as refused:
        keys.sftp_key_check(account_number=seller.number, fingerprint=key.fingerprint)
    assert refused.value.reason == str(keys.ACCESS_ENDED)
    key.refresh_from_db()
    assert key.status == SftpKey.Status.ACTIVE  # nobody revoked it: the sign-in check alone refuses it


def test_a_delegate_whose_privileges_no_longer_include_fuel_is_refused(seller, owner, clerk, pairs):
    key = register(seller, owner, clerk, pairs["ed25519"].public_text)
    Grant.objects.filter(account=seller, user=clerk).update(privileges=[Privilege.VIEW_ACCOUNT])
    with pytest.raises(keys.SignInRefused, match="no longer has access"):
        keys.sftp_key_check(account_number=seller.number, fingerprint=key.fingerprint)


def test_a_closed_account_refuses_its_keys(seller, owner, pairs):
    key = register(seller, owner, owner, pairs["ed25519"].public_text)
    seller.status = seller.Status.CLOSED
    seller.save()
    with pytest.raises(keys.SignInRefused) as refused:
        keys.sftp_key_check(account_number=seller.number, fingerprint=key.fingerprint)
    assert refused.value.reason == str(keys.ACCOUNT_CLOSED)


def test_a_key_for_account_a_does_not_sign_in_to_account_b(seller, owner, pairs):
    key = register(seller, owner, owner, pairs["ed25519"].public_text)
    other = ProgramAccountFactory(program="tefs")
    owner_grant(account=other, user=owner)  # the same person owns B: the key still is A's only
    with pytest.raises(keys.SignInRefused) as refused:
        keys.sftp_key_check(account_number=other.number, fingerprint=key.fingerprint)
    assert refused.value.reason == str(keys.NO_SUCH_KEY)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a key at all", keys.KEY_NOT_READ),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", keys.PRIVATE_KEY),
    ],
)  # fmt: skip
def test_what_is_not_a_public_key_is_refused_saying_so(seller, owner, text, message):
    with pytest.raises(ValidationError) as refused:
        register(seller, owner, owner, text)
    assert refused.value.messages == [str(message)]
    assert not SftpKey.objects.exists()


def test_short_rsa_keys_and_dsa_keys_are_refused(seller, owner, pairs):
    with pytest.raises(ValidationError, match="This RSA key has 2048 bits; at least 3072"):
        register(seller, owner, owner, pairs["rsa_short"].public_text)
    dsa = "ssh-dss AAAAB3NzaC1kc3MAAACBAP1/U4EddRIpUt9KnC7s5Of2EbdSPO9EAMMeP4C2USZpRV1AIlH7WT2NWPq/xfW6MPbLm1Vs14E7gB00b/JmYLdrmVClpJ+f6AR7ECLCT7up1/63xhv4O1fnxqimFQ8E+4P208UewwI1VBNaFpEy9nXzrith1yrv8iIDGZ3RSAHHAAAAFQCXYFCPFSMLzLKSuYKi64QL8Fgc9QAAAIEA9+GghdabPd7LvKtcNrhXuXmUr7v6OuqC+VdMCz0HgmdRWVeOutRZT+ZxBxCBgLRJFnEj6EwoFhO3zwkyjMim4TwWeotUfI0o4KOuHiuzpnWRbqN/C/ohNWLx+2J6ASQ7zKTxvqhRkImog9/hWuWfBpKLZl6Ae1UlZAFMO/7PSSoAAACBAJXlqVo8D9c3xS7Wr2XRWYHHBhhkwfD+yYtG3Uu1JXTtvgGmI7GHS6w9fpGbFxkhbQ6mIzhIRfwEfQ2Dn0oHw3qbqNwSwXfASvSJaCvq4Nm8rcs2TTKVuMB7y1sbl8cQCrxpXXsYmYwIvEQ+5aIpeaKC2VDGh6aU0Tr2cAIfhEVv"
    with pytest.raises(ValidationError, match="Keys of type ssh-dss are not accepted"):
        register(seller, owner, owner, dsa)


def test_only_an_owner_registers_and_only_for_someone_who_reports_fuel(seller, owner, clerk, pairs):
    with pytest.raises(ValidationError) as refused:
        register(seller, clerk, clerk, pairs["ed25519"].public_text)  # a delegate registering
    assert refused.value.messages == [str(OWNERS_ONLY)]
    reader = UserFactory()
    delegate_grant(account=seller, user=reader, privileges=[Privilege.VIEW_ACCOUNT])
    with pytest.raises(ValidationError, match="cannot report fuel transactions on this account"):
        register(seller, owner, reader, pairs["ed25519"].public_text)
    assert {grant.user for grant in keys.key_holders(account=seller)} == {owner, clerk}


def test_a_key_is_registered_once_per_account_while_in_use(seller, owner, clerk, pairs):
    first = register(seller, owner, clerk, pairs["ed25519"].public_text)
    with pytest.raises(ValidationError, match="already registered on this account, as “Accounting server”"):
        register(seller, owner, owner, pairs["ed25519"].public_text)
    keys.sftp_key_revoke(key=first, by=owner, actor=actor_for(owner))
    again = register(seller, owner, owner, pairs["ed25519"].public_text)  # revoked keys are history only
    assert again.pk != first.pk


def test_keys_are_only_for_marked_fuel_accounts(owner, pairs):
    fuel_tax = ProgramAccountFactory(program="fuel_tax")
    owner_grant(account=fuel_tax, user=owner)
    with pytest.raises(ValidationError) as refused:
        register(fuel_tax, owner, owner, pairs["ed25519"].public_text)
    assert refused.value.messages == [str(NOT_A_SELLER % {"number": fuel_tax.number})]


def test_revoking_refuses_the_next_sign_in_and_is_logged(seller, owner, clerk, pairs):
    key = register(seller, owner, clerk, pairs["ed25519"].public_text)
    with pytest.raises(ValidationError):
        keys.sftp_key_revoke(key=key, by=clerk, actor=actor_for(clerk))  # not an owner
    keys.sftp_key_revoke(key=key, by=owner, actor=actor_for(owner))
    with pytest.raises(keys.SignInRefused):
        keys.sftp_key_check(account_number=seller.number, fingerprint=key.fingerprint)
    with pytest.raises(ValidationError, match="revoked already"):
        keys.sftp_key_revoke(key=key, by=owner, actor=actor_for(owner))
    staff = UserFactory(is_staff=True)
    other = register(seller, owner, owner, pairs["other"].public_text)
    keys.sftp_key_revoke(key=other, by=staff, actor=actor_for(staff), by_staff=True, reason="lost laptop")
    assert AccessLogEntry.objects.filter(action="SFTP key revoked").count() == 2
    assert AccessLogEntry.objects.get(action="SFTP key revoked", detail__endswith="lost laptop")


def test_sessions_and_refusals_are_access_logged(seller, owner, pairs):
    key = register(seller, owner, owner, pairs["ed25519"].public_text)
    session = keys.sftp_session_open(
        account_number=seller.number, fingerprint=key.fingerprint, ip_address="127.0.0.1"
    )
    assert session.actor.user == owner
    assert session.actor.capacity == Grant.Role.OWNER
    opened = AccessLogEntry.objects.get(action="SFTP session opened")
    assert (opened.kind, opened.door, opened.ip_address) == ("security", "sftp", "127.0.0.1")
    key.refresh_from_db()
    assert key.last_used_at is not None

    keys.sftp_sign_in_refused(
        account_number=seller.number, reasons=[str(keys.NO_SUCH_KEY)] * 2, ip_address=None
    )
    keys.sftp_sign_in_refused(account_number="not-an-account", reasons=[], ip_address=None)
    refused = AccessLogEntry.objects.filter(action="SFTP sign-in refused").order_by("pk")
    assert [(row.account_number, row.detail) for row in refused] == [
        (seller.number, str(keys.NO_SUCH_KEY)),
        ("", str(keys.NO_SUCH_KEY)),
    ]
