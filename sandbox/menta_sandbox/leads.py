"""Ticket leads (contract 6): validation with the guide's rules and messages, and the upsert."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from menta_sandbox import wire
from menta_sandbox.models import Event, Lead

LEAD_TYPES = ("TICKET_HOLDER", "ABANDONED_CART", "VIRTUAL_QUEUE", "WISHLIST")
MAX_BULK = 1000
DATE_FIELDS = ("purchaseDate", "date")
CURRENCY = re.compile(r"[A-Z]{3}")


class LeadError(ValueError):
    """A lead that menta refuses; ``status`` is 400 for its content and 404 for an unknown event."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _iso_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def identifier(buyer: dict[str, Any]) -> str:
    """The upsert key of a buyer: the first present of email (lower-cased), phone, id."""
    if buyer.get("email"):
        return "email:" + str(buyer["email"]).strip().lower()
    if buyer.get("phone"):
        return "phone:" + str(buyer["phone"]).strip()
    return "id:" + str(buyer["id"]).strip()


def validate(lead: Any) -> dict[str, Any]:
    """The lead itself when menta would accept its content; LeadError with menta's message otherwise."""
    if not isinstance(lead, dict):
        raise LeadError("lead must be an object")
    if lead.get("type") not in LEAD_TYPES:
        raise LeadError(f"type must be one of: {', '.join(LEAD_TYPES)}")
    for name in (wire.EXTERNAL_EVENT_ID, wire.SHOW_ID):
        if not isinstance(lead.get(name), str) or not lead[name].strip():
            raise LeadError(f"{name} is required")
    buyer = lead.get(wire.BUYER)
    if not isinstance(buyer, dict):
        raise LeadError("buyer is required")
    if not any(
        isinstance(buyer.get(name), (str, int)) and str(buyer[name]).strip() for name in ("email", "phone", "id")
    ):
        raise LeadError("buyer.email or buyer.phone or buyer.id is required")
    if lead["type"] == "TICKET_HOLDER":
        if not lead.get(wire.TICKET_ID):
            raise LeadError("ticketId is required for TICKET_HOLDER leads")
        if wire.PRICE not in lead:
            raise LeadError("price is required for TICKET_HOLDER leads")
    price = lead.get(wire.PRICE)
    if price is not None and (isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0):
        raise LeadError("price must be a non-negative number")
    currency = lead.get("currency")
    if currency is not None and (not isinstance(currency, str) or not CURRENCY.fullmatch(currency)):
        raise LeadError("currency must be an ISO 4217 code, e.g. USD")
    for name in DATE_FIELDS:
        if name in lead and not _iso_date(lead[name]):
            raise LeadError(f"{name} must be an ISO 8601 date")
    tags = lead.get("tags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags)):
        raise LeadError("tags must be a list of strings")
    if "metadata" in lead and not isinstance(lead["metadata"], dict):
        raise LeadError("metadata must be an object")
    seating = lead.get(wire.SEATING)
    if seating is not None and (not isinstance(seating, dict) or set(seating) - {"section", "row", "seat"}):
        raise LeadError("seating must be an object with section, row and seat")
    return lead


def store(lead: Any, known_events: set[str] | None = None) -> None:
    """Validate and upsert one lead on (buyer identifier, event, show)."""
    lead = validate(lead)
    event_id = lead[wire.EXTERNAL_EVENT_ID]
    known = (
        event_id in known_events if known_events is not None else Event.objects.filter(external_id=event_id).exists()
    )
    if not known:
        raise LeadError("Event not found", status=404)
    Lead.objects.update_or_create(
        identifier=identifier(lead[wire.BUYER]),
        event_id=event_id,
        show_id=lead[wire.SHOW_ID],
        defaults={"type": lead["type"], "data": lead},
    )
