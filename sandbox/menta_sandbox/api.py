"""The contract's endpoints (docs/menta-contract.md sections 2 to 6), served from the sandbox's state."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from menta_sandbox import leads, market, tokens, wire
from menta_sandbox.control import state
from menta_sandbox.models import Event, Inventory, Listing, Rule, Show, Ticket
from menta_sandbox.texts import language
from menta_sandbox.wire import ApiError

MAX_ACCESS_ITEMS = 100
MAX_BULK_PAIRS = 50

View = Callable[..., Any]


def endpoint(**handlers: View) -> Callable[..., HttpResponse]:
    """One URL's view: dispatch on the method, answer every outcome in the envelope."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        handler = handlers.get(request.method.lower() if request.method else "")
        if handler is None:
            response = wire.envelope(405, message=f"Method {request.method} not allowed")
            response["Allow"] = ", ".join(name.upper() for name in handlers)
            return response
        try:
            data = handler(request, **kwargs)
        except ApiError as exc:
            response = wire.envelope(exc.status, message=exc.message)
            for name, value in exc.headers.items():
                response[name] = value
            return response
        return wire.envelope(200, data)

    return view


def _body(request: HttpRequest, kind: type) -> Any:
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        raise ApiError(400, "body is not valid JSON") from None
    if not isinstance(body, kind):
        raise ApiError(400, f"body must be a JSON {'array' if kind is list else 'object'}")
    return body


def _required(request: HttpRequest, *names: str) -> list[str]:
    values = [request.GET.get(name, "").strip() for name in names]
    for name, value in zip(names, values, strict=True):
        if not value:
            raise ApiError(400, f"{name} is required")
    return values


def _event(external_id: str) -> Event:
    event = Event.objects.filter(external_id=external_id).first()
    if event is None:
        raise ApiError(404, "Event not found")
    return event


def _show(event: Event, show_id: str) -> Show:
    show = event.shows.filter(show_id=show_id).first()
    if show is None:
        raise ApiError(404, "Show not found")
    return show


def _ticket(ticket_id: str) -> Ticket:
    ticket = Ticket.objects.select_related("event").filter(ticket_id=ticket_id).first()
    if ticket is None:
        raise ApiError(404, "Ticket not found")
    return ticket


def _url_builder(request: HttpRequest) -> market.UrlBuilder:
    def build(name: str, *args: str, **query: str) -> str:
        path = reverse(f"menta_sandbox:{name}", args=args)
        return request.build_absolute_uri(path) + (f"?{urlencode(query)}" if query else "")

    return build


# --- Smart Access Layer (contract 2) --------------------------------------------------------


def _component_type(request: HttpRequest) -> str:
    kind = request.GET.get(wire.TYPE, "")
    if kind not in ("buy", "sell"):
        raise ApiError(400, "type must be one of: buy, sell")
    return kind


def get_access_layer(request: HttpRequest) -> dict[str, Any]:
    kind = _component_type(request)
    event_id = request.GET.get(wire.EVENT_ID) or None
    show_id = request.GET.get(wire.SHOW_ID) or None
    lang = language(request.GET.get(wire.LANG))
    url = _url_builder(request)
    if kind == "buy":
        if not event_id or not show_id:
            raise ApiError(400, "eventId and showId are required when type=buy")
        components = market.buy_components(_show(_event(event_id), show_id), lang, url)
    else:
        event = _event(event_id) if event_id else None
        show = _show(event, show_id) if event and show_id else None
        components = market.sell_components(event, show, lang, url)
    return wire.access_layer(kind, event_id, show_id, lang, market.MAX_AGE, components)


def _ids(body: dict[str, Any], mode: str, field: str) -> list[str]:
    items = body.get(mode)
    noun = mode[:-1]
    if not isinstance(items, list) or not items:
        raise ApiError(400, f"{mode} must contain at least one {noun}")
    if len(items) > MAX_ACCESS_ITEMS:
        raise ApiError(400, f"at most {MAX_ACCESS_ITEMS} {mode} per request")
    ids = [item.get(field) if isinstance(item, dict) else None for item in items]
    if not all(isinstance(value, str) and value for value in ids):
        raise ApiError(400, f"each of {mode} needs a {field}")
    return [str(value) for value in ids]


