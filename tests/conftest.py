"""Fixtures shared by the suite: a real sandbox process per test worker, and a client for it."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

# The fixtures a site using salwidgets gets; rewritten for pytest's assertions before the import below.
pytest.register_assert_rewrite("salwidgets.testing")

from menta_sandbox import process  # noqa: E402
from salwidgets import testing, wire  # noqa: E402
from salwidgets.client import MentaClient  # noqa: E402
from salwidgets.testing import API_KEY, SandboxControl, wait_for  # noqa: E402, F401 (the suite imports them from here)

# The fixtures a site using salwidgets gets (menta_sandbox, sal_sandbox); this suite's own build on them.
pytest_plugins = ["salwidgets.testing"]
# A form's hidden fields (the CSRF token among them), as a browser would post them.
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def start_sandbox(tmp_path_factory: pytest.TempPathFactory, **env: str) -> tuple[process.Sandbox, Path]:
    return testing.start_sandbox(tmp_path_factory.mktemp("sandbox"), **env)


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


# The link of allauth's verification email (its path is /accounts/confirm-email/<key>/).
CONFIRM_LINK = re.compile(r"https?://\S+?(/accounts/confirm-email/[^\s/]+/)")


def post_notice(secret: str, webhook_id: str, message: dict[str, Any]) -> Any:
    """menta's webhook ``message`` posted to the site's receiver, with the shared secret (unsigned)."""
    from django.test import Client

    return Client().post(
        "/menta/webhooks",
        data=json.dumps({"message": message}),
        content_type="application/json",
        HTTP_X_MENTA_SECRET=secret,
        HTTP_WEBHOOK_ID=webhook_id,
    )


def verification_path(email: str) -> str:
    """The path of the last verification link the site emailed to ``email`` (Django's test outbox)."""
    from django.core import mail

    for message in reversed(mail.outbox):
        if email.lower() in (to.lower() for to in message.to) and (found := CONFIRM_LINK.search(message.body)):
            return found.group(1)
    raise AssertionError(f"no verification email to {email}: {[m.to for m in mail.outbox]}")


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


@pytest.fixture
def sandbox(menta_sandbox: SandboxControl) -> SandboxControl:
    return menta_sandbox


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
        params = {"oneTimeToken": self.menta.one_time_token(self.email).token} if sign_in else {}
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
def site_menta(settings: Any, sal_sandbox: SandboxControl) -> SandboxControl:
    """Point the site's salwidgets at the test sandbox."""
    settings.MENTA_SANDBOX = True
    return sal_sandbox


@pytest.fixture
def demo(site_menta: SandboxControl, settings: Any, db: None) -> SandboxControl:
    """The demo data, seeded in the site's test database and pushed to the sandbox."""
    seed_demo(settings)
    return site_menta


@pytest.fixture
def mailbox(settings: Any) -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 that the site (in this process) sends its emails to."""
    from tests.support.smtp import Mailbox

    box = Mailbox().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", box.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield box
    box.stop()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Each test starts with nothing cached (the local-memory cache outlives a test)."""
    from django.core.cache import caches

    from salwidgets import cache, readthrough, recent

    yield
    # A refresh still running would write its answer into the next test's cache.
    readthrough.refreshes_done(timeout=30)
    for alias in caches:
        caches[alias].clear()
    cache.backend().forget_failure()
    recent.forget_all()
