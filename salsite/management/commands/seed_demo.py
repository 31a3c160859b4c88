"""Create the demo's accounts and data, and push events, rules and tickets to menta."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from salsite import demo, menta_sync
from salsite.models import Event
from salwidgets.client import get_client
from salwidgets.errors import MentaError


class Command(BaseCommand):
    help = "Create the demo accounts, events and tickets, and push them to menta (DEBUG only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-listings", action="store_true", help="do not list the demo seller's tickets in the sandbox"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates accounts with known passwords: it runs only with DEBUG on.")
        tickets = demo.create_site_data()
        client = get_client()
        try:
            for event in Event.objects.prefetch_related("shows", "ticket_options"):
                menta_sync.push_event(client, event)
            sent = menta_sync.push_tickets(client, tickets)
            listed = 0
            if settings.MENTA_SANDBOX and not options["no_listings"]:
                for ticket_id, price in demo.LISTINGS.items():
                    demo.list_in_sell_flow(client, "carol@example.com", ticket_id, price)
                    listed += 1
        except (MentaError, demo.SellFlowError, requests.RequestException) as exc:
            raise CommandError(f"menta refused the demo data: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Demo ready: {len(tickets)} tickets ({sent} valid ones pushed), {listed} listed.")
        )
