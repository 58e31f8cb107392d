"""SFTP keys: registered by an owner for a person who may report fuel transactions, approved by TRA where settings
say so, revoked by an owner or staff, and checked at every sign-in (a key dies with its person's access).

Each change is an access-log row in its own transaction; every SFTP session, refused or not, is one too
(`sftp_session_open`, `sftp_sign_in_refused`; behind OpenSSH's sshd, `sftp_sshd_sign_in`), and so is every file
put or read (filings.sales.sftp.server; behind sshd, the file the sweep picks up: `sftp_file_attribution`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor, Door
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record
from consent.access import access_for, in_force_grants, privileges_of
from consent.models import Grant
from consent.privileges import Privilege
from consent.services.grants import OWNERS_ONLY
from filings.sales.sftp.directories import account_directories_make
from filings.sales.sftp.models import SftpKey
from programs.models import ProgramAccount
from programs.registries.selectors import sells_marked_fuel
from programs.registries.services import NOT_A_SELLER

# The key types OpenSSH makes today; RSA only from 3072 bits (NIST SP 800-57 part 1: 128-bit security), DSA never.
ALGORITHMS = frozenset(
    {
        "ssh-ed25519",
        "ssh-ed448",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "ssh-rsa",
    }
)
RSA_MIN_BITS = 3072

KEY_NOT_READ = _(
    "This is not an SSH public key. Paste one line such as “ssh-ed25519 AAAAC3Nz… name”: the contents of the key's "
    ".pub file."
)
PRIVATE_KEY = _(
    "This is a private key: it must never leave the computer it was made on. Paste the public key instead (the "
    "contents of the .pub file), and make a new key pair, since this one has been shown."
)
ALGORITHM_REFUSED = _(
    "Keys of type %(algorithm)s are not accepted. Make an Ed25519 key: ssh-keygen -t ed25519."
)
RSA_TOO_SHORT = _(
    "This RSA key has %(bits)s bits; at least %(minimum)s are needed. Make an Ed25519 key: ssh-keygen -t ed25519."
)
ALREADY_REGISTERED = _("This key is already registered on this account, as “%(name)s”.")
CANNOT_REPORT = _(
    "%(name)s cannot report fuel transactions on this account. An owner can give that privilege under Manage "
    "access, then register the key."
)
ALREADY_REVOKED = _("This key was revoked already.")
NOT_PENDING = _("Only a key waiting for approval can be approved.")

# Why a sign-in is refused, as the access log and the key's page say it (the SFTP client hears only "denied").
NO_SUCH_KEY = _("no SFTP key of this account matches")
KEY_PENDING = _("the key is waiting for TRA approval")
ACCESS_ENDED = _("the key's person no longer has access to report fuel transactions on the account")
ACCOUNT_CLOSED = _("the account is not an open marked-fuel account")


@dataclass(frozen=True)
class PublicKey:
    """A public key as stored: the OpenSSH line without its comment, its algorithm and SHA-256 fingerprint."""

    openssh: str
    algorithm: str
    fingerprint: str


def public_key_parse(text: str) -> PublicKey:
    """Read one OpenSSH public key line (or an RFC 4716 block), refusing private keys and weak types."""
    text = text.strip()
    if "PRIVATE KEY" in text:
        raise ValidationError(PRIVATE_KEY, code="private_key")
    # Imported here, not at start-up: importing asyncssh looks for liboqs by running ldconfig and gcc, a cost
    # every process (and every page's first request) paid for a key that is read only on this page.
    import asyncssh

    try:
        key = asyncssh.import_public_key(text)
    except (asyncssh.KeyImportError, ValueError) as error:
        raise ValidationError(KEY_NOT_READ, code="not_a_key") from error
    algorithm = key.get_algorithm()
    if algorithm not in ALGORITHMS:
        raise ValidationError(ALGORITHM_REFUSED % {"algorithm": algorithm}, code="algorithm")
    if algorithm == "ssh-rsa":
        bits = cast(rsa.RSAPublicKey, key.pyca_key).key_size
        if bits < RSA_MIN_BITS:
            raise ValidationError(RSA_TOO_SHORT % {"bits": bits, "minimum": RSA_MIN_BITS}, code="rsa_bits")
    key.set_comment(None)
    return PublicKey(
        openssh=key.export_public_key("openssh").decode().strip(),
        algorithm=algorithm,
        fingerprint=key.get_fingerprint("sha256"),
    )


def may_report_fuel(*, person: User, account: ProgramAccount) -> Grant | None:
    """The person's grant in force on the account when it includes reporting fuel transactions, else None."""
    access = access_for(user=person, account=account)
    if access is None or not access.has(Privilege.REPORT_FUEL):
        return None
    return access.grant


