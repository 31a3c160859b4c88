"""Settings of the sandbox process (not of the site that embeds salwidgets)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Signs the hosted pages' session cookies: new on each run unless given (sessions end with the run).
SECRET_KEY = os.environ.get("SANDBOX_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
# The hosted pages speak the language a link asks for (?lang=, kept for the visit), from the
# sandbox's own catalogue.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]

INSTALLED_APPS = [
    "django.contrib.sessions",
    "menta_sandbox",
]
MIDDLEWARE = [
    "menta_sandbox.middleware.ContractMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "menta_sandbox.middleware.LanguageMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "menta_sandbox.middleware.OneTimeTokenSignInMiddleware",
]
ROOT_URLCONF = "menta_sandbox.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SANDBOX_DB", str(Path.cwd() / "var" / "sandbox.sqlite3")),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
USE_TZ = True
TIME_ZONE = "UTC"

# The site and the sandbox share a host (127.0.0.1) and cookies ignore ports: keep names apart.
SESSION_COOKIE_NAME = "menta_sandbox_session"
CSRF_COOKIE_NAME = "menta_sandbox_csrftoken"
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

# What the sandbox expects in the Authorization header.
SANDBOX_API_KEY = os.environ.get("MENTA_API_KEY") or "sandbox-demo-key"
# The platform's ownership endpoint and its secret (contract 7); unset: not called.
SANDBOX_VERIFY_URL = os.environ.get("SANDBOX_VERIFY_URL", "")
SANDBOX_VERIFY_SECRET = os.environ.get("SAL_VERIFY_SECRET", "")
SANDBOX_TOKEN_TTL = int(os.environ.get("SANDBOX_TOKEN_TTL", "300"))
# Query parameter that carries a one-time token into a hosted page.
SANDBOX_OTT_PARAM = "oneTimeToken"
# Webhooks to the platform (contract 8): its receiver (unset: kept until one is set with
# PUT /__sandbox/webhooks), the X-Menta-Secret sent (the ownership endpoint's), the Standard
# Webhooks signing secrets ("whsec_...", comma-separated; none: unsigned), and the retry backoff.
SANDBOX_WEBHOOK_URL = os.environ.get("SANDBOX_WEBHOOK_URL", "")
SANDBOX_WEBHOOK_SECRET = os.environ.get("SANDBOX_WEBHOOK_SECRET") or SANDBOX_VERIFY_SECRET
SANDBOX_WEBHOOK_SIGNING_SECRETS = [
    item.strip() for item in os.environ.get("SANDBOX_WEBHOOK_SIGNING_SECRETS", "").split(",") if item.strip()
]
SANDBOX_WEBHOOK_BACKOFF = float(os.environ.get("SANDBOX_WEBHOOK_BACKOFF", "2"))
SANDBOX_WEBHOOK_BACKOFF_CAP = float(os.environ.get("SANDBOX_WEBHOOK_BACKOFF_CAP", "3600"))
SANDBOX_SYNC_TICKETS_PER_MINUTE = int(os.environ.get("SANDBOX_SYNC_TICKETS_PER_MINUTE", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"menta_sandbox": {"handlers": ["console"], "level": "INFO"}},
}
