"""sshd's side of the SFTP door (docker/sftp): the AuthorizedKeysCommand answers a key only while it works (the
revoked delegate's is refused and logged), and the system accounts sshd needs are the accounts with keys."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AccessLogEntry
from consent.models import Grant
from filings.sales.sftp import directories, keys
from tests import sshd_server
from tests.accounts.factories import actor_for
from tests.consent.factories import ProgramAccountFactory
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
    answer = command("sftp_authorized_keys", seller.number, key.fingerprint, "--connection", "c1")
    assert answer == f"restrict {key.public_key} tracs-key-{key.pk}\n"
    # sshd asks twice for one sign-in (the key offered, then signed): one row per connection and key.
    command("sftp_authorized_keys", seller.number, key.fingerprint, "--connection", "c1")
    opened = AccessLogEntry.objects.get(action="SFTP session opened")
    assert (opened.account_number, opened.actor, opened.door) == (seller.number, clerk, "sftp")
    assert opened.detail == f"key Clerk {key.fingerprint} (sshd c1)"
    command("sftp_authorized_keys", seller.number, key.fingerprint, "--connection", "c2")
    assert AccessLogEntry.objects.filter(action="SFTP session opened").count() == 2

    other = ProgramAccountFactory(program="tefs")
    assert command("sftp_authorized_keys", other.number, key.fingerprint, "--connection", "c3") == ""
    refused = AccessLogEntry.objects.get(action="SFTP sign-in refused")
    assert (refused.account_number, refused.kind, refused.actor) == (other.number, "denied", None)
    assert refused.detail == f"{keys.NO_SUCH_KEY} (key {key.fingerprint}, sshd c3)"

    Grant.objects.filter(account=seller, user=clerk).update(
        status=Grant.Status.REVOKED, revoked_at=timezone.now()
    )
    assert command("sftp_authorized_keys", seller.number, key.fingerprint, "--connection", "c4") == ""
    refused = AccessLogEntry.objects.get(action="SFTP sign-in refused", account_number=seller.number)
    assert refused.detail == f"{keys.ACCESS_ENDED} (key {key.fingerprint}, sshd c4)"


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


def test_the_sshd_test_runs_the_production_config_but_for_port_host_key_and_paths(tmp_path):
    """tests/sshd_server.py derives the real sshd test's configuration from docker/sftp/sshd_config: every directive
    the production file has is in it, as it is, except the port, host key, command and chroot paths; and sshd itself
    reads both to the same effective settings but for those (`sshd -T`, where sshd is installed)."""
    production = sshd_server.PRODUCTION_CONFIG.read_text()
    paths = {
        "port": 2222,
        "host_key": tmp_path / "host_key",
        "command": tmp_path / "authorized-keys",
        "environment": tmp_path / "environment",
        "sftp_root": tmp_path / "sftp",
        "pid_file": tmp_path / "sshd.pid",
    }
    derived = sshd_server.derived_config(production, **paths)
    kept = dict(sshd_server.directives(derived))
    for keyword, value in sshd_server.directives(production):
        assert keyword in kept, keyword
        if keyword not in sshd_server.CHANGED:
            assert kept[keyword] == value, keyword
    assert kept["authorizedkeyscommand"] == f"{tmp_path}/authorized-keys {tmp_path}/environment %u %f"
    assert kept["chrootdirectory"] == f"{tmp_path}/sftp/%u"
    # A directive the production file gains reaches the test as it is; one the test cannot map stops it.
    assert "maxsessions 2" in sshd_server.derived_config(production + "MaxSessions 2\n", **paths)
    with pytest.raises(ValueError, match="ChrootDirectory"):
        sshd_server.derived_config(production.replace("/data/sftp/%u", "/srv/%u"), **paths)
    with pytest.raises(ValueError, match="AuthorizedKeysCommand"):
        sshd_server.derived_config(production.replace("/app/docker", "/opt/docker"), **paths)

    if not sshd_server.SSHD.exists():
        return
    subprocess.run(
        ["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(paths["host_key"])], check=True
    )
    (tmp_path / "sshd_config").write_text(derived)

    def effective(config: Path, *options: str) -> dict[str, set[str]]:
        out = subprocess.run(
            [str(sshd_server.SSHD), "-T", "-f", str(config), *options],
            capture_output=True, text=True, check=True, timeout=30,
        )  # fmt: skip
        settings: dict[str, set[str]] = {}
        for line in out.stdout.splitlines():
            keyword, _, value = line.partition(" ")
            settings.setdefault(keyword, set()).add(value)
        return settings

    image = effective(sshd_server.PRODUCTION_CONFIG, "-o", f"HostKey={paths['host_key']}")
    test = effective(tmp_path / "sshd_config")
    differ = {keyword for keyword in image.keys() | test.keys() if image.get(keyword) != test.get(keyword)}
    assert differ == {
        "port",
        "hostkey",
        "listenaddress",
        "pidfile",
        "authorizedkeyscommand",
        "chrootdirectory",
    }
    assert image["hostkey"] == {"/etc/ssh/keys/ssh_host_ed25519_key", str(paths["host_key"])}
    assert test["hostkey"] == {str(paths["host_key"])}
