"""The site's settings for the test suite: the demo's, with what a test run needs from the
environment (a secret key, plain http). Processes the tests start inherit the same environment."""

import os
import secrets
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", f"tests-{secrets.token_urlsafe(32)}")
os.environ.setdefault("DJANGO_HTTPS", "0")

from salsite.settings import *  # noqa: F403

# Pages rendered in the test process name static files as they are (no collectstatic before a
# test run); the processes the tests start under gunicorn collect them first, as in production.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Exports the tests write go to a directory of this run, not the checkout's var/.
STORAGES["reports"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": tempfile.mkdtemp(prefix="salsite-test-reports-")},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
