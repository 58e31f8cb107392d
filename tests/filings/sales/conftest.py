"""What the marked-fuel doors' tests share: a seller (a TEFS account) with its SFTP folders in the test's own
folder, its owner, and a clerk (a delegate who may report fuel transactions); the SFTP server and OpenSSH's
client."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from consent.privileges import Privilege
from filings.sales.sftp import server
from tests.accounts.factories import UserFactory
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant

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


@dataclass
class RunningSftp:
    port: int
    loop: asyncio.AbstractEventLoop
    door: server.Door

    def settle(self, timeout: float = 30) -> None:
        """Wait until the server's background work (pickups, log rows) is done."""
        asyncio.run_coroutine_threadsafe(self.door.drain(), self.loop).result(timeout=timeout)


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory) -> Iterator[RunningSftp]:
    """TRACS's SFTP server (filings/sales/sftp/server.py) on a free loopback port, one per test session, in a thread
    of its own with its own event loop; it reaches the test database from its worker threads, so the tests that
    use it commit their data (transactional_db). Each test's settings (TRACS_SFTP_ROOT) are read as it runs."""
    loop = asyncio.new_event_loop()
    door = server.Door(workers=2)
    host_key = tmp_path_factory.mktemp("sftp-host") / "ssh_host_ed25519_key"
    acceptor = loop.run_until_complete(
        server.serve(host="127.0.0.1", port=0, door=door, host_key_path=host_key)
    )
    thread = threading.Thread(target=loop.run_forever, name="sftp-server", daemon=True)
    thread.start()
    yield RunningSftp(port=server.bound_port(acceptor), loop=loop, door=door)

    async def stop() -> None:
        acceptor.close()
        await acceptor.wait_closed()
        await door.drain()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)
    door.close()


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
