"""Remove what salwidgets keeps and no longer needs (from cron, while the worker runs)."""

from __future__ import annotations

from argparse import ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from salwidgets.prune import Retention, prune


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a number of days") from None
    if days < 0:
        raise ArgumentTypeError(f"{days} is not a number of days (0 or more)")
    return days


class Command(BaseCommand):
    help = (
        "Remove outbox items delivered or superseded, webhook deliveries dealt with and finished task rows "
        "older than their retention (SALWIDGETS KEEP_*_DAYS); never a pending, retrying or failed one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would go, remove nothing")
        parser.add_argument("--delivered-days", type=_days, help="keep delivered outbox items this many days")
        parser.add_argument("--webhook-days", type=_days, help="keep webhook deliveries this many days")
        parser.add_argument("--task-days", type=_days, help="keep finished task rows this many days")

    def handle(self, *args: Any, **options: Any) -> None:
        configured = Retention.configured()
        retention = Retention(
            delivered_days=_pick(options["delivered_days"], configured.delivered_days),
            webhook_days=_pick(options["webhook_days"], configured.webhook_days),
            task_days=_pick(options["task_days"], configured.task_days),
        )
        dry_run = options["dry_run"]
        removed = prune(retention, dry_run=dry_run)
        verb = "Would remove" if dry_run else "Removed"
        for name, count in removed.items():
            self.stdout.write(f"{verb} {count} {name}.")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(f"Removed {sum(removed.values())} rows in all."))


def _pick(given: int | None, configured: int) -> int:
    return configured if given is None else given
