"""A person whose browser made the site call menta too often sees the fallback, not a loader."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from playwright.sync_api import expect

from salsite.models import Show
from salwidgets import recent

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_limited_lazy_fragment_is_replaced_by_the_fallback(visitor: Any, settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "1/m"}
    # One lazy fragment per page: with the listings' fragment too, either could take the one call.
    Show.objects.update(native_listings=False)
    for alias in caches:
        caches[alias].clear()
    recent.forget_all()
    first, second = (f"/events/{show.event.external_id}/{show.external_id}/" for show in Show.objects.upcoming()[:2])
    page = visitor().page

    page.goto(first)
    expect(page.locator(".sal-button").first).to_be_visible()  # the one call this minute
    with page.expect_response(lambda response: response.status == 429):
        page.goto(second)

    expect(page.locator(".sal-lazy")).to_have_count(0)
    expect(page.locator(".sal-button")).to_have_count(0)
