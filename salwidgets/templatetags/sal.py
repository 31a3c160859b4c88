"""``{% load sal %}``: SAL components and CTAs in a template, inline or as lazy htmx fragments.

``lazy`` is ``None`` by default: inline when a usable answer is cached, a lazy fragment
otherwise. ``lazy=True`` always defers; ``lazy=False`` waits for menta (bounded by the
client's timeouts) and falls back on failure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from salwidgets import render, sal, slots, users
from salwidgets.conf import get_config

register = template.Library()


def _request(context: template.Context) -> HttpRequest:
    request = context.get("request")
    if request is None:
        raise template.TemplateSyntaxError("salwidgets' tags need the request context processor")
    return request  # type: ignore[no-any-return]


def _show(
    context: template.Context, type: str, event_id: str | None, show_id: str | None, lazy: bool | None
) -> SafeString:
    request = _request(context)
    query = {name: value for name, value in (("event", event_id), ("show", show_id)) if value}
    url = reverse("salwidgets:show", args=[type]) + (f"?{urlencode(query)}" if query else "")
    if lazy is True:
        return render.lazy(request, url, surface=type)
    result = sal.show(type, event_id, show_id, get_language(), wait=lazy is False)
    if result.state == "missing":
        return render.lazy(request, url, surface=type)
    return render.components(request, result, surface=type)


@register.simple_tag(takes_context=True)
def sal_buy(context: template.Context, event_id: Any, show_id: Any, lazy: bool | None = None) -> SafeString:
    """Every buy component of a show."""
    return _show(context, "buy", str(event_id), str(show_id), lazy)


@register.simple_tag(takes_context=True)
def sal_sell(
    context: template.Context, event_id: Any = None, show_id: Any = None, lazy: bool | None = None
) -> SafeString:
    """Seller entry points, for a show or in general."""
    return _show(context, "sell", str(event_id) if event_id else None, str(show_id) if show_id else None, lazy)


@register.simple_tag(takes_context=True)
def sal_shows(context: template.Context, pairs: Iterable[tuple[Any, Any]], lazy: bool | None = None) -> SafeString:
    """Load the buy buttons of many shows at once (one bulk call); ``sal_show_button`` places each."""
    request = _request(context)
    if not sal.enabled():
        slots.remember(request, slots.Batch("show", lambda key: SafeString("")))
        return SafeString("")
    wanted = [(str(event_id), str(show_id)) for event_id, show_id in pairs]
    keys = [f"{event_id}/{show_id}" for event_id, show_id in wanted]
    found = {} if lazy is True else sal.shows("buy", wanted, get_language(), wait=lazy is False)
    results = {f"{event_id}/{show_id}": result for (event_id, show_id), result in found.items()}
    waiting = [key for key in keys if key not in results or results[key].state == "missing"]
    batch = slots.Batch(
        "show",
        lambda key: render.components(request, results[key], surface="buy", kinds=("button",)),
        frozenset(waiting),
        slots.fragment_url("salwidgets:shows", "show", waiting) if waiting else None,
    )
    slots.remember(request, batch)
    return batch.loader(request)


@register.simple_tag(takes_context=True)
def sal_listings(
    context: template.Context,
    event_id: Any,
    show_id: Any,
    option: Any = None,
    sort: str | None = None,
    lazy: bool | None = None,
) -> SafeString:
    """A show's resale listings rendered by the site: filter by ticket option, sort by price, choose
    one or more, check out at menta. ``option`` and ``sort`` default to the page's ``sal_option``
    and ``sal_sort`` query parameters (the tag's own filter form sets them)."""
    request = _request(context)
    option = str(option) if option else request.GET.get("sal_option") or None
    sort = sort if sort in render.LISTINGS_SORTS else request.GET.get("sal_sort", "price")
    sort = sort if sort in render.LISTINGS_SORTS else "price"
    event_id, show_id = str(event_id), str(show_id)
    query = {"event": event_id, "show": show_id, "option": option or "", "sort": sort}
    url = reverse("salwidgets:listings") + "?" + urlencode({k: v for k, v in query.items() if v})
    if lazy is True:
        return render.lazy(request, url, surface="buy")
    result = sal.listings(event_id, show_id, wait=lazy is False)
    if result.state == "missing":
        return render.lazy(request, url, surface="buy")
    return render.listings(request, result, event_id=event_id, show_id=show_id, option=option, sort=sort)


@register.simple_tag(takes_context=True)
def sal_show_button(context: template.Context, event_id: Any, show_id: Any) -> SafeString:
    """The buy button of one show loaded by ``sal_shows``."""
    batch = slots.recall(_request(context), "show")
    return batch.item(f"{event_id}/{show_id}") if batch else SafeString("")


def _person_batch(context: template.Context, kind: str, ids: Iterable[Any], lazy: bool | None) -> SafeString:
    request = _request(context)
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
        url = slots.fragment_url(f"salwidgets:{kind}s", "id", item_ids)
        batch = slots.Batch(kind, lambda item_id: SafeString(""), frozenset(item_ids), url)
    else:
        answered = result
        batch = slots.Batch(kind, lambda item_id: render.person_item(request, kind, item_id, answered))
    slots.remember(request, batch)
    return batch.loader(request)


@register.simple_tag(takes_context=True)
def sal_tickets(context: template.Context, ticket_ids: Iterable[Any], lazy: bool | None = None) -> SafeString:
    """Load the signed-in person's ticket statuses and CTAs at once; ``sal_ticket`` places each."""
    return _person_batch(context, "ticket", ticket_ids, lazy)


@register.simple_tag(takes_context=True)
def sal_ticket(context: template.Context, ticket_id: Any) -> SafeString:
    batch = slots.recall(_request(context), "ticket")
    return batch.item(str(ticket_id)) if batch else SafeString("")


@register.simple_tag(takes_context=True)
def sal_orders(context: template.Context, order_ids: Iterable[Any], lazy: bool | None = None) -> SafeString:
    """Load the signed-in person's order statuses and CTAs at once; ``sal_order`` places each."""
    return _person_batch(context, "order", order_ids, lazy)


@register.simple_tag(takes_context=True)
def sal_order(context: template.Context, order_id: Any) -> SafeString:
    batch = slots.recall(_request(context), "order")
    return batch.item(str(order_id)) if batch else SafeString("")


@register.filter
def sal_money(money: Any) -> str:
    """A price as people read it: ``$95``, ``€42.50``, ``1,200 MXN``."""
    return render.money(money)


@register.inclusion_tag("salwidgets/assets.html")
def sal_assets() -> dict[str, Any]:
    """The stylesheets (salwidgets' and the site's theme) and scripts salwidgets needs, for the page's <head>."""
    return {"themes": get_config()["THEME_STYLESHEETS"]}
