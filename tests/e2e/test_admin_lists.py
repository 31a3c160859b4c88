"""The integration's admin lists fit a laptop's screen: no column cut off at 1280 px."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from salwidgets.models import OutboxItem, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

LONG_ERROR = "menta answered 503 Service Unavailable: upstream connect error or disconnect/reset before headers. " * 3
LISTS = {
    "outbox": "/admin/salwidgets/outboxitem/",
    "webhooks": "/admin/salwidgets/webhookdelivery/",
}
# What each list must show whole, by the header's text.
KEY_COLUMNS = {
    "outbox": ["Kind", "Key", "State", "Last error"],
    "webhooks": ["Received", "Action", "Outcome", "Error"],
}


@pytest.mark.parametrize("name", LISTS)
def test_the_list_fits_the_content_column_at_1280_px(visitor: Any, name: str) -> None:
    for n in range(3):
        OutboxItem.objects.create(
            kind="ticket.update",
            key=f"TKT-METALLICA-2024-NYC-FLOOR-SECTION-A-ROW-{n:03d}-SEAT-{n:03d}",
            lane="ticket:TKT",
            payload={},
            status="retrying",
            attempts=7,
            last_status=503,
            last_error=LONG_ERROR,
            next_attempt_at=timezone.now(),
        )
        WebhookDelivery.objects.create(
            webhook_id=f"msg_2Z1c8pQfXb0hH3kYqW9tRmL5vN7eJ4aD{n}",
            action="ticket.updated",
            outcome="conflict",
            remote_addr="203.0.113.10",
            error=LONG_ERROR,
        )
    staff = visitor()
    staff.page.set_viewport_size({"width": 1280, "height": 900})
    staff.page.goto("/admin/login/?next=" + LISTS[name])
    staff.page.locator("#id_login").fill("admin@example.com")
    staff.page.locator("#id_password").fill("admin12345")
    staff.page.locator("main").get_by_role("button", name="Sign in").click()
    staff.page.wait_for_url("**" + LISTS[name])

    widths = staff.page.evaluate(
        """() => ({
          table: document.querySelector('#result_list').getBoundingClientRect().width,
          column: document.querySelector('#changelist .results').clientWidth,
          page: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
          right: Object.fromEntries([...document.querySelectorAll('#result_list thead th')].map(
            th => [(th.querySelector('.text') || th).textContent.trim(), th.getBoundingClientRect().right])),
        })"""
    )
    staff.screenshot(f"admin-{name}-list-1280")

    assert widths["page"] <= widths["viewport"], widths  # nothing scrolls sideways
    assert widths["column"] < 700, widths  # the table's column beside the navigation and the filters
    assert widths["table"] <= widths["column"] + 1, widths
    for column in KEY_COLUMNS[name]:
        assert widths["right"][column] <= widths["viewport"], (column, widths)