def post_access_layer(request: HttpRequest) -> dict[str, Any]:
    body = _body(request, dict)
    user = body.get(wire.USER)
    if not isinstance(user, str) or not user.strip():
        raise ApiError(400, "user is required")
    if wire.TICKETS in body and wire.ORDERS in body:
        raise ApiError(400, "send either tickets or orders, not both")
    lang = language(request.GET.get(wire.LANG))
    url = _url_builder(request)
    if wire.ORDERS in body:
        order_ids = _ids(body, wire.ORDERS, wire.ORDER_ID)
        return {
            wire.USER: user,
            wire.ORDERS: market.orders_access(order_ids, user, lang, url),
        }
    ticket_ids = _ids(body, wire.TICKETS, wire.TICKET_ID)
    known = market.tickets_for(user, ticket_ids)
    answers = []
    for ticket_id in ticket_ids:
        answer = market.ticket_access(known.get(ticket_id), user, lang, url)
        answers.append({**answer, wire.TICKET_ID: ticket_id})
    return {wire.USER: user, wire.TICKETS: answers}


def post_access_layer_bulk(request: HttpRequest) -> list[dict[str, Any]]:
    kind = _component_type(request)
    body = _body(request, list)
    pairs: list[tuple[str, str]] = []
    for item in body:
        if not isinstance(item, dict) or not isinstance(item.get(wire.EVENT_ID), str) or not item[wire.EVENT_ID]:
            raise ApiError(400, "each item needs an eventId")
        show_ids = item.get(wire.SHOW_IDS)
        if not isinstance(show_ids, list) or not show_ids or not all(isinstance(s, str) and s for s in show_ids):
            raise ApiError(400, "each item needs at least one show id in showIds")
        pairs += [(item[wire.EVENT_ID], show_id) for show_id in show_ids]
    if not pairs:
        raise ApiError(400, "send at least one event with its showIds")
    if len(pairs) > MAX_BULK_PAIRS:
        raise ApiError(400, f"at most {MAX_BULK_PAIRS} event/show pairs per request")
    lang = language(request.GET.get(wire.LANG))
    url = _url_builder(request)
    shows = {
        (show.event.external_id, show.show_id): show
        for show in Show.objects.select_related("event").filter(
            event__external_id__in={event_id for event_id, _ in pairs}, show_id__in={show_id for _, show_id in pairs}
        )
    }
    result = []
    for event_id, show_id in pairs:
        show = shows.get((event_id, show_id))
        if show is None:
            result.append(wire.bulk_item(event_id, show_id, [], error="Show not found"))
            continue
        if kind == "buy":
            components = market.buy_components(show, lang, url)
        else:
            components = market.sell_components(show.event, show, lang, url)
        result.append(wire.bulk_item(event_id, show_id, [c for c in components if c["type"] in wire.BULK_TYPES]))
    return result


# --- one-time token (contract 3) ------------------------------------------------------------


def get_one_time_token(request: HttpRequest) -> dict[str, Any]:
    (user,) = _required(request, wire.USER)
    token, ttl = tokens.mint(user, request.GET.get(wire.METHOD, ""))
    return wire.token(token, ttl)


# --- marketplace URLs (contract 4) ----------------------------------------------------------


