"""SSH key pairs made with OpenSSH's ssh-keygen, as a seller makes them, for the SFTP door's tests."""

from __future__ import annotations

import csv
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

SSH_KEYGEN = "/usr/bin/ssh-keygen"


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public_text: str


def key_pair(
    folder: Path, name: str = "id_ed25519", *, kind: str = "ed25519", bits: int | None = None
) -> KeyPair:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    command = [SSH_KEYGEN, "-q", "-t", kind, "-N", "", "-C", f"{name}@seller", "-f", str(path)]
    if bits:
        command += ["-b", str(bits)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return KeyPair(private=path, public_text=path.with_suffix(".pub").read_text())


def csv_text(rows: list[dict[str, str]]) -> str:
    """A marked-fuel CSV file of `rows` (a header of the first row's columns)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
