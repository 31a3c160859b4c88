"""Send leads from a CSV file (e.g. people who left a virtual queue, exported by its provider)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from salwidgets import sync, wire

COLUMNS = (
    "email",
    "phone",
    "user_id",
    "full_name",
    "event_id",
    "show_id",
    "ticket_option_id",
    "date",
    "price",
    "currency",
    "tags",
)


def _decimal(value: str) -> Decimal | None:
    if not value.strip():
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        raise wire.InvalidPush("price must be a non-negative number") from None


def lead_from_row(row: dict[str, str], lead_type: str) -> wire.Lead:
    """One CSV row as a lead; InvalidPush with menta's message when menta would refuse it."""
    cell = {name: (row.get(name) or "").strip() for name in COLUMNS}
    date = None
    if cell["date"]:
        date = parse_datetime(cell["date"])
        if date is None:
            raise wire.InvalidPush("purchaseDate must be an ISO 8601 date")
    lead = wire.Lead(
        lead_type,
        event_id=cell["event_id"],
        show_id=cell["show_id"],
        buyer=wire.Buyer(email=cell["email"], phone=cell["phone"], id=cell["user_id"], full_name=cell["full_name"]),
        ticket_option_id=cell["ticket_option_id"],
        date=date,
        price=_decimal(cell["price"]),
        currency=cell["currency"] or None,
        tags=tuple(tag.strip() for tag in cell["tags"].split(";") if tag.strip()),
    )
    lead.validate()
    return lead


def read(path: Path, lead_type: str) -> Iterator[tuple[int, wire.Lead | str]]:
    """(line number, lead or menta's message) for each data row of the file."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        missing = {"event_id", "show_id"} - set(reader.fieldnames or ())
        if missing:
            raise CommandError(f"{path}: the header has no {', '.join(sorted(missing))} column")
        for row in reader:
            try:
                yield reader.line_num, lead_from_row(row, lead_type)
            except wire.InvalidPush as exc:
                yield reader.line_num, str(exc)


class Command(BaseCommand):
    help = (
        "Send the leads of a CSV file to menta through the outbox. Columns: "
        + ", ".join(COLUMNS)
        + " (tags separated by ';'). Rows menta would refuse are reported by line and not sent."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--type", required=True, choices=wire.LEAD_TYPES, dest="lead_type")

    def handle(self, *args: Any, file: Path, lead_type: str, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        leads: list[wire.Lead] = []
        refused = 0
        for line, result in read(file, lead_type):
            if isinstance(result, str):
                refused += 1
                self.stderr.write(f"line {line}: {result}")
            else:
                leads.append(result)
        with transaction.atomic():
            sent = sync.send_leads(leads)
        self.stdout.write(f"{sent} {lead_type} lead(s) stored for menta; {refused} row(s) refused.")
        if refused:
            raise CommandError(f"{refused} row(s) of {file} were refused (see above); the others will be sent.")