def _trusted(request: HttpRequest, url: str) -> str:
    """``url`` with a one-time token for the person Login Trust names, when the call names one."""
    method = request.GET.get(wire.LOGIN_TRUST_METHOD, "")
    user = request.GET.get(wire.LOGIN_TRUST_USER, "").strip()
    if not method and not user:
        return url
    if method not in wire.LOGIN_TRUST_METHODS:
        raise ApiError(400, f"{wire.LOGIN_TRUST_METHOD} must be one of: {', '.join(wire.LOGIN_TRUST_METHODS)}")
    if not user:
        raise ApiError(400, f"{wire.LOGIN_TRUST_USER} is required")
    token, _ttl = tokens.mint(user, method)
    return f"{url}{'&' if '?' in url else '?'}{urlencode({settings.SANDBOX_OTT_PARAM: token})}"


def buying_flow_url(request: HttpRequest) -> str:
    event_id, show_id, return_to = _required(request, wire.EXTERNAL_EVENT_ID, wire.SHOW_ID, wire.RETURN_TO)
    if not return_to.startswith(("http://", "https://")):
        raise ApiError(400, "returnTo must be an http(s) URL")
    _show(_event(event_id), show_id)
    query = {wire.RETURN_TO: return_to, wire.LANG: language(request.GET.get(wire.LANG))}
    if request.GET.get(wire.TICKET_OPTION_ID):
        query[wire.TICKET_OPTION_ID] = request.GET[wire.TICKET_OPTION_ID]
    return wire.url(_trusted(request, _url_builder(request)("buy-show", event_id, show_id, **query)))


def selling_flow_url(request: HttpRequest) -> str:
    (ticket_id,) = _required(request, wire.TICKET_ID)
    ticket = _ticket(ticket_id)
    lang = language(request.GET.get(wire.LANG))
    return wire.url(_trusted(request, _url_builder(request)("sell-ticket", ticket.ticket_id, lang=lang)))


def order_selling_flow_url(request: HttpRequest) -> str:
    (order_id,) = _required(request, wire.ORDER_ID)
    if not Ticket.objects.filter(order_id=order_id).exists():
        raise ApiError(404, "Order not found")
    lang = language(request.GET.get(wire.LANG))
    return wire.url(_trusted(request, _url_builder(request)("sell-order", order_id, lang=lang)))


def selling_details_url(request: HttpRequest) -> str:
    (ticket_id,) = _required(request, wire.TICKET_ID)
    ticket = _ticket(ticket_id)
    seller = request.GET.get(wire.SELLER_EMAIL, "").lower()
    if seller and not ticket.listings.filter(seller_email=seller).exists():
        raise ApiError(404, "Listing not found")
    return wire.url(_trusted(request, _url_builder(request)("sell-ticket", ticket.ticket_id, view="details")))


def sale_public_url(request: HttpRequest) -> str:
    ticket_id, lang = _required(request, wire.TICKET_ID, wire.LANG)
    listing = (
        Listing.objects.select_related("ticket__event")
        .filter(ticket__ticket_id=ticket_id, status=Listing.ACTIVE)
        .first()
    )
    if listing is None:
        raise ApiError(404, "Listing not found")
    ticket = listing.ticket
    return wire.url(
        _url_builder(request)(
            "buy-show", ticket.event.external_id, ticket.show_id, listing=listing.public_id, lang=language(lang)
        )
    )


def get_listing(request: HttpRequest, ticketId: str) -> dict[str, Any]:  # noqa: N803 (the contract's name)
    listings = Listing.objects.filter(ticket__ticket_id=ticketId)
    seller = request.GET.get(wire.SELLER_EMAIL, "").lower()
    if seller:
        listings = listings.filter(seller_email=seller)
    listing = listings.first()
    if listing is None:
        raise ApiError(404, "Listing not found")
    return wire.listing(
        listing.public_id, ticketId, listing.status, wire.money(listing.price, listing.currency), listing.seller_email
    )


def terminate_listing(request: HttpRequest, ticketId: str) -> bool:  # noqa: N803
    if not market.withdraw(_ticket(ticketId), "Terminated by the platform"):
        raise ApiError(404, "Listing not found")
    return True


# --- build your own buying flow (contract 4) ------------------------------------------------


