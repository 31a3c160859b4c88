"""First views do not move: the space a SAL answer takes is kept for it before it arrives.

Chromium reports every layout shift (the Core Web Vitals' CLS, a sum of fractions of the viewport
that moved, without a timing); each page is opened on a cold site (nothing cached, in Django's
caches or this process's copies) so that every answer arrives after the page, by htmx.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.conftest import cold

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (320, 390, 1280)
PAGES = {
    "listing": "/",
    "show": "/events/evt_2024_metallica/show_nyc_20240815/",
    "my tickets": "/my-tickets/",
}
MAX_SHIFT = 0.01
# Sums the layout shifts not caused by input, and names what moved (for the failure's message).
WATCH_SHIFTS = """
window.__shift = 0;
window.__moved = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__shift += entry.value;
    for (const source of entry.sources || []) {
      const node = source.node;
      const classes = node && node.className ? "." + String(node.className).split(" ").join(".") : "";
      const name = node && node.nodeType === 1
        ? node.tagName.toLowerCase() + (node.id ? "#" + node.id : "") + classes
        : String(node && node.nodeName);
      window.__moved.push(name + " " + entry.value.toFixed(4));
    }
  }
}).observe({ type: "layout-shift", buffered: true });
"""


def late(route: Route) -> None:
    time.sleep(1)  # the browser goes on meanwhile: the answers below arrive first
    route.continue_()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", [*PAGES, "show, its buttons last", "my tickets, in Spanish"])
def test_a_cold_first_view_does_not_move(visitor: Any, site: Any, page: str, width: int) -> None:
    alice = visitor()
    alice.page.set_viewport_size({"width": width, "height": 800})
    alice.context.add_init_script(WATCH_SHIFTS)
    if page == "show, its buttons last":
        alice.page.route("**/sal/fragments/buy/**", late)
    if page.startswith("my tickets"):
        alice.sign_in("alice@example.com")
    if page.endswith("in Spanish"):
        alice.context.add_cookies([{"name": "django_language", "value": "es", "url": site.url}])
    cold()

    alice.page.goto(PAGES[page.partition(",")[0]])
    alice.page.wait_for_load_state("networkidle")
    expect(alice.page.locator("html")).to_have_attribute("lang", "es" if page.endswith("in Spanish") else "en")
    expect(alice.page.locator(".sal-lazy")).to_have_count(0)
    expect(alice.page.locator("[aria-busy=true]")).to_have_count(0)
    alice.page.wait_for_timeout(300)  # the observer's last entries

    shift = alice.page.evaluate("window.__shift")
    moved = alice.page.evaluate("window.__moved")
    assert shift <= MAX_SHIFT, f"{page} at {width} px moved by {shift:.4f}: {moved}"
