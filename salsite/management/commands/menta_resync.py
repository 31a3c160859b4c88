"""Push the site's catalogue to menta again: every upcoming event with its rules, its valid
tickets and each show's inventory (after menta lost data, or to start an integration)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from salsite import menta_sync
from salsite.models import Event, Show, Ticket

CHUNK = 500  # tickets per transaction (and per call to menta, as the outbox sends them)


class Command(BaseCommand):
    help = (
        "Store in the outbox every upcoming event (with its rules), its valid tickets and each show's "
        "inventory, for the worker to send to menta; --all for past events too."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--all", action="store_true", help="past events too, not only those with a show to come")
        parser.add_argument("--dry-run", action="store_true", help="count what would be pushed, store nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        shows = Show.objects.all() if options["all"] else Show.objects.filter(starts_at__gte=timezone.now())
        events = Event.objects.filter(shows__in=shows).distinct().prefetch_related("shows", "ticket_options")
        tickets = (
            Ticket.objects.filter(show__in=shows, status=Ticket.Status.VALID)
            .select_related("show__event", "option", "holder", "order__user")
            .order_by("pk")
        )
        counts = {"events": events.count(), "tickets": tickets.count(), "shows": shows.count()}
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run: {counts['events']} events, {counts['tickets']} tickets and {counts['shows']} "
                "inventories would be pushed."
            )
            return
        progress = self.stdout.isatty()  # on a terminal only: a cron job's output stays the summary
        for number, event in enumerate(events, start=1):
            with transaction.atomic():
                menta_sync.event_changed(event)
            if progress:
                self.stdout.write(f"\rEvents {number}/{counts['events']}", ending="")
        pushed = 0
        last = 0
        while batch := list(tickets.filter(pk__gt=last)[:CHUNK]):
            with transaction.atomic():
                menta_sync.push_tickets(batch)
            pushed += len(batch)
            last = batch[-1].pk
            if progress:
                self.stdout.write(f"\rTickets {pushed}/{counts['tickets']}      ", ending="")
        with transaction.atomic():
            for show in shows.select_related("event").prefetch_related("event__ticket_options"):
                menta_sync.inventory_changed(show)
        if progress:
            self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Stored {counts['events']} events, {pushed} tickets and {counts['shows']} inventories for menta;"
                " the worker sends them."
            )
        )
