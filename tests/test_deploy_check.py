"""Production mode (TRACS_PRODUCTION=1): `manage.py check --deploy` reports nothing, and the settings refuse to
start without the secrets and hosts production needs. Each case runs in its own process, because settings are
read once per process: manage.py for the commands, a bare interpreter for what reads only the settings."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
STRONG_SECRET_KEY = secrets.token_urlsafe(64)
OUTBOX_KEY = Fernet.generate_key().decode()
PRODUCTION_VARIABLES = {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EMAIL_URL", "CACHE_URL", "OUTBOX_KEY"}


def database_url() -> str:
    """The test process's own database as a URL. The HOST may be the embedded server's socket directory:
    django-environ reads a socket directory from the path ("postgres://user@//run/postgresql/name"), not from
    a percent-encoded host, which it would pass on undecoded."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    name = quote(db["NAME"], safe="")
    if (db["HOST"] or "").startswith("/"):
        return f"postgres://{credentials}@/{quote(db['HOST'])}/{name}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{db['HOST'] or ''}{port}/{name}"


def production_env(**overrides) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # the browser tests allow async-unsafe calls in their process; a deployment never does
        if key not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", *PRODUCTION_VARIABLES}
    }
    env.update(
        TRACS_PRODUCTION="1",
        SECRET_KEY=STRONG_SECRET_KEY,
        ALLOWED_HOSTS="tracs.alberta.ca",
        DATABASE_URL=database_url(),
        EMAIL_URL="smtp+tls://tracs:mail-password@smtp.alberta.ca:587",
        CACHE_URL="redis://127.0.0.1:6379/14",
        OUTBOX_KEY=OUTBOX_KEY,
        DJANGO_SETTINGS_MODULE="tracs.settings",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(*args, **env_overrides) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=production_env(**env_overrides),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def with_the_settings(code: str, **env_overrides) -> subprocess.CompletedProcess:
    """`code` in a new interpreter under the production environment: the settings are loaded by the first read of
    one, as in any process of the portal. Not `manage.py shell -c`, which runs django.setup() first (loading every
    app: 3-4 s of CPU a process here, where reading the settings takes 0.5-0.7 s) for code that needs no app."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=production_env(**env_overrides),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db
def test_check_deploy_reports_no_issue_at_all():
    result = manage("check", "--deploy", "--fail-level", "WARNING", "--database", "default")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNING" not in output
    assert "?: (" not in output  # no issue lines of any level, e.g. "?: (security.W004) ..."


@pytest.mark.django_db
def test_check_deploy_would_catch_a_missing_protection():
    """The test above means something: the same command fails when HSTS is switched off."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


@pytest.mark.django_db
def test_production_settings_are_hardened_even_if_debug_is_asked_for():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
        " s.SECURE_CONTENT_TYPE_NOSNIFF, s.X_FRAME_OPTIONS, s.SECRET_KEY == __import__('os').environ['SECRET_KEY'],"
        " 'csp.middleware.CSPMiddleware' in s.MIDDLEWARE, s.SESSION_COOKIE_AGE)"
    )
    result = with_the_settings(code, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-12:] == [
        "False",
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "True",
        "True",
        "DENY",
        "True",
        "True",
        "900",
    ]


@pytest.mark.django_db
def test_production_reaches_the_database_named_by_database_url():
    code = "from django.db import connection as c; c.ensure_connection(); print(c.settings_dict['HOST'], c.settings_dict['NAME'])"
    result = with_the_settings(code)
    assert result.returncode == 0, result.stderr
    settings_dict = connection.settings_dict
    assert result.stdout.split()[-2:] == [settings_dict["HOST"] or "", settings_dict["NAME"]]


@pytest.mark.django_db
@pytest.mark.parametrize("variable", sorted(PRODUCTION_VARIABLES))
def test_production_refuses_to_start_without_a_required_setting(variable):
    result = manage("check", **{variable: None})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def refusal(result) -> str:
    """The last line of the traceback: the ImproperlyConfigured and its message."""
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.django_db
@pytest.mark.parametrize("email_url", ["consolemail://", "dummymail://", "memorymail://"])
def test_production_refuses_an_email_url_that_delivers_nothing(email_url):
    """Consent PINs and reset links printed to the log (or dropped) instead of sent: never in production."""
    line = refusal(manage("check", EMAIL_URL=email_url))
    assert line.startswith("django.core.exceptions.ImproperlyConfigured: EMAIL_URL")
    assert "mail server" in line


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cache_url", ["locmemcache://", "dummycache://", "filecache:///tmp/tracs-cache", "dbcache://cache"]
)
def test_production_refuses_a_cache_the_web_processes_do_not_share(cache_url):
    """Rate limits counted per worker process multiply by the number of workers: a shared cache only."""
    line = refusal(manage("check", CACHE_URL=cache_url))
    assert line.startswith("django.core.exceptions.ImproperlyConfigured: CACHE_URL")
    assert "every web process shares" in line


@pytest.mark.django_db
@pytest.mark.parametrize("outbox_key", ["not-a-fernet-key", "x" * 60], ids=["not base64", "not 32 bytes"])
def test_production_refuses_an_outbox_key_that_is_not_a_fernet_key(outbox_key):
    line = refusal(manage("check", OUTBOX_KEY=outbox_key))
    assert line.startswith("django.core.exceptions.ImproperlyConfigured: OUTBOX_KEY")
    assert "Fernet" in line


@pytest.mark.django_db
def test_production_encrypts_the_outbox_with_outbox_key_not_with_the_secret_key():
    """Rotating SECRET_KEY after a leak keeps queued mail and stored letters readable."""
    code = "from accounts.crypto import decrypt, encrypt; import sys; sys.stdout.write(encrypt('PIN 2345').decode())"
    token = with_the_settings(code).stdout.strip().splitlines()[-1]
    rotated = secrets.token_urlsafe(64)
    read = f"from accounts.crypto import decrypt; print(decrypt({token.encode()!r}))"
    result = with_the_settings(read, SECRET_KEY=rotated)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["PIN", "2345"]


@pytest.mark.django_db
@pytest.mark.parametrize("weak_key", ["", "short", "django-insecure-" + "k" * 60, "ab" * 40])
def test_production_refuses_a_weak_secret_key(weak_key):
    result = manage("check", SECRET_KEY=weak_key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_production_never_loads_demo_people():
    result = manage("seed_demo")
    assert result.returncode != 0
    assert "never loaded in production" in result.stderr


def test_every_environment_variable_the_settings_read_is_documented():
    source = (BASE_DIR / "tracs" / "settings.py").read_text()
    variables = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z0-9_]+)\"", source))
    assert len(variables) > 20
    documented = set(re.findall(r"`([A-Z0-9_]+)`", (BASE_DIR / "docs" / "configuration.md").read_text()))
    assert variables - documented == set()
