"""The organizer's ticket ownership report: every ticket of one event with its current owner.

One row per ticket the platform issued for the event, in the field names of menta's reporting
guide (``docs/ticket-report.md`` has the reading). A field the platform has no source for is left
out of the row, never invented. The same rows feed the JSON endpoint and the admin's CSV and XLSX
exports, read from the database in chunks so that memory stays flat however many tickets there are.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import operator
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any

import xlsxwriter
from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import EmptyResultSet
from django.core.files import File
from django.db import connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task
from guardian.shortcuts import get_objects_for_user

from salsite.models import Event, Organizer, ReportExport, Show, Ticket, TicketOption, passed_to, token_digest

logger = logging.getLogger("salsite")

PERMISSION = "salsite.view_ticket_report"
MAX_LIMIT = 1000
MAX_OFFSET = 10**9
CHUNK = 2000

# Every field the platform can fill, in the guide's order: the columns of the exports.
COLUMNS = (
    "ticketId",
    "eventId",
    "organizerId",
    "eventName",
    "eventStartDate",
    "ownerEmail",
    "ownerFirstName",
    "ownerLastName",
    "ownerPhone",
    "ownerBirthDate",
    "ownerResidenceCountry",
    "ownerAllowPromoEmail",
    "ownerAllowPromoThirdPartyEmail",
    "ownerAllowTracking",
    "ticketNumber",
    "ticketBarcode",
    "ticketHolder",
    "previousOwnerId",
    "initialOwnerId",
    "status",
    "checkedDate",
    "purchaseDate",
    "purchasePrice",
    "purchaseCurrency",
    "purchaseSeatCategoryId",
    "seatingSeated",
    "seatingNumbered",
    "seatingArea",
    "seatingRow",
    "seatingSeat",
    "ticketMetadata",
    "deletionDate",
    "deletionReason",
    "transferForwardCount",
    "transferBackwardCount",
)


class ReportError(Exception):
    """The report cannot be given to this caller; ``status`` is 401 or 403."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Flag(forms.Field):
    """``true`` or ``false``, nothing else (a typo must not silently mean false)."""

    default_error_messages = {"invalid": "Enter true or false."}

    def to_python(self, value: Any) -> bool:
        text = str(value or "").strip().lower()
        if text in ("", "false"):
            return False
        if text == "true":
            return True
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class _Moment(forms.DateTimeField):
    """An ISO 8601 date-time. An unencoded "+" of an offset arrives as a space; it is read as "+"."""

    default_error_messages = {"range": "Enter a date-time between the years 1900 and 9000."}

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, str):
            value = re.sub(r"(T[\d:.]+) (\d{2}:?\d{2})$", r"\1+\2", value.strip())
        moment = super().to_python(value)
        # Year 9999 with a negative offset is past datetime.max once in UTC: refused, not a 500.
        if moment is not None and not 1900 <= moment.year <= 9000:
            raise forms.ValidationError(self.error_messages["range"], code="range")
        return moment


class ReportParameters(forms.Form):
    """The query string of the report, as the guide names it."""

    limit = forms.IntegerField(min_value=1, max_value=MAX_LIMIT)
    # Bounded: a 64-bit database refuses a larger OFFSET with an error, not an empty page.
    offset = forms.IntegerField(min_value=0, max_value=MAX_OFFSET)
    excludeDeleted = _Flag(required=False)  # noqa: N815 (the guide's parameter names)
    lastUpdatedSince = _Moment(required=False)  # noqa: N815
    lastUpdatedBefore = _Moment(required=False)  # noqa: N815
    # Required by menta's guide to pick one of its apps; this platform has one site, so it is
    # accepted and has no effect.
    mobileAppId = forms.CharField(required=False, max_length=100)  # noqa: N815

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, before = data.get("lastUpdatedSince"), data.get("lastUpdatedBefore")
        if since and before and since >= before:
            self.add_error("lastUpdatedBefore", "lastUpdatedBefore must be later than lastUpdatedSince.")
        return data

    def problems(self) -> dict[str, list[str]]:
        """What is wrong, by parameter, each message naming the parameter; empty when all is well.
        A parameter the report does not take is refused (a misspelt filter would be ignored)."""
        self.is_valid()
        named = {name: [f"{name}: {message}" for message in messages] for name, messages in self.errors.items()}
        for name in sorted(set(self.data) - set(self.fields)):
            named[name] = [f"{name}: not a parameter of the report, which takes {', '.join(self.fields)}."]
        return named


