"""Settings, all from the environment (12-factor). See docs/configuration.md for every variable.

Two modes:
- default (make run / make test): embedded PostgreSQL unless DATABASE_URL is set, Celery over kombu's
  filesystem transport unless CELERY_BROKER_URL is set, e-mail kept under var/mail and shown at /dev/mail/
  unless EMAIL_URL is set.
- TRACS_PRODUCTION=1: SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS, EMAIL_URL (a mail server), CACHE_URL (a shared
  cache) and OUTBOX_KEY required; HTTPS-only cookies, HSTS, SSL redirect.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
PRODUCTION = env.bool("TRACS_PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=False)


def _development_secret_key() -> str:
    """A random key kept under var/ so sessions survive restarts of `make run`; never used in production."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
        raise environ.ImproperlyConfigured(
            "SECRET_KEY must be a random string of 50 or more characters when TRACS_PRODUCTION=1"
        )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "tracs.apps.TracsAdminConfig",
    "tracs.apps.AuthConfig",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "tracs.apps.SitesConfig",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "django_otp",
    "tracs.apps.OTPTOTPConfig",
    "tracs.apps.OTPStaticConfig",
    "allauth",
    "tracs.apps.AllauthAccountConfig",
    "tracs.apps.SocialAccountConfig",
    "allauth.socialaccount.providers.openid_connect",
    "tracs.apps.AxesConfig",
    "csp",
    "health_check",  # /health/ready/'s page template (tracs/health.py)
    "accounts",
    "programs",
    "consent",
    "filings",
    "assessments",
    "tracs",
]

MIDDLEWARE = [
    "tracs.log_context.LogContextMiddleware",  # first: every later log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tracs.middleware.RequestBodyLimitMiddleware",  # before CsrfViewMiddleware, the first to read a body
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tracs.log_context.ActorLogMiddleware",  # the signed-in person's id on the request's later log lines
    "accounts.middleware.ProviderMultiFactorMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireTwoFactorMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionEndedMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracs.urls"
WSGI_APPLICATION = "tracs.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tracs.context_processors.portal",
                "consent.context_processors.unread_messages_count",
            ],
        },
    }
]

# Widgets render through the project's templates, so templates/admin/widgets/ can label Django's split date and
# time inputs (django.forms in INSTALLED_APPS supplies the default widget templates).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database: one engine everywhere (PostgreSQL). Persistent connections: 6x faster pages here.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
elif PRODUCTION:
    raise environ.ImproperlyConfigured("DATABASE_URL is required when TRACS_PRODUCTION=1")
else:
    from tracs.embedded_db import connection_settings

    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", **connection_settings()}}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Server-side binding: the same query shape is the same statement text, which psycopg prepares after a few
# runs on a connection, so PostgreSQL stops planning the pages' queries on every request.
# (Off behind a pooler in transaction mode such as PgBouncer's, where prepared statements do not survive:
# DATABASE_PREPARED_STATEMENTS=0.)
if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches every web process shares. Only these keep allauth's rate limits one count for the whole portal (with
# the in-process default each gunicorn worker counts on its own) and can hold sessions (below).
_SHARED_CACHES = ("redis", "rediss", "rediscache", "valkey", "valkeys", "memcache", "pymemcache", "pylibmc")
if PRODUCTION and env.str("CACHE_URL").split("://")[0] not in _SHARED_CACHES:
    raise environ.ImproperlyConfigured(
        "CACHE_URL must be a cache every web process shares (redis:// or memcache://) when TRACS_PRODUCTION=1: "
        "with a cache of their own, each process counts the sign-up and password-reset limits apart"
    )
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Identity: django-allauth (local accounts by default, OpenID Connect by settings) + django-otp.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# The sign-up form asks first for the person's full name, as on their identity document (accounts.forms).
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# Sign-up and password reset are rate-limited (allauth's cache-backed limits; Redis cache in production).
ACCOUNT_RATE_LIMITS = {
    "signup": "5/h/ip",
    "reset_password": "5/h/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "login_failed": False,  # django-axes owns lockout
}
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# A first sign-in through the provider links to the person with the same e-mail address only when the provider
# says it verified the address (its `email_verified` claim; never assumed), and never to staff; otherwise it
# creates the person. docs/adr/0017-oidc-account-linking-and-provider-mfa.md.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("OIDC_TIMEOUT_SECONDS", default=5)
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
# The provider's multi-factor assertion that stands in for the portal's own second factor: an `acr` value, or any
# one of these `amr` values (RFC 8176) in the verified ID token. Empty, the default: TRACS always asks its own.
OIDC_TRUSTED_MFA_ACR = env.list("OIDC_TRUSTED_MFA_ACR", default=[])
OIDC_TRUSTED_MFA_AMR = env.list("OIDC_TRUSTED_MFA_AMR", default=[])
SOCIALACCOUNT_PROVIDERS: dict = {
    "openid_connect": {
        # allauth's provider with a nonce, PKCE and the ID token always verified (accounts/oidc/provider.py).
        "provider_class": "accounts.oidc.provider.PortalOIDCProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [],
    }
}
if OIDC_CLIENT_ID:
    # Alberta.ca Account (formerly MyAlberta Digital ID) or any OpenID Connect provider; docs/configuration.md
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"] = [
        {
            "provider_id": env.str("OIDC_PROVIDER_ID", default="alberta-ca-account"),
            "name": env.str("OIDC_PROVIDER_NAME", default="Alberta.ca Account"),
            "client_id": OIDC_CLIENT_ID,
            "secret": env.str("OIDC_CLIENT_SECRET"),
            "settings": {"server_url": env.str("OIDC_SERVER_URL")},
        }
    ]

