"""The `oidc_provider` fixture's workings (tests/conftest.py): start the test provider once per test session (per
xdist worker) on a free loopback port, wait for its READY line, stop it at the end."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.oidc_provider import people
from tests.oidc_provider.server import PROVIDER_ID

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class RunningProvider:
    port: int

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.origin}/o"

    def app_settings(self, **settings: object) -> dict[str, object]:
        """The portal's SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"] entry for this provider."""
        return {
            "provider_id": PROVIDER_ID,
            "name": "Alberta.ca Account",
            "client_id": people.CLIENT_ID,
            "secret": people.CLIENT_SECRET,
            "settings": {"server_url": self.issuer, **settings},
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_provider(tmp_dir: Path) -> Iterator[RunningProvider]:
    port = free_port()
    log_path = tmp_dir / "provider.log"  # a file, not a pipe: a full pipe would stall the provider
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.server", str(port), str(tmp_dir / "provider.sqlite3")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until READY, or "" if the process died
        if line.strip() != "READY":
            process.wait(timeout=START_TIMEOUT_SECONDS)
            raise RuntimeError(f"the test OpenID Connect provider did not start:\n{log_path.read_text()}")
        yield RunningProvider(port=port)
    finally:
        process.kill()
        process.wait(timeout=START_TIMEOUT_SECONDS)
        log.close()
