"""Resale listings in the site's own design: choose seats, check out at menta, come back."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from salsite.models import Ticket
from tests.conftest import SandboxControl
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

SEED_SHOW = "/events/evt_2024_metallica/show_nyc_20240815/"


def test_choose_adjacent_seats_check_out_and_come_back(visitor: Any, e2e_sandbox: SandboxControl) -> None:
    bob = visitor()
    bob.sign_in("bob@example.com")
    page = bob.page
    page.goto(SEED_SHOW)
    listings = page.locator('[data-sal-component="listings"]')
    expect(listings.get_by_role("heading", name="Resale tickets from other fans")).to_be_visible()
    # menta's colours reach the page through a stylesheet, as custom properties.
    banner = page.locator('[data-sal-component="banner"]')
    expect(banner).to_have_css("background-color", "rgb(243, 237, 255)")

    # Seats 11 and 13 are not side by side: menta refuses, and the page says why, in place.
    listings.get_by_label("Section A, Row 1, Seat 11").check()
    listings.get_by_label("Section A, Row 1, Seat 13").check()
    listings.get_by_role("button", name="Check out").click()
    refusal = listings.get_by_role("alert")
    expect(refusal).to_contain_text("These seats are not next to each other.")
    expect(refusal).to_contain_text("seats must be contiguous")
    assert page.url.endswith(SEED_SHOW)
    bob.screenshot("listings-refused")

    listings.get_by_label("Section A, Row 1, Seat 13").uncheck()
    listings.get_by_label("Section A, Row 1, Seat 12").check()
    listings.get_by_role("button", name="Check out").click()
    page.wait_for_url(f"{e2e_sandbox.url}/checkout/**")
    expect(page.get_by_text("Signed in as bob@example.com")).to_be_visible()
    assert "oneTimeToken=" not in page.url
    expect(page.get_by_text("Total: $205")).to_be_visible()
    page.get_by_role("button", name="Pay $205").click()
    expect(page.get_by_role("heading", name="Purchase complete")).to_be_visible()

    page.get_by_role("link", name="Back to your ticketing site").click()
    page.wait_for_url(f"**{SEED_SHOW}")
    e2e_sandbox.settle()
    bought = Ticket.objects.filter(holder__email="bob@example.com", show__external_id="show_nyc_20240815")
    assert sorted(ticket.seat for ticket in bought) == ["11", "12"]
    page.reload()
    listings = page.locator('[data-sal-component="listings"]')
    expect(listings.get_by_label("Section A, Row 1, Seat 13")).to_be_visible()
    expect(listings.get_by_label("Section A, Row 1, Seat 11")).to_have_count(0)
    assert bob.csp_violations() == []

    # On a phone the form fits its column: nothing in it scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    fits = listings.evaluate("(node) => node.scrollWidth <= node.clientWidth")
    assert fits
    listings.screenshot(path=str(ARTIFACTS / "listings-phone.png"))
