"""``salwidgets.placement``: inline or lazy, and the page's batches (the tags call it in one line;
``test_tags`` covers the decisions through templates)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup
from django.test import RequestFactory

from salwidgets import placement, viewer


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


def loader_urls(html: str) -> list[str]:
    return [str(div["hx-get"]) for div in BeautifulSoup(html, "html.parser").select(".sal-loader")]


def test_no_loader_url_grows_with_the_number_of_shows() -> None:
    pairs = [(f"evt_festival_{n // 10:03}", f"show_night_of_the_year_{n:04}") for n in range(500)]

    urls = loader_urls(placement.shows(RequestFactory().get("/"), pairs, lazy=True))

    assert len(urls) == 10 and max(len(url) for url in urls) <= 4094
    asked = [value for url in urls for value in parse_qs(urlsplit(url).query)["show"]]
    assert asked == [f"{event}/{show}" for event, show in pairs]


def test_no_loader_url_grows_with_the_number_of_a_persons_tickets(django_user_model: Any) -> None:
    request = RequestFactory().get("/my-tickets/")
    request.user = django_user_model(username="fan", email="fan@example.com")
    ids = [f"TKT-FESTIVAL-{n:05}-SECTION-A" for n in range(1000)]

    urls = loader_urls(placement.person_batch(request, "ticket", ids, lazy=True))

    assert max(len(url) for url in urls) <= 4094 and len(urls) <= 25
    assert [value for url in urls for value in parse_qs(urlsplit(url).query)["id"]] == ids


def test_turned_off_every_placement_is_nothing_and_looks_at_nobody(settings: Any, django_user_model: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "ENABLED": False}
    request = RequestFactory().get("/my-tickets/")
    request.user = django_user_model(username="fan", email="fan@example.com")

    placed = [
        placement.show(request, "buy", "e", "s", lazy=True),
        placement.shows(request, [("e", "s")], lazy=True),
        placement.listings(request, "e", "s", None, None, lazy=True),
        placement.person_batch(request, "ticket", ["T1"], lazy=True),
        placement.item(request, "ticket", "T1"),
    ]

    assert placed == [""] * 5
    assert viewer.ATTRIBUTE not in request.__dict__  # not even who views the page was worked out