Caller = Organizer | AbstractBaseUser


def caller(*, user: AbstractBaseUser | AnonymousUser, authorization: str) -> Caller:
    """Who asks: the organizer of an API token, or a signed-in account. ReportError(401) otherwise."""
    if authorization:
        scheme, _sep, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ReportError(401, "The Authorization header must be 'Bearer <organizer token>'.")
        organizer = Organizer.objects.filter(token_digest=token_digest(token.strip())).first()
        if organizer is None:
            raise ReportError(401, "This organizer token is not valid (it may have been replaced).")
        return organizer
    if not user.is_authenticated:
        raise ReportError(401, "Sign in as staff, or send an organizer token: Authorization: Bearer <token>.")
    return user


def authorize(who: Caller, event: Event) -> None:
    """ReportError(403) unless ``who`` is the event's organizer or may read its report."""
    if isinstance(who, Organizer):
        if event.organizer_id != who.pk:
            raise ReportError(403, "This organizer token does not give access to this event.")
    elif not can_read(who, event):
        raise ReportError(403, "Your account may not read the ticket report of this event.")


def readable_events(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Event]:
    """The events whose report ``user`` may read: active staff with the permission for every
    event (a model permission, or a superuser) or for each event alone (guardian's)."""
    if not (user.is_active and getattr(user, "is_staff", False)):
        return Event.objects.none()
    return get_objects_for_user(user, PERMISSION, klass=Event)


def can_read(user: AbstractBaseUser | AnonymousUser, event: Event) -> bool:
    return readable_events(user).filter(pk=event.pk).exists()


def tickets(
    event: Event,
    *,
    exclude_deleted: bool = False,
    since: datetime | None = None,
    before: datetime | None = None,
) -> QuerySet[Ticket]:
    """The event's tickets in a stable order, with everything a row reads in the same query."""
    query = Ticket.objects.filter(show__event=event)
    if exclude_deleted:
        query = query.filter(status=Ticket.Status.VALID)
    if since is not None:
        query = query.filter(updated_at__gte=since)
    if before is not None:
        query = query.filter(updated_at__lt=before)
    return query.order_by("pk")


def touch_owned_by(user: AbstractBaseUser) -> int:
    """The rows naming ``user`` as owner changed (their profile did): later ``lastUpdatedSince`` finds them."""
    return Ticket.objects.filter(Q(holder=user) | Q(resale__issued__holder=user)).update(updated_at=timezone.now())


