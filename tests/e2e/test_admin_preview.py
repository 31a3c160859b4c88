"""Staff walk the SAL preview in a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_preview_a_show_and_a_persons_ctas(visitor: Any) -> None:
    staff = visitor()
    page = staff.page
    page.goto("/admin/login/?next=/admin/")  # the site's sign-in, then back to the admin
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill("admin12345")
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Smart Access Layer preview").click()

    page.get_by_label("Show", exact=True).select_option("evt_2024_metallica/show_nyc_20240815")
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.locator("[data-sal-cache-state]")).to_have_text("missing")
    page.get_by_role("button", name="Refresh from menta now").click()
    expect(page.get_by_role("status")).to_have_text("Fetched from menta just now.")
    expect(page.locator(".sal-preview-page [data-sal-component]")).to_have_count(5)
    expect(page.locator(".sal-raw")).to_contain_text('"showId": "show_nyc_20240815"')
    staff.screenshot("admin-preview")
    page.get_by_role("button", name="Purge the cache entry").click()
    expect(page.locator("[data-sal-cache-state]")).to_have_text("missing")

    page.get_by_role("link", name="A person's CTAs").click()
    page.get_by_label("Person's email").fill("alice@example.com")
    page.get_by_role("button", name="Show their CTAs").click()
    status = page.locator('[data-sal-item="TKT-ALICE-001"] [data-sal-status]')
    expect(status).to_have_text("Can be resold")  # as alice reads it, not menta's code
    expect(status).to_have_attribute("data-sal-status", "SELLABLE")
    assert staff.csp_violations() == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_status_tab_at_a_glance(visitor: Any, width: int) -> None:
    from salwidgets import metrics
    from salwidgets.models import OutboxItem

    OutboxItem.objects.create(kind="lead", key="stuck", lane="stuck", payload={}, status="failed", last_error="x")
    metrics.reset()
    for name, n in (("hits", 90), ("stale", 4), ("misses", 6), ("menta_calls", 10), ("menta_ms", 1500)):
        metrics.count(name, n)
    metrics.flush()
    staff = visitor()
    page = staff.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/admin/login/?next=/admin/sal/?tab=status")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill("admin12345")
    page.locator("main").get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="The integration now")).to_be_visible()
    expect(page.locator(".sal-tile")).to_have_count(7)
    failed = page.locator('[data-tile="failed"] a')
    expect(failed).to_have_text("1")
    for line in ("Items delivered to menta", "Deliveries that failed", "menta's mean latency", "Webhooks rejected"):
        expect(page.get_by_role("img", name=re.compile(rf"^{re.escape(line)}.* per hour"))).to_be_visible()
    expect(page.locator('[data-tile="cache"] .sal-tile__value')).to_have_text("94%")
    expect(page.locator('[data-tile="latency"] .sal-tile__value')).to_have_text("150 ms")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing scrolls sideways
    staff.screenshot(f"admin-status-{width}")
    assert staff.csp_violations() == []
    failed.click()
    expect(page).to_have_url(re.compile(r"/admin/salwidgets/outboxitem/\?status__exact=failed$"))
