"""The probes under gunicorn as production runs it (DEBUG off, HTTPS required, one allowed host),
called by address as a load balancer does: the process stays live while its database is
unreachable, and is not ready until the database answers."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
import requests

from tests.support.servers import start_site

# Its process brings its own (unreachable) database: run once, not again on PostgreSQL.
pytestmark = pytest.mark.own_database


def test_a_node_whose_database_is_unreachable_is_live_but_not_ready(tmp_path: Path) -> None:
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DJANGO_DEBUG")},
        "DJANGO_SETTINGS_MODULE": "salsite.settings",
        # Nothing listens on port 1: every connection is refused.
        "DATABASE_URL": "postgres://salsite:s3cret-pw@127.0.0.1:1/salsite",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "tickets.example",
        "DJANGO_HTTPS": "1",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    site = start_site(env, workers=2, threads=2)
    try:
        by_address = {"Host": "10.0.3.7"}
        live = requests.get(f"{site.url}/healthz", headers=by_address, timeout=10, allow_redirects=False)
        ready = requests.get(f"{site.url}/readyz", headers=by_address, timeout=10, allow_redirects=False)
        page = requests.get(f"{site.url}/", headers={"Host": "tickets.example"}, timeout=10, allow_redirects=False)
    finally:
        site.stop()

    assert live.status_code == 200 and live.text == "ok\n"
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database:default"].startswith("OperationalError: ")
    assert "s3cret-pw" not in ready.text  # what failed, never the credentials
    assert checks["cache:default"] == "ok"
    assert page.status_code == 301  # the site itself still wants https: the probes are the exception
