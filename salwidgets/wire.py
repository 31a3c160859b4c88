"""menta's wire format, client side: every field name of the contract lives here.

Answers are parsed into the typed objects below; request bodies are built by the
functions at the end. When menta's official schema differs from the project's
reading (``menta-contract.md``), this module is what changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
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
    errors = body.get("errors")
    message = None
    if isinstance(errors, dict) and isinstance(errors.get("message"), str):
        message = errors["message"]
    elif errors is not None:
        raise WireError("envelope errors is neither null nor an object with a message")
    return Envelope(status=status, data=body["data"], error_message=message)


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
    if not isinstance(value, str) or not value.strip():
        raise WireError(f"missing field '{name}'")
    return value


def _opt_text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise WireError(f"field '{name}' is not text")
    return value or None


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


def _money(raw: Mapping[str, Any]) -> Money:
    amount = raw.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, float, str)):
        raise WireError("missing field 'amount'")
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise WireError("field 'amount' is not a number") from exc
    return Money(amount=value, currency=_text(raw, "currency"))


def _opt_money(raw: Mapping[str, Any], name: str) -> Money | None:
    value = raw.get(name)
    return _money(value) if isinstance(value, dict) else None


def _link(raw: Mapping[str, Any]) -> Link:
    return Link(label=_text(raw, "label"), url=_text(raw, "url"))


def _opt_link(raw: Mapping[str, Any], name: str) -> Link | None:
    value = raw.get(name)
    return _link(value) if isinstance(value, dict) else None


# --- SAL components (contract 2.1) --------------------------------------------------------


@dataclass(frozen=True)
class Button:
    id: str
    label: str
    url: str
    style: str = "primary"
    badge: str | None = None
    placement: str | None = None
    kind = "button"


@dataclass(frozen=True)
class Banner:
    id: str
    title: str
    body: str
    tone: str = "info"
    cta: Link | None = None
    placement: str | None = None
    kind = "banner"


@dataclass(frozen=True)
class Modal:
    id: str
    trigger_label: str
    title: str
    body: str
    cta: Link | None = None
    placement: str | None = None
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
class ListingList:
    id: str
    title: str
    items: tuple[ListingItem, ...]
    more_url: str | None = None
    placement: str | None = None
    kind = "list"


@dataclass(frozen=True)
class MapSection:
    section_id: str
    label: str
    available: int
    url: str
    min_price: Money | None = None


@dataclass(frozen=True)
class SeatMap:
    id: str
    title: str
    sections: tuple[MapSection, ...]
    image_url: str | None = None
    placement: str | None = None
    kind = "map"


Component: TypeAlias = Button | Banner | Modal | ListingList | SeatMap

BUTTON_STYLES = ("primary", "secondary", "link")
BANNER_TONES = ("info", "promo", "warning")


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
        placement=_opt_text(raw, "placement"),
    )


def _banner(raw: Mapping[str, Any]) -> Banner:
    return Banner(
        id=_text(raw, "id"),
        title=_text(raw, "title"),
        body=_text(raw, "body"),
        tone=_choice(raw, "tone", BANNER_TONES),
        cta=_opt_link(raw, "cta"),
        placement=_opt_text(raw, "placement"),
    )


def _modal(raw: Mapping[str, Any]) -> Modal:
    return Modal(
        id=_text(raw, "id"),
        trigger_label=_text(_object(raw, "trigger"), "label"),
        title=_text(raw, "title"),
        body=_text(raw, "body"),
        cta=_opt_link(raw, "cta"),
        placement=_opt_text(raw, "placement"),
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
        placement=_opt_text(raw, "placement"),
    )


def _map_section(raw: Any) -> MapSection:
    if not isinstance(raw, dict):
        raise WireError("map section is not an object")
    available = raw.get("available")
    if not isinstance(available, int) or isinstance(available, bool):
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
        image_url=_opt_text(raw, "imageUrl"),
        placement=_opt_text(raw, "placement"),
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
    """Parse a list of components; each bad or unknown one is dropped alone."""
    if not isinstance(raw, list):
        raise WireError("missing field 'components'")
    components: list[Component] = []
    dropped: list[Dropped] = []
    for index, item in enumerate(raw):
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
    max_age = data.get("maxAge")
    return AccessLayer(
        type=_text(data, "type"),
        event_id=_opt_text(data, "eventId"),
        show_id=_opt_text(data, "showId"),
        lang=_opt_text(data, "lang"),
        max_age=max_age if isinstance(max_age, int) and not isinstance(max_age, bool) else None,
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


@dataclass(frozen=True)
class OrderAccess:
    order_id: str
    status: str
    ticket_ids: tuple[str, ...] = ()
    ctas: tuple[Cta, ...] = ()


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
    expires_in = data.get("expiresIn")
    return OneTimeToken(
        token=_text(data, "token"),
        expires_in=expires_in if isinstance(expires_in, int) else None,
    )


def parse_url(data: Any) -> str:
    if not isinstance(data, dict):
        raise WireError("URL data is not an object")
    return _text(data, "url")


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
        listing_id=_text(data, "listingId"),
        ticket_id=_text(data, "ticketId"),
        status=_status(data, LISTING_STATUSES),
        price=_money(_object(data, "price")),
        seller_email=_opt_text(data, "sellerEmail"),
    )


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


def show_payload(show_id: str, *, name: str, starts_at: str, **extra: Any) -> dict[str, Any]:
    return {"showId": show_id, "name": name, "startDate": starts_at, **extra}


def event_payload(
    external_id: str,
    *,
    title: str,
    description: str,
    location: Mapping[str, Any],
    shows: Iterable[Mapping[str, Any]],
    configuration: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "externalReferenceId": external_id,
        "title": title,
        "description": description,
        "location": dict(location),
        "shows": [dict(show) for show in shows],
        "configuration": dict(configuration or {}),
    }


def resale_rule(
    event_id: str,
    *,
    enabled: bool,
    max_price_percent: float = 100,
    show_id: str | None = None,
) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "externalReferenceEventId": event_id,
        "ruleType": "RESALE",
        "rules": {"enabled": enabled, "maxPricePercent": max_price_percent},
    }
    if show_id:
        rule["showId"] = show_id
    return rule


def ticket_payload(
    ticket_id: str,
    *,
    event_id: str,
    show_id: str,
    buyer_email: str,
    ticket_option_id: str,
    price: Decimal | float,
    currency: str,
    order_id: str | None = None,
    seating: Mapping[str, str] | None = None,
    access_code: str | None = None,
) -> dict[str, Any]:
    """A ticket push (contract 5). The order id travels in ``props.orderId`` (reading)."""
    payload: dict[str, Any] = {
        "externalReferenceEventId": event_id,
        "showId": show_id,
        "ticketId": ticket_id,
        "buyer": {"email": buyer_email},
        "ticketAccess": {"type": "QR", "code": access_code or ticket_id},
        "ticketOptionId": ticket_option_id,
        "price": {"amount": float(price), "currency": currency},
        "props": {"orderId": order_id} if order_id else {},
    }
    if seating:
        payload["seating"] = {key: value for key, value in seating.items() if value}
    return payload


def admission_body(admissions: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"ticketId": ticket_id, "entryDate": entry_date} for ticket_id, entry_date in admissions]


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
