"""menta's wire format, client side: every field name of the contract lives here.

Answers are parsed into the typed objects below; request bodies are built by the
functions at the end. When menta's official schema differs from the project's
reading (``docs/menta-contract.md``), this module is what changes.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

logger = logging.getLogger("salwidgets.wire")


class WireError(ValueError):
    """An answer does not have the shape the contract gives it."""


# --- envelope -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    status: int
    data: Any
    error_message: str | None


def parse_envelope(body: Any) -> Envelope:
    if not isinstance(body, dict) or "status" not in body or "data" not in body:
        raise WireError("answer is not a menta envelope")
    status = body["status"]
    if not isinstance(status, int) or isinstance(status, bool):
        raise WireError("envelope status is not an integer")
    return Envelope(status=status, data=body["data"], error_message=_error_message(body.get("errors")))


def _error_message(errors: Any) -> str | None:
    """``errors`` as one message, or None for "no error": ``null``, ``[]`` and ``[null]`` [doc]
    mean none; an object with a message, or a list of them, is one error each."""
    items = errors if isinstance(errors, list) else [errors]
    messages = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, dict) and isinstance(item.get("message"), str):
            messages.append(item["message"])
        elif isinstance(item, str):
            messages.append(item)
        else:
            raise WireError("envelope errors is neither null nor a list of objects with a message")
    return "; ".join(messages) if messages else None


# --- small values -------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip("\x00 \t\r\n"):
        raise WireError(f"missing field '{name}'")
    # NUL is the one character PostgreSQL cannot store in text: it is never part of a value.
    return value.replace("\x00", "")


def _opt_text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        raise WireError(f"field '{name}' is not text")
    return value.replace("\x00", "") or None


def _object(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name)
    if not isinstance(value, dict):
        raise WireError(f"missing field '{name}'")
    return value


def _list(raw: Mapping[str, Any], name: str) -> list[Any]:
    value = raw.get(name)
    if not isinstance(value, list):
        raise WireError(f"missing field '{name}'")
    return value


# No price reaches a trillion; a larger amount (or 1E+999999, which formats as a million digits)
# is a fault of the answer, not a price.
MAX_AMOUNT = Decimal(10) ** 12


def _money(raw: Mapping[str, Any]) -> Money:
    amount = raw.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, float, str)):
        raise WireError("missing field 'amount'")
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation as exc:
        raise WireError("field 'amount' is not a number") from exc
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise WireError("field 'amount' is not a finite price")
    return Money(amount=value, currency=_text(raw, "currency"))


def _opt_count(raw: Mapping[str, Any], name: str) -> int | None:
    """A whole number from 0 up to a billion, or None (absent, or anything else)."""
    value = raw.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
        return value
    return None


def _opt_money(raw: Mapping[str, Any], name: str) -> Money | None:
    """An optional price; one that is not a price (NaN, a word, no currency) is left out alone,
    with a log line, and what carries it is kept."""
    value = raw.get(name)
    if not isinstance(value, dict):
        return None
    try:
        return _money(value)
    except WireError as exc:
        logger.info("Dropped the price '%s': %s", name, exc)
        return None


def _link(raw: Mapping[str, Any]) -> Link:
    return Link(label=_text(raw, "label"), url=_text(raw, "url"))


def _opt_link(raw: Mapping[str, Any], name: str) -> Link | None:
    value = raw.get(name)
    return _link(value) if isinstance(value, dict) else None


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


def _choice(raw: Mapping[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = raw.get(name)
    return value if value in choices else choices[0]


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


@dataclass(frozen=True)
class Dropped:
    """A component that was not rendered, and why."""

    index: int
    type: str
    reason: str


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


# --- tokens, URLs, listings, leads --------------------------------------------------------


@dataclass(frozen=True)
class OneTimeToken:
    token: str = field(repr=False)
    expires_in: int | None = None


def parse_token(data: Any) -> OneTimeToken:
    if not isinstance(data, dict):
        raise WireError("token data is not an object")
    return OneTimeToken(token=_text(data, "token"), expires_in=_opt_count(data, "expiresIn"))


# The language menta's pages open in, on any of its URLs.
LANG = "lang"
LOGIN_TRUST_METHOD = "loginTrust[withMethod]"
LOGIN_TRUST_USER = "loginTrust[user]"


def login_trust_params(method: str, user: str) -> dict[str, str]:
    """Query parameters that make a marketplace URL answer carry a one-time token for ``user``."""
    return {LOGIN_TRUST_METHOD: method, LOGIN_TRUST_USER: user}


def parse_url(data: Any) -> str:
    """A marketplace URL: a bare string [doc]; ``{"url": ...}``, the earlier reading, is still read."""
    if isinstance(data, dict):
        return _text(data, "url")
    if not isinstance(data, str) or not data.strip():
        raise WireError("URL data is not a string")
    return data


LISTING_STATUSES = ("ACTIVE", "SOLD", "WITHDRAWN")


@dataclass(frozen=True)
class Listing:
    """The listing of a ticket (GET /v1/marketplace/listings/ticket/:ticketId).

    Reading: ``{"listingId", "ticketId", "status", "price": {amount, currency}, "sellerEmail"}``.
    """

    listing_id: str
    ticket_id: str
    status: str
    price: Money
    seller_email: str | None = None


def parse_listing(data: Any) -> Listing:
    if not isinstance(data, dict):
        raise WireError("listing data is not an object")
    return Listing(
        listing_id=_id(data, "listingId"),
        ticket_id=_text(data, "ticketId"),
        status=_status(data, LISTING_STATUSES),
        price=_money(_object(data, "price")),
        seller_email=_opt_text(data, "sellerEmail"),
    )


# --- build your own buying flow (contract 4) ------------------------------------------------

LISTED_TYPES = ("SINGLE", "PACK")


@dataclass(frozen=True)
class ListedTicket:
    """A ticket listed for resale (GET /v1/marketplace/items/events/:eventId/listedTickets)."""

    listing_id: str
    ticket_id: str
    event_id: str
    show_id: str
    ticket_option_id: str
    price: Money
    type: str = "SINGLE"
    quantity: int = 1
    pack_id: str | None = None
    section: str | None = None
    row: str | None = None
    seat: str | None = None


def parse_listed_tickets(data: Any) -> tuple[tuple[ListedTicket, ...], tuple[Dropped, ...]]:
    """The listed tickets; each bad one is dropped alone (and logged), as components are."""
    if not isinstance(data, list):
        raise WireError("listed tickets data is not a list")
    kept: list[ListedTicket] = []
    dropped: list[Dropped] = []
    for index, raw in enumerate(data):
        try:
            if not isinstance(raw, dict):
                raise WireError("listed ticket is not an object")
            kept.append(
                ListedTicket(
                    listing_id=_id(raw, "listingId"),
                    ticket_id=_id(raw, "ticketId"),
                    event_id=_id(raw, "eventId"),
                    show_id=_id(raw, "showId"),
                    ticket_option_id=_id(raw, "ticketOptionId"),
                    price=_money(_object(raw, "price")),
                    type=_choice(raw, "type", LISTED_TYPES),
                    quantity=_opt_count(raw, "quantity") or 1,
                    pack_id=_opt_text(raw, "packId"),
                    section=_opt_text(raw, "section"),
                    row=_opt_text(raw, "row"),
                    seat=_opt_text(raw, "seat"),
                )
            )
        except WireError as exc:
            logger.info("Dropped listed ticket %d: %s", index, exc)
            dropped.append(Dropped(index=index, type="listedTicket", reason=str(exc)))
    return tuple(kept), tuple(dropped)


@dataclass(frozen=True)
class BuyIntention:
    """Listings held for a buyer (POST /v1/marketplace/buyingflow/buyIntention)."""

    id: str
    url: str
    expires_at: datetime | None = None


def parse_buy_intention(data: Any) -> BuyIntention:
    if not isinstance(data, dict):
        raise WireError("buy intention data is not an object")
    expires = _opt_text(data, "expiresAt")
    try:
        expires_at = datetime.fromisoformat(expires.replace("Z", "+00:00")) if expires else None
    except ValueError as exc:
        raise WireError("field 'expiresAt' is not an ISO 8601 date") from exc
    return BuyIntention(id=_id(data, "buyIntentionId"), url=_text(data, "url"), expires_at=expires_at)


def buy_intention_body(listing_ids: Iterable[str], user: str) -> dict[str, Any]:
    return {"items": list(listing_ids), "user": user}


def checkout_body(listing_ids: Iterable[str]) -> dict[str, Any]:
    return {"listingIds": list(listing_ids)}


@dataclass(frozen=True)
class RejectedLead:
    index: int
    message: str


@dataclass(frozen=True)
class BulkLeadResult:
    accepted: int
    rejected: tuple[RejectedLead, ...] = ()

    def __add__(self, other: BulkLeadResult) -> BulkLeadResult:
        return BulkLeadResult(self.accepted + other.accepted, self.rejected + other.rejected)


def parse_bulk_leads(data: Any, *, offset: int = 0) -> BulkLeadResult:
    """Parse a bulk leads answer; ``offset`` shifts indexes when a large set was split."""
    if not isinstance(data, dict) or not isinstance(data.get("accepted"), int):
        raise WireError("bulk leads data has no 'accepted' count")
    rejected = []
    for item in data.get("rejected") or []:
        if not isinstance(item, dict) or not isinstance(item.get("index"), int):
            raise WireError("rejected lead has no index")
        rejected.append(RejectedLead(index=item["index"] + offset, message=_text(item, "message")))
    return BulkLeadResult(accepted=data["accepted"], rejected=tuple(rejected))


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


# --- what the platform pushes (contract 5 and 6) -------------------------------------------
#
# Typed objects for every push; ``to_wire`` is the only place their field names are spelled.
# ``validate`` raises InvalidPush with the message menta gives for the same fault, so that a bad
# push is refused before it is stored for sending.

LEAD_TYPES = ("TICKET_HOLDER", "ABANDONED_CART", "VIRTUAL_QUEUE", "WISHLIST")
TICKET_ACCESS_TYPES = ("URL", "API", "OTHER")
_CURRENCY = re.compile(r"[A-Z]{3}")


class InvalidPush(ValueError):
    """A push menta would refuse; the message is menta's own where the sources give one."""