def _stamp(moment: datetime | date | None) -> str | None:
    """A moment as the report spells it (ISO 8601, UTC as ``Z``). A datetime without a zone is
    the database's own UTC, as SQLite's driver gives it (see ``_records``)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            return moment.isoformat() + "Z"
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


# What a row reads, in one query of plain values (no model instances: 100,000 tickets took 10 s
# to build as instances of the eight models they join). An owner is the ticket's holder, or the
# account its resale was issued to: the same fields under each prefix.
_HOLDER = "holder__"
_BUYER = "resale__issued__holder__"
_OWNER_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "profile__id",
    "profile__phone",
    "profile__birth_date",
    "profile__residence_country",
    "profile__allow_promo_email",
    "profile__allow_promo_third_party_email",
    "profile__allow_tracking",
)
# The values of a ticket's row, in groups (each read from a record by its getter below).
_TICKET_FIELDS = (
    "external_id",
    "status",
    "locator",
    "holder_name",
    "holder_id_number",
    "listed_at",
    "checked_in_at",
    "ended_at",
    "updated_at",
    "section",
    "row",
    "seat",
    "reissued_from_id",
    "reissued_from__external_id",
    "reissued_as__external_id",
    "payout__paid_at",
)
_SALE_FIELDS = ("show_id", "option_id", "order__reference", "order__created_at")
_HISTORY_FIELDS = (
    "order__user_id",
    "initial_holder_id",
    "previous_holder_id",
    "holder_id",
    "transfers_forward",
    "transfers_back",
    "resale__id",
    "resale__issued__id",
    "resale__issued__holder_id",
    "resale__buyer_email",
    "resale__holder_name",
)
_HOLDER_FIELDS = tuple(_HOLDER + name for name in _OWNER_FIELDS)
_BUYER_FIELDS = tuple(_BUYER + name for name in _OWNER_FIELDS)
_READ = (*_TICKET_FIELDS, *_SALE_FIELDS, *_HISTORY_FIELDS, *_HOLDER_FIELDS, *_BUYER_FIELDS)


def _at(names: tuple[str, ...]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """Reads the values ``names`` (of ``_READ``) from a record, as a tuple."""
    assert len(names) > 1  # itemgetter answers a single value itself, not a tuple
    return operator.itemgetter(*(_READ.index(name) for name in names))


_TICKET = _at(_TICKET_FIELDS)
_SALE = _at(_SALE_FIELDS)
_HISTORY = _at(_HISTORY_FIELDS)
_HOLDER_OWNER = _at(_HOLDER_FIELDS)
_BUYER_OWNER = _at(_BUYER_FIELDS)


def _owner_cells(values: tuple[Any, ...]) -> list[Any]:
    """The owner's columns of the report (``ownerEmail`` to ``ownerAllowTracking``) from an
    account's ``_OWNER_FIELDS``."""
    email, first, last, profile, phone, birth, country, promo, third_party, tracking = values
    if profile is None:
        phone = birth = country = None
        # Consent is given, never assumed: an owner who never set it has not opted in.
        promo = third_party = tracking = False
    return [
        email or None,
        first or None,
        last or None,
        phone or None,
        _stamp(birth),
        country or None,
        bool(promo),
        bool(third_party),
        bool(tracking),
    ]


def _owner(record: Sequence[Any]) -> tuple[list[Any], int | None, int | None, int, int]:
    """Who owns the ticket now (the report's owner columns), and its owner history: the
    previous and initial owners' ids, the transfers forward and back.

    A ticket menta resold or transferred belongs to its buyer: their account's details once they
    have one, else the email and name the resale carries (the ticket's initial owner fields).
    """
    ordered_by, initial, previous, holder, forward, back, resale, issued, issued_to, email, name = _HISTORY(record)
    first_owner = initial or ordered_by
    if resale is None:
        return _owner_cells(_HOLDER_OWNER(record)), previous, first_owner, forward, back
    buyer = issued_to if issued is not None else None
    passed = passed_to(
        buyer, first_owner_id=first_owner, previous_holder_id=previous, holder_id=holder, forward=forward, back=back
    )
    history = (passed["previous_holder_id"], passed["initial_holder_id"])
    forward, back = passed["transfers_forward"], passed["transfers_back"]
    if buyer is not None:
        return _owner_cells(_BUYER_OWNER(record)), *history, forward, back
    first, _sep, last = name.strip().partition(" ")
    no_profile = (None,) * (len(_OWNER_FIELDS) - 3)
    return _owner_cells((email, first, last, *no_profile)), *history, forward, back


