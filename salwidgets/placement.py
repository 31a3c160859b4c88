"""Where a SAL answer goes on a page: inline when a usable answer is cached (or ``lazy=False``
waits for menta), else a lazy htmx fragment, or one loader for a batch of slots.

``lazy`` is ``None`` by default: inline when a usable answer is cached, a lazy fragment
otherwise. ``lazy=True`` always defers; ``lazy=False`` waits for menta (bounded by the client's
timeouts) and falls back on failure. The template tags call these in one line each.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec
from urllib.parse import urlencode

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.safestring import SafeString

from salwidgets import answers, render, slots, viewer
from salwidgets.timing import timed

Params = ParamSpec("Params")


def _when_enabled(function: Callable[Params, SafeString]) -> Callable[Params, SafeString]:
    """Nothing when SAL is turned off (``ENABLED``, the kill switch): the page as without SAL,
    without so much as looking at who views it."""

    @functools.wraps(function)
    def placed(*args: Params.args, **kwargs: Params.kwargs) -> SafeString:
        return function(*args, **kwargs) if answers.enabled() else SafeString("")

    return placed


@timed
@_when_enabled
def show(request: HttpRequest, type: str, event_id: str | None, show_id: str | None, lazy: bool | None) -> SafeString:
    """Every component of one show (``type`` is ``buy`` or ``sell``)."""
    seen = viewer.of(request)
    result = None if lazy is True else answers.show(type, event_id, show_id, seen.language, wait=lazy is False)
    if result is None or result.state == "missing":
        query = {name: value for name, value in (("event", event_id), ("show", show_id)) if value}
        url = reverse("salwidgets:show", args=[type]) + (f"?{urlencode(query)}" if query else "")
        return render.lazy(url, surface=type)
    return render.components(seen, result, surface=type)


@timed
@_when_enabled
def shows(request: HttpRequest, pairs: Iterable[tuple[Any, Any]], lazy: bool | None) -> SafeString:
    """The buy buttons of many shows from one bulk call: a batch whose items ``item`` places."""
    seen = viewer.of(request)
    wanted = [(str(event_id), str(show_id)) for event_id, show_id in pairs]
    if lazy is True:
        found = answers.ShowsResult(dict.fromkeys(wanted, answers.MISSING))
    else:
        found = answers.shows("buy", wanted, seen.language, wait=lazy is False)
    html = render.components_of(seen, found, surface="buy", kinds=("button",))
    batch = slots.Batch(
        "show",
        lambda key: html.get(key, SafeString("")),
        frozenset(found.missing),
        slots.fragment_urls("salwidgets:shows", "show", answers.groups(found.missing, "show")),
    )
    seen.batches["show"] = batch
    return batch.loader()


@timed
@_when_enabled
def listings(
    request: HttpRequest,
    event_id: str,
    show_id: str,
    option: str | None,
    sort: str | None,
    lazy: bool | None,
    csrf_token: object = None,
) -> SafeString:
    """A show's resale listings in the site's design; ``option`` and ``sort`` default to the
    page's ``sal_option`` and ``sal_sort`` query parameters (the listings' own filter form).
    ``csrf_token`` is the page's (a template's ``csrf_token``, made once for every form of the
    page: a new one is masked with 32 random characters); without one, the request's."""
    option = option or request.GET.get("sal_option") or None
    sort = sort if sort in render.LISTINGS_SORTS else request.GET.get("sal_sort", "price")
    sort = sort if sort in render.LISTINGS_SORTS else "price"
    result = None if lazy is True else answers.listings(event_id, show_id, wait=lazy is False)
    if result is None or result.state == "missing":
        query = {"event": event_id, "show": show_id, "option": option or "", "sort": sort}
        url = reverse("salwidgets:listings") + "?" + urlencode({k: v for k, v in query.items() if v})
        return render.lazy(url, surface="buy")
    return render.listings(
        viewer.of(request),
        result,
        event_id=event_id,
        show_id=show_id,
        option=option,
        sort=sort,
        csrf_token=token if (token := str(csrf_token or "")) not in ("", "NOTPROVIDED") else get_token(request),
    )


@timed
@_when_enabled
def person_batch(request: HttpRequest, kind: str, ids: Iterable[Any], lazy: bool | None) -> SafeString:
    """The signed-in person's ticket or order statuses and CTAs (``kind``), loaded at once."""
    seen = viewer.of(request)
    if not seen.signed_in:
        seen.batches[kind] = slots.Batch(kind, lambda item_id: SafeString(""))
        return SafeString("")
    item_ids = [str(item_id) for item_id in ids]
    wait = lazy is False
    result = None if lazy is True else answers.for_person(kind, seen.person, item_ids, seen.language, wait=wait)
    if result is None or result.state == "missing":
        # What is at hand now, and a loader for each group that is not.
        waiting = answers.groups(dict.fromkeys(item_ids)) if result is None else result.missing
        answered = result or answers.PersonResult("missing")
        batch = slots.Batch(
            kind,
            lambda item_id: render.person_item(seen, kind, item_id, answered),
            frozenset(item_id for group in waiting for item_id in group),
            slots.fragment_urls(f"salwidgets:{kind}s", "id", waiting),
        )
    else:
        html = render.person_items(seen, kind, item_ids, result)
        batch = slots.Batch(kind, lambda item_id: html.get(item_id, SafeString("")))
    seen.batches[kind] = batch
    return batch.loader()


@timed
def item(request: HttpRequest, kind: str, key: Any) -> SafeString:
    """One item of the page's batch of ``kind`` (its HTML, or the slot its loader fills). A page
    places dozens: the kill switch is checked here rather than by one more wrapper."""
    if not answers.enabled():
        return SafeString("")
    batch = viewer.of(request).batches.get(kind)
    return batch.item(str(key)) if batch else SafeString("")
