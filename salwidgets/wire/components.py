"""SAL components and the access layer (contract 2): a show's components, per-ticket and
per-order sellability, and their request bodies."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from salwidgets.wire.shared import (
    Dropped,
    Link,
    Money,
    WireError,
    _choice,
    _list,
    _money,
    _object,
    _opt_count,
    _opt_link,
    _opt_money,
    _opt_text,
    _text,
)

logger = logging.getLogger("salwidgets.wire")


# --- SAL components (contract 2.1) --------------------------------------------------------

COLOUR_KEYS = ("background", "text", "accent")
HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class Colors:
    """A component's colours, each a CSS hex colour (``#rgb`` or ``#rrggbb``) or None."""

    background: str | None = None
    text: str | None = None
    accent: str | None = None

    @property
    def key(self) -> str:
        """The colours as a name: ``5b3cc4-fff-x`` (``x`` for a colour not given)."""
        return "-".join((getattr(self, name) or "#x")[1:].lower() for name in COLOUR_KEYS)

    @classmethod
    def from_key(cls, key: str) -> Colors | None:
        """The colours a ``key`` names, or None when it is not one."""
        values = key.split("-")
        if len(values) != len(COLOUR_KEYS):
            return None
        colours = {}
        for name, value in zip(COLOUR_KEYS, values, strict=True):
            if value != "x":
                if not HEX_COLOUR.fullmatch(f"#{value}") or value != value.lower():
                    return None
                colours[name] = f"#{value}"
        return cls(**colours) if colours else None


def _colors(raw: Mapping[str, Any]) -> Colors | None:
    """The component's ``colors``: only hex colours are kept; anything else is ignored and logged,
    so no upstream text ever reaches a stylesheet."""
    value = raw.get("colors")
    if value is None:
        return None
    if not isinstance(value, dict):
        logger.warning("Ignored SAL colours of %r: not an object", raw.get("id"))
        return None
    kept = {}
    for name, colour in value.items():
        if name in COLOUR_KEYS and isinstance(colour, str) and HEX_COLOUR.fullmatch(colour):
            kept[name] = colour.lower()
        else:
            logger.warning("Ignored SAL colour %s=%r of %r", name, colour, raw.get("id"))
    return Colors(**kept) if kept else None


@dataclass(frozen=True, kw_only=True)
class Common:
    """What every component has [doc]: its mode (``class``: buy or sell), an image, colours."""

    mode: str | None = None
    image: str | None = None
    colors: Colors | None = None
    placement: str | None = None


def _common(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "mode": _opt_text(raw, "class"),
        "image": _opt_text(raw, "image"),
        "colors": _colors(raw),
        "placement": _opt_text(raw, "placement"),
    }


@dataclass(frozen=True)
class Button(Common):
    id: str
    label: str
    url: str
    style: str = "primary"
    badge: str | None = None
    kind = "button"


@dataclass(frozen=True)
class Banner(Common):
    id: str
    title: str
    description: str
    cta: Link | None = None
    kind = "banner"


@dataclass(frozen=True)
class Modal(Common):
    id: str
    trigger_label: str
    title: str
    description: str
    cta: Link | None = None
    kind = "modal"


@dataclass(frozen=True)
class ListingItem:
    listing_id: str
    ticket_option_id: str | None
    label: str
    price: Money
    url: str
    section: str | None = None
    row: str | None = None
    seat: str | None = None


@dataclass(frozen=True)
class ListingList(Common):
    id: str
    title: str
    items: tuple[ListingItem, ...]
    more_url: str | None = None
    kind = "list"


@dataclass(frozen=True)
class MapSection:
    section_id: str
    label: str
    available: int
    url: str
    min_price: Money | None = None


@dataclass(frozen=True)
class SeatMap(Common):
    id: str
    title: str
    sections: tuple[MapSection, ...]
    kind = "map"


Component: TypeAlias = Button | Banner | Modal | ListingList | SeatMap

BUTTON_STYLES = ("primary", "secondary", "link")


def _button(raw: Mapping[str, Any]) -> Button:
    return Button(
        id=_text(raw, "id"),
        label=_text(raw, "label"),
        url=_text(raw, "url"),
        style=_choice(raw, "style", BUTTON_STYLES),
        badge=_opt_text(raw, "badge"),
        **_common(raw),
    )


def _banner(raw: Mapping[str, Any]) -> Banner:
    return Banner(
        id=_text(raw, "id"),
        title=_text(raw, "title"),
        description=_text(raw, "description"),
        cta=_opt_link(raw, "cta"),
        **_common(raw),
    )


