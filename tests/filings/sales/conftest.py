"""What the marked-fuel doors' tests share: a seller (a TEFS account) with its SFTP folders in the test's own
folder, its owner, and a clerk (a delegate who may report fuel transactions); the SFTP server and OpenSSH's
client."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.sftp_server import RunningSftp

SFTP = "/usr/bin/sftp"


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


def sftp(
    running: RunningSftp, *, user: str, key: Path, commands: str, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """OpenSSH's own sftp client, in batch mode (each command must succeed unless it starts with "-")."""
    return subprocess.run(
        [
            SFTP, "-b", "-", "-F", "/dev/null", "-i", str(key), "-P", str(running.port),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "LogLevel=ERROR", f"{user}@127.0.0.1",
        ],
        input=commands,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )  # fmt: skip