class _Reader:
    """Makes the rows of one export: each show's and ticket option's values are read once (an
    event has a few of them), each ticket's from its record."""

    def __init__(self) -> None:
        self.shows: dict[int, tuple[Any, ...]] = {}
        self.options: dict[int, tuple[Any, ...]] = {}

    def show(self, pk: int) -> tuple[Any, ...]:
        """The show's id, start, event id, event title and organizer id."""
        if pk not in self.shows:
            found = Show.objects.filter(pk=pk).values_list(
                "external_id", "starts_at", "event__external_id", "event__title", "event__organizer__external_id"
            )
            external_id, starts_at, *event = found.get()
            self.shows[pk] = (external_id, _stamp(starts_at), *event)
        return self.shows[pk]

    def option(self, pk: int) -> tuple[Any, ...]:
        """The ticket option's name, price text, currency and id."""
        if pk not in self.options:
            name, price, currency, external_id = (
                TicketOption.objects.filter(pk=pk).values_list("name", "price", "currency", "external_id").get()
            )
            self.options[pk] = (name, f"{price:.2f}", currency, external_id)
        return self.options[pk]

    def cells(self, record: Sequence[Any]) -> list[Any]:
        """One ticket's row from its ``_READ`` values: a value per ``COLUMNS`` name, ``None``
        where the platform has none (the JSON leaves those fields out)."""
        (
            ticket_id,
            status,
            locator,
            holder_name,
            holder_id_number,
            listed_at,
            checked_in_at,
            ended_at,
            updated_at,
            section,
            row,
            seat,
            reissued_from,
            reissued_from_id,
            reissued_as_id,
            paid_at,
        ) = _TICKET(record)
        show, option, reference, bought = _SALE(record)
        show_id, starts_at, event_id, title, organizer_id = self.shows.get(show) or self.show(show)
        option_name, price, currency, category = self.options.get(option) or self.option(option)
        owner, previous, initial, forward, back = _owner(record)
        valid = status == Ticket.Status.VALID
        original = reissued_from is None
        metadata = {"showId": show_id, "orderReference": reference, "ticketOption": option_name}
        if reissued_from_id is not None:
            metadata["reissuedFrom"] = reissued_from_id
        if reissued_as_id is not None:
            metadata["reissuedAs"] = reissued_as_id
        if listed_at is not None:
            metadata["listedForResaleSince"] = _stamp(listed_at)
        if paid_at is not None:
            metadata["resalePaidOutAt"] = _stamp(paid_at)
        return [
            ticket_id,
            event_id,
            organizer_id,
            title,
            starts_at,
            *owner,
            ticket_id,
            # What the gate scans; an ended ticket's code opens nothing, so it is not given.
            locator if valid else None,
            _holder(holder_name, holder_id_number) if holder_name or holder_id_number else None,
            _id(previous),
            _id(initial),
            status,
            _stamp(checked_in_at),
            _stamp(bought),
            # The face value, for tickets sold here; a resale's price is menta's, not known here.
            price if original else None,
            currency if original else None,
            category,
            bool(seat),
            bool(seat),
            section or None,
            row or None,
            seat or None,
            metadata,
            None if valid else _stamp(ended_at or updated_at),
            None if valid else status.lower(),
            forward,
            back,
        ]


def _holder(name: str, id_number: str) -> dict[str, str]:
    """The ``ticketHolder`` object: the name and id number the ticket carries, those it has."""
    holder = {"name": name, "idNumber": id_number}
    return {key: value for key, value in holder.items() if value}


def _id(pk: int | None) -> str | None:
    return str(pk) if pk else None


def _timestamps_in_c(cursor: Any) -> None:
    """On PostgreSQL, timestamps read by psycopg's own loader (written in C) rather than the
    zone-setting subclass Django 5.2 registers, which parses in Python: 1.7 of the 6.8 s that
    100,000 tickets took (Django ticket #36960, fixed after 5.2). psycopg's answers the
    connection's zone, which Django sets to UTC; ``_stamp`` writes UTC either way."""
    adapters = getattr(getattr(cursor, "cursor", None), "adapters", None)
    if adapters is None:
        return
    import psycopg
    from psycopg.pq import Format

    oid = psycopg.postgres.types["timestamptz"].oid
    adapters.register_loader(oid, psycopg.adapters.get_loader(oid, Format.TEXT))


def _records(query: QuerySet[Ticket], start: int = 0, stop: int | None = None) -> Iterator[Sequence[Any]]:
    """The ``_READ`` values of ``query``'s tickets (from ``start`` to ``stop``) in chunks of
    ``CHUNK``, on PostgreSQL from a server-side cursor (as ``QuerySet.iterator`` reads), as the
    database's driver gives them: Django's converters, one call per value, took 1.2 of the 7.4 s
    that 100,000 tickets took on SQLite, so ``_stamp`` reads what each database gives."""
    values = query.values_list(*_READ)[start:stop]
    connection = connections[values.db]
    try:
        sql, params = values.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        return
    server_side = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if server_side else connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _timestamps_in_c(cursor)
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK):
            yield from chunk


def _cells(query: QuerySet[Ticket], start: int = 0, stop: int | None = None) -> Iterator[list[Any]]:
    """Each ticket's row of ``query`` (from ``start`` to ``stop``) in ``COLUMNS`` order."""
    reader = _Reader()
    for record in _records(query, start, stop):
        yield reader.cells(record)


