"""The benchmark's first baseline: the integration a developer writes by hand, without salwidgets.

The site's own templates are rendered with this ``{% load sal %}`` library in place of
salwidgets' (``bench.handwritten_settings`` swaps it in): every tag calls menta while the page
renders, with nothing cached, and prints the links as menta sent them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from salwidgets.client import get_client
from salwidgets.errors import MentaError

register = template.Library()
logger = logging.getLogger("bench")
ANSWERS = "_handwritten_answers"


def _buttons(components: Iterable[Any]) -> SafeString:
    buttons = [(c.url, c.label) for c in components if c.kind == "button"]
    return format_html_join("", '<a class="button" href="{}">{}</a>', buttons)


def _person(context: template.Context) -> str | None:
    user = context["request"].user
    return str(user.email) if user.is_authenticated else None


def _show(type: str, event_id: Any, show_id: Any) -> SafeString:
    try:
        layer = get_client().access_layer(type, event_id=event_id, show_id=show_id, lang=get_language())
    except MentaError as exc:
        logger.warning("menta: %s", exc)
        return SafeString("")
    return _buttons(layer.components)


@register.simple_tag
def sal_buy(event_id: Any, show_id: Any, lazy: bool | None = None) -> SafeString:
    return _show("buy", str(event_id), str(show_id))


@register.simple_tag
def sal_sell(event_id: Any = None, show_id: Any = None, lazy: bool | None = None) -> SafeString:
    return _show("sell", str(event_id) if event_id else None, str(show_id) if show_id else None)


@register.simple_tag(takes_context=True)
def sal_shows(context: template.Context, pairs: Iterable[tuple[Any, Any]], lazy: bool | None = None) -> str:
    wanted = [(str(event_id), str(show_id)) for event_id, show_id in pairs]
    try:
        answers = get_client().access_layer_bulk("buy", wanted, lang=get_language())
    except MentaError as exc:
        logger.warning("menta: %s", exc)
        answers = []
    setattr(context["request"], ANSWERS, {(a.event_id, a.show_id): a.components for a in answers})
    return ""


@register.simple_tag(takes_context=True)
def sal_show_button(context: template.Context, event_id: Any, show_id: Any) -> SafeString:
    return _buttons(getattr(context["request"], ANSWERS, {}).get((str(event_id), str(show_id)), ()))


@register.simple_tag
def sal_listings(*args: Any, **kwargs: Any) -> str:
    return ""  # the hand-written site offers menta's own buttons only


def _items(context: template.Context, kind: str, ids: Iterable[Any]) -> str:
    person = _person(context)
    wanted = [str(item_id) for item_id in ids]
    found: dict[str, Any] = {}
    if person and wanted:
        client = get_client()
        try:
            if kind == "ticket":
                found = {item.ticket_id: item for item in client.ticket_access(person, wanted, lang=get_language())}
            else:
                found = {item.order_id: item for item in client.order_access(person, wanted, lang=get_language())}
        except MentaError as exc:
            logger.warning("menta: %s", exc)
    setattr(context["request"], f"{ANSWERS}_{kind}", found)
    return ""


def _item(context: template.Context, kind: str, item_id: Any) -> SafeString:
    access = getattr(context["request"], f"{ANSWERS}_{kind}", {}).get(str(item_id))
    if access is None:
        return SafeString("")
    ctas = format_html_join("", '<a class="button" href="{}">{}</a>', ((cta.url, cta.label) for cta in access.ctas))
    return format_html('<span class="status">{}</span>{}', access.status, ctas)


@register.simple_tag(takes_context=True)
def sal_tickets(context: template.Context, ticket_ids: Iterable[Any], lazy: bool | None = None) -> str:
    return _items(context, "ticket", ticket_ids)


@register.simple_tag(takes_context=True)
def sal_ticket(context: template.Context, ticket_id: Any) -> SafeString:
    return _item(context, "ticket", ticket_id)


@register.simple_tag(takes_context=True)
def sal_orders(context: template.Context, order_ids: Iterable[Any], lazy: bool | None = None) -> str:
    return _items(context, "order", order_ids)


@register.simple_tag(takes_context=True)
def sal_order(context: template.Context, order_id: Any) -> SafeString:
    return _item(context, "order", order_id)


@register.filter
def sal_money(money: Any) -> str:
    return "" if money is None else f"{money.amount} {money.currency}"


@register.simple_tag
def sal_assets() -> str:
    return ""
