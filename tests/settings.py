"""The site's settings for the test suite: the demo's, with what a test run needs from the
environment (a secret key, plain http). Processes the tests start inherit the same environment."""

import os
import secrets

os.environ.setdefault("DJANGO_SECRET_KEY", f"tests-{secrets.token_urlsafe(32)}")
os.environ.setdefault("DJANGO_HTTPS", "0")

from salsite.settings import *  # noqa: F403

# Pages rendered in the test process name static files as they are (no collectstatic before a
# test run); the processes the tests start under gunicorn collect them first, as in production.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