def key_holders(*, account: ProgramAccount) -> list[Grant]:
    """The people a key may be registered for: owners and delegates whose access in force includes reporting fuel
    transactions (representatives are not offered: a representative's firm has its own SFTP arrangements). One
    query, however many people the account has."""
    grants = Grant.objects.filter(
        in_force_grants(),
        account=account,
        role__in=[Grant.Role.OWNER, Grant.Role.DELEGATE],
        user__isnull=False,
    ).select_related("user")
    return [grant for grant in grants if Privilege.REPORT_FUEL in privileges_of(grant)]


def _log(*, actor: Actor, account: ProgramAccount, kind: str, action: str, detail: str) -> None:
    access_log_record(
        actor=actor,
        kind=kind,
        action=action,
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        detail=detail,
    )


@transaction.atomic
def sftp_key_register(
    *, account: ProgramAccount, person: User, name: str, public_key: str, by: User, actor: Actor
) -> SftpKey:
    """An owner registers `public_key` for `person` on `account`: active at once, or waiting for TRA when
    settings.TRACS_SFTP_KEY_APPROVAL is on. The account's inbox and outbox are made for it."""
    registrar = access_for(user=by, account=account)
    if registrar is None or not registrar.is_owner:
        raise ValidationError(OWNERS_ONLY, code="owners_only")
    if not sells_marked_fuel(account):
        raise ValidationError(NOT_A_SELLER % {"number": account.number}, code="not_a_seller")
    if may_report_fuel(person=person, account=account) is None:
        raise ValidationError(CANNOT_REPORT % {"name": person.display_name}, code="cannot_report")
    parsed = public_key_parse(public_key)
    existing = (
        SftpKey.objects.select_for_update()
        .filter(account=account, fingerprint=parsed.fingerprint)
        .exclude(status=SftpKey.Status.REVOKED)
        .first()
    )
    if existing is not None:
        raise ValidationError(ALREADY_REGISTERED % {"name": existing.name}, code="duplicate")
    key = SftpKey(
        account=account,
        person=person,
        name=name.strip(),
        public_key=parsed.openssh,
        algorithm=parsed.algorithm,
        fingerprint=parsed.fingerprint,
        status=SftpKey.Status.PENDING if settings.TRACS_SFTP_KEY_APPROVAL else SftpKey.Status.ACTIVE,
        registered_by=by,
    )
    key.full_clean()
    key.save()
    account_directories_make(account_number=account.number)
    _log(
        actor=actor,
        account=account,
        kind=AccessLogEntry.Kind.CHANGE,
        action="SFTP key registered",
        detail=f"{key.name} {key.fingerprint} for {person.email} ({key.get_status_display()})",
    )
    return key


@transaction.atomic
def sftp_key_approve(*, key: SftpKey, by: User, actor: Actor) -> SftpKey:
    """TRA staff approve a key waiting for approval (admin)."""
    key = SftpKey.objects.select_for_update().select_related("account__taxpayer").get(pk=key.pk)
    if key.status != SftpKey.Status.PENDING:
        raise ValidationError(NOT_PENDING, code="not_pending")
    key.status = SftpKey.Status.ACTIVE
    key.approved_by, key.approved_at = by, timezone.now()
    key.save(update_fields=["status", "approved_by", "approved_at"])
    _log(
        actor=actor,
        account=key.account,
        kind=AccessLogEntry.Kind.CHANGE,
        action="SFTP key approved",
        detail=f"{key.name} {key.fingerprint}",
    )
    return key


@transaction.atomic
def sftp_key_revoke(
    *, key: SftpKey, by: User, actor: Actor, by_staff: bool = False, reason: str = ""
) -> SftpKey:
    """An owner (or staff) revokes a key: refused from the next sign-in on (an open session is ended by the server
    at its next request: filings.sales.sftp.server re-checks the key)."""
    key = SftpKey.objects.select_for_update().select_related("account__taxpayer").get(pk=key.pk)
    if not by_staff:
        access = access_for(user=by, account=key.account)
        if access is None or not access.is_owner:
            raise ValidationError(OWNERS_ONLY, code="owners_only")
    if key.status == SftpKey.Status.REVOKED:
        raise ValidationError(ALREADY_REVOKED, code="revoked")
    key.status = SftpKey.Status.REVOKED
    key.revoked_by, key.revoked_at, key.revoked_reason = by, timezone.now(), reason[:300]
    key.save(update_fields=["status", "revoked_by", "revoked_at", "revoked_reason"])
    _log(
        actor=actor,
        account=key.account,
        kind=AccessLogEntry.Kind.CHANGE,
        action="SFTP key revoked",
        detail=f"{key.name} {key.fingerprint}" + (f": {reason}" if reason else ""),
    )
    return key


