"""A real browser (Debian's Chromium driven by Playwright) against the site and the sandbox."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from playwright.sync_api import Browser, Page, sync_playwright

from salwidgets import recent
from tests.conftest import SandboxControl, seed_looped_site, start_menta_for

# Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
]
# Records every CSP violation the page sees; init scripts are added by the browser, not the page.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def cold() -> None:
    """Nothing cached: Django's caches emptied, and this process's copies and rendered HTML dropped
    (the live server runs in the test's process)."""
    for alias in caches:
        caches[alias].clear()
    recent.forget_all()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visitor:
    """One person's browser window, watching the console and CSP for violations."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.context = browser.new_context(base_url=base_url, viewport={"width": 1200, "height": 900})
        self.context.add_init_script(WATCH_CSP)
        self.page: Page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))

    def csp_violations(self) -> list[str]:
        found = list(self.page.evaluate("window.__cspViolations || []"))
        return found + [line for line in self.console if "Content Security Policy" in line]

    def sign_in(self, email: str, password: str = "demo12345") -> None:
        self.page.goto("/accounts/login/")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url("**/my-tickets/")

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def e2e_sandbox(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxControl]:
    """A sandbox of this module's own (the loop changes listings that other tests rely on), which
    checks ownership with the live site and sends it signed webhooks, as menta does."""
    sandbox, db = start_menta_for(live_server.url, tmp_path_factory)
    yield SandboxControl(sandbox.url, db)
    sandbox.stop()


@pytest.fixture
def site(live_server: Any, settings: Any, e2e_sandbox: SandboxControl) -> Any:
    """The site on a live server, pointed at the sandbox, with the demo data (and the webhooks
    its listings caused) applied."""
    seed_looped_site(settings, e2e_sandbox)
    return live_server


@pytest.fixture
def visitor(browser: Browser, site: Any) -> Iterator[Any]:
    opened: list[Visitor] = []

    def open_window() -> Visitor:
        opened.append(Visitor(browser, site.url))
        return opened[-1]

    yield open_window
    for window in opened:
        window.close()
