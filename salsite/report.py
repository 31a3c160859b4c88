"""The organizer's ticket ownership report: every ticket of one event with its current owner.

One row per ticket the platform issued for the event, in the field names of menta's reporting
guide (``docs/ticket-report.md`` has the reading). A field the platform has no source for is left
out of the row, never invented. The same rows feed the JSON endpoint and the admin's CSV and XLSX
exports, read from the database in chunks so that memory stays flat however many tickets there are.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any

import xlsxwriter
from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.files import File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task
from guardian.shortcuts import get_objects_for_user

from salsite.models import Event, Organizer, ReportExport, Ticket, passed_to, token_digest

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
    if moment is None:
        return None
    if isinstance(moment, datetime):
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
_READ = (
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
    "holder_id",
    "initial_holder_id",
    "previous_holder_id",
    "transfers_forward",
    "transfers_back",
    "reissued_from_id",
    "reissued_from__external_id",
    "reissued_as__external_id",
    "payout__paid_at",
    "show__external_id",
    "show__starts_at",
    "show__event__external_id",
    "show__event__title",
    "show__event__organizer__external_id",
    "option__name",
    "option__price",
    "option__currency",
    "option__external_id",
    "order__reference",
    "order__created_at",
    "order__user_id",
    "resale__id",
    "resale__buyer_email",
    "resale__holder_name",
    "resale__issued__id",
    "resale__issued__holder_id",
    *(_HOLDER + name for name in _OWNER_FIELDS),
    *(_BUYER + name for name in _OWNER_FIELDS),
)


def _owner_fields(record: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The owner's columns of the report from the account under ``prefix``."""
    has_profile = record[prefix + "profile__id"] is not None

    def profile(name: str) -> Any:
        return record[prefix + "profile__" + name] if has_profile else None

    return {
        "ownerEmail": record[prefix + "email"] or None,
        "ownerFirstName": record[prefix + "first_name"] or None,
        "ownerLastName": record[prefix + "last_name"] or None,
        "ownerPhone": profile("phone") or None,
        "ownerBirthDate": _stamp(profile("birth_date")),
        "ownerResidenceCountry": profile("residence_country") or None,
        # Consent is given, never assumed: an owner who never set it has not opted in.
        "ownerAllowPromoEmail": bool(profile("allow_promo_email")),
        "ownerAllowPromoThirdPartyEmail": bool(profile("allow_promo_third_party_email")),
        "ownerAllowTracking": bool(profile("allow_tracking")),
    }


def _owner(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int | None]]:
    """Who owns the ticket now (the report's owner columns), and its owner history.

    A ticket menta resold or transferred belongs to its buyer: their account's details once they
    have one, else the email and name the resale carries (the ticket's initial owner fields).
    """
    first_owner = record["initial_holder_id"] or record["order__user_id"]
    if record["resale__id"] is None:
        history: dict[str, int | None] = {
            "initial_holder_id": first_owner,
            "previous_holder_id": record["previous_holder_id"],
            "transfers_forward": record["transfers_forward"],
            "transfers_back": record["transfers_back"],
        }
        return _owner_fields(record, _HOLDER), history
    buyer = record["resale__issued__holder_id"] if record["resale__issued__id"] is not None else None
    passed = passed_to(
        buyer,
        first_owner_id=first_owner,
        previous_holder_id=record["previous_holder_id"],
        holder_id=record["holder_id"],
        forward=record["transfers_forward"],
        back=record["transfers_back"],
    )
    if buyer is not None:
        return _owner_fields(record, _BUYER), dict(passed)
    first, _sep, last = record["resale__holder_name"].strip().partition(" ")
    unknown = {"ownerEmail": record["resale__buyer_email"] or None, "ownerFirstName": first or None}
    return {**unknown, "ownerLastName": last or None, **dict.fromkeys(_CONSENTS, False)}, dict(passed)


_CONSENTS = ("ownerAllowPromoEmail", "ownerAllowPromoThirdPartyEmail", "ownerAllowTracking")


