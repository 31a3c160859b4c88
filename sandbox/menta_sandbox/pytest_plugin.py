"""Pytest fixtures that start a real menta sandbox on 127.0.0.1 (``pip install menta-sandbox``).

Add ``pytest_plugins = ["menta_sandbox.pytest_plugin"]`` to the project's ``conftest.py`` (a
Django site using salwidgets lists ``salwidgets.testing`` instead, which brings these too), then ask
for ``menta_sandbox``: a sandbox process, one per test session (and per xdist worker), as a
:class:`SandboxControl`: its ``url``, its control API (faults, request counts, webhooks, payouts,
unlocks) and its stored state. Faults set by a test are cleared after it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from menta_sandbox import process
from menta_sandbox import wire as sandbox_wire

API_KEY = "sandbox-demo-key"


class SandboxControl:
    """The sandbox's control API (product.md), and a read-only look at its stored state."""

    def __init__(self, url: str, db: Path) -> None:
        self.url = url
        self.db = db

    def faults(self, **faults: Any) -> dict[str, Any]:
        answer = requests.put(f"{self.url}/__sandbox/faults", json=faults, timeout=30)
        answer.raise_for_status()
        return dict(answer.json())

    def restore(self) -> None:
        requests.delete(f"{self.url}/__sandbox/faults", timeout=30).raise_for_status()

    def stats(self) -> dict[str, int]:
        return dict(requests.get(f"{self.url}/__sandbox/stats", timeout=30).json()["requests"])

    def applied(self) -> dict[str, int]:
        """Pushed items the sandbox took into its state, by kind, since the last reset."""
        return dict(requests.get(f"{self.url}/__sandbox/stats", timeout=30).json()["applied"])

    def reset_stats(self) -> None:
        requests.delete(f"{self.url}/__sandbox/stats", timeout=30).raise_for_status()

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """A contract call with the demo key, straight over HTTP: (status, envelope)."""
        answer = requests.request(method, self.url + path, headers={"Authorization": API_KEY}, timeout=10, **kwargs)
        return answer.status_code, dict(answer.json())

    def webhooks(self, **target: Any) -> list[dict[str, Any]]:
        """The webhooks the sandbox sent or is retrying, newest first; with ``target``, change
        where they go first (url, secret, signingSecrets, backoff, backoffCap)."""
        if target:
            requests.put(f"{self.url}/__sandbox/webhooks", json=target, timeout=30).raise_for_status()
        return list(requests.get(f"{self.url}/__sandbox/webhooks", timeout=30).json()["deliveries"])

    def pay(self, **which: str) -> list[str]:
        """Pay sold listings not paid yet (``listingId=``, ``sellerEmail=``, or all); answers their ids."""
        answer = requests.post(f"{self.url}/__sandbox/payouts", json=which, timeout=30)
        answer.raise_for_status()
        return list(answer.json()["paid"])

    def unlock(self, event_id: str, show_id: str = "") -> None:
        """The organizer unlocks a show's tickets (every show's without ``show_id``): event.unlock."""
        body = sandbox_wire.unlock_data(event_id, show_id)
        requests.post(f"{self.url}/__sandbox/unlock", json=body, timeout=30).raise_for_status()

    def settle(self, timeout: float = 30) -> list[dict[str, Any]]:
        """Wait until every webhook is acknowledged by the site; answers them, oldest first."""

        def acknowledged() -> list[dict[str, Any]] | None:
            found = self.webhooks()
            return found if found and all(row["deliveredAt"] for row in found) else None

        rows = wait_for(acknowledged, timeout, lambda: f"webhooks not acknowledged: {self.webhooks()}")
        return list(reversed(rows))

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as connection:
            return connection.execute(sql, params).fetchall()


T = TypeVar("T")


def wait_for(ready: Callable[[], T | None], timeout: float, failure: Callable[[], str]) -> T:
    """What ``ready`` answers once it is truthy: for work another process does on its own time
    (webhooks, a worker). Polls every 20 ms; fails with ``failure()`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        answer = ready()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(failure())
        time.sleep(0.02)


def start_sandbox(directory: Path, **env: str) -> tuple[process.Sandbox, Path]:
    """A sandbox process keeping its state in ``directory``, with ``env`` (SANDBOX_* settings)."""
    db = directory / "state.sqlite3"
    return process.start(db=db, env=env), db


@pytest.fixture(scope="session")
def menta_sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[process.Sandbox, Path]]:
    sandbox, db = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield sandbox, db
    sandbox.stop()


@pytest.fixture
def menta_sandbox(menta_sandbox_process: tuple[process.Sandbox, Path]) -> Iterator[SandboxControl]:
    control = SandboxControl(menta_sandbox_process[0].url, menta_sandbox_process[1])
    yield control
    control.restore()