# django-axes: lock out after repeated failed sign-ins, with a cool-off (never permanent); staff unlock
# by deleting the attempt in admin (System: sign-in lockouts > Access attempts; administrators only).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.adapters.axes_username"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client's address (tracs.actors.client_ip) for lockouts, rate limits, the access log and PIN attempts.
AXES_CLIENT_IP_CALLABLE = "tracs.actors.client_ip"

OTP_TOTP_ISSUER = "TRACS"
# Nobody reads another person's second factor in staff administration, the administrator and superusers included:
# an authenticator's key (and its QR code) or backup codes shown there would let whoever saw them sign in as the
# person. Two-factor is reset through the identity-checked action instead (docs/staff-roles.md).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_TOTP_THROTTLE_FACTOR = 1

# How many reverse proxies in front of the portal append to X-Forwarded-For (docker-compose: the load balancer,
# 1). 0 ignores the header: a client reaching the portal directly could write any address into it.
TRACS_PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# --- Sessions: end after 15 minutes idle, as TRACS does; the layout warns two minutes before.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=15 * 60)
SESSION_SAVE_EVERY_REQUEST = False  # accounts.middleware.IdleTimeoutMiddleware moves the expiry forward
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Every signed-in request reads its session. With a cache every web process shares (CACHE_URL: Redis or
# Memcached), read it from there and keep writing it to the database too (cached_db: nothing is lost if the
# cache is flushed). Never with the in-process default cache: each worker would keep its own copy, and a
# session ended in one (sign-out, time-out) would live on in another.
if env.str("CACHE_URL", default="").split("://")[0] in _SHARED_CACHES:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Production hardening (manage.py check --deploy reports nothing; tests/test_deploy_check.py).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_COOKIE_HTTPONLY = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # The design system's web components inject <style> into their shadow roots.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *env.list("OIDC_FORM_ACTION_ORIGINS", default=[])],
    }
}

# --- i18n: English copy, every string marked for translation so French can follow.
LANGUAGE_CODE = "en-ca"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Edmonton"
# Dates as the portal shows them (ISO, 24-hour clock) wherever Django formats one itself, admin included.
FORMAT_MODULE_PATH = ["tracs.formats"]
USE_I18N = True
USE_TZ = True