def _modal(raw: Mapping[str, Any]) -> Modal:
    return Modal(
        id=_text(raw, "id"),
        trigger_label=_text(_object(raw, "trigger"), "label"),
        title=_text(raw, "title"),
        description=_text(raw, "description"),
        cta=_opt_link(raw, "cta"),
        **_common(raw),
    )


def _listing_item(raw: Any) -> ListingItem:
    if not isinstance(raw, dict):
        raise WireError("list item is not an object")
    return ListingItem(
        listing_id=_text(raw, "listingId"),
        ticket_option_id=_opt_text(raw, "ticketOptionId"),
        label=_text(raw, "label"),
        price=_money(_object(raw, "price")),
        url=_text(raw, "url"),
        section=_opt_text(raw, "section"),
        row=_opt_text(raw, "row"),
        seat=_opt_text(raw, "seat"),
    )


def _listing_list(raw: Mapping[str, Any]) -> ListingList:
    return ListingList(
        id=_text(raw, "id"),
        title=_text(raw, "title"),
        items=tuple(_listing_item(item) for item in _list(raw, "items")),
        more_url=_opt_text(raw, "moreUrl"),
        **_common(raw),
    )


def _map_section(raw: Any) -> MapSection:
    if not isinstance(raw, dict):
        raise WireError("map section is not an object")
    available = _opt_count(raw, "available")
    if available is None:
        raise WireError("missing field 'available'")
    return MapSection(
        section_id=_text(raw, "sectionId"),
        label=_text(raw, "label"),
        available=available,
        url=_text(raw, "url"),
        min_price=_opt_money(raw, "minPrice"),
    )


def _seat_map(raw: Mapping[str, Any]) -> SeatMap:
    return SeatMap(
        id=_text(raw, "id"),
        title=_text(raw, "title"),
        sections=tuple(_map_section(item) for item in _list(raw, "sections")),
        **_common(raw),
    )


COMPONENT_PARSERS: dict[str, Callable[[Mapping[str, Any]], Component]] = {
    "button": _button,
    "banner": _banner,
    "modal": _modal,
    "list": _listing_list,
    "map": _seat_map,
}


def parse_components(raw: Any) -> tuple[tuple[Component, ...], tuple[Dropped, ...]]:
    """Parse a list of components; each bad or unknown one is dropped alone, each with
    ``visible: false`` left out."""
    if not isinstance(raw, list):
        raise WireError("missing field 'components'")
    components: list[Component] = []
    dropped: list[Dropped] = []
    for index, item in enumerate(raw):
        if isinstance(item, dict) and item.get("visible") is False:
            continue  # menta says not to render it [doc]: not a fault, so not dropped
        kind = item.get("type") if isinstance(item, dict) else None
        parser = COMPONENT_PARSERS.get(kind) if isinstance(kind, str) else None
        if parser is None:
            reason = f"unknown component type {kind!r}"
        else:
            try:
                components.append(parser(item))
                continue
            except WireError as exc:
                reason = str(exc)
        logger.info("Dropped SAL component %d (%s): %s", index, kind, reason)
        dropped.append(Dropped(index=index, type=str(kind), reason=reason))
    return tuple(components), tuple(dropped)


@dataclass(frozen=True)
class AccessLayer:
    """Components for one event show (GET /v1/wrapper/accesslayer)."""

    type: str
    event_id: str | None
    show_id: str | None
    lang: str | None
    max_age: int | None
    components: tuple[Component, ...]
    dropped: tuple[Dropped, ...] = ()


def parse_access_layer(data: Any) -> AccessLayer:
    if not isinstance(data, dict):
        raise WireError("access layer data is not an object")
    components, dropped = parse_components(data.get("components"))
    return AccessLayer(
        type=_text(data, "type"),
        event_id=_opt_text(data, "eventId"),
        show_id=_opt_text(data, "showId"),
        lang=_opt_text(data, "lang"),
        max_age=_opt_count(data, "maxAge"),
        components=components,
        dropped=dropped,
    )


@dataclass(frozen=True)
class ShowComponents:
    """One event/show pair of a bulk answer (POST /v1/wrapper/accesslayer/bulk)."""

    event_id: str
    show_id: str
    components: tuple[Component, ...]
    dropped: tuple[Dropped, ...] = ()
    error: str | None = None


def parse_bulk(data: Any) -> list[ShowComponents]:
    if not isinstance(data, list):
        raise WireError("bulk data is not a list")
    result = []
    for item in data:
        if not isinstance(item, dict):
            raise WireError("bulk item is not an object")
        components, dropped = parse_components(item.get("components", []))
        result.append(
            ShowComponents(
                event_id=_text(item, "eventId"),
                show_id=_text(item, "showId"),
                components=components,
                dropped=dropped,
                error=_opt_text(item, "error"),
            )
        )
    return result


