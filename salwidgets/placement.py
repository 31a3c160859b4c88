"""Where a SAL answer goes on a page: inline when a usable answer is cached (or ``lazy=False``
waits for menta), else a lazy htmx fragment, or one loader for a batch of slots.

``lazy`` is ``None`` by default: inline when a usable answer is cached, a lazy fragment
otherwise. ``lazy=True`` always defers; ``lazy=False`` waits for menta (bounded by the client's
timeouts) and falls back on failure. The template tags call these in one line each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from salwidgets import render, sal, slots, users


def show(request: HttpRequest, type: str, event_id: str | None, show_id: str | None, lazy: bool | None) -> SafeString:
    """Every component of one show (``type`` is ``buy`` or ``sell``)."""
    result = None if lazy is True else sal.show(type, event_id, show_id, get_language(), wait=lazy is False)
    if result is None or result.state == "missing":
        query = {name: value for name, value in (("event", event_id), ("show", show_id)) if value}
        url = reverse("salwidgets:show", args=[type]) + (f"?{urlencode(query)}" if query else "")
        return render.lazy(request, url, surface=type)
    return render.components(request, result, surface=type)


def shows(request: HttpRequest, pairs: Iterable[tuple[Any, Any]], lazy: bool | None) -> SafeString:
    """The buy buttons of many shows from one bulk call: a batch whose items ``item`` places."""
    if not sal.enabled():
        slots.remember(request, slots.Batch("show", lambda key: SafeString("")))
        return SafeString("")
    wanted = [(str(event_id), str(show_id)) for event_id, show_id in pairs]
    if lazy is True:
        found = sal.ShowsResult(dict.fromkeys(wanted, sal.MISSING))
    else:
        found = sal.shows("buy", wanted, get_language(), wait=lazy is False)
    html = render.components_of(request, found, surface="buy", kinds=("button",))
    batch = slots.Batch(
        "show",
        lambda key: html.get(key, SafeString("")),
        frozenset(found.missing),
        slots.fragment_urls("salwidgets:shows", "show", sal.groups(found.missing, "show")),
    )
    slots.remember(request, batch)
    return batch.loader(request)


def listings(
    request: HttpRequest, event_id: str, show_id: str, option: str | None, sort: str | None, lazy: bool | None
) -> SafeString:
    """A show's resale listings in the site's design; ``option`` and ``sort`` default to the
    page's ``sal_option`` and ``sal_sort`` query parameters (the listings' own filter form)."""
    option = option or request.GET.get("sal_option") or None
    sort = sort if sort in render.LISTINGS_SORTS else request.GET.get("sal_sort", "price")
    sort = sort if sort in render.LISTINGS_SORTS else "price"
    result = None if lazy is True else sal.listings(event_id, show_id, wait=lazy is False)
    if result is None or result.state == "missing":
        query = {"event": event_id, "show": show_id, "option": option or "", "sort": sort}
        url = reverse("salwidgets:listings") + "?" + urlencode({k: v for k, v in query.items() if v})
        return render.lazy(request, url, surface="buy")
    return render.listings(request, result, event_id=event_id, show_id=show_id, option=option, sort=sort)


def person_batch(request: HttpRequest, kind: str, ids: Iterable[Any], lazy: bool | None) -> SafeString:
    """The signed-in person's ticket or order statuses and CTAs (``kind``), loaded at once."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not sal.enabled():
        slots.remember(request, slots.Batch(kind, lambda item_id: SafeString("")))
        return SafeString("")
    item_ids = [str(item_id) for item_id in ids]
    result = (
        None
        if lazy is True
        else sal.for_person(kind, users.identifier(user), item_ids, get_language(), wait=lazy is False)
    )
    if result is None or result.state == "missing":
        # What is at hand now, and a loader for each group that is not.
        waiting = sal.groups(dict.fromkeys(item_ids)) if result is None else result.missing
        answered = result or sal.PersonResult("missing")
        batch = slots.Batch(
            kind,
            lambda item_id: render.person_item(request, kind, item_id, answered),
            frozenset(item_id for group in waiting for item_id in group),
            slots.fragment_urls(f"salwidgets:{kind}s", "id", waiting),
        )
    else:
        html = render.person_items(request, kind, item_ids, result)
        batch = slots.Batch(kind, lambda item_id: html.get(item_id, SafeString("")))
    slots.remember(request, batch)
    return batch.loader(request)


def item(request: HttpRequest, kind: str, key: Any) -> SafeString:
    """One item of the page's batch of ``kind`` (its HTML, or the slot its loader fills)."""
    batch = slots.recall(request, kind)
    return batch.item(str(key)) if batch else SafeString("")
