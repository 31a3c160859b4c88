"""``salwidgets.placement``: inline or lazy, and the page's batches (the tags call it in one line;
``test_tags`` covers the decisions through templates)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup
from django.test import RequestFactory

from salwidgets import placement


def lazy_query(html: str) -> dict[str, list[str]]:
    url = BeautifulSoup(html, "html.parser").select_one(".sal-lazy")["hx-get"]
    return parse_qs(urlsplit(str(url)).query)


def test_listings_follow_the_page_s_own_filter_form() -> None:
    request = RequestFactory().get("/events/e/s/", {"sal_option": "VIP", "sal_sort": "-price"})

    query = lazy_query(placement.listings(request, "e", "s", None, None, lazy=True))

    assert query == {"event": ["e"], "show": ["s"], "option": ["VIP"], "sort": ["-price"]}


def test_an_unknown_sort_is_by_price_and_the_tag_s_own_arguments_win() -> None:
    request = RequestFactory().get("/events/e/s/", {"sal_option": "VIP", "sal_sort": "name"})

    assert lazy_query(placement.listings(request, "e", "s", None, None, lazy=True))["sort"] == ["price"]
    chosen = lazy_query(placement.listings(request, "e", "s", "GA", "-price", lazy=True))
    assert (chosen["option"], chosen["sort"]) == (["GA"], ["-price"])


def test_an_item_without_its_batch_is_empty() -> None:
    assert placement.item(RequestFactory().get("/"), "ticket", "T1") == ""
