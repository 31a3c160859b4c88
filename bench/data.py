"""The benchmark's data on top of the demo: 50 upcoming shows, and a fan with 40 tickets in 10 orders.

Run as ``python -m bench.data`` with the site's environment (DJANGO_DEBUG=1): it creates the data
in the site's database and pushes it to menta through the client, as ``seed_demo`` does.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal


def create() -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from salsite import menta_sync
    from salsite.models import Event, Order, Show, Ticket, TicketOption
    from salwidgets.client import get_client

    event, _ = Event.objects.get_or_create(
        external_id="evt_bench_festival",
        defaults={"title": "Bench Festival", "description": "Fifty nights.", "venue": "Arena", "city": "Lima"},
    )
    option, _ = TicketOption.objects.get_or_create(
        event=event, external_id="GA", defaults={"name": "General admission", "price": Decimal("50")}
    )
    upcoming = Show.objects.upcoming().count()
    start = timezone.now() + timedelta(days=40)
    shows = [
        Show.objects.get_or_create(
            event=event, external_id=f"bench_night_{n:02}", defaults={"starts_at": start + timedelta(days=n)}
        )[0]
        for n in range(max(0, 50 - upcoming))
    ]
    fan, created = get_user_model().objects.get_or_create(
        username="fan@example.com", defaults={"email": "fan@example.com"}
    )
    if created:
        fan.set_password("demo12345")
        fan.save()
    tickets = []
    for order_number in range(10):
        order, _ = Order.objects.get_or_create(reference=f"ORD-FAN-{order_number}", defaults={"user": fan})
        for seat in range(4):
            ticket, _ = Ticket.objects.get_or_create(
                external_id=f"TKT-FAN-{order_number}-{seat}",
                defaults={
                    "order": order,
                    "holder": fan,
                    "show": shows[order_number],
                    "option": option,
                    "section": "A",
                    "row": str(order_number),
                    "seat": str(seat),
                },
            )
            tickets.append(ticket)
    client = get_client()
    menta_sync.push_event(client, Event.objects.prefetch_related("shows", "ticket_options").get(pk=event.pk))
    menta_sync.push_tickets(
        client,
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).select_related(
            "show__event", "holder", "option", "order"
        ),
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salsite.settings")
    import django

    django.setup()
    create()
