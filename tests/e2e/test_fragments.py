"""A lazy fragment that fails in the browser shows the site's fallback instead of loading for ever."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.conftest import cold

pytestmark = pytest.mark.django_db(transaction=True)

SEED_SHOW = "/events/evt_2024_metallica/show_nyc_20240815/"
UNAVAILABLE = "Resale is unavailable right now. Please try again later."


@pytest.mark.parametrize("failure", ["500", "503", "network"])
def test_a_failed_fragment_shows_the_fallback(visitor: Any, failure: str) -> None:
    alice = visitor()
    alice.sign_in("alice@example.com")
    alice.page.wait_for_load_state("networkidle")  # My tickets' own fragments, before the cache is emptied
    cold()

    def fail(route: Route) -> None:
        if failure == "network":
            route.abort("connectionreset")
        else:
            route.fulfill(status=int(failure), body="<h1>Server Error</h1>", content_type="text/html")

    alice.page.route("**/sal/fragments/**", fail)
    alice.page.goto("/my-tickets/")

    expect(alice.page.locator(".sal-lazy")).to_have_count(0)
    expect(alice.page.locator("[aria-busy=true]")).to_have_count(0)
    expect(alice.page.locator(".sal--sell .sal-fallback")).to_have_text(UNAVAILABLE)
    expect(alice.page.get_by_text("Server Error")).to_have_count(0)  # the error page is never swapped in
    alice.page.goto(SEED_SHOW)
    expect(alice.page.locator(".sal-lazy")).to_have_count(0)
    assert alice.csp_violations() == []