def rows(query: QuerySet[Ticket], *, start: int = 0, stop: int | None = None) -> Iterator[dict[str, Any]]:
    """The rows of ``query``'s tickets (from ``start`` to ``stop``) as the JSON report gives
    them: only the fields the platform has a value for."""
    for cells in _cells(query, start, stop):
        yield {name: value for name, value in zip(COLUMNS, cells, strict=True) if value is not None}


# Exports: one row per ticket, the columns above; objects as JSON text.


def _index(*names: str) -> tuple[int, ...]:
    return tuple(COLUMNS.index(name) for name in names)


_OBJECTS = _index("ticketHolder", "ticketMetadata")
_FLAGS = _index(
    "ownerAllowPromoEmail", "ownerAllowPromoThirdPartyEmail", "ownerAllowTracking", "seatingSeated", "seatingNumbered"
)


# One encoder for every row: json.dumps with options builds a new one per call.
_json_text = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode


def _objects_as_text(cells: list[Any]) -> list[Any]:
    """A row's objects (``ticketHolder``, ``ticketMetadata``) as JSON text, in place."""
    for index in _OBJECTS:
        if cells[index] is not None:
            cells[index] = _json_text(cells[index])
    return cells


def _flat(cells: list[Any]) -> list[Any]:
    """A row's cells in ``COLUMNS`` order ("" for a field the JSON leaves out, objects as JSON text)."""
    return ["" if value is None else value for value in _objects_as_text(cells)]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text people type, which a spreadsheet must not run: a first name "=HYPERLINK(...)", or a phone
# "-(1)-(2)-3456", which a spreadsheet reads as a sum. Ids and codes the platform makes (a barcode
# may start with "-") are left exactly as they are.
_TYPED = _index("eventName", "ownerEmail", "ownerFirstName", "ownerLastName", "ownerPhone")


def _csv_cells(cells: list[Any]) -> list[Any]:
    """Booleans as the JSON report spells them; typed text that starts like a formula is quoted
    with "'" (a phone "+34 600 000 000" too: the quote is what keeps a spreadsheet from reading it).
    Changes ``cells`` in place; ``None`` stays, which the CSV writer writes as an empty field."""
    _objects_as_text(cells)
    for index in _FLAGS:
        cells[index] = "true" if cells[index] else "false"
    for index in _TYPED:
        value = cells[index]
        if value and value.startswith(_FORMULA_START):
            cells[index] = "'" + value
    return cells


def _cell(text: str) -> str:
    """A cell as ``csv.writer`` writes it: quoted when it holds a quote, a comma or a line break."""
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(cells: list[Any]) -> str | None:
    """The line ``csv.writer`` writes for a row's spelt cells (``_csv_cells``), when no cell but
    the two JSON objects holds a comma, a quote or a line break: the common row, whose cells are
    ids, dates, numbers and names. None for any other row, which the writer itself writes.

    The writer checks every character of every cell for what needs quoting, and took 0.55 of the
    2 s that 100,000 tickets took; this checks the row's other cells in one search of their joined
    text (0.2 s). ``tests/salsite/test_ticket_report.py`` holds it to the writer's output."""
    text = ["" if value is None else value if value.__class__ is str else str(value) for value in cells]
    holder, metadata = _OBJECTS
    objects = text[holder], text[metadata]
    text[holder] = text[metadata] = ""
    plain = ",".join(text)
    if plain.count(",") != len(COLUMNS) - 1 or '"' in plain or "\n" in plain or "\r" in plain:
        return None
    text[holder], text[metadata] = _cell(objects[0]), _cell(objects[1])
    return ",".join(text) + "\r\n"


