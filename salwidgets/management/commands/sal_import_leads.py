"""Send leads from a CSV file (e.g. people who left a virtual queue, exported by its provider)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from salwidgets import sync, wire
from salwidgets.models import UNFINISHED, OutboxItem

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


def read(path: Path, lead_type: str, *, encoding: str, delimiter: str) -> Iterator[tuple[int, wire.Lead | str]]:
    """(line number, lead or menta's message) for each data row of the file; CommandError, in
    one line, for a file that cannot be read as the CSV it should be."""
    try:
        with path.open(newline="", encoding=encoding) as file:
            reader = csv.DictReader(file, delimiter=delimiter)
            try:
                header = reader.fieldnames or ()
                missing = {"event_id", "show_id"} - set(header)
                if missing:
                    raise CommandError(f"{path}: the header has no {', '.join(sorted(missing))} column{_hint(header)}")
                for row in reader:
                    try:
                        yield reader.line_num, lead_from_row(row, lead_type)
                    except wire.InvalidPush as exc:
                        yield reader.line_num, str(exc)
            except csv.Error as exc:
                raise CommandError(f"{path}, line {reader.line_num}: not a CSV row ({exc})") from None
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path}: not {encoding} text (it has the byte 0x{exc.object[exc.start]:02x}); "
            "save it as UTF-8, or pass its encoding, e.g. --encoding latin-1"
        ) from None
    except LookupError:
        raise CommandError(f"{encoding!r} is not an encoding Python knows (try utf-8, latin-1, cp1252)") from None


def _hint(header: Sequence[str]) -> str:
    """For a header read as one column: the delimiter it seems to use."""
    if len(header) != 1:
        return ""
    for delimiter, name in ((";", "';'"), ("\t", "'\\t' (tab)"), ("|", "'|'")):
        if delimiter in header[0]:
            return f" (it looks delimited by {name}: pass --delimiter {name.split(' ')[0]})"
    return ""


def _unsent(leads: list[wire.Lead]) -> list[wire.Lead]:
    """The leads the outbox does not already hold as they are (sent or waiting): a file imported
    again queues only its new or changed rows."""
    held: set[tuple[str, str]] = set()
    keys = list({lead.key for lead in leads})
    for start in range(0, len(keys), 500):
        for key, payload in OutboxItem.objects.filter(
            kind="lead", key__in=keys[start : start + 500], status__in=HELD
        ).values_list("key", "payload"):
            held.add((key, json.dumps(payload, sort_keys=True)))
    fresh, seen = [], set()
    for lead in leads:
        identity = (lead.key, json.dumps(json.loads(json.dumps(lead.to_wire())), sort_keys=True))
        if identity not in held and identity not in seen:
            seen.add(identity)
            fresh.append(lead)
    return fresh


HELD = (*UNFINISHED, OutboxItem.Status.DELIVERED)


class Command(BaseCommand):
    help = (
        "Send the leads of a CSV file to menta through the outbox. Columns: "
        + ", ".join(COLUMNS)
        + " (tags separated by ';'). Rows menta would refuse are reported by line and not sent; rows the"
        " outbox already holds as they are (an import run again) are not queued again."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--type", required=True, choices=wire.LEAD_TYPES, dest="lead_type")
        parser.add_argument("--encoding", default="utf-8-sig", help="the file's encoding (default UTF-8)")
        parser.add_argument("--delimiter", default=",", help="the column separator (default ',')")
        parser.add_argument("--dry-run", action="store_true", help="read and check the file, queue nothing")

    def handle(self, *args: Any, file: Path, lead_type: str, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        delimiter = "\t" if options["delimiter"] in ("\\t", "tab") else options["delimiter"]
        if len(delimiter) != 1:
            raise CommandError(f"--delimiter must be one character, not {options['delimiter']!r}")
        leads: list[wire.Lead] = []
        refused = 0
        for line, result in read(file, lead_type, encoding=options["encoding"], delimiter=delimiter):
            if isinstance(result, str):
                refused += 1
                self.stderr.write(f"line {line}: {result}")
            else:
                leads.append(result)
        fresh = _unsent(leads)
        again = len(leads) - len(fresh)
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run: {len(fresh)} {lead_type} lead(s) would be stored for menta; {again} already held; "
                f"{refused} row(s) refused."
            )
        else:
            with transaction.atomic():
                sent = sync.send_leads(fresh)
            self.stdout.write(
                f"{sent} {lead_type} lead(s) stored for menta; {again} already held; {refused} row(s) refused."
            )
        if refused:
            raise CommandError(f"{refused} row(s) of {file} were refused (see above); the others will be sent.")
