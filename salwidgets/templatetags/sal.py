"""``{% load sal %}``: SAL components and CTAs in a template, inline or as lazy htmx fragments.

Each tag reads its arguments and calls ``salwidgets.placement``, which decides inline or lazy
(``lazy=None``, the default: inline when a usable answer is cached; ``True``: always deferred;
``False``: wait for menta).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.safestring import SafeString

from salwidgets import placement, render
from salwidgets.conf import get_config

register = template.Library()


def _request(context: template.Context) -> HttpRequest:
    request = context.get("request")
    if request is None:
        raise template.TemplateSyntaxError("salwidgets' tags need the request context processor")
    return request  # type: ignore[no-any-return]


@register.simple_tag(takes_context=True)
def sal_buy(context: template.Context, event_id: Any, show_id: Any, lazy: bool | None = None) -> SafeString:
    """Every buy component of a show."""
    return placement.show(_request(context), "buy", str(event_id), str(show_id), lazy)


@register.simple_tag(takes_context=True)
def sal_sell(
    context: template.Context, event_id: Any = None, show_id: Any = None, lazy: bool | None = None
) -> SafeString:
    """Seller entry points, for a show or in general."""
    event, show = str(event_id) if event_id else None, str(show_id) if show_id else None
    return placement.show(_request(context), "sell", event, show, lazy)


@register.simple_tag(takes_context=True)
def sal_shows(context: template.Context, pairs: Iterable[tuple[Any, Any]], lazy: bool | None = None) -> SafeString:
    """Load the buy buttons of many shows at once (one bulk call); ``sal_show_button`` places each."""
    return placement.shows(_request(context), pairs, lazy)


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
    chosen = str(option) if option else None
    # The page's token, so that its own forms and the listings' share one (Django's csrf_token).
    token = context.get("csrf_token")
    return placement.listings(_request(context), str(event_id), str(show_id), chosen, sort, lazy, token)


@register.simple_tag(takes_context=True)
def sal_tickets(context: template.Context, ticket_ids: Iterable[Any], lazy: bool | None = None) -> SafeString:
    """Load the signed-in person's ticket statuses and CTAs at once; ``sal_ticket`` places each."""
    return placement.person_batch(_request(context), "ticket", ticket_ids, lazy)


@register.simple_tag(takes_context=True)
def sal_orders(context: template.Context, order_ids: Iterable[Any], lazy: bool | None = None) -> SafeString:
    """Load the signed-in person's order statuses and CTAs at once; ``sal_order`` places each."""
    return placement.person_batch(_request(context), "order", order_ids, lazy)


class ItemNode(template.Node):
    """One item of a batch: a page places dozens, so this does no more than look it up (a simple
    tag would also inspect its arguments and escape its answer at every call)."""

    def __init__(self, kind: str, parts: list[template.base.FilterExpression]) -> None:
        self.kind, self.parts = kind, parts

    def render(self, context: template.Context) -> SafeString:
        key = "/".join(str(part.resolve(context)) for part in self.parts)
        return placement.item(_request(context), self.kind, key)


def _item_tag(kind: str, arguments: tuple[str, ...]) -> Callable[[template.base.Parser, template.base.Token], ItemNode]:
    def compile_item(parser: template.base.Parser, token: template.base.Token) -> ItemNode:
        bits = token.split_contents()
        if len(bits) != len(arguments) + 1:
            raise template.TemplateSyntaxError(f"'{bits[0]}' takes {' and '.join(arguments)}")
        return ItemNode(kind, [parser.compile_filter(bit) for bit in bits[1:]])

    return compile_item


# The buy button of one show loaded by ``sal_shows``: {% sal_show_button event_id show_id %}.
register.tag("sal_show_button", _item_tag("show", ("an event id", "a show id")))
# One ticket's or one order's status and CTAs loaded by ``sal_tickets`` / ``sal_orders``.
register.tag("sal_ticket", _item_tag("ticket", ("a ticket id",)))
register.tag("sal_order", _item_tag("order", ("an order id",)))


@register.filter
def sal_money(money: Any) -> str:
    """A price as people read it: ``$95``, ``€42.50``, ``1,200 MXN``."""
    return render.money(money)


@register.inclusion_tag("salwidgets/assets.html")
def sal_assets() -> dict[str, Any]:
    """The stylesheets (salwidgets' and the site's theme) and scripts salwidgets needs, for the page's <head>."""
    return {"themes": get_config()["THEME_STYLESHEETS"]}