def keys_for_account(*, account: ProgramAccount) -> QuerySet[SftpKey]:
    return SftpKey.objects.filter(account=account).select_related("person", "registered_by")


@dataclass(frozen=True)
class SftpSession:
    """Who is signed in over SFTP: the key, its account and person, and the Actor their actions are logged as."""

    key_id: int
    account_id: int
    account_number: str
    actor: Actor


class SignInRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sftp_key_check(*, account_number: str, fingerprint: str) -> SftpKey:
    """The key of this fingerprint on the account of this number, if it may sign in now: active, on an open
    marked-fuel account, its person's access in force including REPORT_FUEL. Raises SignInRefused saying why.
    Asked at every sign-in and again before each file is picked up, so a key dies with its person's access."""
    key = (
        SftpKey.objects.filter(account__number=account_number, fingerprint=fingerprint)
        .exclude(status=SftpKey.Status.REVOKED)
        .select_related("account__program", "account__taxpayer", "person")
        .first()
    )
    if key is None:
        raise SignInRefused(str(NO_SUCH_KEY))
    if key.status == SftpKey.Status.PENDING:
        raise SignInRefused(str(KEY_PENDING))
    if not sells_marked_fuel(key.account):
        raise SignInRefused(str(ACCOUNT_CLOSED))
    if may_report_fuel(person=key.person, account=key.account) is None:
        raise SignInRefused(str(ACCESS_ENDED))
    return key


def _sftp_actor(
    *, person: User | None, account_number: str, ip_address: str | None, capacity: str = ""
) -> Actor:
    return Actor(
        user=person,
        door=Door.SFTP,
        ip_address=ip_address,
        path=f"sftp://{account_number}/",
        capacity=capacity,
    )


def _key_actor(*, key: SftpKey, ip_address: str | None) -> Actor:
    """Who acts through a key: its person, in the capacity their access to the account gives them now."""
    grant = may_report_fuel(person=key.person, account=key.account)
    return _sftp_actor(
        person=key.person,
        account_number=key.account.number,
        ip_address=ip_address,
        capacity=grant.role if grant else "",
    ).acting_for(on_behalf_of=key.account.on_behalf_of)


@transaction.atomic
def sftp_session_open(*, account_number: str, fingerprint: str, ip_address: str | None) -> SftpSession:
    """A client proved it holds the key: check it once more, note its use and log the session."""
    key = sftp_key_check(account_number=account_number, fingerprint=fingerprint)
    actor = _key_actor(key=key, ip_address=ip_address)
    SftpKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.SECURITY,
        action="SFTP session opened",
        account_number=account_number,
        detail=f"key {key.name} {key.fingerprint}",
    )
    return SftpSession(key_id=key.pk, account_id=key.account_id, account_number=account_number, actor=actor)


@transaction.atomic
def sftp_sign_in_refused(*, account_number: str, reasons: list[str], ip_address: str | None) -> None:
    """A client that did not sign in: a security event on the account it named (when there is one)."""
    account = ProgramAccount.objects.filter(number=account_number).first()
    access_log_record(
        actor=_sftp_actor(person=None, account_number=account_number, ip_address=ip_address),
        kind=AccessLogEntry.Kind.DENIED,
        action="SFTP sign-in refused",
        account_number=account.number if account else "",
        detail="; ".join(dict.fromkeys(reasons)) or str(NO_SUCH_KEY),
    )


@transaction.atomic
def sftp_session_log(*, session: SftpSession, kind: str, action: str, detail: str = "") -> None:
    """One row of an SFTP session: closed, a file put, read, removed or renamed, or a refused request."""
    access_log_record(
        actor=session.actor, kind=kind, action=action, account_number=session.account_number, detail=detail
    )


