"""Fixtures shared by the suite: a real sandbox process per test worker, and a client for it."""

from __future__ import annotations

import io
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from salwidgets import wire
from salwidgets.client import MentaClient
from salwidgets.sandbox import process

API_KEY = "sandbox-demo-key"
# A form's hidden fields (the CSRF token among them), as a browser would post them.
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


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

    def settle(self, timeout: float = 30) -> list[dict[str, Any]]:
        """Wait until every webhook is acknowledged by the site; answers them, oldest first."""
        rows = wait_for(
            lambda: (found := self.webhooks()) and all(row["deliveredAt"] for row in found) and found,
            timeout,
            lambda: f"webhooks not acknowledged: {self.webhooks()}",
        )
        return list(reversed(rows))

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as connection:
            return connection.execute(sql, params).fetchall()


T = TypeVar("T")


def wait_for(ready: Callable[[], T], timeout: float, failure: Callable[[], str]) -> T:
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


def start_sandbox(tmp_path_factory: pytest.TempPathFactory, **env: str) -> tuple[process.Sandbox, Path]:
    db = tmp_path_factory.mktemp("sandbox") / "state.sqlite3"
    return process.start(db=db, env=env), db


# The secrets a site on a live server shares with a sandbox that plays menta's part in full.
LOOP_SECRET = "loop-menta-secret"
LOOP_SIGNING_KEY = "whsec_bG9vcC10ZXN0LXNpZ25pbmcta2V5LWZvci13ZWJob29rcw=="


def start_menta_for(site_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[process.Sandbox, Path]:
    """A sandbox that asks the site at ``site_url`` who owns what and sends it signed webhooks,
    retried within a fraction of a second."""
    return start_sandbox(
        tmp_path_factory,
        SANDBOX_VERIFY_URL=f"{site_url}/menta/tickets",
        SAL_VERIFY_SECRET=LOOP_SECRET,
        SANDBOX_WEBHOOK_URL=f"{site_url}/menta/webhooks",
        SANDBOX_WEBHOOK_SIGNING_SECRETS=LOOP_SIGNING_KEY,
        SANDBOX_WEBHOOK_BACKOFF="0.05",
        SANDBOX_WEBHOOK_BACKOFF_CAP="0.2",
    )


def seed_demo(settings: Any) -> None:
    """The demo data in the site's test database, pushed to the sandbox the site points at."""
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False


def seed_looped_site(settings: Any, sandbox: SandboxControl) -> None:
    """Point the site at a sandbox of ``start_menta_for``, seed the demo, and wait until the
    webhooks its listings caused are applied."""
    settings.SALWIDGETS = {
        **settings.SALWIDGETS,
        "BASE_URL": sandbox.url,
        "API_KEY": API_KEY,
        "VERIFY_SECRET": LOOP_SECRET,
        "WEBHOOK_SIGNING_SECRETS": [LOOP_SIGNING_KEY],
    }
    settings.MENTA_SANDBOX = True
    seed_demo(settings)
    sandbox.settle()


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[process.Sandbox, Path]]:
    sandbox, db = start_sandbox(tmp_path_factory)
    yield sandbox, db
    sandbox.stop()


@pytest.fixture
def sandbox(sandbox_process: tuple[process.Sandbox, Path]) -> Iterator[SandboxControl]:
    control = SandboxControl(sandbox_process[0].url, sandbox_process[1])
    yield control
    control.restore()


def make_client(url: str, **options: Any) -> MentaClient:
    defaults: dict[str, Any] = {"connect_timeout": 1.0, "read_timeout": 2.0, "backoff_base": 0.01, "backoff_cap": 0.05}
    return MentaClient(base_url=url, api_key=API_KEY, **{**defaults, **options})


@pytest.fixture
def menta(sandbox: SandboxControl) -> MentaClient:
    return make_client(sandbox.url)


