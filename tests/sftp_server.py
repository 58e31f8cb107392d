"""TRACS's SFTP server for the tests: one per test session (the `sftp_server` fixture in tests/conftest.py), on a
free loopback port, in a thread of its own with its own event loop. It reaches the test database from its worker
threads, so the tests that use it commit their data (transactional_db); each test's settings (TRACS_SFTP_ROOT) are
read as it runs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filings.sales.sftp import server


@dataclass
class RunningSftp:
    port: int
    loop: asyncio.AbstractEventLoop
    door: server.Door

    def settle(self, timeout: float = 30) -> None:
        """Wait until the server's background work (pickups, log rows) is done."""
        asyncio.run_coroutine_threadsafe(self.door.drain(), self.loop).result(timeout=timeout)


@contextmanager
def running_sftp(host_key: Path) -> Iterator[RunningSftp]:
    loop = asyncio.new_event_loop()
    door = server.Door(workers=2)
    # Started from its own thread's running loop: a browser test earlier in this worker leaves Playwright's loop
    # marked running in this thread, and run_until_complete here would be refused.
    thread = threading.Thread(target=loop.run_forever, name="sftp-server", daemon=True)
    thread.start()
    acceptor = asyncio.run_coroutine_threadsafe(
        server.serve(host="127.0.0.1", port=0, door=door, host_key_path=host_key), loop
    ).result(timeout=30)
    yield RunningSftp(port=server.bound_port(acceptor), loop=loop, door=door)

    async def stop() -> None:
        acceptor.close()
        await acceptor.wait_closed()
        await door.drain()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)
    door.close()
