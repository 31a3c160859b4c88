"""The marketplace (contracts 3 and 4): tokens, flow URLs, listings, buy intentions, checkouts and lead results."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from salwidgets.wire.components import _status
from salwidgets.wire.shared import (
    Dropped,
    Money,
    WireError,
    _choice,
    _id,
    _money,
    _object,
    _opt_count,
    _opt_text,
    _text,
)

logger = logging.getLogger("salwidgets.wire")


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
RETURN_TO = "returnTo"  # where menta sends the person back, on a link into its pages
LOGIN_TRUST_METHOD = "loginTrust[withMethod]"
LOGIN_TRUST_USER = "loginTrust[user]"


def token_params(user: str, method: str | None) -> dict[str, Any]:
    """The query of ``GET /v1/auth/oneTimeToken``."""
    return {"user": user, "method": method}


def buying_flow_params(
    event_id: str, show_id: str, return_to: str, lang: str | None, ticket_option_id: str | None
) -> dict[str, Any]:
    return {
        "externalReferenceEventId": event_id,
        "showId": show_id,
        "returnTo": return_to,
        LANG: lang,
        "ticketOptionId": ticket_option_id,
    }


def ticket_params(ticket_id: str, lang: str | None = None) -> dict[str, Any]:
    """The query of a ticket's selling flow or public sale URL."""
    return {"ticketId": ticket_id, LANG: lang}


def order_params(order_id: str, lang: str | None) -> dict[str, Any]:
    return {"orderId": order_id, LANG: lang}


def selling_details_params(ticket_id: str, seller_email: str | None) -> dict[str, Any]:
    return {"ticketId": ticket_id, "sellerEmail": seller_email}


def seller_params(seller_email: str | None) -> dict[str, Any]:
    return {"sellerEmail": seller_email}


def show_params(show_id: str | None) -> dict[str, Any]:
    """The ``showId`` that narrows a call about an event to one show (none: the whole event)."""
    return {"showId": show_id}


def checkout_params(return_url: str, trust: tuple[str, str] | None) -> dict[str, Any]:
    """The query of ``POST /v1/marketplace/checkout/url``: the way back, and Login Trust's person."""
    return {"returnURL": return_url, **(login_trust_params(*trust) if trust else {})}


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
