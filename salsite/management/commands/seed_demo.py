"""Create the demo's accounts and data, and tell menta through the outbox, as every change does."""

from __future__ import annotations

import time
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from salsite import demo, menta_sync
from salwidgets import outbox
from salwidgets.client import get_client
from salwidgets.errors import MentaError
from salwidgets.models import OutboxItem

# How long to wait for pushes another worker is sending before giving up on the listings.
SETTLE_SECONDS = 20.0


class Command(BaseCommand):
    help = "Create the demo accounts, events and tickets, and send them to menta (DEBUG only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-listings", action="store_true", help="do not list the demo seller's tickets in the sandbox"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates accounts with known passwords: it runs only with DEBUG on.")
        with transaction.atomic():
            tickets = demo.create_site_data()
            menta_sync.everything()
        # Send now rather than wait for the worker, so that the listings below find their tickets.
        # A worker already running (make run's) may be sending some of them: wait for it.
        outbox.deliver_due()
        deadline = time.monotonic() + SETTLE_SECONDS
        while outbox.counts()[OutboxItem.Status.SENDING] and time.monotonic() < deadline:
            time.sleep(0.2)
            outbox.deliver_due()
        waiting = sum(outbox.counts().values())
        delivered = OutboxItem.objects.filter(status=OutboxItem.Status.DELIVERED).count()
        summary = f"Demo ready: {len(tickets)} tickets; {delivered} pushes delivered to menta"
        if waiting:
            self.stdout.write(
                self.style.WARNING(
                    f"{summary}, {waiting} waiting (menta did not take them now: the worker retries). No listings made."
                )
            )
            return
        listed = 0
        if settings.MENTA_SANDBOX and not options["no_listings"]:
            client = get_client()
            try:
                for ticket_id, price in demo.LISTINGS.items():
                    demo.list_in_sell_flow(client, "carol@example.com", ticket_id, price)
                    listed += 1
            except (MentaError, demo.SellFlowError, requests.RequestException) as exc:
                raise CommandError(f"menta refused the demo listings: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"{summary}, {listed} listed."))
