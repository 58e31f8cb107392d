"""A real ClamAV daemon for the tests: Debian's clamd (package clamav-daemon, which scripts/ensure_services.sh
installs), on loopback TCP on a free port, with a signature database of its own holding only the EICAR test
signature. Nothing is downloaded (no freshclam); with one signature and bytecode off it answers in a few
hundredths of a second, so a module can start one and stop and start it again to play an outage."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

# The EICAR anti-virus test file (eicar.org): 68 printable characters every scanner reports, harmless.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Eicar-Test-Signature"
# clamd marks a signature that is not from ClamAV's own signed databases.
EICAR_THREAT = f"{EICAR_SIGNATURE}.UNOFFICIAL"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RealClamd:
    """clamd in the foreground, its configuration, database, log and temporary files under `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.startup_seconds: list[float] = []
        database = folder / "db"
        database.mkdir(parents=True, exist_ok=True)
        # A body signature (.ndb: name, any target type, any offset, the bytes in hex), so EICAR is found inside a
        # larger file too, not only as the whole file.
        (database / "eicar.ndb").write_text(f"{EICAR_SIGNATURE}:0:*:{EICAR.hex()}\n")
        self.config = folder / "clamd.conf"
        self.config.write_text(
            "\n".join(
                [
                    "Foreground yes",
                    "TCPAddr 127.0.0.1",
                    f"TCPSocket {self.port}",
                    f"DatabaseDirectory {database}",
                    f"TemporaryDirectory {folder}",
                    f"LogFile {folder / 'clamd.log'}",
                    "Bytecode no",
                    "SelfCheck 0",  # nothing to reload: the database never changes during a test
                    "",
                ]
            )
        )

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"zPING\0")
                return sock.recv(16).startswith(b"PONG")
        except OSError:
            return False

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        binary = shutil.which("clamd") or "/usr/sbin/clamd"
        assert Path(binary).exists(), (
            "clamd is not installed (scripts/ensure_services.sh installs clamav-daemon)"
        )
        began = time.monotonic()
        with (self.folder / "clamd.stderr").open("ab") as stderr:
            self.process = subprocess.Popen(
                [binary, f"--config-file={self.config}"], stdout=subprocess.DEVNULL, stderr=stderr
            )
        deadline = began + 20
        while not self.ping():
            if self.process.poll() is not None:
                said = [(self.folder / name).read_text()[-2000:] for name in ("clamd.stderr", "clamd.log")]
                raise AssertionError(f"clamd exited: {said}")
            assert time.monotonic() < deadline, "clamd did not answer PING within 20 s"
            time.sleep(0.01)
        self.startup_seconds.append(time.monotonic() - began)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def settings_for(self, settings) -> None:
        """Point the portal at this clamd over TCP, as docker-compose does (CLAMD_HOST, CLAMD_PORT)."""
        settings.TRACS_MALWARE_SCANNER = ""
        settings.CLAMD_SOCKET = ""
        settings.CLAMD_HOST = "127.0.0.1"
        settings.CLAMD_PORT = self.port