# --- Static files: whitenoise, compressed + hashed, cached a year. Vendor assets come from npm at build time.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    # Uploaded documents and generated PDFs, through Django's storage API only: S3-compatible object storage
    # is a switch of these two variables (docs/configuration.md, "Database, cache, files").
    "default": {
        "BACKEND": env.str("DEFAULT_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("DEFAULT_FILE_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 31536000

# --- E-mail: through the outbox (accounts.services.email_queue), sent by Celery; to the demo's mail catcher by
# default (below).
# In production a mail server is required: the console backend would print consent PINs and reset links to the
# log, the others would drop them.
_UNDELIVERED_EMAIL = ("consolemail", "dummymail", "memorymail", "filemail")
if PRODUCTION and env.str("EMAIL_URL").split("://")[0] in _UNDELIVERED_EMAIL:
    raise environ.ImproperlyConfigured(
        "EMAIL_URL must name a mail server (smtp:// or smtp+tls://) when TRACS_PRODUCTION=1: "
        "the other backends print e-mails (consent PINs, reset links) to the log or send nothing"
    )
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# The demo's mail catcher (tracs/dev_mail.py): e-mail is kept under var/mail and shown at /dev/mail/ instead of
# being sent. On by default only where e-mail has nowhere else to go (no EMAIL_URL, not production); production
# refuses it, whatever else is set.
TRACS_DEV_MAIL = env.bool("TRACS_DEV_MAIL", default=not PRODUCTION and not env.str("EMAIL_URL", default=""))
if PRODUCTION and TRACS_DEV_MAIL:
    raise environ.ImproperlyConfigured(
        "TRACS_DEV_MAIL keeps e-mail on disk and shows it to anyone at /dev/mail/: it is for the demo only, never in "
        "production (TRACS_PRODUCTION=1). Unset it and set EMAIL_URL."
    )
TRACS_DEV_MAIL_DIR = VAR_DIR / "mail"
if TRACS_DEV_MAIL:
    EMAIL_BACKEND = "tracs.dev_mail.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="TRACS <no-reply@tracs.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Fernet keys of queued e-mails, PIN letters and the other secrets at rest (accounts/crypto.py): OUTBOX_KEYS, a
# comma-separated list whose first key encrypts and all decrypt (rotation: docs/configuration.md); OUTBOX_KEY, the
# older name, is read as a one-key list. Derived from SECRET_KEY when both are empty, outside production only:
# rotating SECRET_KEY after a leak would make what is stored unreadable.
OUTBOX_KEYS = env.list("OUTBOX_KEYS", default=[]) or [env.str("OUTBOX_KEY", default="")]
OUTBOX_KEYS = [key.strip() for key in OUTBOX_KEYS if key.strip()]
OUTBOX_KEY = OUTBOX_KEYS[0] if OUTBOX_KEYS else ""
if PRODUCTION:
    from cryptography.fernet import Fernet

    if not OUTBOX_KEYS:
        env.str("OUTBOX_KEY")  # unset: refuses, naming the variable; set but empty: refused below
    for _position, _key in enumerate(OUTBOX_KEYS or [""], start=1):
        try:
            Fernet(_key)
        except ValueError as error:
            raise environ.ImproperlyConfigured(
                f"OUTBOX_KEY must be a Fernet key (32 random bytes, url-safe base64) when TRACS_PRODUCTION=1 "
                f"(OUTBOX_KEYS: key {_position} is not one): "
                'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            ) from error

# --- Celery. No broker server needed by default: kombu's filesystem transport under var/celery, and
# `make run` starts a worker with an embedded beat, so scheduled jobs run. Redis in production.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue = VAR_DIR / "celery" / "queue"
    _queue.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
# What the worker prints is logged at this level: the console e-mail backend's messages (EMAIL_URL=consolemail://)
# are information, not a warning for every e-mail sent (Celery's default level for it is WARNING).
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "outbox-send-pending": {"task": "accounts.tasks.outbox_send_pending", "schedule": 60.0},
    # Every scheduled job's last success is kept (admin: scheduled jobs); this alerts once on each that has not
    # succeeded within twice its period (accounts/scheduled_jobs.py, docs/operations.md "Scheduled jobs").
    "scheduled-jobs-check": {"task": "accounts.tasks.scheduled_jobs_check", "schedule": 300.0},
    "documents-incoming-sweep": {"task": "programs.tasks.documents_incoming_sweep", "schedule": 3600.0},
    # SFTP inbox files the server did not see closed (sshd's), once settled, and acknowledgements still missing.
    "sftp-inbox-sweep": {"task": "filings.sales.sftp.tasks.sftp_inbox_sweep", "schedule": 60.0},
    # Interest on amounts owing, daily after midnight (cumulative: safe twice, catches up a missed day).
    "assessments-accrue-interest": {
        "task": "assessments.tasks.accrue_interest",
        "schedule": crontab(hour=1, minute=15),
    },
    # Reminders of returns about to fall due and of unopened notices with payment due (assessments/reminders.py),
    # each morning: safe twice, and a missed day is caught up (each reminder's window spans several days).
    "assessments-reminders-send": {
        "task": "assessments.tasks_reminders.reminders_send",
        "schedule": crontab(hour=7, minute=0),
    },
    # The automatic assessment of clean returns and clean claims, hourly.
    "assessments-assess-clean-returns": {
        "task": "assessments.tasks.assess_clean_returns",
        "schedule": 3600.0,
    },
    "assessments-assess-clean-claims": {"task": "assessments.tasks.assess_clean_claims", "schedule": 3600.0},
    # Approved refunds issued (and their payment files closed) once a day, early in the morning, so each day's
    # files go to the bank together.
    "assessments-refunds-prepare-missing": {
        "task": "assessments.tasks.refunds_prepare_missing",
        "schedule": crontab(hour=5, minute=0),
    },
    "assessments-refunds-issue": {
        "task": "assessments.tasks.refunds_issue",
        "schedule": crontab(hour=5, minute=30),
    },
    # The marked-fuel refund cycle, daily: the day after a claim period ends it runs (once; a missed day is caught
    # up the next), before the refund job issues what staff approved (assessments/cycles/services.py).
    "assessments-refund-cycle-due": {
        "task": "assessments.cycles.tasks.refund_cycle_due",
        "schedule": crontab(hour=2, minute=30),
    },
    # The Sales Summary's Excel workbooks, deleted once TRACS_SALES_SUMMARY_EXPORT_DAYS old (assessments/cycles/
    # exports.py): daily, safe twice.
    "assessments-sales-summary-exports-expire": {
        "task": "assessments.cycles.tasks.sales_summary_exports_expire",
        "schedule": crontab(hour=3, minute=15),
    },
}

# --- Jobs that cannot hang or hammer. Every task has a soft time limit (SoftTimeLimitExceeded is raised in it, so
# it can give up cleanly) and a hard one (the worker process is killed and replaced); long ones have their own,
# by name, so no task module needs changing. SMTP connections time out rather than wait forever.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
_LONG_TASK_LIMITS = {"soft_time_limit": 600, "time_limit": 660}  # PDF renders, batch runs, file sweeps
CELERY_TASK_ANNOTATIONS = {
    name: _LONG_TASK_LIMITS
    for name in (
        "filings.tasks.confirmation_pdf_render",
        "consent.tasks.enrolment_letter_prepare",
        "consent.tasks.registration_letter_issue_job",
        "assessments.tasks.notice_render",
        "assessments.tasks.claim_letter_issue",
        "assessments.tasks_decisions.decision_notice_issue",
        "assessments.tasks.assess_clean_returns",
        "assessments.tasks.assess_clean_claims",
        "assessments.tasks.accrue_interest",
        "assessments.tasks.refunds_prepare_missing",
        "assessments.tasks.refunds_issue",
        "assessments.cycles.tasks.refund_cycle_due",
        "assessments.cycles.tasks.refund_cycle_run",
        "assessments.cycles.tasks.sales_summary_export_build",
        "assessments.cycles.tasks.sales_summary_exports_expire",
        "assessments.tasks_reminders.reminders_send",
        "programs.tasks.documents_incoming_sweep",
        "filings.sales.sftp.tasks.sftp_inbox_sweep",
    )
}
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# The outbox (accounts/services.py outbox_send): a failed e-mail is tried again after 1, 2, 4... minutes (at
# most an hour apart) by the per-minute sweep, and after this many attempts (about five hours) it is marked
# undeliverable for staff (admin: outbox, status "Undeliverable").
TRACS_OUTBOX_MAX_ATTEMPTS = env.int("TRACS_OUTBOX_MAX_ATTEMPTS", default=10)
TRACS_OUTBOX_RETRY_BASE_SECONDS = 60
TRACS_OUTBOX_RETRY_MAX_SECONDS = 3600
# A claimed e-mail (status "Being sent") older than this is one whose worker died: the sweep takes it again.
TRACS_OUTBOX_CLAIM_SECONDS = 15 * 60

# One JSON object per line in production (for a log collector), plain lines in development and tests.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "tracs.log_filters.PlainFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(actor_id)s %(account_number)s] %(message)s",
        },
        "json": {"()": "tracs.log_filters.JsonFormatter"},
    },
    "filters": {
        "expected_refusal": {"()": "tracs.log_filters.ExpectedRefusalWithoutTraceback"},
        "file_broker_hostname": {"()": "tracs.log_filters.FileBrokerHostname"},
        "log_context": {"()": "tracs.log_context.LogContextFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["log_context"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        # An intended 403 is one line; 500s keep their traceback.
        "django.request": {"filters": ["expected_refusal"]},
        # kombu's hostname warning means nothing for the file transport, which has no host.
        "kombu.connection": {
            "filters": ["file_broker_hostname"] if CELERY_BROKER_URL == "filesystem://" else []
        },
    },
}

