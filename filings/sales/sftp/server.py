"""TRACS's SFTP server (asyncssh), for `make run` and the tests; production may run OpenSSH's sshd instead over the
same folders and keys (docs/sftp.md).

Sign-in: public keys only, the account number as user name; the key must be registered on that account and work
today (filings.sales.sftp.keys.sftp_key_check: active, its person's access in force including REPORT_FUEL), asked
at every sign-in and again before each file is put. A session sees its account's folder only (a chroot): `/inbox`
to put files in, `/outbox` to read acknowledgements from. Refused with a message the client shows: `..` in a
name, any name the inbox does not take, links (made or followed), folders, writing outside inbox/, a file past the
size limit (refused as soon as it crosses it). Each session and each file is a row of the access log.

A file put under its final name is picked up when the client closes it; under a temporary name (.part, .tmp ...)
when it is renamed to its final one. An upload whose connection is lost before the close is removed and answered
in the outbox as cut short. The database is reached from worker threads (Django's ORM is synchronous), each call
closing its connection after it, so a long pickup never holds up another session's sign-in.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import posixpath
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import asyncssh
from asyncssh import SFTPAttrs, SFTPName
from django.conf import settings
from django.db import close_old_connections, connections

from accounts.models import AccessLogEntry
from filings.sales.sftp import directories, keys, pickup

logger = logging.getLogger(__name__)

T = TypeVar("T")
LINKS_REFUSED = "Links are refused: put plain files in inbox/."
FOLDERS_REFUSED = "Folders cannot be made or removed: put files in inbox/, read answers in outbox/."
WRITE_INBOX_ONLY = "Files are put in inbox/ only; outbox/ holds TRACS's answers."
NOT_HERE = "Only inbox/ and outbox/ are here."
ACCESS_ENDED = "This key no longer signs in to this account: %s."


def in_django(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run one database-using function in a worker thread as a request would: fresh connection, closed after."""
    close_old_connections()
    try:
        return function(*args, **kwargs)
    finally:
        connections.close_all()


