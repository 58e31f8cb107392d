"""The production SFTP door for real: OpenSSH's sshd started as docker/sftp/ configures it (tests/sshd_server.py: the
production sshd_config but for port, host key and paths; the image's AuthorizedKeysCommand script asking TRACS's
`manage.py sftp_authorized_keys` against the test database; the accounts in libnss-extrausers from the entrypoint's
`manage.py sftp_passwd`), and OpenSSH's own sftp client over loopback. A registered key signs in and puts a file
the sweep ingests and answers in outbox/, attributed to the key's person; no way out of the account's folder, no
shell, no terminal, no forwarding; A's key is refused on B's account, and a revoked delegate's key is refused; each
sign-in decision and each file is in the account's access log. Skipped, with the reason, where sshd cannot run
(not root, or sshd and libnss-extrausers not installed: scripts/ensure_services.sh installs them)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import AccessLogEntry
from consent.models import Grant
from filings.sales.models import Ingestion
from filings.sales.sftp import directories, keys, pickup
from tests import sshd_server
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import delegate_grant, owner_grant
from tests.filings.sales.conftest import SFTP
from tests.filings.sales.sftp_helpers import csv_text, key_pair
from tests.filings.sales_helpers import sale_row, seller
from tests.programs.registry_helpers import registry

SSH = "/usr/bin/ssh"
UNAVAILABLE = sshd_server.unavailable()
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group(
        "sshd"
    ),  # one sshd test at a time on a machine (sshd_server.exclusive): one worker
    pytest.mark.skipif(UNAVAILABLE is not None, reason=f"OpenSSH's sshd cannot run here: {UNAVAILABLE}"),
]


def register(account, person, folder: Path, name: str, *, by=None):
    pair = key_pair(folder)
    by = by or person
    key = keys.sftp_key_register(
        account=account, person=person, name=name, public_key=pair.public_text, by=by, actor=actor_for(by)
    )
    return key, pair.private


@pytest.fixture
def sshd(settings):
    """sshd running as the image runs it, the test's SFTP folders in its root; `sync()` writes the system users of
    the accounts with keys as the entrypoint does (`manage.py sftp_passwd --chown --gid 20000` into
    libnss-extrausers), removed at the end."""
    with (
        sshd_server.exclusive(),
        sshd_server.running_sshd(
            settings_dict=connection.settings_dict, secret_key=settings.SECRET_KEY
        ) as running,
        ExitStack() as users,
    ):
        settings.TRACS_SFTP_ROOT = str(running.sftp_root)
        settings.TRACS_SFTP_SETTLE_SECONDS = 0

        def sync() -> None:
            out = io.StringIO()
            # The workers' user, who write outbox/: here the test itself, which runs the sweep.
            call_command(
                "sftp_passwd", "--chown", "--gid", str(sshd_server.SFTP_GID), "--outbox-uid", str(os.getuid()),
                stdout=out,
            )  # fmt: skip
            passwd, group = sshd_server.command_user_lines()
            users.enter_context(
                sshd_server.extrausers(passwd=passwd + out.getvalue().splitlines(), group=group)
            )

        running.sync = sync
        yield running


def client_options(running, key: Path, control: Path | None) -> list[str]:
    """OpenSSH client options for the test's sshd; with `control`, the first connection stays open (ControlMaster)
    and the next commands ride on it, without signing in again."""
    options = [
        "-F", "/dev/null", "-i", str(key), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "LogLevel=ERROR",
    ]  # fmt: skip
    if control is not None:
        options += ["-o", "ControlMaster=auto", "-o", f"ControlPath={control}", "-o", "ControlPersist=60"]
    return options


def sftp(
    running, *, user: str, key: Path, commands: str, cwd: Path, control: Path | None = None
) -> subprocess.CompletedProcess:
    """OpenSSH's sftp client in batch mode (a command starting with "-" may fail; any other must succeed)."""
    return subprocess.run(
        [SFTP, "-b", "-", "-P", str(running.port), *client_options(running, key, control), f"{user}@127.0.0.1"],
        input=commands, capture_output=True, text=True, timeout=60, cwd=cwd, check=False,
    )  # fmt: skip


