"""The demo as README's production section runs it: DEBUG off, gunicorn, PostgreSQL, Redis,
whitenoise, HTTPS settings behind a proxy; a person opens a cold show page in Chromium and the buy
components arrive through htmx."""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from menta_sandbox.process import stop, wait_for_line
from tests.conftest import start_sandbox
from tests.salsite.test_production import PRODUCTION_ENV
from tests.support.servers import ROOT, manage, site_env, start_redis, start_site

# Its processes use databases of their own, whatever DATABASE_URL says: run once, not again on PostgreSQL.
pytestmark = pytest.mark.own_database

SHOW = "/events/evt_2024_metallica/show_nyc_20240815/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def postgresql() -> Iterator[str]:
    """A PostgreSQL server of this test's own on 127.0.0.1 (Debian's binaries, a fresh cluster)."""
    [initdb] = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1:]
    binaries = Path(initdb).parent
    directory = Path(tempfile.mkdtemp(prefix="salsite-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(directory, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, port = directory / "data", free_port()
    subprocess.run(
        [*as_postgres, binaries / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [*as_postgres, binaries / "postgres", "-D", data, "-p", str(port), "-k", directory, "-h", "127.0.0.1"],
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_line(server, server.stderr, re.compile("ready to accept connections"), 60)
    yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    stop(server)
    shutil.rmtree(directory, ignore_errors=True)


def test_a_cold_show_page_gets_its_components_through_htmx(
    browser: Browser, postgresql: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = tmp_path_factory.mktemp("production")
    cache = start_redis(directory)
    sandbox, _db = start_sandbox(tmp_path_factory)
    # README's production environment, but for where this machine's servers are.
    documented = {
        key: value for key, value in PRODUCTION_ENV.items() if key.startswith("DJANGO_") or key.startswith("SAL_")
    }
    production = {**documented, "DATABASE_URL": postgresql, "DJANGO_HTTPS": "1", "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    env = {**site_env(db=directory / "unused.sqlite3", redis=cache, sandbox_url=sandbox.url), **production}
    manage(env, "migrate", "--verbosity", "0")
    manage({**env, "DJANGO_DEBUG": "1"}, "seed_demo")
    vendor = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from django.db import connection; print(connection.vendor)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert vendor.stdout.strip().splitlines()[-1] == "postgresql"
    site = start_site(env, workers=2, threads=4)
    # The proxy in front of gunicorn terminates TLS and says so.
    context = browser.new_context(base_url=site.url, extra_http_headers={"X-Forwarded-Proto": "https"})
    try:
        page = context.new_page()
        responses: dict[str, Any] = {}
        page.on(
            "response", lambda response: responses.setdefault(response.url, response) if ".js" in response.url else None
        )

        answer = page.goto(SHOW)

        assert answer is not None and answer.status == 200
        assert "max-age=31536000" in answer.headers["strict-transport-security"]
        expect(page.locator('[data-sal-component="button"]').first).to_be_visible()
        htmx = [response for url, response in responses.items() if "/static/django_htmx/htmx-2.min." in url]
        assert htmx and htmx[0].status == 200
        assert re.search(r"htmx-2\.min\.[0-9a-f]{12}\.js$", htmx[0].url)  # hashed by collectstatic
        assert "immutable" in htmx[0].headers["cache-control"]  # served by whitenoise
    finally:
        context.close()
        site.stop()
        sandbox.stop()
        cache.stop()
