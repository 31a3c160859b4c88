"""Settings of the demo ticketing site, read from the environment (see README)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Lets the admin's generic classes be subscripted at run time, as their type hints are.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes", "on")


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _env_switch(name: str, default: bool) -> bool:
    return _env_flag(name) if os.environ.get(name, "").strip() else default


DEBUG = _env_flag("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value (python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'), or set DJANGO_DEBUG=1 for the local demo."
        )
    SECRET_KEY = "demo-only-insecure-secret-key-set-DJANGO_SECRET_KEY"
# Earlier keys, comma-separated, while a key is being rotated (sessions and links made with them stay valid).
SECRET_KEY_FALLBACKS = _env_list("DJANGO_SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS") or ["127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS (on by default outside DEBUG): redirect plain http, secure cookies, HSTS. Behind a proxy
# that terminates TLS, DJANGO_PROXY_SSL_HEADER=1 trusts its X-Forwarded-Proto (only set it when
# the proxy overwrites that header).
HTTPS = _env_switch("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS") or (31_536_000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_switch("DJANGO_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = _env_switch("DJANGO_HSTS_PRELOAD", False)
if _env_flag("DJANGO_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "cachalot",
    "django_tasks",
    "django_tasks_db",
    # Per-event permissions (the organizer's ticket report) and the profile's country list.
    "guardian",
    "django_countries",
    # Accounts: sign-up with email verification, sign-in with rate limits, password reset, email change.
    "allauth",
    "allauth.account",
    "salwidgets",
    "salsite",
]
MIDDLEWARE = [
    # /healthz and /readyz for the load balancer: before the Host check and the HTTPS redirect.
    "salwidgets.probes.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]
ROOT_URLCONF = "salsite.urls"
WSGI_APPLICATION = "salsite.wsgi.application"
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
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'site.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The site, the worker and the tests' processes write to one SQLite file: wait for each other
    # instead of failing, and let readers read while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too (in a temporary folder, one per checkout): an in-memory database shared
    # between threads locks whole tables, so a live server's concurrent requests would fail.
    checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:12]
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"salsite-test-{checkout}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Two aliases on one Redis, both quick to give up when it is down. "default" (django-redis)
    # answers as an empty cache when Redis fails, and takes every lock (salsite.caches), so the
    # site's own pages, the query cache and sign-in (with its rate limits) keep working. "sal"
    # (Django's own backend) raises, and salwidgets turns each failure into a miss of its own (a
    # lazy fragment or the fallback) and backs off for a second.
    CACHES = {
        "default": {
            "BACKEND": "salsite.caches.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        },
        "sal": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        },
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The worker that sends the outbox to menta (salwidgets.sync): Django's Tasks API on the site's
# database, run by `manage.py db_worker`. See README for the RQ backend on Redis.
TASKS: dict[str, dict[str, Any]] = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if os.environ.get("SAL_TASKS_BACKEND") == "rq":
    # Several machines: the queue on Redis (REDIS_URL), run by `manage.py rqworker --with-scheduler
    # --job-class django_tasks_rq.Job`. The outbox itself stays in the database.
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}

# django-cachalot names the cache backends it supports by their class; salsite.caches' is
# django-redis's, with add() taking every lock while Redis is down.
SILENCED_SYSTEM_CHECKS = ["cachalot.W001"] if REDIS_URL else []

# django-cachalot caches the site's catalogue and ticket queries on the same cache, and drops them
# on any write to their tables (so with several processes, set REDIS_URL). auth_user is listed
# because queries filtered by a user count it among their tables.
CACHALOT_ONLY_CACHABLE_TABLES = frozenset(
    {
        "salsite_event",
        "salsite_show",
        "salsite_ticketoption",
        "salsite_order",
        "salsite_ticket",
        "auth_user",
        # What My tickets reads to say how many tickets wait for an email's verification.
        "account_emailaddress",
        "salsite_resale",
    }
)
# Bounded: an invalidation lost while Redis was unreachable cannot keep a stale answer for long.
CACHALOT_TIMEOUT = 300

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Sign-in by email (any case), with allauth's limit on failed attempts.
    "allauth.account.auth_backends.AuthenticationBackend",
    # "Can read the ticket report" given for one event (Event admin > Object permissions).
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian "anonymous" account: signed-out visitors have no permissions at all.
ANONYMOUS_USER_NAME = None
LOGIN_REDIRECT_URL = "my-tickets"
LOGOUT_REDIRECT_URL = "home"

# Accounts (django-allauth). People sign in with their email; a ticket sent to an email (a guest's
# resale purchase) goes only to an account that verified that email, so sign-up sends a link to
# verify it (the account works meanwhile; My tickets says what waits for the verification).
ACCOUNT_ADAPTER = "salsite.accounts.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "salsite.forms.SignUpExtraForm"
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_UNIQUE_EMAIL = True
# One address per account, changed by verifying the new one.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Boxoffice] "
# Sign-ins are limited (allauth's defaults): failed ones to 10 a minute per address and 5 in 5
# minutes per account, all of them to DJANGO_LOGIN_RATE_LIMIT per address. Behind proxies, set
# DJANGO_TRUSTED_PROXY_COUNT so that the address is the person's, not the proxy's.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
    "login": os.environ.get("DJANGO_LOGIN_RATE_LIMIT") or "30/m/ip",
}
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT") or 0)

# Email: SMTP from the environment (EMAIL_HOST set); otherwise, with DEBUG, every message is
# written to a file under var/mail/ (the demo: verification and password reset links are there).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST or not DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = EMAIL_HOST or "localhost"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT") or 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = _env_flag("EMAIL_USE_TLS")
    EMAIL_USE_SSL = _env_flag("EMAIL_USE_SSL")
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = Path(os.environ.get("DJANGO_EMAIL_FILE_PATH") or BASE_DIR / "var" / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "Boxoffice <tickets@boxoffice.example>"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "salsite" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "var" / "static")
# whitenoise serves what `manage.py collectstatic` gathered, compressed and with hashed names that
# browsers may cache for ever. Not strict: before collectstatic (tests, DEBUG) names stay plain.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # The ticket report's XLSX exports, written by the task worker and read by the web processes:
    # with workers on other machines, make it a storage they share (django-storages' S3, say).
    "reports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("DJANGO_REPORTS_ROOT") or BASE_DIR / "var" / "reports"},
    },
}
WHITENOISE_MANIFEST_STRICT = False

# --- menta -----------------------------------------------------------------------------------
SITE_PORT = int(os.environ.get("SITE_PORT", "8000"))
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8001"))
# Where people reach this site (in the links menta is given, e.g. a show's primary sales page).
SITE_URL = (os.environ.get("SITE_URL") or f"http://127.0.0.1:{SITE_PORT}").rstrip("/")
# Unset MENTA_BASE_URL means the local sandbox, with its demo key.
MENTA_SANDBOX = not os.environ.get("MENTA_BASE_URL")
MENTA_BASE_URL = os.environ.get("MENTA_BASE_URL") or f"http://127.0.0.1:{SANDBOX_PORT}"
MENTA_API_KEY = os.environ.get("MENTA_API_KEY") or ("sandbox-demo-key" if MENTA_SANDBOX else "")

# No inline scripts or styles anywhere: salwidgets works under script-src 'self'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [
            SELF,
            "data:",
            f"{urlsplit(MENTA_BASE_URL).scheme}://{urlsplit(MENTA_BASE_URL).netloc}",
            "https://*.mentatech.io",
        ],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# The ownership endpoint (/menta/tickets). The demo with the sandbox has a secret of its own.
SAL_VERIFY_SECRET = os.environ.get("SAL_VERIFY_SECRET") or ("sandbox-verify-secret" if DEBUG and MENTA_SANDBOX else "")
# menta's webhooks (/menta/webhooks) take the same secret and addresses, and a Standard Webhooks
# signature by one of these secrets (comma-separated while a key is rotated).
SAL_WEBHOOK_SIGNING_SECRETS = _env_list("SAL_WEBHOOK_SIGNING_SECRETS") or (
    ["whsec_c2Fsd2lkZ2V0cy1kZW1vLXdlYmhvb2stc2lnbmluZyE="] if DEBUG and MENTA_SANDBOX else []
)
SAL_VERIFY_ALLOWED_IPS = _env_list("SAL_VERIFY_ALLOWED_IPS")
SAL_VERIFY_TRUSTED_PROXIES = _env_list("SAL_VERIFY_TRUSTED_PROXIES")

SALWIDGETS = {
    "ENABLED": os.environ.get("SAL_ENABLED", "1") != "0",
    "BASE_URL": MENTA_BASE_URL,
    "API_KEY": MENTA_API_KEY,
    "VERIFY_SECRET": SAL_VERIFY_SECRET,
    "VERIFY_ALLOWED_IPS": SAL_VERIFY_ALLOWED_IPS,
    "VERIFY_TRUSTED_PROXIES": SAL_VERIFY_TRUSTED_PROXIES,
    "WEBHOOK_SIGNING_SECRETS": SAL_WEBHOOK_SIGNING_SECRETS,
    "CACHE_ALIAS": "sal" if REDIS_URL else "default",
    "OWNED_TICKETS": "salsite.ownership.owned_tickets",
    "UPCOMING_SHOWS": "salsite.catalog.upcoming_shows",
    "PERSON_ITEMS": "salsite.catalog.person_items",
    "API_AUTHENTICATION": ["salsite.app_tokens.user_of"],
    "THEME_STYLESHEETS": ["salsite/sal-theme.css"],
}

# Errors of requests (every 500, with its traceback) and salwidgets' warnings go to standard error,
# where gunicorn and the platform's log collector read them.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
        # One JSON object a line, for a log collector (DJANGO_LOG_FORMAT=json).
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{asctime}{levelname}{name}{message}",
            "style": "{",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR"},
        "django_redis": {"handlers": ["console"], "level": "WARNING"},
        "salwidgets": {"handlers": ["console"], "level": os.environ.get("SALWIDGETS_LOG_LEVEL", "WARNING")},
    },
}
