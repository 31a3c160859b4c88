"""menta's wire format, sandbox side: every field name the sandbox reads or writes.

The counterpart of ``salwidgets.wire`` (the client side). Both follow
``docs/menta-contract.md``; a change of the official schema changes these two modules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse


class ApiError(Exception):
    """An answer other than 200, with the contract's message."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def envelope(status: int, data: Any = None, message: str | None = None) -> HttpResponse:
    body = {"status": status, "data": data, "errors": {"message": message} if message else None}
    return HttpResponse(json.dumps(body, default=_json_default), status=status, content_type="application/json")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": float(amount), "currency": currency}


# --- request fields ------------------------------------------------------------------------

# Query parameters and body fields, by the name the contract gives them.
TYPE = "type"
EVENT_ID = "eventId"
SHOW_ID = "showId"
SHOW_IDS = "showIds"
LANG = "lang"
USER = "user"
METHOD = "method"
TICKETS = "tickets"
ORDERS = "orders"
TICKET_ID = "ticketId"
ORDER_ID = "orderId"
EXTERNAL_EVENT_ID = "externalReferenceEventId"
EXTERNAL_ID = "externalReferenceId"
RETURN_TO = "returnTo"
RETURN_URL = "returnURL"
LOGIN_TRUST_METHOD = "loginTrust[withMethod]"
LOGIN_TRUST_USER = "loginTrust[user]"
LOGIN_TRUST_METHODS = ("email",)
TICKET_OPTION_ID = "ticketOptionId"
PRICE_TYPE_ID = "priceTypeId"
SELLER_EMAIL = "sellerEmail"
BUYER = "buyer"
TICKET_ACCESS = "ticketAccess"
PRICE = "price"
PROPS = "props"
SEATING = "seating"
RULE_TYPE = "ruleType"
RULES = "rules"
ENTRY_DATE = "entryDate"
ITEMS = "items"
SHOW_STATUS = "status"
CANCELLED = "CANCELLED"
EVENT_REQUIRED_FIELDS = ("title", "description", EXTERNAL_ID, "shows", "location", "configuration")
TICKET_REQUIRED_FIELDS = (EXTERNAL_EVENT_ID, BUYER, TICKET_ID, TICKET_ACCESS, TICKET_OPTION_ID)
INVENTORY_NUMBERS = ("capacity", "releasedTickets", "reservedSpace", "soldPercentage")
INVENTORY_FLAGS = ("soldOut",)
# Reading: the resale rule of the sandbox.
RESALE = "RESALE"
RULE_ENABLED = "enabled"
RULE_MAX_PRICE_PERCENT = "maxPricePercent"


