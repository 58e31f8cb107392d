"""Symmetric encryption for secrets kept at rest (outbox e-mails, PIN letters, bank account numbers, refund
files): Fernet under MultiFernet, so keys rotate (docs/configuration.md, `OUTBOX_KEYS`): the first key encrypts,
every key decrypts, and `manage.py rotate_encryption_keys` re-encrypts what is stored with the first."""

import base64
import hashlib

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _keys() -> list[str]:
    keys = [key.strip() for key in settings.OUTBOX_KEYS if key.strip()]
    if not keys:
        digest = hashlib.sha256(f"tracs-outbox:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return keys


def _fernet() -> MultiFernet:
    fernets = []
    for position, key in enumerate(_keys(), start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"OUTBOX_KEYS: key {position} is not a Fernet key (32 random bytes, url-safe base64)"
            ) from error
    return MultiFernet(fernets)


def rotate(token: bytes) -> bytes:
    """The same secret encrypted with the first key (MultiFernet.rotate)."""
    return _fernet().rotate(bytes(token))


def encrypt(text: str) -> bytes:
    return _fernet().encrypt(text.encode())


def decrypt(token: bytes) -> str:
    return _fernet().decrypt(bytes(token)).decode()


def encrypt_bytes(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet().decrypt(bytes(token))
