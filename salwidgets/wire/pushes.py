"""What the platform pushes (contracts 5 to 7): events, rules, tickets, inventory, leads, and the
ownership endpoint's answer."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

logger = logging.getLogger("salwidgets.wire")


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


class Encodable(Protocol):
    def to_wire(self) -> Any: ...


# A push as menta reads it: a typed push's ``to_wire()``, as the outbox stores it for sending.
Body = Mapping[str, Any]


def body(push: Encodable | Body) -> Any:
    """What is sent for ``push``: a typed push encoded, or a body encoded already (the outbox's)."""
    return push.to_wire() if hasattr(push, "to_wire") else push


def bodies(pushes: Iterable[Encodable | Body]) -> list[Any]:
    return [body(push) for push in pushes]


def buyer_email(ticket: Body) -> str:
    """The email a ticket's body (``TicketPush.to_wire()``) was issued to, or ""."""
    buyer = ticket.get("buyer")
    email = buyer.get("email") if isinstance(buyer, Mapping) else None
    return email.strip() if isinstance(email, str) else ""


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


OWNED_TICKETS_USER = "user"  # the query parameter menta names the person with


def owned_tickets_schema() -> dict[str, Any]:
    """The JSON schema of ``owned_tickets_body``'s answer, for the endpoint's OpenAPI description."""
    ticket = {
        "type": "object",
        "required": [
            "ticketId",
            "externalReferenceEventId",
            "showId",
            "ticketOptionId",
            "price",
            "currency",
            "status",
            "tags",
        ],
        "properties": {
            "ticketId": {"type": "string"},
            "externalReferenceEventId": {"type": "string"},
            "showId": {"type": "string"},
            "ticketOptionId": {"type": "string"},
            "price": {"type": "number", "minimum": 0},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "status": {"type": "string", "enum": ["VALID"]},
            "tags": {"type": "array", "items": {"type": "string", "pattern": "^[^:]+:.*$"}},
        },
    }
    return {
        "type": "object",
        "required": ["userEmail", "tickets"],
        "properties": {"userEmail": {"type": "string"}, "tickets": {"type": "array", "items": ticket}},
    }


def inventory_details_body(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The body of ``PUT /v1/marketdata/events/:eventId/inventory/details``."""
    return {"items": list(items)}