def _require(value: object, message: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidPush(message)


def _check_currency(currency: str | None) -> None:
    if currency is not None and not _CURRENCY.fullmatch(currency):
        raise InvalidPush("currency must be an ISO 4217 code, e.g. USD")


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def _without_empty(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in raw.items() if value not in (None, "", [], {})}


@dataclass(frozen=True)
class Location:
    venue_name: str
    city: str
    address: str = ""
    state: str = ""
    country: str = ""
    time_zone: str = ""

    def to_wire(self) -> dict[str, Any]:
        return _without_empty(
            {
                "venueName": self.venue_name,
                "address": self.address,
                "city": self.city,
                "state": self.state,
                "country": self.country,
                "timeZone": self.time_zone,
            }
        )


@dataclass(frozen=True)
class TicketOptionPush:
    option_id: str
    title: str
    price: Decimal
    currency: str
    description: str = ""

    def to_wire(self) -> dict[str, Any]:
        return _without_empty(
            {
                "ticketId": self.option_id,
                "title": self.title,
                "description": self.description,
                "price": _number(self.price),
                "currency": self.currency,
            }
        )


@dataclass(frozen=True)
class Image:
    url: str
    kind: str = ""

    def to_wire(self) -> dict[str, str]:
        return _without_empty({"url": self.url, "kind": self.kind})


@dataclass(frozen=True)
class ShowPush:
    show_id: str
    title: str
    date: datetime
    status: str = "LIVE"
    primary_sales_url: str = ""
    ticket_options: tuple[TicketOptionPush, ...] = ()
    images: tuple[Image, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return _without_empty(
            {
                "showId": self.show_id,
                "title": self.title,
                "date": self.date.isoformat(),
                "status": self.status,
                "primarySalesUrl": self.primary_sales_url,
                "images": [image.to_wire() for image in self.images],
                "ticketOptions": [option.to_wire() for option in self.ticket_options],
            }
        )


@dataclass(frozen=True)
class EventPush:
    """An event with its shows (POST/PUT /v1/events; PUT replaces the whole event)."""

    event_id: str
    title: str
    description: str
    location: Location
    shows: tuple[ShowPush, ...]
    currency: str = "USD"

    def validate(self) -> None:
        _require(self.event_id, "externalReferenceId is required")
        _require(self.title, "title is required")
        _require(self.description, "description is required")
        if not self.shows:
            raise InvalidPush("shows must contain at least one show")
        for show in self.shows:
            _require(show.show_id, "each show needs a showId")
        _check_currency(self.currency)

    def to_wire(self) -> dict[str, Any]:
        return {
            "externalReferenceId": self.event_id,
            "title": self.title,
            "description": self.description,
            "location": self.location.to_wire(),
            "shows": [show.to_wire() for show in self.shows],
            "configuration": {"currency": self.currency},
        }


@dataclass(frozen=True)
class ResaleRule:
    """The sandbox's reading of a RESALE rule (POST /v1/events/rules)."""

    event_id: str
    enabled: bool
    max_price_percent: float = 100
    show_id: str | None = None

    def validate(self) -> None:
        _require(self.event_id, "externalReferenceEventId is required")
        if self.max_price_percent <= 0:
            raise InvalidPush("maxPricePercent must be more than zero")

    def to_wire(self) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "externalReferenceEventId": self.event_id,
            "ruleType": "RESALE",
            "rules": {"enabled": self.enabled, "maxPricePercent": self.max_price_percent},
        }
        if self.show_id:
            rule["showId"] = self.show_id
        return rule


@dataclass(frozen=True)
class Buyer:
    email: str = ""
    phone: str = ""
    id: str = ""
    full_name: str = ""

    def validate(self) -> None:
        if not (self.email.strip() or self.phone.strip() or self.id.strip()):
            raise InvalidPush("buyer.email or buyer.phone or buyer.id is required")

    @property
    def identifier(self) -> str:
        """What menta upserts leads on: the first present of email (lower-cased), phone, id."""
        if self.email.strip():
            return "email:" + self.email.strip().lower()
        return f"phone:{self.phone.strip()}" if self.phone.strip() else f"id:{self.id.strip()}"

    def to_wire(self) -> dict[str, Any]:
        return _without_empty({"email": self.email, "phone": self.phone, "id": self.id, "fullName": self.full_name})


@dataclass(frozen=True)
class Seating:
    section: str = ""
    row: str = ""
    seat: str = ""
    door: str = ""

    def to_wire(self) -> dict[str, str]:
        return _without_empty({"section": self.section, "row": self.row, "seat": self.seat, "door": self.door})


@dataclass(frozen=True)
class PrimarySaleBuyer:
    """Who bought the ticket at the primary sale (``primarySaleBuyerData`` [doc])."""

    first_name: str = ""
    last_name: str = ""
    identification_type: str = ""
    identification_number: str = ""
    phone_number: str = ""

    def to_wire(self) -> dict[str, str]:
        return _without_empty(
            {
                "firstName": self.first_name,
                "lastName": self.last_name,
                "identificationType": self.identification_type,
                "identificationNumber": self.identification_number,
                "phoneNumber": self.phone_number,
            }
        )


@dataclass(frozen=True)
class TicketPush:
    """A ticket as issued to its holder (POST /v1/tickets, PUT /v1/tickets/:ticketId)."""

    ticket_id: str
    event_id: str
    show_id: str
    buyer: Buyer
    ticket_option_id: str
    locator: str
    price: Decimal | None = None
    currency: str | None = None
    access_type: str = "OTHER"
    order_id: str = ""
    seating: Seating = Seating()
    primary_sale_buyer: PrimarySaleBuyer = PrimarySaleBuyer()

    def validate(self) -> None:
        _require(self.ticket_id, "ticketId is required")
        _require(self.event_id, "externalReferenceEventId is required")
        _require(self.show_id, "showId is required")
        _require(self.ticket_option_id, "ticketOptionId is required")
        _require(self.locator, "ticketAccess.locator is required")
        if self.access_type not in TICKET_ACCESS_TYPES:
            raise InvalidPush(f"ticketAccess.type must be one of: {', '.join(TICKET_ACCESS_TYPES)}")
        self.buyer.validate()
        if self.price is not None and self.price < 0:
            raise InvalidPush("price must be a non-negative number")
        _check_currency(self.currency)

    def to_wire(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "externalReferenceEventId": self.event_id,
            "showId": self.show_id,
            "ticketId": self.ticket_id,
            "buyer": self.buyer.to_wire(),
            "ticketAccess": {"type": self.access_type, "locator": self.locator},
            "ticketOptionId": self.ticket_option_id,
            "props": _without_empty({"orderId": self.order_id, "seating": self.seating.to_wire()}),
        }
        buyer_data = self.primary_sale_buyer.to_wire()
        if buyer_data:
            payload["primarySaleBuyerData"] = buyer_data
        if self.price is not None:
            payload["price"] = _number(self.price)
        if self.currency:
            payload["currency"] = self.currency
        return payload


@dataclass(frozen=True)
class Admission:
    ticket_id: str
    entry_date: datetime

    def to_wire(self) -> dict[str, str]:
        return {"ticketId": self.ticket_id, "entryDate": self.entry_date.isoformat()}


@dataclass(frozen=True)
class Inventory:
    """A show's primary inventory (PUT /v1/marketdata/events/:id/inventory?showId=)."""

    capacity: int
    released_tickets: int
    reserved_space: int
    sold_out: bool
    sold_percentage: float

    def validate(self) -> None:
        for name, value in (
            ("capacity", self.capacity),
            ("releasedTickets", self.released_tickets),
            ("reservedSpace", self.reserved_space),
            ("soldPercentage", self.sold_percentage),
        ):
            if value < 0:
                raise InvalidPush(f"{name} must be a non-negative number")

    def to_wire(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "releasedTickets": self.released_tickets,
            "reservedSpace": self.reserved_space,
            "soldOut": self.sold_out,
            "soldPercentage": self.sold_percentage,
        }


@dataclass(frozen=True)
class Lead:
    """A ticket lead (contract 6): a holder, an abandoned cart, a queue leaver or a wishlist."""

    type: str
    event_id: str
    show_id: str
    buyer: Buyer
    ticket_id: str = ""
    ticket_option_id: str = ""
    date: datetime | None = None
    price: Decimal | None = None
    currency: str | None = None
    seating: Seating | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        if self.type not in LEAD_TYPES:
            raise InvalidPush(f"type must be one of: {', '.join(LEAD_TYPES)}")
        _require(self.event_id, "externalReferenceEventId is required")
        _require(self.show_id, "showId is required")
        self.buyer.validate()
        if self.type == "TICKET_HOLDER":
            _require(self.ticket_id, "ticketId is required for TICKET_HOLDER leads")
            if self.price is None:
                raise InvalidPush("price is required for TICKET_HOLDER leads")
        if self.price is not None and self.price < 0:
            raise InvalidPush("price must be a non-negative number")
        _check_currency(self.currency)

    @property
    def key(self) -> str:
        """menta's upsert key: a later lead with the same key replaces the earlier one."""
        return f"{self.buyer.identifier}|{self.event_id}|{self.show_id}"

    def to_wire(self) -> dict[str, Any]:
        payload = _without_empty(
            {
                "type": self.type,
                "externalReferenceEventId": self.event_id,
                "showId": self.show_id,
                "buyer": self.buyer.to_wire(),
                "ticketId": self.ticket_id,
                "ticketOptionId": self.ticket_option_id,
                "purchaseDate": self.date.isoformat() if self.date else None,
                "currency": self.currency,
                "seating": self.seating.to_wire() if self.seating else None,
                "tags": list(self.tags),
                "metadata": dict(self.metadata),
            }
        )
        if self.price is not None:
            payload["price"] = _number(self.price)
        return payload


# --- the platform's ownership endpoint (contract 7) -----------------------------------------


@dataclass(frozen=True)
class OwnedTicket:
    """A ticket the person owns now and may resell, as the platform reports it to menta."""

    ticket_id: str
    event_id: str
    show_id: str
    ticket_option_id: str
    price: Decimal
    currency: str
    tags: tuple[str, ...] = ()
    status: str = "VALID"


def owned_tickets_body(email: str, tickets: Iterable[OwnedTicket]) -> dict[str, Any]:
    return {
        "userEmail": email,
        "tickets": [
            {
                "ticketId": ticket.ticket_id,
                "externalReferenceEventId": ticket.event_id,
                "showId": ticket.show_id,
                "ticketOptionId": ticket.ticket_option_id,
                "price": float(ticket.price),
                "currency": ticket.currency,
                "status": ticket.status,
                "tags": list(ticket.tags),
            }
            for ticket in tickets
        ],
    }


# --- menta's webhooks (contract 8) ------------------------------------------------------------

TICKET_UPDATED = "ticket.updated"
LISTING_ACTIONS = ("listing.created", "listing.updated", "listing.deleted")
EVENT_UNLOCK = "event.unlock"
NOTIFY_ME = "notifyMe.created.updated"
PAYOUTS_DELIVERED = "payouts.delivered"
USER_TRANSFER = "USER_TRANSFER"


@dataclass(frozen=True)
class Notification:
    """One webhook body, either envelope: ``{"message": {...}}`` or the older flat object."""

    family: str
    action: str
    type: str | None
    data: Mapping[str, Any]
    metadata: Mapping[str, Any]


def parse_notification(body: Any) -> Notification:
    """The envelope's parts; WireError names what is missing. ``data`` is parsed by action."""
    if not isinstance(body, dict):
        raise WireError("the body must be a JSON object")
    inner = body.get("message", body)
    if not isinstance(inner, dict):
        raise WireError("field 'message' must be an object")
    metadata = inner.get("metadata", body.get("metadata"))
    return Notification(
        family=_opt_text(inner, "family") or "",
        action=_text(inner, "action"),
        type=_opt_text(inner, "type"),
        data=_object(inner, "data"),
        metadata=metadata if isinstance(metadata, dict) else {},
    )


# An address as RFC 5321 bounds it (254 characters), with one "@" and no spaces or controls.
_EMAIL = re.compile(r"[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+")


def _email(raw: Mapping[str, Any], name: str) -> str:
    value = _text(raw, name).strip().lower()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise WireError(f"field '{name}' is not an email address")
    return value


def _opt_email(raw: Mapping[str, Any], name: str) -> str | None:
    return _email(raw, name) if raw.get(name) not in (None, "") else None


def _id(raw: Mapping[str, Any], name: str) -> str:
    value = _opt_text(raw, name)
    if value is None or not value.strip():
        raise WireError(f"missing field '{name}'")
    return value


def _ids(raw: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values = _list(raw, name)
    if not all(isinstance(value, (str, int)) and not isinstance(value, bool) for value in values):
        raise WireError(f"field '{name}' must be a list of ids")
    return tuple(str(value) for value in values)


@dataclass(frozen=True)
class Nominal:
    """The holder's name on a named ticket (``metadata.nominal``)."""

    full_name: str
    identification_number: str = ""


@dataclass(frozen=True)
class TicketResold:
    """``ticket.updated``: the ticket now belongs to ``new_owner_email`` (a resale or, with type
    ``USER_TRANSFER``, a transfer between people)."""

    ticket_id: str
    new_owner_email: str
    old_owner_email: str | None
    type: str | None = None
    nominal: Nominal | None = None

    @property
    def is_transfer(self) -> bool:
        return self.type == USER_TRANSFER


@dataclass(frozen=True)
class ListingChanged:
    """``listing.created``, ``listing.updated`` or ``listing.deleted``."""

    action: str
    listing_id: str
    ticket_ids: tuple[str, ...]
    event_id: str
    show_id: str
    seller_email: str | None
    price: Money | None
    status: str | None
    type: str | None = None

    @property
    def created(self) -> bool:
        return self.action == "listing.created"

    @property
    def deleted(self) -> bool:
        return self.action == "listing.deleted"


@dataclass(frozen=True)
class EventUnlocked:
    event_id: str
    show_id: str | None


@dataclass(frozen=True)
class NotifyMe:
    email: str
    event_id: str
    show_id: str | None


@dataclass(frozen=True)
class PayoutDelivered:
    event_id: str
    show_id: str | None
    seller_email: str | None
    listing_ids: tuple[str, ...]
    amount: Money | None


WebhookPayload: TypeAlias = TicketResold | ListingChanged | EventUnlocked | NotifyMe | PayoutDelivered


def _loose_text(raw: Mapping[str, Any], name: str) -> str:
    """Text that must not stop what carries it (the holder's name on a resold ticket): "" when
    it is absent or not text."""
    try:
        return _opt_text(raw, name) or ""
    except WireError:
        return ""


def _ticket_resold(note: Notification) -> TicketResold:
    data = note.data
    nominal = note.metadata.get("nominal")
    return TicketResold(
        ticket_id=_id(data, "id"),
        new_owner_email=_email(data, "newOwnerEmail"),
        old_owner_email=_opt_email(data, "oldOwnerEmail"),
        type=note.type,
        nominal=Nominal(_loose_text(nominal, "fullName"), _loose_text(nominal, "identificationNumber"))
        if isinstance(nominal, dict)
        else None,
    )


def _listing_changed(note: Notification) -> ListingChanged:
    data = note.data
    return ListingChanged(
        action=note.action,
        listing_id=_id(data, "listingId"),
        ticket_ids=_ids(data, "ticketIds"),
        event_id=_text(data, "eventId"),
        show_id=_text(data, "showId"),
        seller_email=_opt_email(data, "sellerEmail"),
        price=_opt_money(data, "price"),
        status=_opt_text(data, "status"),
        type=note.type,
    )


def _event_unlocked(note: Notification) -> EventUnlocked:
    return EventUnlocked(event_id=_text(note.data, "eventId"), show_id=_opt_text(note.data, "showId"))


def _notify_me(note: Notification) -> NotifyMe:
    data = note.data
    return NotifyMe(email=_email(data, "email"), event_id=_text(data, "eventId"), show_id=_opt_text(data, "showId"))


def _payout_delivered(note: Notification) -> PayoutDelivered:
    data = note.data
    return PayoutDelivered(
        event_id=_text(data, "eventId"),
        show_id=_opt_text(data, "showId"),
        seller_email=_opt_email(data, "sellerEmail"),
        listing_ids=_ids(data, "listingIds") if "listingIds" in data else (),
        amount=_opt_money(data, "amount"),
    )


WEBHOOK_PARSERS: dict[str, Callable[[Notification], WebhookPayload]] = {
    TICKET_UPDATED: _ticket_resold,
    **{action: _listing_changed for action in LISTING_ACTIONS},
    EVENT_UNLOCK: _event_unlocked,
    NOTIFY_ME: _notify_me,
    PAYOUTS_DELIVERED: _payout_delivered,
}
