"""The benchmark's data on top of the demo: upcoming shows, a fan with 40 tickets in 10 orders,
and on request a person with many tickets.

Run as ``python -m bench.data --shows N [--crowd M]`` with the site's environment
(DJANGO_DEBUG=1): it creates the data in the site's database, where missing, and pushes it to
menta through the client, as ``seed_demo`` does.
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta
from decimal import Decimal
from typing import Any

TICKETS_PER_ORDER = 4


def _person(email: str) -> Any:
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(username=email, defaults={"email": email})
    if created:
        user.set_password("demo12345")
        user.save()
    return user


def _tickets(person: Any, prefix: str, orders: int, shows: list[Any], option: Any) -> list[Any]:
    from salsite.models import Order, Ticket

    tickets = []
    for number in range(orders):
        order, _ = Order.objects.get_or_create(reference=f"ORD-{prefix}-{number}", defaults={"user": person})
        for seat in range(TICKETS_PER_ORDER):
            ticket, _ = Ticket.objects.get_or_create(
                external_id=f"TKT-{prefix}-{number}-{seat}",
                defaults={
                    "order": order,
                    "holder": person,
                    "show": shows[number % len(shows)],
                    "option": option,
                    "section": "A",
                    "row": str(number),
                    "seat": str(seat),
                },
            )
            tickets.append(ticket)
    return tickets


def create(shows: int, crowd: int) -> None:
    from django.utils import timezone

    from salsite import menta_sync
    from salsite.models import Event, Show, Ticket, TicketOption
    from salwidgets import outbox
    from salwidgets.models import OutboxItem

    event, _ = Event.objects.get_or_create(
        external_id="evt_bench_festival",
        defaults={"title": "Bench Festival", "description": "Many nights.", "venue": "Arena", "city": "Lima"},
    )
    option, _ = TicketOption.objects.get_or_create(
        event=event, external_id="GA", defaults={"name": "General admission", "price": Decimal("50")}
    )
    others = Show.objects.upcoming().exclude(event=event).count()
    start = timezone.now() + timedelta(days=40)
    nights = [
        Show.objects.get_or_create(
            event=event, external_id=f"bench_night_{n:02}", defaults={"starts_at": start + timedelta(hours=12 * n)}
        )[0]
        for n in range(max(1, shows - others))
    ]
    tickets = _tickets(_person("fan@example.com"), "FAN", 10, nights, option)
    if crowd:
        tickets += _tickets(_person("crowd@example.com"), "CROWD", crowd // TICKETS_PER_ORDER, nights, option)
    menta_sync.event_changed(Event.objects.prefetch_related("shows", "ticket_options").get(pk=event.pk))
    menta_sync.tickets_issued(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).select_related(
            "show__event", "holder", "option", "order"
        ),
        leads=False,
    )
    report = outbox.deliver_due()
    counts = outbox.counts()
    if counts[OutboxItem.Status.PENDING] or counts[OutboxItem.Status.RETRYING] or counts[OutboxItem.Status.FAILED]:
        raise SystemExit(f"menta did not take the benchmark's data: {report}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shows", type=int, default=50, help="upcoming shows in all (default 50)")
    parser.add_argument("--crowd", type=int, default=0, help="tickets of crowd@example.com (default none)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salsite.settings")
    import django

    django.setup()
    create(args.shows, args.crowd)
