"""What a site tells menta: events, rules, tickets, admissions, inventory and leads.

Call these from the code that makes the change, inside its transaction: each push is checked
first (a bad one raises ``wire.InvalidPush`` with menta's message and stores nothing), then
stored in the outbox with the change, and sent by the worker after the commit. A rolled-back
change sends nothing.

    with transaction.atomic():
        order = checkout.pay(cart)
        sync.push_tickets(ticket_push(ticket) for ticket in order.tickets.all())
        sync.send_leads(holder_lead(ticket) for ticket in order.tickets.all())
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from salwidgets import cache, outbox, wire
from salwidgets.client import MAX_LEADS_PER_CALL, MentaClient, get_client
from salwidgets.errors import MentaError, NotFound, ValidationFailed
from salwidgets.models import OutboxItem
from salwidgets.outbox import Item, Kind

TICKETS_PER_CALL = 500

__all__ = [
    "admit",
    "cancel",
    "delete_ticket",
    "push_event",
    "push_rules",
    "push_tickets",
    "send_leads",
    "update_inventory",
    "update_ticket",
]


class _Checked(Protocol):
    def validate(self) -> None: ...


def _checked(pushes: Iterable[_Checked], noun: str) -> None:
    """Validate every push before any is stored; the message says which one is wrong."""
    items = list(pushes)
    for index, push in enumerate(items):
        try:
            push.validate()
        except wire.InvalidPush as exc:
            raise wire.InvalidPush(f"{noun} {index}: {exc}" if len(items) > 1 else str(exc)) from None


def _event_lane(event_id: str) -> str:
    return f"event:{event_id}"


def push_event(event: wire.EventPush) -> None:
    """Create or fully replace an event with its shows (the latest push of an event wins)."""
    _checked([event], "event")
    lane = _event_lane(event.event_id)
    outbox.store([Item("event", event.event_id, lane, event.to_wire())])


def push_rules(event_id: str, rules: Sequence[wire.ResaleRule]) -> None:
    """Set an event's resale rules (sent after the event; the latest set of an event wins)."""
    _checked(rules, "rule")
    if any(rule.event_id != event_id for rule in rules):
        raise wire.InvalidPush(f"every rule must be for event {event_id}")
    outbox.store([Item("rules", event_id, _event_lane(event_id), [rule.to_wire() for rule in rules])])


def cancel(event_id: str, show_id: str | None = None) -> None:
    """Cancel a show, or the whole event when ``show_id`` is None."""
    if not event_id:
        raise wire.InvalidPush("externalReferenceId is required")
    payload = {"event_id": event_id, "show_id": show_id}
    outbox.store([Item("event.cancel", f"{event_id}|{show_id or ''}", _event_lane(event_id), payload)])


def _ticket_item(kind: str, ticket: wire.TicketPush) -> Item:
    return Item(kind, ticket.ticket_id, f"ticket:{ticket.ticket_id}", ticket.to_wire(), _event_lane(ticket.event_id))


def push_tickets(tickets: Iterable[wire.TicketPush]) -> int:
    """Tickets newly issued (a purchase, a comp, a re-issue); sent in calls of up to 500."""
    items = list(tickets)
    _checked(items, "ticket")
    return outbox.store([_ticket_item("ticket", ticket) for ticket in items])


def update_ticket(ticket: wire.TicketPush) -> None:
    """A ticket that changed (its holder, seat or price), sent whole."""
    _checked([ticket], "ticket")
    outbox.store([_ticket_item("ticket.update", ticket)])


def delete_ticket(ticket_id: str) -> None:
    """A ticket that no longer exists (refunded, cancelled): menta withdraws its listing."""
    if not ticket_id:
        raise wire.InvalidPush("ticketId is required")
    outbox.store([Item("ticket.delete", ticket_id, f"ticket:{ticket_id}", {})])


def admit(admissions: Iterable[wire.Admission]) -> int:
    """Tickets used at the gate; sent in calls of up to 500."""
    items = list(admissions)
    if not all(admission.ticket_id for admission in items):
        raise wire.InvalidPush("ticketId is required")
    return outbox.store(
        [Item("admission", item.ticket_id, f"ticket:{item.ticket_id}", item.to_wire()) for item in items]
    )


