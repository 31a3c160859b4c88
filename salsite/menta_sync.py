"""What the site tells menta about its events and tickets (contract section 5), through the client."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from salsite.models import Event, Ticket
from salwidgets import wire
from salwidgets.client import MentaClient
from salwidgets.errors import NotFound


def event_payload(event: Event) -> dict[str, Any]:
    return wire.event_payload(
        event.external_id,
        title=event.title,
        description=event.description,
        location={"name": event.venue, "city": event.city},
        shows=[
            wire.show_payload(
                show.external_id, name=f"{event.city} · {show.starts_at:%d %b %Y}", starts_at=show.starts_at.isoformat()
            )
            for show in event.shows.all()
        ],
        configuration={"currency": next((o.currency for o in event.ticket_options.all()), "USD")},
    )


def rules_payload(event: Event) -> list[dict[str, Any]]:
    rules = [wire.resale_rule(event.external_id, enabled=True, max_price_percent=event.resale_max_percent)]
    rules += [
        wire.resale_rule(
            event.external_id,
            enabled=show.resale_enabled,
            max_price_percent=event.resale_max_percent,
            show_id=show.external_id,
        )
        for show in event.shows.all()
    ]
    return rules


def ticket_payload(ticket: Ticket) -> dict[str, Any]:
    return wire.ticket_payload(
        ticket.external_id,
        event_id=ticket.show.event.external_id,
        show_id=ticket.show.external_id,
        buyer_email=ticket.holder.email,
        ticket_option_id=ticket.option.external_id,
        price=ticket.option.price,
        currency=ticket.option.currency,
        order_id=ticket.order.reference,
        seating={"section": ticket.section, "row": ticket.row, "seat": ticket.seat},
    )


def push_event(client: MentaClient, event: Event) -> None:
    """Create or fully replace the event with its shows, then its resale rules."""
    payload = event_payload(event)
    try:
        client.update_event(payload)
    except NotFound:
        client.create_event(payload)
    client.define_rules(rules_payload(event))


def push_tickets(client: MentaClient, tickets: Iterable[Ticket]) -> int:
    """Send valid tickets (asynchronous endpoint, meant for volume); answers how many were sent."""
    valid = [ticket for ticket in tickets if ticket.status == Ticket.Status.VALID]
    for start in range(0, len(valid), 500):
        client.create_tickets([ticket_payload(ticket) for ticket in valid[start : start + 500]])
    return len(valid)
