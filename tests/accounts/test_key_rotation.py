"""OUTBOX_KEYS and manage.py rotate_encryption_keys (accounts/crypto.py)."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from accounts.crypto import decrypt, encrypt
from accounts.models import OutboxEmail

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.mark.django_db
def test_rotation_keeps_everything_readable_and_the_old_key_can_then_go(settings):
    settings.OUTBOX_KEYS = [OLD]
    email = OutboxEmail.objects.create(
        to=["a@example.ca"],
        purpose="test",
        subject_encrypted=encrypt("Your PIN"),
        body_encrypted=encrypt("PIN 2345"),
    )
    settings.OUTBOX_KEYS = [NEW, OLD]  # the new key first: it encrypts, both decrypt
    email.refresh_from_db()
    assert decrypt(email.body_encrypted) == "PIN 2345"
    assert Fernet(NEW).encrypt(b"x")  # a real key

    out = StringIO()
    call_command("rotate_encryption_keys", "--batch-size=1", stdout=out)
    assert "accounts.OutboxEmail.body_encrypted: 1 re-encrypted" in out.getvalue()
    call_command("rotate_encryption_keys", stdout=StringIO())  # twice: still readable

    settings.OUTBOX_KEYS = [NEW]  # the old key removed
    email.refresh_from_db()
    assert decrypt(email.subject_encrypted) == "Your PIN"
    assert decrypt(email.body_encrypted) == "PIN 2345"


def test_a_bad_key_is_a_clear_configuration_error(settings):
    settings.OUTBOX_KEYS = [NEW, "not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="OUTBOX_KEYS: key 2 is not a Fernet key"):
        encrypt("x")