def ssh(
    running, *, user: str, key: Path, control: Path, options: list[str], command: str | None = None
) -> subprocess.CompletedProcess:
    """OpenSSH's ssh client over the connection `control` holds open."""
    return subprocess.run(
        [SSH, "-p", str(running.port), *client_options(running, key, control), *options, f"{user}@127.0.0.1",
         *([command] if command is not None else [])],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def actions(account) -> list[str]:
    return list(
        AccessLogEntry.objects.filter(account_number=account.number, door="sftp")
        .order_by("pk")
        .values_list("action", flat=True)
    )


@pytest.fixture
def accounts(sshd, tmp_path):
    """Seller A (its owner's key) and seller B (its own owner's key, so B is a system user sshd knows)."""
    registry()
    a, b = seller(), seller()
    owner_a, owner_b = UserFactory(), UserFactory()
    owner_grant(account=a, user=owner_a)
    owner_grant(account=b, user=owner_b)
    key_a, private_a = register(a, owner_a, tmp_path / "a", "Server")
    register(b, owner_b, tmp_path / "b", "B's server")
    sshd.sync()
    return {"a": a, "b": b, "owner_a": owner_a, "key_a": key_a, "private_a": private_a}


@pytest.fixture
def control():
    """Where OpenSSH's client keeps its open connection (a socket's path is at most 108 bytes: not under tmp_path);
    the connection is ended and the folder removed after."""
    folder = Path(tempfile.mkdtemp(prefix="ssh-"))
    yield folder / "c"
    subprocess.run(
        [SSH, "-o", f"ControlPath={folder / 'c'}", "-O", "exit", "x"], capture_output=True, check=False
    )
    shutil.rmtree(folder, ignore_errors=True)


def test_a_key_signs_in_to_sshd_and_its_file_is_ingested_answered_and_attributed(
    accounts, sshd, control, tmp_path
):
    account, owner = accounts["a"], accounts["owner_a"]
    local = tmp_path / "sales-2026-10.csv"
    local.write_text(csv_text([sale_row(account), sale_row(account, line=2, exemption_number="F7654321")]))
    result = sftp(
        sshd, user=account.number, key=accounts["private_a"], cwd=tmp_path, control=control,
        commands=(
            "pwd\nls -a /\n-ls /..\n-cd /../..\n-get /etc/passwd escaped-passwd\n"
            f"-ls ../{accounts['b'].number}\n-mkdir /outside\n-put {local.name} /outbox/fake.ack.csv\n"
            "mkdir /inbox/sub\n"
            f"put {local.name} /inbox/sales-2026-10.csv\nls /inbox\n"
        ),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + sshd.log_text()
    # The session starts in inbox/ (internal-sftp -d /inbox) of its own folder, which holds inbox/ and outbox/ only.
    assert "Remote working directory: /inbox" in result.stdout
    listing = result.stdout.split("ls -a /", 1)[1].split("sftp>", 1)[0].split()
    assert sorted(listing) == ["/.", "/..", "/inbox", "/outbox"]
    assert not (tmp_path / "escaped-passwd").exists()
    assert 'File "/etc/passwd" not found' in result.stderr  # the chroot's / is the account's folder
    assert f'"/../{accounts["b"].number}" not found' in result.stderr
    assert 'remote mkdir "/outside": Permission denied' in result.stderr
    assert (
        'dest open "/outbox/fake.ack.csv": Permission denied' in result.stderr
    )  # outbox/ is TRACS's to write
    inbox = directories.inbox(account_number=account.number)
    assert sorted(path.name for path in inbox.iterdir()) == ["sales-2026-10.csv", "sub"]
    assert (
        inbox.joinpath("sales-2026-10.csv").stat().st_uid == 20000 + account.pk
    )  # written as the account's user

    # One sign-in, one row: sshd asked TRACS twice (the key offered, then signed).
    assert actions(account) == ["SFTP session opened"]
    opened = AccessLogEntry.objects.get(account_number=account.number, action="SFTP session opened")
    assert (opened.actor, opened.kind) == (owner, "security")
    assert f"key Server {accounts['key_a'].fingerprint} (sshd connection process " in opened.detail
    assert sshd.log_text().count("Accepted publickey for " + account.number) == 1
    # sshd's own log has the sign-in and the chroot; internal-sftp's per-file lines (-l INFO) go to syslog, which
    # a chrooted session cannot reach without a /dev/log in its folder (docs/sftp.md): TRACS's log has the files.
    assert f'Changed root directory to "{sshd.sftp_root}/{account.number}"' in sshd.log_text()

    # The sweep (the beat job behind sshd) picks it up, attributed to the key that signed in, and answers it.
    assert pickup.inbox_sweep() == 1
    ingestion = Ingestion.objects.get(account=account)
    assert (ingestion.door, ingestion.file_name, ingestion.submitted_by) == ("sftp", local.name, owner)
    assert (ingestion.status, ingestion.rows_accepted, ingestion.rows_rejected) == ("done", 1, 1)
    put = AccessLogEntry.objects.get(account_number=account.number, action="SFTP file put")
    assert put.actor == owner
    assert put.detail.startswith("inbox/sales-2026-10.csv, found by the sweep (last written ")
    assert (
        f"attributed to key Server {accounts['key_a'].fingerprint}: the account's last sign-in" in put.detail
    )
    # A folder (sshd lets the account make one) is refused and removed; the file is answered in outbox/.
    assert list(inbox.iterdir()) == []
    assert "is a folder" in (directories.outbox(account_number=account.number) / "sub.ack.csv").read_text()
    answer = (directories.outbox(account_number=account.number) / "sales-2026-10.csv.ack.csv").read_text()
    assert answer.startswith("file,status")
    assert "F7654321" in answer

    # No shell, no terminal, no forwarding: only SFTP, whatever the client asks, on the connection still open; and
    # the answer read back with the real client.
    def over_it(*options: str, command: str | None = None) -> subprocess.CompletedProcess:
        return ssh(
            sshd, user=account.number, key=accounts["private_a"], control=control, options=list(options),
            command=command,
        )  # fmt: skip

    shell = over_it("-T", command="id; cat /etc/passwd")
    assert "uid=" not in shell.stdout
    assert "root:" not in shell.stdout
    terminal = over_it("-tt", command="id")
    assert "PTY allocation request failed" in terminal.stderr
    assert "uid=" not in terminal.stdout
    forward = over_it("-W", f"127.0.0.1:{sshd.port}")
    assert forward.returncode != 0
    assert "Session open refused by peer" in forward.stderr, forward
    assert (
        f"refused local port forward: originator 127.0.0.1 port 65535, target 127.0.0.1 port {sshd.port}"
        in (sshd.log_text())
    )
    remote = over_it("-O", "forward", "-R", f"0:127.0.0.1:{sshd.port}")
    assert remote.returncode != 0
    assert "forwarding failed" in remote.stderr, remote
    got = sftp(
        sshd, user=account.number, key=accounts["private_a"], cwd=tmp_path, control=control,
        commands="get /outbox/sales-2026-10.csv.ack.csv\n",
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "sales-2026-10.csv.ack.csv").read_text() == answer
    assert (
        AccessLogEntry.objects.filter(action="SFTP session opened").count() == 1
    )  # one sign-in for all of it


def test_sshd_refuses_a_key_on_another_account_and_a_revoked_delegates_key(accounts, sshd, tmp_path):
    a, b = accounts["a"], accounts["b"]
    result = sftp(sshd, user=b.number, key=accounts["private_a"], commands="ls\n", cwd=tmp_path)
    assert result.returncode != 0
    assert "Permission denied (publickey)" in result.stderr
    refused = AccessLogEntry.objects.get(account_number=b.number, action="SFTP sign-in refused")
    assert refused.detail.startswith(f"{keys.NO_SUCH_KEY} (key {accounts['key_a'].fingerprint}, sshd ")
    assert "SFTP session opened" not in actions(b)

    clerk = UserFactory()
    delegate_grant(account=a, user=clerk, privileges=["report_fuel"])
    key, private = register(a, clerk, tmp_path / "clerk", "Clerk", by=accounts["owner_a"])
    Grant.objects.filter(account=a, user=clerk).update(status=Grant.Status.REVOKED, revoked_at=timezone.now())
    result = sftp(sshd, user=a.number, key=private, commands="ls\n", cwd=tmp_path)
    assert result.returncode != 0
    assert "Permission denied (publickey)" in result.stderr
    refused = AccessLogEntry.objects.get(account_number=a.number, action="SFTP sign-in refused")
    assert refused.detail.startswith(f"{keys.ACCESS_ENDED} (key {key.fingerprint}, sshd ")
    assert "SFTP session opened" not in actions(a)
