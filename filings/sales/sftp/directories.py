"""Where each account's SFTP files live: TRACS_SFTP_ROOT/<account number>/inbox/ and outbox/, nothing else.

The account's directory is the whole world of an SFTP session (the server's chroot; sshd's ChrootDirectory), so a
key for account A never sees B's. Names are checked here once for every door: no `..`, no path separators, no
hidden or control characters, and a file name a seller's system can write as is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

INBOX, OUTBOX = "inbox", "outbox"
# Where a file goes while it is being picked up: outside every account's directory (no session sees it), so the
# server's pickup and the sweep never take the same file twice (the first rename wins).
PICKUP = ".pickup"
# A file under one of these names is still being written (a client's "upload under a temporary name, then rename"):
# it is never picked up. WinSCP writes .filepart, others .part or .tmp; a leading dot is a hidden work file.
TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".filepart", ".uploading")
NAME_MAX = 200
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]*$")
ACCOUNT_NUMBER = re.compile(r"^\d{9}-\d{2}-\d{3}$")

DOT_DOT = _("“%(name)s”: a file name with “..” is refused. Name the file without it.")
BAD_NAME = _(
    "“%(name)s”: file names are letters, digits, spaces, dots, dashes and underscores, starting with a letter or "
    "digit, at most 200 characters."
)
SYMLINK = _("“%(name)s” is a symbolic link: links are refused, only plain files are read. Nothing was read.")


class NameRefused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def name_check(name: str) -> str:
    """`name` if it is a file name the inbox takes (no directory part); NameRefused saying why otherwise."""
    if ".." in name:
        raise NameRefused(str(DOT_DOT % {"name": name[:NAME_MAX]}))
    if len(name) > NAME_MAX or not SAFE_NAME.match(name):
        raise NameRefused(str(BAD_NAME % {"name": name[:NAME_MAX]}))
    return name


def is_temporary(name: str) -> bool:
    return name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES)


def root() -> Path:
    return Path(settings.TRACS_SFTP_ROOT)


def account_directory(*, account_number: str) -> Path:
    if not ACCOUNT_NUMBER.match(account_number):  # a user name is never a path
        raise NameRefused(f"not an account number: {account_number[:40]!r}")
    return root() / account_number


def inbox(*, account_number: str) -> Path:
    return account_directory(account_number=account_number) / INBOX


def outbox(*, account_number: str) -> Path:
    return account_directory(account_number=account_number) / OUTBOX


def pickup_directory() -> Path:
    return root() / PICKUP


def account_directories_make(*, account_number: str) -> Path:
    """The account's directory with its inbox and outbox (idempotent)."""
    base = account_directory(account_number=account_number)
    for folder in (base / INBOX, base / OUTBOX):
        folder.mkdir(parents=True, exist_ok=True)
    return base


def accounts_with_directories() -> list[str]:
    """The account numbers that have an SFTP directory (the sweep's round)."""
    if not root().is_dir():
        return []
    return sorted(entry.name for entry in os.scandir(root()) if ACCOUNT_NUMBER.match(entry.name))