# --- Portal rules that are configuration rather than law.
TRACS_PIN_LIFETIME_DAYS = env.int("TRACS_PIN_LIFETIME_DAYS", default=90)
# PIN guessing (accounts/pins.py). With 59-bit PINs guessing is hopeless, so the lock is a backstop, not a door any
# ten throwaway profiles can shut on the owner: NIST SP 800-63B 5.2.2 allows at most 100 consecutive failures. An
# account number's open PINs lock after this many wrong entries naming it since they were issued; staff are
# alerted (admin queue and e-mail to TRACS_SECURITY_ALERT_EMAIL) at this many in one Alberta day, once a day.
TRACS_PIN_LOCK_FAILURES = env.int("TRACS_PIN_LOCK_FAILURES", default=100)
TRACS_PIN_ALERT_FAILURES = env.int("TRACS_PIN_ALERT_FAILURES", default=10)
TRACS_SECURITY_ALERT_EMAIL = env.list("TRACS_SECURITY_ALERT_EMAIL", default=["security@tracs.example"])
# Operators alerted when a scheduled job has not succeeded within twice its period (accounts/scheduled_jobs.py).
TRACS_OPS_ALERT_EMAIL = env.list("TRACS_OPS_ALERT_EMAIL", default=TRACS_SECURITY_ALERT_EMAIL)
# The exemption registry (programs/registries): the most changes one import file may carry (the admin page and
# manage.py exemption_registry_import alike), and how many AFFB/TEFU eligibility checks one marked-fuel account may
# run in TRACS_ELIGIBILITY_CHECK_WINDOW_MINUTES before it is asked to wait (a seller checking numbers in bulk).
TRACS_EXEMPTION_IMPORT_MAX_ROWS = env.int("TRACS_EXEMPTION_IMPORT_MAX_ROWS", default=1_000_000)
# 5 MB is ~75,000 changes, ~10 s on a loaded 2-core machine (bench/bench_registry.py): inside gunicorn's 60 s.
TRACS_EXEMPTION_IMPORT_MAX_BYTES = env.int("TRACS_EXEMPTION_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
TRACS_ELIGIBILITY_CHECKS = env.int("TRACS_ELIGIBILITY_CHECKS", default=30)
TRACS_ELIGIBILITY_CHECK_WINDOW_MINUTES = env.int("TRACS_ELIGIBILITY_CHECK_WINDOW_MINUTES", default=60)
CSRF_FAILURE_VIEW = "tracs.errors.csrf_failure"
TRACS_DELEGATION_PIN_DAYS = env.int("TRACS_DELEGATION_PIN_DAYS", default=30)
TRACS_CONSENT_PIN_DAYS = env.int("TRACS_CONSENT_PIN_DAYS", default=30)
TRACS_SITE_URL = env.str("TRACS_SITE_URL", default="http://127.0.0.1:8000")
# Reminders (assessments/reminders.py): days before a return's due date, and before an unopened notice's payment
# due date, from which holders of the privilege are reminded (once each).
TRACS_RETURN_REMINDER_DAYS = env.int("TRACS_RETURN_REMINDER_DAYS", default=7)
TRACS_NOTICE_REMINDER_DAYS = env.int("TRACS_NOTICE_REMINDER_DAYS", default=7)
# A Sales Summary's Excel workbook is kept this many days after it was asked for, then deleted by the daily sweep
# (assessments/cycles/exports.py): it can be asked for again at any time.
TRACS_SALES_SUMMARY_EXPORT_DAYS = env.int("TRACS_SALES_SUMMARY_EXPORT_DAYS", default=7)
# Refunds above this amount (dollars) need a second approval by another refund approver (assessments/refunds.py).
TRACS_REFUND_SECOND_APPROVAL_ABOVE = Decimal(
    env.str("TRACS_REFUND_SECOND_APPROVAL_ABOVE", default="10000.00")
)
# Largest fuel tax return file accepted by the XML upload (filings.xml); a bigger one is refused before it is read.
TRACS_XML_UPLOAD_MAX_BYTES = env.int("TRACS_XML_UPLOAD_MAX_BYTES", default=100 * 1024 * 1024)
# Rows of a marked-fuel file COPY'd into staging between two commits of its progress (filings/sales/ingestion.py).
TRACS_INGESTION_CHUNK_ROWS = env.int("TRACS_INGESTION_CHUNK_ROWS", default=50_000)

# --- The SFTP door of marked-fuel files (filings/sales/sftp, docs/sftp.md). Each TEFS account's directory
# (inbox/, outbox/) is under TRACS_SFTP_ROOT, which the SFTP server (manage.py sftp_server for make run; OpenSSH's
# sshd in docker-compose.yml) and the Celery workers share. The server listens on TRACS_SFTP_BIND:TRACS_SFTP_PORT
# with the host key at TRACS_SFTP_HOST_KEY (made on its first start when missing); the portal tells sellers to
# connect to TRACS_SFTP_ADDRESS. With TRACS_SFTP_KEY_APPROVAL a registered key works only once TRA staff approve it.
# A file in an inbox that the server did not see close (sshd) is picked up once unchanged for
# TRACS_SFTP_SETTLE_SECONDS.
TRACS_SFTP_ROOT = Path(env.str("TRACS_SFTP_ROOT", default=str(VAR_DIR / "sftp")))
TRACS_SFTP_BIND = env.str("TRACS_SFTP_BIND", default="127.0.0.1")
TRACS_SFTP_PORT = env.int("TRACS_SFTP_PORT", default=8022)
TRACS_SFTP_HOST_KEY = Path(env.str("TRACS_SFTP_HOST_KEY", default=str(VAR_DIR / "sftp_host_ed25519_key")))
TRACS_SFTP_ADDRESS = env.str("TRACS_SFTP_ADDRESS", default="127.0.0.1:8022")
TRACS_SFTP_KEY_APPROVAL = env.bool("TRACS_SFTP_KEY_APPROVAL", default=False)
TRACS_SFTP_SETTLE_SECONDS = env.int("TRACS_SFTP_SETTLE_SECONDS", default=60)

# --- Request bodies (tracs/middleware.py): a body larger than its route accepts is refused from its
# Content-Length before anything reads it. Routes that take files accept their files' limit plus the multipart
# overhead; every other route this much: the largest real form (a fuel tax return, an admin action on a few
# thousand selected rows) is a few tens of KB.
TRACS_REQUEST_BODY_MAX_BYTES = 1024 * 1024
# The same bound for what Django keeps in memory of the form fields of any request (files aside), so nothing
# slips past the middleware with a wrong Content-Length.
DATA_UPLOAD_MAX_MEMORY_SIZE = TRACS_REQUEST_BODY_MAX_BYTES
# An uploaded file larger than this is streamed to a temporary file as it arrives, rather than held in the
# worker's memory: ten 20 MB documents in one submission never cost a gunicorn worker 200 MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- Submit Documents (programs/documents.py): size limit per file and the malware scanner. Without a
# scanner, documents are kept and marked "not scanned" for staff.
TRACS_DOCUMENT_MAX_BYTES = env.int("TRACS_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
CLAMD_SOCKET = env.str("CLAMD_SOCKET", default="")
CLAMD_HOST = env.str("CLAMD_HOST", default="")
CLAMD_PORT = env.int("CLAMD_PORT", default=3310)
TRACS_MALWARE_SCANNER = env.str("TRACS_MALWARE_SCANNER", default="")
# A configured clamd that cannot be reached is waited for this long per file (a restart takes seconds); then,
# or when the scanner fails, the file is refused if a scan is required (production fails closed) and otherwise
# kept as "not scanned: the scanner could not be reached".
TRACS_MALWARE_SCAN_WAIT_SECONDS = env.float("TRACS_MALWARE_SCAN_WAIT_SECONDS", default=5.0)
TRACS_MALWARE_SCAN_REQUIRED = env.bool("TRACS_MALWARE_SCAN_REQUIRED", default=PRODUCTION)

# --- Health and readiness (tracs/health.py, docs/operations.md "Health checks"). With a broker server (Redis),
# readiness also needs a Celery worker to answer a ping; 0 leaves the worker out (a web tier deployed without
# workers of its own to wait for).
TRACS_HEALTH_CELERY_WORKER = env.bool("TRACS_HEALTH_CELERY_WORKER", default=True)

# --- Error reports (tracs/sentry.py): to Sentry only when SENTRY_DSN is set; nothing personal, scrubbed as the logs.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production" if PRODUCTION else "development")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from importlib.metadata import PackageNotFoundError, version

    from tracs.sentry import sentry_init

    try:
        _release = f"tracs@{version('tracs')}"
    except PackageNotFoundError:  # run from a checkout the project was never installed from
        _release = "tracs"
    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE or _release,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