def listed_tickets(request: HttpRequest, eventId: str) -> list[dict[str, Any]]:  # noqa: N803
    listings = market.listed(_event(eventId), request.GET.get(wire.SHOW_ID) or None)
    sizes = market.pack_sizes(listings)
    return [
        wire.listed_ticket(
            listing.public_id,
            listing.ticket.ticket_id,
            listing.ticket.event.external_id,
            listing.ticket.show_id,
            listing.ticket.ticket_option_id,
            wire.money(listing.price, listing.currency),
            pack_id=listing.pack_id,
            quantity=sizes.get(listing.pack_id, 1),
            section=listing.ticket.section,
            row=listing.ticket.row,
            seat=listing.ticket.seat,
        )
        for listing in listings
    ]


def _listing_ids(body: dict[str, Any], field: str) -> list[str]:
    ids = body.get(field)
    if not isinstance(ids, list) or not all(isinstance(value, str) and value for value in ids):
        raise ApiError(400, f"{field} must be a list of listing ids")
    return ids


def _intend(ids: list[str], **options: Any) -> Any:
    try:
        return market.intend(ids, **options)
    except market.CheckoutRefused as exc:
        raise ApiError(exc.status, str(exc)) from None


def post_buy_intention(request: HttpRequest) -> dict[str, str]:
    body = _body(request, dict)
    user = body.get(wire.USER)
    if not isinstance(user, str) or "@" not in user:
        raise ApiError(400, "user is required")
    intention = _intend(_listing_ids(body, wire.ITEMS), user=user, holds=True)
    url = _url_builder(request)("checkout", intention.public_id)
    return wire.buy_intention(intention.public_id, url, intention.expires_at.isoformat())


def post_checkout_url(request: HttpRequest) -> str:
    body = _body(request, dict)
    ids = _listing_ids(body, wire.LISTING_IDS)
    return_url = request.GET.get(wire.RETURN_URL, "")
    if return_url and not return_url.startswith(("http://", "https://")):
        raise ApiError(400, "returnURL must be an http(s) URL")
    user = request.GET.get(wire.LOGIN_TRUST_USER, "")
    intention = _intend(ids, user=user, holds=False, return_url=return_url)
    return _trusted(request, _url_builder(request)("checkout", intention.public_id))


# --- events and rules (contract 5) ----------------------------------------------------------


def _save_event(body: dict[str, Any], event: Event | None) -> Event:
    missing = [name for name in wire.EVENT_REQUIRED_FIELDS if body.get(name) in (None, "")]
    if missing:
        raise ApiError(400, f"{missing[0]} is required")
    shows = wire.shows_of(body)
    if not shows:
        raise ApiError(400, "shows must contain at least one show")
    show_fields = [wire.show_fields(show) for show in shows]
    if not all(show_id for show_id, _, _ in show_fields):
        raise ApiError(400, "each show needs a showId")
    if event is None:
        event = Event(external_id=str(body[wire.EXTERNAL_ID]))
    event.title = str(body["title"])
    event.description = str(body["description"])
    event.data = body
    event.save()
    for show, (show_id, name, starts_at) in zip(shows, show_fields, strict=True):
        defaults: dict[str, Any] = {"name": name, "starts_at": starts_at, "data": show}
        if wire.SHOW_STATUS in show:  # a full replace: the show is cancelled exactly when its status says so
            defaults["cancelled"] = show[wire.SHOW_STATUS] == wire.CANCELLED
        Show.objects.update_or_create(event=event, show_id=show_id, defaults=defaults)
    return event


@transaction.atomic
def create_event(request: HttpRequest) -> dict[str, str]:
    body = _body(request, dict)
    if Event.objects.filter(external_id=str(body.get(wire.EXTERNAL_ID, ""))).exists():
        raise ApiError(409, "Event already exists")
    return {wire.EXTERNAL_ID: _save_event(body, None).external_id}