# --- Behind OpenSSH's sshd (docker/sftp) ---------------------------------------------------------------------------
# sshd asks TRACS about a key (AuthorizedKeysCommand: manage.py sftp_authorized_keys) each time a client offers it:
# OpenSSH's client offers a key first without its signature, then with it, so a sign-in is two questions from the
# same sshd connection process. The second is not logged again: one row per connection and key, as the asyncssh
# server writes one per session. TRACS's answer is given before sshd checks the signature (sshd admits the client
# only if it proves it holds the private key; its log says "Accepted publickey"), so "opened" here means: TRACS let
# this key in for this connection.
SSHD_REPEAT_WITHIN = timedelta(
    minutes=2
)  # LoginGraceTime is 60 s: a connection's sign-in is over well before
FINGERPRINT = re.compile(r"\bSHA256:[A-Za-z0-9+/]+")


def _sshd_log_once(*, actor: Actor, kind: str, action: str, account_number: str, detail: str) -> None:
    repeated = AccessLogEntry.objects.filter(
        account_number=account_number,
        action=action,
        detail=detail,
        occurred_at__gte=timezone.now() - SSHD_REPEAT_WITHIN,
    ).exists()
    if not repeated:
        access_log_record(actor=actor, kind=kind, action=action, account_number=account_number, detail=detail)


@transaction.atomic
def sftp_sshd_sign_in(*, account_number: str, fingerprint: str, connection: str) -> SftpKey | None:
    """sshd asks whether the key of `fingerprint` may sign in to the account (`connection` names sshd's process for
    the client's connection). The key if it works today (`sftp_key_check`), its use noted and the session logged;
    None otherwise, the refusal logged on the account (once per connection and key either way)."""
    try:
        key = sftp_key_check(account_number=account_number, fingerprint=fingerprint)
    except SignInRefused as refusal:
        account = ProgramAccount.objects.filter(number=account_number).first()
        _sshd_log_once(
            actor=_sftp_actor(person=None, account_number=account_number, ip_address=None),
            kind=AccessLogEntry.Kind.DENIED,
            action="SFTP sign-in refused",
            account_number=account.number if account else "",
            detail=f"{refusal.reason} (key {fingerprint}, sshd {connection})",
        )
        return None
    actor = _key_actor(key=key, ip_address=None)
    SftpKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    _sshd_log_once(
        actor=actor,
        kind=AccessLogEntry.Kind.SECURITY,
        action="SFTP session opened",
        account_number=account_number,
        detail=f"key {key.name} {key.fingerprint} (sshd {connection})",
    )
    return key


@dataclass(frozen=True)
class Attribution:
    """Whose file the sweep found in an inbox, as far as TRACS can tell: the key of the account's last sign-in
    before the file was last written."""

    key: SftpKey
    signed_in_at: datetime


def sftp_file_attribution(*, account_number: str, written_at: datetime) -> Attribution | None:
    """The key of the account's last SFTP sign-in (the access log's "SFTP session opened") at or before
    `written_at`, or None when there is none. sshd writes every session's files as the account's one system user,
    so the file itself does not say which key put it; this is the closest TRACS sees (sshd's own log, with
    `internal-sftp -l INFO`, ties each file to its session and key). Two keys of one account in sessions at once
    make it a guess, which is why the access log says "attributed". One indexed query, then the key."""
    entry = (
        AccessLogEntry.objects.filter(
            account_number=account_number,
            door=Door.SFTP,
            action="SFTP session opened",
            occurred_at__lte=written_at,
        )
        .order_by("-occurred_at", "-id")
        .values_list("detail", "occurred_at")
        .first()
    )
    # The fingerprint is the detail's last (a key's name, written before it, might look like one).
    fingerprints = FINGERPRINT.findall(entry[0]) if entry else []
    if not fingerprints:
        return None
    key = (
        SftpKey.objects.filter(account__number=account_number, fingerprint=fingerprints[-1])
        .select_related("account__taxpayer", "person")
        .order_by("-registered_at")
        .first()
    )
    return Attribution(key=key, signed_in_at=entry[1]) if key is not None and entry else None


def sftp_attributed_session(*, attribution: Attribution) -> SftpSession:
    """The session a file the sweep found is logged and ingested under: the attributed key's person, in the
    capacity their access gives them today; raises SignInRefused when the key no longer works (revoked, access
    ended), so a file put by a key revoked during an sshd session is refused, as the asyncssh server refuses it."""
    key = sftp_key_check(
        account_number=attribution.key.account.number, fingerprint=attribution.key.fingerprint
    )
    return SftpSession(
        key_id=key.pk,
        account_id=key.account_id,
        account_number=key.account.number,
        actor=_key_actor(key=key, ip_address=None),
    )