def update_inventory(event_id: str, show_id: str, inventory: wire.Inventory) -> None:
    """A show's primary inventory (only the latest of a show is sent)."""
    _checked([inventory], "inventory")
    if not (event_id and show_id):
        raise wire.InvalidPush("externalReferenceEventId and showId are required")
    key = f"{event_id}|{show_id}"
    payload = {"event_id": event_id, "show_id": show_id, "inventory": inventory.to_wire()}
    outbox.store([Item("inventory", key, f"inventory:{key}", payload, _event_lane(event_id))])


def send_leads(leads: Iterable[wire.Lead]) -> int:
    """Leads of any type, in calls of up to 1000; a lead menta refuses is kept with its message."""
    items = list(leads)
    _checked(items, "lead")
    return outbox.store(
        [Item("lead", lead.key, f"lead:{lead.key}", lead.to_wire(), _event_lane(lead.event_id)) for lead in items]
    )


# --- sending: each kind of push, as the outbox's worker sends it ------------------------------


def _sent(call: Callable[[MentaClient, list[OutboxItem]], dict[int, str]]) -> outbox.Send:
    """``call``, with menta's answers told to the outbox: a 4xx (other than 429) is refused for
    good (a 400 or 404 perhaps by one item of a batch), anything else is tried again later."""

    def send(client: MentaClient, items: list[OutboxItem]) -> dict[int, str]:
        try:
            return call(client, items)
        except (ValidationFailed, NotFound) as exc:
            raise outbox.Refused(exc.message, exc.status, each=True) from exc
        except MentaError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                raise outbox.Refused(exc.message, exc.status) from exc
            raise outbox.Unavailable(str(exc), exc.status, getattr(exc, "retry_after", None)) from exc

    return send


def _each(call: Callable[[MentaClient, OutboxItem], None]) -> outbox.Send:
    def send(client: MentaClient, items: list[OutboxItem]) -> dict[int, str]:
        for item in items:
            call(client, item)
        return {}

    return _sent(send)


def _all(call: Callable[[MentaClient, list[Any]], None]) -> outbox.Send:
    def send(client: MentaClient, items: list[OutboxItem]) -> dict[int, str]:
        call(client, [item.payload for item in items])
        return {}

    return _sent(send)


def _event(client: MentaClient, item: OutboxItem) -> None:
    try:
        client.update_event(item.payload)
    except NotFound:
        client.create_event(item.payload)


def _cancel(client: MentaClient, item: OutboxItem) -> None:
    client.cancel_event(item.payload["event_id"], show_id=item.payload.get("show_id"))


def _delete(client: MentaClient, item: OutboxItem) -> None:
    # NotFound: it never reached menta, or was deleted already; either way it is gone.
    with contextlib.suppress(NotFound):
        client.delete_ticket(item.key)


def _inventory(client: MentaClient, item: OutboxItem) -> None:
    client.update_inventory(item.payload["event_id"], item.payload["inventory"], show_id=item.payload["show_id"])


def _leads(client: MentaClient, items: list[OutboxItem]) -> dict[int, str]:
    result = client.send_leads([item.payload for item in items])
    return {items[rejected.index].pk: rejected.message for rejected in result.rejected}


def holders(items: Iterable[OutboxItem]) -> set[str]:
    """The emails the tickets of ``items`` were issued to."""
    found = set()
    for item in items:
        email = wire.buyer_email(item.payload) if isinstance(item.payload, dict) else ""
        if email:
            found |= {email, email.lower()}
    return found


def _issued(items: list[OutboxItem]) -> None:
    """menta knows these tickets now: what their holders were told about them (not resellable, or
    not theirs) is out of date, and their next view asks again."""
    for person in holders(items):
        cache.forget_person(person)


# The order of a round: an event before its rules and tickets, tickets before their admissions.
KINDS = (
    Kind("event", _each(_event), replaces=True),
    Kind("event.cancel", _each(_cancel)),
    Kind("rules", _each(lambda client, item: client.define_rules(item.payload)), replaces=True),
    Kind("ticket", _all(MentaClient.create_tickets), batch=TICKETS_PER_CALL, delivered=_issued),
    Kind("ticket.update", _each(lambda client, item: client.update_ticket(item.key, item.payload)), delivered=_issued),
    Kind("ticket.delete", _each(_delete)),
    Kind("admission", _all(MentaClient.admit_tickets), batch=TICKETS_PER_CALL),
    Kind("inventory", _each(_inventory), replaces=True),
    Kind("lead", _sent(_leads), batch=MAX_LEADS_PER_CALL),
)
outbox.register(KINDS, get_client)
