"""The outbox's worker as it runs in production: separate processes on the site's database (or on Redis),
in front of the sandbox, with faults, two workers at once, and a worker killed mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from menta_sandbox.process import stop
from tests.conftest import SandboxControl, World, make_client, start_sandbox
from tests.support.servers import ROOT, manage, start_redis

# Its processes use databases of their own, whatever DATABASE_URL says: run once, not again on PostgreSQL.
pytestmark = pytest.mark.own_database

BULK = "POST /v1/marketdata/ticket-leads/bulk"


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Site:
    """The site's database and settings, shared by the commands and workers started on it."""

    def __init__(self, directory: Path, sandbox_url: str, **extra: str) -> None:
        self.env = {
            **{key: value for key, value in os.environ.items() if key not in ("MENTA_BASE_URL", "MENTA_API_KEY")},
            "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
            "DATABASE_URL": f"sqlite:///{directory / 'site.sqlite3'}",
            "SANDBOX_PORT": sandbox_url.rsplit(":", 1)[1],
            **extra,
        }
        self.directory = directory
        self.workers: list[subprocess.Popen[str]] = []
        manage(self.env, "migrate", "--verbosity", "0")

    def import_leads(self, event_id: str, show_id: str, count: int, name: str) -> None:
        """Store ``count`` leads through the public import command (the outbox, as any change)."""
        rows = "".join(f"{name}{n}@example.com,{event_id},{show_id}\n" for n in range(count))
        path = self.directory / f"{name}.csv"
        path.write_text("email,event_id,show_id\n" + rows)
        manage(self.env, "sal_import_leads", str(path), "--type", "VIRTUAL_QUEUE")

    def worker(self, *command: str) -> subprocess.Popen[str]:
        args = command or ("db_worker", "--no-reload", "--interval", "0.1", "--no-startup-delay")
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.workers.append(process)
        return process

    def stop(self) -> None:
        for process in self.workers:
            stop(process)


@pytest.fixture
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxControl]:
    process, db = start_sandbox(tmp_path_factory)
    yield SandboxControl(process.url, db)
    process.stop()


@pytest.fixture
def show(sandbox: SandboxControl) -> tuple[str, str]:
    event_id, (show_id,) = World(make_client(sandbox.url)).event()
    sandbox.reset_stats()
    return event_id, show_id


@pytest.fixture
def site(tmp_path: Path, sandbox: SandboxControl) -> Iterator[Site]:
    site = Site(tmp_path, sandbox.url)
    yield site
    site.stop()


def test_two_workers_never_send_the_same_item(site: Site, sandbox: SandboxControl, show: tuple[str, str]) -> None:
    sandbox.faults(latencyMs=150)
    site.import_leads(*show, 5000, "pair")

    site.worker()
    site.worker()

    wait_for(lambda: sandbox.applied().get("leads") == 5000, 60, "5000 leads")
    assert sandbox.stats() == {BULK: 5}


def test_failing_answers_and_a_worker_killed_mid_batch_lose_nothing(
    site: Site, sandbox: SandboxControl, show: tuple[str, str]
) -> None:
    site.import_leads(*show, 3000, "fault")
    sandbox.faults(mode="hang")
    first = site.worker()
    wait_for(lambda: sandbox.stats().get(BULK, 0) >= 1, 30, "a bulk call in flight")

    first.send_signal(signal.SIGKILL)
    first.wait()
    sandbox.faults(mode="normal", errorRate=0.5)
    site.worker()

    wait_for(lambda: sandbox.applied().get("leads") == 3000, 120, "3000 leads")
    assert sandbox.stats()[BULK] > 3  # some answers failed and were retried
    sandbox.restore()
    site.import_leads(*show, 1, "after")  # a wake-up, to see that nothing is left to send
    wait_for(lambda: sandbox.applied().get("leads") == 3001, 60, "one more lead")


def test_the_rq_backend_on_redis_delivers(tmp_path: Path, sandbox: SandboxControl, show: tuple[str, str]) -> None:
    redis = start_redis(tmp_path)
    site = Site(tmp_path, sandbox.url, SAL_TASKS_BACKEND="rq", REDIS_URL=redis.url)
    try:
        site.import_leads(*show, 1500, "rq")
        site.worker("rqworker", "--with-scheduler", "--job-class", "django_tasks_rq.Job", "default")

        wait_for(lambda: sandbox.applied().get("leads") == 1500, 60, "1500 leads over RQ")
        assert sandbox.stats() == {BULK: 2}
    finally:
        site.stop()
        redis.stop()
