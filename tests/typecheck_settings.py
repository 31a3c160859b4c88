"""Settings that mypy's Django plugin reads: the site's, plus the sandbox app and its settings."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from menta_sandbox.settings import (  # noqa: F401
    SANDBOX_API_KEY,
    SANDBOX_OTT_PARAM,
    SANDBOX_SYNC_TICKETS_PER_MINUTE,
    SANDBOX_TOKEN_TTL,
    SANDBOX_VERIFY_SECRET,
    SANDBOX_VERIFY_URL,
    SANDBOX_WEBHOOK_BACKOFF,
    SANDBOX_WEBHOOK_BACKOFF_CAP,
    SANDBOX_WEBHOOK_SECRET,
    SANDBOX_WEBHOOK_SIGNING_SECRETS,
    SANDBOX_WEBHOOK_URL,
)
from salsite.settings import *  # noqa: F403
from salsite.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "menta_sandbox"]