def row(record: dict[str, Any]) -> dict[str, Any]:
    """One ticket's row (from its ``_READ`` values), with only the fields the platform has a value for."""
    owner, history = _owner(record)
    valid = record["status"] == Ticket.Status.VALID
    original = record["reissued_from_id"] is None
    metadata = {
        "showId": record["show__external_id"],
        "orderReference": record["order__reference"],
        "ticketOption": record["option__name"],
        "reissuedFrom": record["reissued_from__external_id"],
        "reissuedAs": record["reissued_as__external_id"],
        "listedForResaleSince": _stamp(record["listed_at"]),
        "resalePaidOutAt": _stamp(record["payout__paid_at"]),
    }
    holder = {"name": record["holder_name"], "idNumber": record["holder_id_number"]}
    seat = record["seat"]
    values: dict[str, Any] = {
        "ticketId": record["external_id"],
        "eventId": record["show__event__external_id"],
        "organizerId": record["show__event__organizer__external_id"],
        "eventName": record["show__event__title"],
        "eventStartDate": _stamp(record["show__starts_at"]),
        **owner,
        "ticketNumber": record["external_id"],
        # What the gate scans; an ended ticket's code opens nothing, so it is not given.
        "ticketBarcode": record["locator"] if valid else None,
        "ticketHolder": {k: v for k, v in holder.items() if v} or None,
        "previousOwnerId": _id(history["previous_holder_id"]),
        "initialOwnerId": _id(history["initial_holder_id"]),
        "status": record["status"],
        "checkedDate": _stamp(record["checked_in_at"]),
        "purchaseDate": _stamp(record["order__created_at"]),
        # The face value, for tickets sold here; a resale's price is menta's, not known here.
        "purchasePrice": f"{record['option__price']:.2f}" if original else None,
        "purchaseCurrency": record["option__currency"] if original else None,
        "purchaseSeatCategoryId": record["option__external_id"],
        "seatingSeated": bool(seat),
        "seatingNumbered": bool(seat),
        "seatingArea": record["section"] or None,
        "seatingRow": record["row"] or None,
        "seatingSeat": seat or None,
        "ticketMetadata": {k: v for k, v in metadata.items() if v is not None},
        "deletionDate": None if valid else _stamp(record["ended_at"] or record["updated_at"]),
        "deletionReason": None if valid else record["status"].lower(),
        "transferForwardCount": history["transfers_forward"],
        "transferBackwardCount": history["transfers_back"],
    }
    return {name: value for name, value in values.items() if value is not None}


def _id(pk: int | None) -> str | None:
    return str(pk) if pk else None


def rows(query: QuerySet[Ticket], *, start: int = 0, stop: int | None = None) -> Iterator[dict[str, Any]]:
    """The rows of ``query``'s tickets (from ``start`` to ``stop``), read in chunks."""
    for record in query.values(*_READ)[start:stop].iterator(chunk_size=CHUNK):
        yield row(record)


# Exports: one row per ticket, the columns above; objects as JSON text.


def _index(*names: str) -> tuple[int, ...]:
    return tuple(COLUMNS.index(name) for name in names)


_OBJECTS = _index("ticketHolder", "ticketMetadata")
_FLAGS = _index(
    "ownerAllowPromoEmail", "ownerAllowPromoThirdPartyEmail", "ownerAllowTracking", "seatingSeated", "seatingNumbered"
)


def _flat(item: dict[str, Any]) -> list[Any]:
    """The row's cells in ``COLUMNS`` order ("" for a field it leaves out, objects as JSON text)."""
    cells = [item.get(name, "") for name in COLUMNS]
    for index in _OBJECTS:
        if cells[index] != "":
            cells[index] = json.dumps(cells[index], separators=(",", ":"), sort_keys=True)
    return cells


class _Echo:
    def write(self, value: str) -> str:
        return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text people type, which a spreadsheet must not run: a first name "=HYPERLINK(...)", or a phone
# "-(1)-(2)-3456", which a spreadsheet reads as a sum. Ids and codes the platform makes (a barcode
# may start with "-") are left exactly as they are.
_TYPED = _index("eventName", "ownerEmail", "ownerFirstName", "ownerLastName", "ownerPhone")


def _csv_cells(item: dict[str, Any]) -> list[Any]:
    """Booleans as the JSON report spells them; typed text that starts like a formula is quoted
    with "'" (a phone "+34 600 000 000" too: the quote is what keeps a spreadsheet from reading it)."""
    cells = _flat(item)
    for index in _FLAGS:
        if cells[index] != "":
            cells[index] = "true" if cells[index] else "false"
    for index in _TYPED:
        value = cells[index]
        if isinstance(value, str) and value.startswith(_FORMULA_START):
            cells[index] = "'" + value
    return cells


def csv_lines(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The CSV, one line at a time (for a streamed response)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for item in items:
        yield writer.writerow(_csv_cells(item))


def xlsx_file(
    items: Iterable[dict[str, Any]], *, title: str, progress: Callable[[int], None] | None = None
) -> IO[bytes]:
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
    for number, item in enumerate(items, start=1):
        sheet.write_row(number, 0, _flat(item))
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
        with xlsx_file(rows(query), title=export.event.title, progress=progress) as output:
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