class Door:
    """What every connection shares: the threads that reach the database, and the jobs still running."""

    def __init__(self, workers: int = 4) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sftp-db")
        self.pending: set[asyncio.Future] = set()

    async def db(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, functools.partial(in_django, function, *args, **kwargs)
        )

    def later(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Run in the background (logging a session's end, a pickup), kept until done."""
        future = asyncio.ensure_future(self.db(function, *args, **kwargs))
        self.pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: asyncio.Future) -> None:
        self.pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            logger.error("sftp: background work failed", exc_info=future.exception())

    async def drain(self) -> None:
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class SessionServer(asyncssh.SSHServer):
    """One SSH connection: public-key sign-in against the account's SFTP keys, logged either way."""

    def __init__(self, door: Door) -> None:
        self.door = door
        self.conn: asyncssh.SSHServerConnection | None = None
        self.username = ""
        self.ip_address: str | None = None
        self.fingerprint = ""
        self.refusals: list[str] = []
        self.session: keys.SftpSession | None = None
        # Set once auth_completed has logged the session: asyncssh tells the client it is signed in before it
        # awaits auth_completed, so a subsystem may be asked for earlier; the SFTP session waits for this.
        self.ready = asyncio.Event()

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername")
        self.ip_address = peer[0] if peer else None

    def begin_auth(self, username: str) -> bool:
        self.username = username
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        fingerprint = key.get_fingerprint("sha256")
        try:
            await self.door.db(keys.sftp_key_check, account_number=username, fingerprint=fingerprint)
        except keys.SignInRefused as refusal:
            self.refusals.append(refusal.reason)
            return False
        self.fingerprint = fingerprint
        return True

    async def auth_completed(self) -> None:
        try:
            self.session = await self.door.db(
                keys.sftp_session_open,
                account_number=self.username,
                fingerprint=self.fingerprint,
                ip_address=self.ip_address,
            )
        except keys.SignInRefused as refusal:  # access ended between the key's check and its proof
            self.refusals.append(refusal.reason)
            assert self.conn is not None
            self.conn.close()
        finally:
            self.ready.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.session is not None:
            self.door.later(
                keys.sftp_session_log,
                session=self.session,
                kind=AccessLogEntry.Kind.READ,
                action="SFTP session closed",
                detail=str(exc or ""),
            )
        elif self.username:
            self.door.later(
                keys.sftp_sign_in_refused,
                account_number=self.username,
                reasons=self.refusals,
                ip_address=self.ip_address,
            )


class Refused(asyncssh.SFTPPermissionDenied):
    pass


@dataclass
class Upload:
    """A file open for writing in inbox/: where it is, and whether it was refused while being written."""

    handle: Any
    name: str
    path: Path
    too_large: bool = False
    written: int = 0
    details: list[str] = field(default_factory=list)


class InboxServer(asyncssh.SFTPServer):
    """One SFTP session, inside its account's folder."""

    def __init__(self, chan: asyncssh.SSHServerChannel, door: Door) -> None:
        owner = chan.get_connection().get_owner()
        assert isinstance(owner, SessionServer)
        assert owner.session is not None  # _sftp_session waited for it
        self.door = door
        self.session = owner.session
        self.number = self.session.account_number
        self.base = directories.account_directories_make(account_number=self.number)
        self.uploads: dict[int, Upload] = {}
        super().__init__(chan, chroot=os.fsencode(self.base))

    # --- What a path may name ------------------------------------------------------------------------------

    def _parts(self, path: bytes) -> list[str]:
        try:
            text = path.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Refused("File names must be UTF-8.") from error
        parts = [part for part in text.split("/") if part not in ("", ".")]
        for part in parts:
            if ".." in part:
                self._log_refusal(str(directories.DOT_DOT % {"name": part}))
                raise Refused(str(directories.DOT_DOT % {"name": part}))
        if len(parts) > 2 or (parts and parts[0] not in (directories.INBOX, directories.OUTBOX)):
            raise asyncssh.SFTPNoSuchFile(NOT_HERE)
        return parts

    def _file(self, path: bytes) -> tuple[str, str, Path]:
        """(folder, name, local path) of a path naming a file in inbox/ or outbox/."""
        parts = self._parts(path)
        if len(parts) != 2:
            raise Refused(NOT_HERE)
        folder, name = parts
        try:
            directories.name_check(name)
        except directories.NameRefused as refusal:
            self._log_refusal(refusal.message)
            raise Refused(refusal.message) from refusal
        local = self.base / folder / name
        if local.is_symlink():
            message = str(directories.SYMLINK % {"name": name})
            self._log_refusal(message)
            raise Refused(message)
        return folder, name, local

    def map_path(self, path: bytes) -> bytes:
        """Every path, the client's and asyncssh's own ("/outbox/.." while listing), normalized inside the
        account's folder (the chroot) and then limited to it, inbox/ and outbox/ and the files directly in them.
        The client's file names are checked before (`_file`): there a `..` is refused, not resolved."""
        parts = [part for part in posixpath.normpath(posixpath.join(b"/", path)).split(b"/") if part]
        if len(parts) > 2 or (parts and parts[0] not in (b"inbox", b"outbox")):
            raise asyncssh.SFTPNoSuchFile(NOT_HERE)
        return super().map_path(path)

    # --- The access log ------------------------------------------------------------------------------------

    def _log(self, action: str, detail: str, kind: str = AccessLogEntry.Kind.CHANGE) -> None:
        self.door.later(keys.sftp_session_log, session=self.session, kind=kind, action=action, detail=detail)

    def _log_refusal(self, detail: str) -> None:
        self._log("SFTP request refused", detail, kind=AccessLogEntry.Kind.DENIED)

    async def _still_allowed(self) -> None:
        """The key is checked again before each file is put: a key revoked, or a person's access ended, during a
        long session stops at the next file."""
        try:
            await self.door.db(
                keys.sftp_key_check, account_number=self.number, fingerprint=self._fingerprint()
            )
        except keys.SignInRefused as refusal:
            self._log_refusal(refusal.reason)
            self.channel.get_connection().close()
            raise Refused(ACCESS_ENDED % refusal.reason) from refusal

    def _fingerprint(self) -> str:
        owner = self.channel.get_connection().get_owner()
        assert isinstance(owner, SessionServer)
        return owner.fingerprint

    # --- Files -----------------------------------------------------------------------------------------------

    async def open(self, path: bytes, pflags: int, attrs: SFTPAttrs) -> object:
        folder, name, local = self._file(path)
        writing = bool(
            pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC)
        )
        if not writing:
            handle = super().open(os.fsencode(f"/{folder}/{name}"), pflags, attrs)
            self._log("SFTP file read", f"{folder}/{name}", kind=AccessLogEntry.Kind.READ)
            return handle
        if folder != directories.INBOX:
            self._log_refusal(f"write to {folder}/{name}")
            raise Refused(WRITE_INBOX_ONLY)
        await self._still_allowed()
        fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o640)
        handle = os.fdopen(fd, "wb", buffering=0)
        self.uploads[id(handle)] = Upload(handle=handle, name=name, path=local)
        self._log("SFTP file put", f"inbox/{name}")
        return handle

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        upload = self.uploads.get(id(file_obj))
        if upload is not None and offset + len(data) > pickup.max_file_bytes():
            upload.too_large = True
            raise asyncssh.SFTPFailure(pickup.too_large_message(upload.name))
        written = cast(int, super().write(file_obj, offset, data))
        if upload is not None:
            upload.written = max(upload.written, offset + len(data))
        return written

    def close(self, file_obj: object) -> None:
        super().close(file_obj)
        upload = self.uploads.pop(id(file_obj), None)
        if upload is None:
            return
        if self.channel.is_closing():  # the connection was lost before the client closed the file
            message = str(pickup.INTERRUPTED % {"name": upload.name})
        elif upload.too_large:
            message = pickup.too_large_message(upload.name)
        else:
            if not directories.is_temporary(upload.name):
                self._pick_up(upload.name)
            return
        self.door.later(
            pickup.file_refuse,
            actor=self.session.actor,
            account_number=self.number,
            name=upload.name,
            message=message,
            path=upload.path,
        )

    def _pick_up(self, name: str) -> None:
        self.door.later(
            pickup.inbox_file_pickup, account_number=self.number, name=name, actor=self.session.actor
        )

    async def rename(self, oldpath: bytes, newpath: bytes) -> None:
        old_folder, old_name, old_local = self._file(oldpath)
        new_folder, new_name, new_local = self._file(newpath)
        if directories.INBOX not in (old_folder,) or new_folder != directories.INBOX:
            self._log_refusal(f"rename {old_folder}/{old_name} to {new_folder}/{new_name}")
            raise Refused(WRITE_INBOX_ONLY)
        await self._still_allowed()
        if new_local.exists():
            raise asyncssh.SFTPFileAlreadyExists(f"{new_name} is in inbox/ already.")
        os.rename(old_local, new_local)
        self._log("SFTP file renamed", f"inbox/{old_name} to inbox/{new_name}")
        if directories.is_temporary(old_name) and not directories.is_temporary(new_name):
            self._pick_up(new_name)

    async def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        await self.rename(oldpath, newpath)

    def remove(self, path: bytes) -> None:
        folder, name, local = self._file(path)
        local.unlink()
        self._log("SFTP file removed", f"{folder}/{name}")

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        self._log_refusal("symbolic link")
        raise Refused(LINKS_REFUSED)

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        self._log_refusal("hard link")
        raise Refused(LINKS_REFUSED)

    def readlink(self, path: bytes) -> bytes:
        raise Refused(LINKS_REFUSED)

    def mkdir(self, path: bytes, attrs: SFTPAttrs) -> None:
        raise Refused(FOLDERS_REFUSED)

    def rmdir(self, path: bytes) -> None:
        raise Refused(FOLDERS_REFUSED)

    def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._file(path)  # times and modes of a file put are kept as TRACS sets them

    def fsetstat(self, file_obj: object, attrs: SFTPAttrs) -> None:
        return None

    async def scandir(self, path: bytes) -> AsyncIterator[SFTPName]:
        parts = self._parts(path)
        if not parts:  # the account's folder: its two folders (".." is the folder itself, as at a root)
            for name, local in (
                (b".", self.base),
                (b"..", self.base),
                (b"inbox", self.base / directories.INBOX),
                (b"outbox", self.base / directories.OUTBOX),
            ):
                yield SFTPName(name, attrs=SFTPAttrs.from_local(os.lstat(local)))
            return
        if len(parts) != 1:
            raise asyncssh.SFTPNoSuchFile(NOT_HERE)
        self._log("SFTP listed", f"{parts[0]}/", kind=AccessLogEntry.Kind.READ)
        async for entry in super().scandir(path):
            filename = os.fsencode(entry.filename)
            if filename in (b".", b"..") or not filename.startswith(b"."):
                yield entry


