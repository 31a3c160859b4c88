"""The demo site's production settings: refused without a secret, clean under check --deploy,
errors logged, plain error pages. (Under gunicorn on PostgreSQL: tests/integration/test_production.py.)"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

# Its processes use databases of their own, whatever DATABASE_URL says: run once, not again on PostgreSQL.
pytestmark = pytest.mark.own_database

ROOT = Path(__file__).resolve().parents[2]
# What README's "Running the demo in production" sets.
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "tickets.example",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://tickets.example",
    "DJANGO_PROXY_SSL_HEADER": "1",
    "DJANGO_HSTS_PRELOAD": "1",
    "DATABASE_URL": "postgres://boxoffice:secret@127.0.0.1:5432/boxoffice",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SITE_URL": "https://tickets.example",
    "MENTA_BASE_URL": "https://api.mentatech.io",
    "MENTA_API_KEY": "key-from-menta",
    "SAL_VERIFY_SECRET": secrets.token_urlsafe(32),
    "SAL_WEBHOOK_SIGNING_SECRETS": "whsec_c2Fsd2lkZ2V0cy1wcm9kLXdlYmhvb2stc2lnbmluZyE=",
}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SAL_", "MENTA_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "salsite.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_the_documented_environment() -> None:
    result = manage(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start() -> None:
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DJANGO_SECRET_KEY"}

    result = manage(env, "check")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_the_demo_key_is_only_for_debug() -> None:
    assert manage({"DJANGO_DEBUG": "1"}, "check").returncode == 0


@pytest.mark.django_db
@pytest.mark.urls("tests.salsite.failing_urls")
def test_a_failing_view_is_logged_and_shows_a_plain_page(caplog: Any) -> None:
    assert logging.getLogger("django.request").handlers, "django.request has a handler of its own"

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Client(raise_request_exception=False).get("/fail/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode() and "a bug in a view" not in response.content.decode()
    [record] = [record for record in caplog.records if record.name == "django.request"]
    assert record.levelno == logging.ERROR and record.exc_info and "a bug in a view" in str(record.exc_info[1])


@pytest.mark.django_db
def test_an_unknown_page_is_the_sites_404(client: Client) -> None:
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


LOG_AS_THE_SITE = """
import json
import logging
logging.getLogger("salwidgets.outbox").warning("menta outbox: %d item(s) refused", 2)
try:
    raise ValueError("broken")
except ValueError:
    logging.getLogger("django.request").exception("Internal Server Error: /x")
"""


def test_logs_as_json_lines_for_a_collector() -> None:
    result = manage({**PRODUCTION_ENV, "DJANGO_LOG_FORMAT": "json"}, "shell", "-c", LOG_AS_THE_SITE)

    assert result.returncode == 0, result.stderr
    warning, error = (json.loads(line) for line in result.stderr.strip().splitlines())
    assert {key: warning[key] for key in ("level", "logger", "message")} == {
        "level": "WARNING",
        "logger": "salwidgets.outbox",
        "message": "menta outbox: 2 item(s) refused",
    }
    assert "time" in warning
    assert error["level"] == "ERROR" and "ValueError: broken" in error["exc_info"]


def test_an_unknown_log_format_is_refused_with_its_reason() -> None:
    result = manage({**PRODUCTION_ENV, "DJANGO_LOG_FORMAT": "xml"}, "check")

    assert result.returncode != 0
    assert "DJANGO_LOG_FORMAT must be plain or json, not 'xml'." in result.stderr