def shows_of(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The shows of an event push: a list of shows or an object keyed by show id (reading)."""
    shows = event.get("shows")
    if isinstance(shows, dict):
        return [{**(show if isinstance(show, dict) else {}), "showId": key} for key, show in shows.items()]
    if isinstance(shows, list):
        return [show for show in shows if isinstance(show, dict)]
    return []


def show_fields(show: Mapping[str, Any]) -> tuple[str, str, str]:
    """(show id, name, start date) of one show of an event push."""
    show_id = show.get("showId") or show.get("id") or ""
    name = show.get("title") or show.get("name") or ""
    return str(show_id), str(name), str(show.get("date") or show.get("startDate") or "")


def buyer_identity(buyer: Any) -> tuple[str, str]:
    """(email, platform user id) of a ticket's buyer: an email string or an object."""
    if isinstance(buyer, str):
        return buyer.strip().lower(), ""
    if isinstance(buyer, dict):
        return str(buyer.get("email") or "").strip().lower(), str(buyer.get("id") or "")
    return "", ""


def ticket_price(ticket: Mapping[str, Any]) -> tuple[Decimal | None, str]:
    """(amount, currency) of a ticket push: ``price`` is a number or {amount, currency}."""
    price = ticket.get(PRICE)
    currency = str(ticket.get("currency") or "")
    if isinstance(price, dict):
        currency = str(price.get("currency") or currency)
        price = price.get("amount")
    if isinstance(price, (int, float, str)) and not isinstance(price, bool):
        try:
            return Decimal(str(price)), currency
        except ArithmeticError:
            return None, currency
    return None, currency


TICKET_ACCESS_TYPES = ("URL", "API", "OTHER")
PRIMARY_SALE_BUYER = "primarySaleBuyerData"


def ticket_fault(ticket: Mapping[str, Any]) -> str | None:
    """What menta would refuse in a ticket push's ``ticketAccess`` and ``primarySaleBuyerData`` [doc]."""
    access = ticket.get(TICKET_ACCESS)
    if TICKET_ACCESS in ticket:
        if not isinstance(access, dict) or access.get("type") not in TICKET_ACCESS_TYPES:
            return f"ticketAccess.type must be one of: {', '.join(TICKET_ACCESS_TYPES)}"
        if not isinstance(access.get("locator"), str) or not access["locator"].strip():
            return "ticketAccess.locator is required"
    if PRIMARY_SALE_BUYER in ticket and not isinstance(ticket[PRIMARY_SALE_BUYER], dict):
        return f"{PRIMARY_SALE_BUYER} must be an object"
    return None


def ticket_order_id(ticket: Mapping[str, Any]) -> str:
    props = ticket.get(PROPS)
    return str(props.get(ORDER_ID) or "") if isinstance(props, dict) else ""


def ticket_seating(ticket: Mapping[str, Any]) -> tuple[str, str, str]:
    """Section, row and seat: in ``props.seating`` [doc], or a top-level ``seating`` (older reading)."""
    props = ticket.get(PROPS)
    seating = props.get(SEATING) if isinstance(props, dict) and SEATING in props else ticket.get(SEATING)
    if not isinstance(seating, dict):
        return "", "", ""
    return str(seating.get("section") or ""), str(seating.get("row") or ""), str(seating.get("seat") or "")


# --- SAL components (contract 2.1) ---------------------------------------------------------


def _component(
    type: str,
    id: str,
    mode: str,
    fields: Mapping[str, Any],
    *,
    image: str | None = None,
    colors: Mapping[str, str] | None = None,
    visible: bool = True,
) -> dict[str, Any]:
    """A component with what every one has [doc]: its mode (``class``), visibility, image, colours."""
    component: dict[str, Any] = {"type": type, "id": id, "class": mode, "visible": visible}
    component.update({name: value for name, value in fields.items() if value not in (None, "")})
    if image:
        component["image"] = image
    if colors:
        component["colors"] = dict(colors)
    return component


def button(
    id: str,
    label: str,
    url: str,
    *,
    mode: str,
    style: str = "primary",
    badge: str | None = None,
    colors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    return _component("button", id, mode, {"label": label, "url": url, "style": style, "badge": badge}, colors=colors)


def link(label: str, url: str) -> dict[str, str]:
    return {"label": label, "url": url}


def banner(
    id: str,
    title: str,
    description: str,
    *,
    mode: str,
    image: str | None = None,
    cta: dict[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    fields = {"title": title, "description": description, "cta": cta}
    return _component("banner", id, mode, fields, image=image, colors=colors)


def modal(
    id: str, trigger: str, title: str, description: str, *, mode: str, cta: dict[str, str] | None = None
) -> dict[str, Any]:
    fields = {"trigger": {"label": trigger}, "title": title, "description": description, "cta": cta}
    return _component("modal", id, mode, fields)


def _seat(section: str, row: str, seat: str) -> dict[str, str]:
    """The seat fields of a listed ticket, those that are known."""
    return {name: value for name, value in (("section", section), ("row", row), ("seat", seat)) if value}


def listing_item(
    listing_id: str,
    ticket_option_id: str,
    label: str,
    price: dict[str, Any],
    url: str,
    *,
    section: str = "",
    row: str = "",
    seat: str = "",
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "listingId": listing_id,
        "ticketOptionId": ticket_option_id,
        "label": label,
        "price": price,
        "url": url,
    }
    item.update(_seat(section, row, seat))
    return item


def listing_list(
    id: str, title: str, items: Sequence[dict[str, Any]], *, mode: str, more_url: str | None
) -> dict[str, Any]:
    fields = {"title": title, "items": list(items), "moreUrl": more_url}
    return _component("list", id, mode, fields, visible=bool(items))


def map_section(
    section_id: str, label: str, available: int, url: str, min_price: dict[str, Any] | None
) -> dict[str, Any]:
    section: dict[str, Any] = {"sectionId": section_id, "label": label, "available": available, "url": url}
    if min_price:
        section["minPrice"] = min_price
    return section


def seat_map(
    id: str, title: str, sections: Sequence[dict[str, Any]], *, mode: str, image: str | None
) -> dict[str, Any]:
    return _component(
        "map", id, mode, {"title": title, "sections": list(sections)}, image=image, visible=bool(sections)
    )


BULK_TYPES = frozenset({"button", "modal", "banner"})


def access_layer(
    type: str, event_id: str | None, show_id: str | None, lang: str, max_age: int, components: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "type": type,
        "eventId": event_id,
        "showId": show_id,
        "lang": lang,
        "maxAge": max_age,
        "components": components,
    }


def bulk_item(
    event_id: str, show_id: str, components: list[dict[str, Any]], error: str | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {"eventId": event_id, "showId": show_id, "components": components}
    if error:
        item["error"] = error
    return item


# --- per-ticket and per-order answers (contract 2.2) ---------------------------------------


def cta(action: str, label: str, url: str) -> dict[str, str]:
    return {"action": action, "label": label, "url": url}


def ticket_access(
    ticket_id: str,
    status: str,
    ctas: list[dict[str, str]],
    *,
    reason: str | None = None,
    listing_price: dict[str, Any] | None = None,
    components: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"ticketId": ticket_id, "status": status, "ctas": ctas}
    if reason:
        item["reason"] = reason
    if listing_price:
        item["listing"] = {"price": listing_price}
    if components:
        item["components"] = components
    return item


def order_access(
    order_id: str,
    status: str,
    ticket_ids: list[str],
    ctas: list[dict[str, str]],
    *,
    components: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"orderId": order_id, "status": status, "ticketIds": ticket_ids, "ctas": ctas}
    if components:
        item["components"] = components
    return item


def listing(listing_id: str, ticket_id: str, status: str, price: dict[str, Any], seller_email: str) -> dict[str, Any]:
    return {
        "listingId": listing_id,
        "ticketId": ticket_id,
        "status": status,
        "price": price,
        "sellerEmail": seller_email,
    }


LISTING_IDS = "listingIds"
SINGLE, PACK = "SINGLE", "PACK"


def listed_ticket(
    listing_id: str,
    ticket_id: str,
    event_id: str,
    show_id: str,
    ticket_option_id: str,
    price: dict[str, Any],
    *,
    pack_id: str = "",
    quantity: int = 1,
    section: str = "",
    row: str = "",
    seat: str = "",
) -> dict[str, Any]:
    """One item of listedTickets (contract 4): a listed ticket, alone or one of a pack."""
    item: dict[str, Any] = {
        "listingId": listing_id,
        "ticketId": ticket_id,
        "eventId": event_id,
        "showId": show_id,
        "ticketOptionId": ticket_option_id,
        "type": PACK if pack_id else SINGLE,
        "quantity": quantity,
    }
    if pack_id:
        item["packId"] = pack_id
    item.update(_seat(section, row, seat))
    item["price"] = price
    return item


def buy_intention(intention_id: str, url: str, expires_at: str) -> dict[str, str]:
    return {"buyIntentionId": intention_id, "url": url, "expiresAt": expires_at}


def token(value: str, expires_in: int) -> dict[str, Any]:
    return {"token": value, "expiresIn": expires_in}


def url(value: str) -> str:
    """A marketplace URL answer: the URL as a bare string [doc]."""
    return value


def bulk_leads(accepted: int, rejected: list[tuple[int, str]]) -> dict[str, Any]:
    return {"accepted": accepted, "rejected": [{"index": index, "message": message} for index, message in rejected]}


# --- the platform's ownership endpoint (contract 7) -----------------------------------------


def owned_ticket_ids(answer: Any) -> set[str] | None:
    """Ticket ids in the platform's verification answer, or None when it is not the contract's shape."""
    if not isinstance(answer, dict) or not isinstance(answer.get("tickets"), list):
        return None
    return {
        str(ticket["ticketId"])
        for ticket in answer["tickets"]
        if isinstance(ticket, dict) and ticket.get("ticketId") and ticket.get("status", "VALID") == "VALID"
    }


# --- webhooks to the platform (contract 8) ---------------------------------------------------

SECRET_HEADER = "X-Menta-Secret"
LISTING_CREATED, LISTING_UPDATED, LISTING_DELETED = "listing.created", "listing.updated", "listing.deleted"
TICKET_UPDATED = "ticket.updated"
EVENT_UNLOCK = "event.unlock"
NOTIFY_ME = "notifyMe.created.updated"
PAYOUTS_DELIVERED = "payouts.delivered"
USER_TRANSFER = "USER_TRANSFER"


def notification(
    action: str, data: Mapping[str, Any], *, type: str | None = None, metadata: Mapping[str, Any] | None = None
) -> str:
    """The body of a webhook in the current envelope, as the exact text that is signed and sent
    (the family is the action's first part: ``listing``, ``ticket``, ``notifyMe``...)."""
    message: dict[str, Any] = {"family": action.split(".")[0], "action": action}
    if type:
        message["type"] = type
    message["data"] = dict(data)
    if metadata:
        message["metadata"] = dict(metadata)
    return json.dumps({"message": message}, default=_json_default, separators=(",", ":"))


def listing_data(
    listing_id: str,
    ticket_ids: Sequence[str],
    event_id: str,
    show_id: str,
    seller_email: str,
    price: dict[str, Any],
    status: str,
) -> dict[str, Any]:
    return {
        "listingId": listing_id,
        "ticketIds": list(ticket_ids),
        "eventId": event_id,
        "showId": show_id,
        "sellerEmail": seller_email,
        "price": price,
        "status": status,
    }


def ticket_updated_data(ticket_id: str, new_owner: str, old_owner: str) -> dict[str, Any]:
    return {"id": ticket_id, "newOwnerEmail": new_owner, "oldOwnerEmail": old_owner}


def notify_me_data(email: str, event_id: str, show_id: str) -> dict[str, Any]:
    return {"email": email, "eventId": event_id, "showId": show_id}


def unlock_data(event_id: str, show_id: str = "") -> dict[str, Any]:
    return {"eventId": event_id, **({"showId": show_id} if show_id else {})}


def payout_data(
    event_id: str, show_id: str, seller_email: str, listing_ids: Sequence[str], amount: dict[str, Any]
) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "showId": show_id,
        "sellerEmail": seller_email,
        "listingIds": list(listing_ids),
        "amount": amount,
    }


def delivery_row(delivery: Any) -> dict[str, Any]:
    """A delivery as ``GET /__sandbox/webhooks`` lists it."""

    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": delivery.pk,
        "webhookId": delivery.webhook_id,
        "action": delivery.action,
        "attempts": delivery.attempts,
        "lastStatus": delivery.last_status,
        "lastError": delivery.last_error,
        "createdAt": when(delivery.created),
        "nextAttemptAt": when(delivery.next_attempt_at) if delivery.delivered_at is None else None,
        "deliveredAt": when(delivery.delivered_at),
        "gaveUp": delivery.gave_up,
    }