@transaction.atomic
def update_event(request: HttpRequest) -> dict[str, str]:
    body = _body(request, dict)
    if not body.get(wire.EXTERNAL_ID):
        raise ApiError(400, f"{wire.EXTERNAL_ID} is required")
    event = _event(str(body[wire.EXTERNAL_ID]))
    return {wire.EXTERNAL_ID: _save_event(body, event).external_id}


@transaction.atomic
def cancel_event(request: HttpRequest, externalReferenceId: str) -> bool:  # noqa: N803
    event = _event(externalReferenceId)
    show_id = request.GET.get(wire.SHOW_ID)
    tickets = Ticket.objects.filter(event=event)
    if show_id:
        show = _show(event, show_id)
        show.cancelled = True
        show.save(update_fields=["cancelled"])
        tickets = tickets.filter(show_id=show_id)
    else:
        event.cancelled = True
        event.save(update_fields=["cancelled"])
    Listing.objects.filter(ticket__in=tickets, status=Listing.ACTIVE).update(
        status=Listing.WITHDRAWN, withdrawn_reason="Event cancelled"
    )
    return True


@transaction.atomic
def define_rules(request: HttpRequest) -> dict[str, int]:
    body = _body(request, list)
    for item in body:
        if not isinstance(item, dict):
            raise ApiError(400, "each rule must be an object")
        if not item.get(wire.EXTERNAL_EVENT_ID):
            raise ApiError(400, f"{wire.EXTERNAL_EVENT_ID} is required")
        if not item.get(wire.RULE_TYPE):
            raise ApiError(400, f"{wire.RULE_TYPE} is required")
        if wire.RULES in item and not isinstance(item[wire.RULES], dict):
            raise ApiError(400, "rules must be an object")
        event = _event(str(item[wire.EXTERNAL_EVENT_ID]))
        Rule.objects.update_or_create(
            event=event,
            show_id=str(item.get(wire.SHOW_ID) or ""),
            ticket_option_id=str(item.get(wire.TICKET_OPTION_ID) or ""),
            price_type_id=str(item.get(wire.PRICE_TYPE_ID) or ""),
            rule_type=str(item[wire.RULE_TYPE]),
            defaults={"rules": item.get(wire.RULES) or {}, "data": item},
        )
    return {"rules": len(body)}


# --- tickets (contract 5) -------------------------------------------------------------------


def _apply_ticket(ticket: Ticket, body: dict[str, Any]) -> None:
    fault = wire.ticket_fault(body)
    if fault:
        raise ApiError(400, fault)
    if wire.EXTERNAL_EVENT_ID in body:
        ticket.event = _event(str(body[wire.EXTERNAL_EVENT_ID]))
    if body.get(wire.SHOW_ID):
        _show(ticket.event, str(body[wire.SHOW_ID]))
        ticket.show_id = str(body[wire.SHOW_ID])
    if wire.BUYER in body:
        email, user_id = wire.buyer_identity(body[wire.BUYER])
        if not email and not user_id:
            raise ApiError(400, "buyer.email or buyer.phone or buyer.id is required")
        if (email, user_id) != (ticket.holder_email, ticket.holder_id) and ticket.pk:
            market.withdraw(ticket, "Ticket changed hands")
        ticket.holder_email, ticket.holder_id = email, user_id
    if wire.TICKET_OPTION_ID in body:
        ticket.ticket_option_id = str(body[wire.TICKET_OPTION_ID])
    if wire.PRICE_TYPE_ID in body:
        ticket.price_type_id = str(body[wire.PRICE_TYPE_ID] or "")
    if wire.PRICE in body:
        ticket.price, ticket.currency = wire.ticket_price(body)
    if wire.PROPS in body:
        ticket.order_id = wire.ticket_order_id(body)
    if wire.SEATING in body or wire.PROPS in body:
        ticket.section, ticket.row, ticket.seat = wire.ticket_seating(body)
    ticket.data = {**ticket.data, **body}


