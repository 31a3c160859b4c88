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

from collections.abc import Iterable, Sequence
from typing import Protocol

from salwidgets import outbox, wire
from salwidgets.outbox import Item

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