async def _sftp_session(chan: asyncssh.SSHServerChannel, *, door: Door) -> InboxServer:
    owner = chan.get_connection().get_owner()
    assert isinstance(owner, SessionServer)
    await owner.ready.wait()
    if owner.session is None:
        chan.close()
        raise Refused(ACCESS_ENDED % ", ".join(owner.refusals))
    return InboxServer(chan, door)


def host_key(path: Path | None = None) -> asyncssh.SSHKey:
    """The server's host key (settings.TRACS_SFTP_HOST_KEY), made (Ed25519) on the first start when missing."""
    path = path or Path(settings.TRACS_SFTP_HOST_KEY)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519", comment="tracs-sftp")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key.export_private_key())
    return asyncssh.read_private_key(path)


async def serve(
    *, host: str, port: int, door: Door, host_key_path: Path | None = None
) -> asyncssh.SSHAcceptor:
    """Listen on host:port; the acceptor's sockets say the port when 0 was asked for."""
    directories.root().mkdir(parents=True, exist_ok=True)
    return await asyncssh.create_server(
        lambda: SessionServer(door),
        host,
        port,
        server_host_keys=[host_key(host_key_path)],
        sftp_factory=functools.partial(_sftp_session, door=door),
        allow_scp=False,
        login_timeout=60,
        keepalive_interval=60,
    )


def bound_port(acceptor: asyncssh.SSHAcceptor) -> int:
    return int(acceptor.sockets[0].getsockname()[1])