def csv_chunks(query: QuerySet[Ticket]) -> Iterator[str]:
    """The CSV of ``query``'s tickets for a streamed response: the header, then ``CHUNK``
    lines at a time (one write to the connection each, not one per ticket)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def written(row: Sequence[Any]) -> str:
        writer.writerow(row)
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return line

    lines = [written(COLUMNS)]
    for cells in _cells(query):
        spelt = _csv_cells(cells)
        lines.append(csv_line(spelt) or written(spelt))
        if len(lines) >= CHUNK:
            yield "".join(lines)
            lines = []
    yield "".join(lines)


def xlsx_file(query: QuerySet[Ticket], *, title: str, progress: Callable[[int], None] | None = None) -> IO[bytes]:
    """The spreadsheet in a temporary file (rewound), written row by row in constant memory;
    ``progress`` hears the number of rows written after every ``CHUNK`` of them, and at the end."""
    output = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it, which deletes it)
    # Text stays text: a name starting with "=" is not a formula, nor an address a link.
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, **options})
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\']", "", title).strip()[:31] or "Tickets")
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, COLUMNS, bold)
    sheet.freeze_panes(1, 0)
    number = 0
    for number, cells in enumerate(_cells(query), start=1):
        sheet.write_row(number, 0, _flat(cells))
        if progress is not None and number % CHUNK == 0:
            progress(number)
    if progress is not None:
        progress(number)
    workbook.close()
    output.seek(0)
    return output


# The XLSX as a background task: a spreadsheet cannot be sent while it is written (it is a zip
# file), and 100,000 tickets take tens of seconds, so the worker writes it and staff watch.

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A running export whose progress has not moved for this long lost its worker (it reports every
# CHUNK rows, about a second's work).
STALLED_AFTER = timedelta(minutes=10)
KEEP_EXPORTS = timedelta(days=7)


def export_name(export: ReportExport) -> str:
    return f"tickets-{export.event.external_id}-{timezone.localtime(export.created_at):%Y%m%d-%H%M%S}.xlsx"


UNFINISHED = (ReportExport.Status.QUEUED, ReportExport.Status.RUNNING)


def stalled(export: ReportExport) -> bool:
    return export.status in UNFINISHED and timezone.now() - export.updated_at > STALLED_AFTER


def request_xlsx(event: Event, *, by: User, exclude_deleted: bool) -> ReportExport:
    """A new export of ``event``, handed to the task worker when the transaction commits; the
    event's exports older than ``KEEP_EXPORTS`` go, with their files."""
    for old in ReportExport.objects.filter(event=event, created_at__lt=timezone.now() - KEEP_EXPORTS):
        old.file.delete(save=False)
        old.delete()
    export = ReportExport.objects.create(event=event, requested_by=by, exclude_deleted=exclude_deleted)
    transaction.on_commit(lambda: _enqueue(write_report_export, export.pk))
    return export


def _enqueue(task: Any, pk: int) -> None:
    try:
        task.enqueue(pk)
    except Exception as exc:
        logger.exception("Could not queue the ticket report export %s", pk)
        ReportExport.objects.filter(pk=pk).update(
            status=ReportExport.Status.FAILED, error=f"The task worker's queue refused it: {exc}"[:500]
        )


def write_xlsx(pk: int) -> str:
    """Write export ``pk`` (once: a second run of the same task finds it taken) and return its status."""
    now = timezone.now()
    taken = ReportExport.objects.filter(pk=pk, status=ReportExport.Status.QUEUED).update(
        status=ReportExport.Status.RUNNING, updated_at=now
    )
    export = ReportExport.objects.select_related("event").get(pk=pk)
    if not taken:
        return export.status
    query = tickets(export.event, exclude_deleted=export.exclude_deleted)
    mine = ReportExport.objects.filter(pk=pk)
    mine.update(total=query.count(), updated_at=timezone.now())

    written = 0

    def progress(count: int) -> None:
        nonlocal written
        written = count
        mine.update(written=count, updated_at=timezone.now())

    try:
        with xlsx_file(query, title=export.event.title, progress=progress) as output:
            export.file.save(export_name(export), File(output), save=False)
    except Exception as exc:
        logger.exception("The ticket report export %s of %s failed", pk, export.event.external_id)
        mine.update(
            status=ReportExport.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:500], updated_at=timezone.now()
        )
        return ReportExport.Status.FAILED
    done = timezone.now()
    # The tickets written are the export's total (tickets sold while it was written may add some).
    mine.update(
        status=ReportExport.Status.READY,
        file=export.file.name,
        written=written,
        total=written,
        updated_at=done,
        finished_at=done,
    )
    return ReportExport.Status.READY


@task()
def write_report_export(export_id: int) -> str:
    """Write one XLSX of an event's ticket report (requested in the admin)."""
    return write_xlsx(export_id)
