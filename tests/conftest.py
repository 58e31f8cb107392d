import pytest
from django_otp import DEVICE_ID_SESSION_KEY

from tests.accounts.factories import UserFactory


def pytest_configure(config):
    from tracs.celery import app

    # Jobs run inline in tests unless a test starts a real worker (tests/test_celery_worker.py).
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def user(db):
    return UserFactory()


def sign_in(client, user):
    """Sign in as `user` with the two-factor step done, as after a real TOTP verification."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get(confirmed=True).persistent_id
    session.save()
    return client


@pytest.fixture
def signed_in(client, user):
    return sign_in(client, user)
