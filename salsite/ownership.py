"""The site's answer to menta's ownership check: the person's valid tickets, in one query."""

from __future__ import annotations

from salsite.models import Ticket
from salwidgets.wire import OwnedTicket


def owned_tickets(email: str) -> list[OwnedTicket]:
    tickets = Ticket.objects.filter(holder__email__iexact=email, status=Ticket.Status.VALID).select_related(
        "show__event", "option", "order"
    )
    return [
        OwnedTicket(
            ticket_id=ticket.external_id,
            event_id=ticket.show.event.external_id,
            show_id=ticket.show.external_id,
            ticket_option_id=ticket.option.external_id,
            price=ticket.option.price,
            currency=ticket.option.currency,
            tags=(
                "source:online",
                f"order:{ticket.order.reference}",
                f"category:{ticket.option.external_id.lower()}",
                *([f"section:{ticket.section}"] if ticket.section else []),
            ),
        )
        for ticket in tickets
    ]