def _upsert_tickets(body: list[Any]) -> list[str]:
    created = []
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            raise ApiError(400, f"ticket {index} must be an object")
        missing = [name for name in wire.TICKET_REQUIRED_FIELDS if item.get(name) in (None, "")]
        if missing:
            raise ApiError(400, f"{missing[0]} is required")
        ticket = Ticket.objects.filter(ticket_id=str(item[wire.TICKET_ID])).first() or Ticket(
            ticket_id=str(item[wire.TICKET_ID])
        )
        _apply_ticket(ticket, item)
        ticket.deleted = False
        ticket.save()
        created.append(ticket.ticket_id)
    transaction.on_commit(lambda: state.apply("tickets", len(created)))
    return created


@transaction.atomic
def create_tickets(request: HttpRequest) -> dict[str, int]:
    # Asynchronous upstream; the sandbox stores at once, so what it accepts is visible right away.
    return {"queued": len(_upsert_tickets(_body(request, list)))}


class _RateLimiter:
    """A sliding window of ``limit`` calls per ``window`` seconds, for this process."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> float:
        """0 when a call may go now (and count it); otherwise the seconds until one may."""
        now = time.monotonic()
        with self._lock:
            while self._calls and now - self._calls[0] >= self.window:
                self._calls.popleft()
            if len(self._calls) >= self.limit:
                return self.window - (now - self._calls[0])
            self._calls.append(now)
            return 0.0


_sync_limiter = _RateLimiter(settings.SANDBOX_SYNC_TICKETS_PER_MINUTE, 60.0)


def sync_tickets(request: HttpRequest) -> dict[str, list[str]]:
    wait = _sync_limiter.wait()
    if wait:
        limit = settings.SANDBOX_SYNC_TICKETS_PER_MINUTE
        raise ApiError(
            429, f"Too many requests: at most {limit} per minute", headers={"Retry-After": str(int(wait) + 1)}
        )
    with transaction.atomic():
        return {wire.TICKETS: _upsert_tickets(_body(request, list))}


@transaction.atomic
def update_ticket(request: HttpRequest, ticketId: str) -> dict[str, str]:  # noqa: N803
    ticket = _ticket(ticketId)
    _apply_ticket(ticket, _body(request, dict))
    ticket.save()
    transaction.on_commit(lambda: state.apply("ticket updates"))
    return {wire.TICKET_ID: ticket.ticket_id}


@transaction.atomic
def delete_ticket(request: HttpRequest, ticketId: str) -> bool:  # noqa: N803
    ticket = _ticket(ticketId)
    ticket.deleted = True
    ticket.save(update_fields=["deleted"])
    market.withdraw(ticket, "Ticket deleted by the platform")
    transaction.on_commit(lambda: state.apply("ticket deletions"))
    return True


def _admit(ticket: Ticket, when: datetime) -> None:
    ticket.admitted_at = when
    ticket.save(update_fields=["admitted_at"])
    market.withdraw(ticket, "Ticket used")


@transaction.atomic
def admit_ticket(request: HttpRequest, ticketId: str) -> bool:  # noqa: N803
    _admit(_ticket(ticketId), timezone.now())
    return True


@transaction.atomic
def admit_tickets(request: HttpRequest) -> bool:
    """Admit the tickets it names; like menta, answer ``true`` [doc] (unknown ids are skipped)."""
    body = _body(request, list)
    admissions = []
    for item in body:
        if not isinstance(item, dict) or not item.get(wire.TICKET_ID):
            raise ApiError(400, f"{wire.TICKET_ID} is required")
        try:
            when = datetime.fromisoformat(str(item.get(wire.ENTRY_DATE, "")).replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, f"{wire.ENTRY_DATE} must be an ISO 8601 date") from None
        admissions.append((str(item[wire.TICKET_ID]), when if when.tzinfo else timezone.make_aware(when)))
    tickets = Ticket.objects.in_bulk([ticket_id for ticket_id, _ in admissions], field_name="ticket_id")
    for ticket_id, when in admissions:
        if ticket_id in tickets:
            _admit(tickets[ticket_id], when)
    return True


# --- market data (contract 6) ---------------------------------------------------------------


@transaction.atomic
def update_inventory(request: HttpRequest, externalReferenceId: str) -> bool:  # noqa: N803
    event = _event(externalReferenceId)
    body = _body(request, dict)
    show_id = request.GET.get(wire.SHOW_ID, "")
    if show_id:
        _show(event, show_id)
    elif event.shows.count() > 1:
        raise ApiError(400, "showId is required when the event has several shows")
    for name in wire.INVENTORY_NUMBERS:
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            raise ApiError(400, f"{name} must be a non-negative number")
    for name in wire.INVENTORY_FLAGS:
        if name in body and not isinstance(body[name], bool):
            raise ApiError(400, f"{name} must be true or false")
    Inventory.objects.update_or_create(event=event, show_id=show_id, kind=Inventory.SUMMARY, defaults={"data": body})
    transaction.on_commit(lambda: state.apply("inventory"))
    return True


@transaction.atomic
def update_inventory_details(request: HttpRequest, externalReferenceId: str) -> bool:  # noqa: N803
    event = _event(externalReferenceId)
    body = _body(request, dict)
    items = body.get(wire.ITEMS)
    if not isinstance(items, list):
        raise ApiError(400, f"{wire.ITEMS} is required")
    if not all(isinstance(item, dict) for item in items):
        raise ApiError(400, "each of items must be an object")
    Inventory.objects.update_or_create(event=event, show_id="", kind=Inventory.DETAILS, defaults={"data": body})
    return True


@transaction.atomic
def create_lead(request: HttpRequest) -> bool:
    try:
        leads.store(_body(request, dict))
    except leads.LeadError as exc:
        raise ApiError(exc.status, str(exc)) from None
    transaction.on_commit(lambda: state.apply("leads"))
    return True


@transaction.atomic
def create_leads(request: HttpRequest) -> dict[str, Any]:
    body = _body(request, list)
    if len(body) > leads.MAX_BULK:
        raise ApiError(400, f"Maximum {leads.MAX_BULK} leads per request")
    events = set(Event.objects.values_list("external_id", flat=True))
    rejected = []
    for index, lead in enumerate(body):
        try:
            leads.store(lead, events)
        except leads.LeadError as exc:
            rejected.append((index, str(exc)))
    transaction.on_commit(lambda: state.apply("leads", len(body) - len(rejected)))
    return wire.bulk_leads(len(body) - len(rejected), rejected)


access_layer_view = endpoint(get=get_access_layer, post=post_access_layer)
access_layer_bulk_view = endpoint(post=post_access_layer_bulk)
one_time_token_view = endpoint(get=get_one_time_token)
buying_flow_view = endpoint(get=buying_flow_url)
selling_flow_view = endpoint(get=selling_flow_url)
order_selling_flow_view = endpoint(get=order_selling_flow_url)
selling_details_view = endpoint(get=selling_details_url)
sale_public_view = endpoint(get=sale_public_url)
listing_view = endpoint(get=get_listing)
listing_item_view = endpoint(delete=terminate_listing)
listed_tickets_view = endpoint(get=listed_tickets)
buy_intention_view = endpoint(post=post_buy_intention)
checkout_url_view = endpoint(post=post_checkout_url)
events_view = endpoint(post=create_event, put=update_event)
event_cancellation_view = endpoint(post=cancel_event)
rules_view = endpoint(post=define_rules)
tickets_view = endpoint(post=create_tickets)
tickets_sync_view = endpoint(post=sync_tickets)
ticket_view = endpoint(put=update_ticket, delete=delete_ticket)
ticket_admission_view = endpoint(post=admit_ticket)
ticket_admissions_view = endpoint(post=admit_tickets)
inventory_view = endpoint(put=update_inventory)
inventory_details_view = endpoint(put=update_inventory_details)
lead_view = endpoint(post=create_lead)
lead_bulk_view = endpoint(post=create_leads)
