"""Tell menta (or the local sandbox) about an event and one show, now: for a first try of the
components, a smoke test, or a site whose catalogue is not synced yet."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from salwidgets import wire
from salwidgets.client import get_client
from salwidgets.errors import MentaError, NotFound


def _when(value: str) -> datetime:
    found = parse_datetime(value)
    if found is None or found.tzinfo is None:
        raise CommandError(f"--starts {value!r} is not a date and time with a zone, e.g. 2030-05-01T20:00:00+00:00")
    return found


def _price(value: str) -> Decimal:
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"--price {value!r} is not an amount, e.g. 95.00") from None
    if price <= 0:
        raise CommandError(f"--price {value!r} must be above 0")
    return price


class Command(BaseCommand):
    help = "Create (or replace) an event with one show and one ticket option at menta, through the client."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event_id", help="the event's id on this site (menta's externalReferenceId)")
        parser.add_argument("show_id", help="the show's id on this site")
        parser.add_argument("--title", required=True, help="the event's title")
        parser.add_argument("--starts", required=True, help="the show's start, ISO 8601 with a zone")
        parser.add_argument("--venue", default="Main hall")
        parser.add_argument("--city", default="")
        parser.add_argument("--option", default="general", help="the ticket option's id")
        parser.add_argument("--option-title", default="General admission")
        parser.add_argument("--price", default="50.00", help="the ticket option's face value")
        parser.add_argument("--currency", default="USD")

    def handle(self, *args: Any, **options: Any) -> None:
        option = wire.TicketOptionPush(
            options["option"], options["option_title"], _price(options["price"]), options["currency"]
        )
        event = wire.EventPush(
            options["event_id"],
            options["title"],
            options["title"],
            wire.Location(options["venue"], options["city"]),
            (wire.ShowPush(options["show_id"], options["title"], _when(options["starts"]), ticket_options=(option,)),),
            currency=options["currency"],
        )
        try:
            event.validate()
            try:
                get_client().update_event(event)  # replaces an event menta knows
            except NotFound:
                get_client().create_event(event)
        except (wire.InvalidPush, MentaError) as exc:
            raise CommandError(f"menta did not take the event: {exc}") from exc
        self.stdout.write(f"Event {options['event_id']} with show {options['show_id']} is at menta.")
