"""What the site tells menta about its events, tickets and buyers, through ``salwidgets.sync``.

Each function maps the site's models to the typed pushes of ``salwidgets.wire`` and stores them
in the outbox; call it inside the transaction of the change it reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from salsite.models import Cart, Event, Show, Ticket, TicketOption
from salwidgets import sync, wire

# Tickets that hold a place in a show (for its inventory).
HOLDING = (Ticket.Status.VALID,)


def _buyer(user: object) -> wire.Buyer:
    email = getattr(user, "email", "")
    full_name = f"{getattr(user, 'first_name', '')} {getattr(user, 'last_name', '')}".strip()
    return wire.Buyer(email=email, id=str(getattr(user, "pk", "") or ""), full_name=full_name)


def event_push(event: Event) -> wire.EventPush:
    options = tuple(
        wire.TicketOptionPush(option.external_id, option.name, option.price, option.currency)
        for option in event.ticket_options.all()
    )
    return wire.EventPush(
        event.external_id,
        title=event.title,
        description=event.description,
        location=wire.Location(venue_name=event.venue, city=event.city),
        shows=tuple(
            wire.ShowPush(
                show.external_id,
                title=f"{event.title} · {event.city}",
                date=show.starts_at,
                status=show.status,
                primary_sales_url=settings.SITE_URL + reverse("show", args=[event.external_id, show.external_id]),
                ticket_options=options,
            )
            for show in event.shows.all()
        ),
        currency=options[0].currency if options else "USD",
    )


def rules(event: Event) -> list[wire.ResaleRule]:
    percent = event.resale_max_percent
    return [
        wire.ResaleRule(event.external_id, enabled=True, max_price_percent=percent),
        *(
            wire.ResaleRule(
                event.external_id, enabled=show.resale_enabled, max_price_percent=percent, show_id=show.external_id
            )
            for show in event.shows.all()
        ),
    ]


def event_changed(event: Event) -> None:
    """An event or one of its shows was created or edited: replace it at menta, with its rules."""
    sync.push_event(event_push(event))
    sync.push_rules(event.external_id, rules(event))


def show_cancelled(show: Show) -> None:
    sync.cancel(show.event.external_id, show.external_id)


def ticket_push(ticket: Ticket) -> wire.TicketPush:
    return wire.TicketPush(
        ticket.external_id,
        event_id=ticket.show.event.external_id,
        show_id=ticket.show.external_id,
        buyer=_buyer(ticket.holder),
        ticket_option_id=ticket.option.external_id,
        locator=ticket.locator,
        price=ticket.option.price,
        currency=ticket.option.currency,
        order_id=ticket.order.reference,
        seating=wire.Seating(ticket.section, ticket.row, ticket.seat),
        primary_sale_buyer=_primary_buyer(ticket),
    )


def _primary_buyer(ticket: Ticket) -> wire.PrimarySaleBuyer:
    """Who bought the ticket's order (for a ticket re-issued after a resale, the order the site
    made for the resale buyer)."""
    buyer = ticket.order.user
    return wire.PrimarySaleBuyer(first_name=buyer.first_name, last_name=buyer.last_name)


def holder_lead(ticket: Ticket, *, bought_at: datetime) -> wire.Lead:
    return wire.Lead(
        "TICKET_HOLDER",
        event_id=ticket.show.event.external_id,
        show_id=ticket.show.external_id,
        buyer=_buyer(ticket.holder),
        ticket_id=ticket.external_id,
        ticket_option_id=ticket.option.external_id,
        date=bought_at,
        price=ticket.option.price,
        currency=ticket.option.currency,
        seating=wire.Seating(ticket.section, ticket.row, ticket.seat) if ticket.section else None,
        tags=("source:online",),
    )


def tickets_issued(tickets: Iterable[Ticket], *, leads: bool = True) -> None:
    """New tickets (a purchase, a re-issue): the tickets, a TICKET_HOLDER lead each, the inventory."""
    issued = [ticket for ticket in tickets if ticket.status == Ticket.Status.VALID]
    sync.push_tickets(ticket_push(ticket) for ticket in issued)
    if leads:
        sync.send_leads(holder_lead(ticket, bought_at=ticket.order.created_at) for ticket in issued)
    for show in {ticket.show for ticket in issued}:
        inventory_changed(show)


def push_tickets(tickets: Iterable[Ticket]) -> None:
    """Tickets menta may already have (a resync): the tickets alone, replaced whole."""
    sync.push_tickets(ticket_push(ticket) for ticket in tickets if ticket.status == Ticket.Status.VALID)


def ticket_changed(ticket: Ticket) -> None:
    """A valid ticket changed hands or seat: menta gets it whole."""
    sync.update_ticket(ticket_push(ticket))


def ticket_ended(ticket: Ticket) -> None:
    """A ticket no longer valid (refunded, cancelled): gone at menta, its place back in the inventory."""
    sync.delete_ticket(ticket.external_id)
    inventory_changed(ticket.show)


def ticket_admitted(ticket: Ticket) -> None:
    sync.admit([wire.Admission(ticket.external_id, ticket.checked_in_at or timezone.now())])


def _held(show: Show, **option: TicketOption) -> int:
    """Places held by open carts of ``show`` (of one ``option=``, when given)."""
    carts = Cart.objects.filter(show=show, status=Cart.Status.OPEN, expires_at__gt=timezone.now(), **option)
    return int(carts.aggregate(n=Sum("quantity"))["n"] or 0)


def remaining(show: Show, option: TicketOption) -> int:
    """Places of ``option`` still for sale in ``show``: capacity less sold tickets and open carts."""
    sold = Ticket.objects.filter(show=show, option=option, status__in=HOLDING).count()
    return max(0, option.capacity - sold - _held(show, option=option))


def inventory(show: Show) -> wire.Inventory:
    options = list(show.event.ticket_options.all())
    capacity = sum(option.capacity for option in options)
    sold = Ticket.objects.filter(show=show, status__in=HOLDING).count()
    held = _held(show)
    return wire.Inventory(
        capacity=capacity,
        released_tickets=capacity,
        reserved_space=held,
        sold_out=all(remaining(show, option) == 0 for option in options),
        sold_percentage=round(100 * sold / capacity, 1) if capacity else 0.0,
    )


def inventory_changed(show: Show) -> None:
    sync.update_inventory(show.event.external_id, show.external_id, inventory(show))


def cart_abandoned(cart: Cart) -> None:
    sync.send_leads(
        [
            wire.Lead(
                "ABANDONED_CART",
                event_id=cart.show.event.external_id,
                show_id=cart.show.external_id,
                buyer=_buyer(cart.user),
                ticket_option_id=cart.option.external_id,
                date=cart.expires_at,
                price=cart.option.price,
                currency=cart.option.currency,
                metadata={"quantity": cart.quantity, "reason_abandoned": "cart_expired"},
                tags=("abandoned",),
            )
        ]
    )
    inventory_changed(cart.show)


def wishlist(show: Show, email: str, *, full_name: str = "") -> None:
    sync.send_leads(
        [
            wire.Lead(
                "WISHLIST",
                event_id=show.event.external_id,
                show_id=show.external_id,
                buyer=wire.Buyer(email=email, full_name=full_name),
                date=timezone.now(),
                tags=("notify_me",),
            )
        ]
    )


def everything() -> None:
    """Every event, its rules, every valid ticket and each show's inventory (what ``seed_demo`` sends)."""
    for event in Event.objects.prefetch_related("shows", "ticket_options"):
        event_changed(event)
    tickets = Ticket.objects.select_related("show__event", "option", "holder", "order__user")
    tickets_issued(tickets)
