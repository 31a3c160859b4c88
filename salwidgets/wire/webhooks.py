"""menta's webhooks (contract 8): the notification and each action's payload."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from salwidgets.wire.shared import (
    Money,
    WireError,
    _email,
    _id,
    _ids,
    _loose_text,
    _object,
    _opt_email,
    _opt_money,
    _opt_text,
    _text,
)

logger = logging.getLogger("salwidgets.wire")


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