class World:
    """Builds upstream state through the client, with ids unique to the test."""

    def __init__(self, menta: MentaClient) -> None:
        self.menta = menta
        self.prefix = uuid.uuid4().hex[:8]

    def id(self, name: str) -> str:
        return f"{name}_{self.prefix}"

    def event(self, *, shows: int = 1, resale: bool = True, max_percent: float = 100) -> tuple[str, list[str]]:
        event_id = self.id(f"evt{uuid.uuid4().hex[:4]}")
        show_ids = [f"{event_id}_show{n}" for n in range(1, shows + 1)]
        self.menta.create_event(event_push(event_id, show_ids).to_wire())
        self.menta.define_rules([wire.ResaleRule(event_id, enabled=resale, max_price_percent=max_percent).to_wire()])
        return event_id, show_ids

    def ticket(
        self,
        event_id: str,
        show_id: str,
        owner: str,
        *,
        order_id: str | None = None,
        price: float = 100,
        seat: tuple[str, str, str] = ("A", "1", "1"),
        option: str = "GA",
    ) -> str:
        ticket_id = self.id(f"tkt{uuid.uuid4().hex[:6]}")
        push = ticket_push(ticket_id, event_id, show_id, owner, price=price, option=option, order_id=order_id or "")
        self.menta.create_tickets([replace(push, seating=wire.Seating(*seat)).to_wire()])
        return ticket_id


def event_push(event_id: str, show_ids: list[str], *, title: str = "") -> wire.EventPush:
    """A test event with its shows, as the platform pushes it."""
    return wire.EventPush(
        event_id,
        title=title or f"Event {event_id}",
        description="A test event",
        location=wire.Location("Test Arena", "Testville"),
        shows=tuple(
            wire.ShowPush(show_id, title=show_id, date=datetime(2030, 1, 1, 20, tzinfo=UTC)) for show_id in show_ids
        ),
    )


def ticket_push(
    ticket_id: str,
    event_id: str,
    show_id: str,
    owner: str,
    *,
    price: float = 100,
    option: str = "GA",
    order_id: str = "",
) -> wire.TicketPush:
    return wire.TicketPush(
        ticket_id,
        event_id=event_id,
        show_id=show_id,
        buyer=wire.Buyer(email=owner),
        ticket_option_id=option,
        locator=f"QR-{ticket_id}",
        price=Decimal(str(price)),
        currency="USD",
        order_id=order_id,
    )


@pytest.fixture
def world(menta: MentaClient) -> World:
    return World(menta)


class Person:
    """Someone in menta's hosted pages, with their own cookies, signed in by one-time token."""

    def __init__(self, menta: MentaClient, email: str) -> None:
        self.menta = menta
        self.email = email
        self.browser = requests.Session()

    def open(self, url: str, *, sign_in: bool = True) -> requests.Response:
        params = {"ott": self.menta.one_time_token(self.email).token} if sign_in else {}
        return self.browser.get(url, params=params, timeout=10)

    def submit(self, page: requests.Response, *, form: str = "", **fields: str) -> requests.Response:
        """Post the form of ``page`` that contains ``form`` (by default, the one whose hidden
        ``action`` field has the value given in ``fields``), with its CSRF token and ``fields``."""
        marker = form or f'name="action" value="{fields["action"]}"'
        at = page.text.index(marker)
        start = page.text.rindex("<form", 0, at)
        opening = page.text[start : page.text.index(">", start)]
        target = opening.split('action="')[1].split('"')[0] if 'action="' in opening else ""
        hidden = dict(HIDDEN.findall(page.text[start : page.text.index("</form>", start)]))
        url = requests.compat.urljoin(page.url, target) if target else page.url
        return self.browser.post(url, data={**hidden, **fields}, timeout=10)


@pytest.fixture
def person(menta: MentaClient) -> Any:
    return lambda email: Person(menta, email)


@pytest.fixture
def site_menta(settings: Any, sandbox: SandboxControl) -> SandboxControl:
    """Point the site's salwidgets at the test sandbox."""
    settings.SALWIDGETS = {**settings.SALWIDGETS, "BASE_URL": sandbox.url, "API_KEY": API_KEY}
    settings.MENTA_SANDBOX = True
    return sandbox


@pytest.fixture
def demo(site_menta: SandboxControl, settings: Any, db: None) -> SandboxControl:
    """The demo data, seeded in the site's test database and pushed to the sandbox."""
    seed_demo(settings)
    return site_menta


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Each test starts with nothing cached (the local-memory cache outlives a test)."""
    from django.core.cache import caches

    from salwidgets import cache, render, sal

    yield
    for alias in caches:
        caches[alias].clear()
    cache.backend().forget_failure()
    sal.forget_batches()
    render.forget_rendered()