# --- per-ticket and per-order sellability (contract 2.2) ----------------------------------

TICKET_STATUSES = ("SELLABLE", "NOT_SELLABLE", "FOR_SALE", "SOLD")
ORDER_STATUSES = ("SELLABLE", "NOT_SELLABLE", "FOR_SALE", "PARTIALLY_FOR_SALE", "SOLD")
TICKET_ACTIONS = ("SELL", "EDIT", "DETAILS", "P2P", "PENDING_PAYOUT_INFO")
ORDER_ACTIONS = ("SELL", "EDIT", "DETAILS", "MANAGE", "PENDING_PAYOUT_INFO")


@dataclass(frozen=True)
class Cta:
    action: str
    label: str
    url: str


def _ctas(raw: Mapping[str, Any], actions: tuple[str, ...]) -> tuple[Cta, ...]:
    result = []
    for item in raw.get("ctas") or ():
        if not isinstance(item, dict) or item.get("action") not in actions:
            logger.info("Dropped CTA with unknown action %r", item)
            continue
        try:
            result.append(Cta(action=item["action"], label=_text(item, "label"), url=_text(item, "url")))
        except WireError as exc:
            logger.info("Dropped %s CTA: %s", item["action"], exc)
    return tuple(result)


def _status(raw: Mapping[str, Any], statuses: tuple[str, ...]) -> str:
    value = raw.get("status")
    if value not in statuses:
        raise WireError(f"unknown status {value!r}")
    return str(value)


@dataclass(frozen=True)
class TicketAccess:
    ticket_id: str
    status: str
    ctas: tuple[Cta, ...] = ()
    reason: str | None = None
    listing_price: Money | None = None
    components: tuple[Component, ...] = ()


@dataclass(frozen=True)
class OrderAccess:
    order_id: str
    status: str
    ticket_ids: tuple[str, ...] = ()
    ctas: tuple[Cta, ...] = ()
    components: tuple[Component, ...] = ()


def _item_components(item: Mapping[str, Any]) -> tuple[Component, ...]:
    """The UI components an item may carry [doc] (e.g. a sell banner); a bad one is dropped alone."""
    if "components" not in item:
        return ()
    components, _dropped = parse_components(item["components"])
    return components


def _items(data: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        raise WireError("access layer data is not an object")
    items = _list(data, name)
    if not all(isinstance(item, dict) for item in items):
        raise WireError(f"an item of '{name}' is not an object")
    return items


def parse_ticket_access(data: Any) -> list[TicketAccess]:
    result = []
    for item in _items(data, "tickets"):
        listing = item.get("listing")
        result.append(
            TicketAccess(
                ticket_id=_text(item, "ticketId"),
                status=_status(item, TICKET_STATUSES),
                ctas=_ctas(item, TICKET_ACTIONS),
                reason=_opt_text(item, "reason"),
                listing_price=_opt_money(listing, "price") if isinstance(listing, dict) else None,
                components=_item_components(item),
            )
        )
    return result


def parse_order_access(data: Any) -> list[OrderAccess]:
    result = []
    for item in _items(data, "orders"):
        ticket_ids = item.get("ticketIds") or []
        result.append(
            OrderAccess(
                order_id=_text(item, "orderId"),
                status=_status(item, ORDER_STATUSES),
                ticket_ids=tuple(str(ticket_id) for ticket_id in ticket_ids),
                ctas=_ctas(item, ORDER_ACTIONS),
                components=_item_components(item),
            )
        )
    return result


# --- request bodies -----------------------------------------------------------------------


def ticket_access_body(user: str, ticket_ids: Iterable[str]) -> dict[str, Any]:
    return {"user": user, "tickets": [{"ticketId": ticket_id} for ticket_id in ticket_ids]}


def order_access_body(user: str, order_ids: Iterable[str]) -> dict[str, Any]:
    return {"user": user, "orders": [{"orderId": order_id} for order_id in order_ids]}


def bulk_body(pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Group (event id, show id) pairs by event, keeping their order."""
    by_event: dict[str, list[str]] = {}
    for event_id, show_id in pairs:
        by_event.setdefault(event_id, []).append(show_id)
    return [{"eventId": event_id, "showIds": show_ids} for event_id, show_ids in by_event.items()]


def access_layer_params(type: str, event_id: str | None, show_id: str | None, lang: str | None) -> dict[str, Any]:
    """The query of ``GET /v1/wrapper/accesslayer``: which components, of which show, in which language."""
    return {"type": type, "eventId": event_id, "showId": show_id, "lang": lang}


def lang_params(lang: str | None) -> dict[str, Any]:
    return {"lang": lang}


def bulk_params(type: str, lang: str | None) -> dict[str, Any]:
    return {"type": type, "lang": lang}
