"""The organizer's ticket ownership report: every ticket of one event with its current owner.

One row per ticket the platform issued for the event, in the field names of menta's reporting
guide (``docs/ticket-report.md`` has the reading). A field the platform has no source for is left
out of the row, never invented. The same rows feed the JSON endpoint and the admin's CSV and XLSX
exports, read from the database in chunks so that memory stays flat however many tickets there are.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

import xlsxwriter
from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from salsite.models import Event, Organizer, Profile, Ticket, token_digest

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
    return query.select_related(
        "show__event__organizer",
        "option",
        "order",
        "holder__profile",
        "resale__issued__holder__profile",
        "reissued_from",
        "reissued_as",
    ).order_by("pk")


def touch_owned_by(user: AbstractBaseUser) -> int:
    """The rows naming ``user`` as owner changed (their profile did): later ``lastUpdatedSince`` finds them."""
    return Ticket.objects.filter(Q(holder=user) | Q(resale__issued__holder=user)).update(updated_at=timezone.now())


def _stamp(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


@dataclass(frozen=True)
class _Owner:
    email: str
    first_name: str
    last_name: str
    profile: Profile | None


def _account(user: Any) -> _Owner:
    try:
        profile = user.profile
    except Profile.DoesNotExist:
        profile = None
    return _Owner(user.email, user.first_name, user.last_name, profile)


def _owner(ticket: Ticket) -> tuple[_Owner, dict[str, int | None]]:
    """Who owns the ticket now, and its owner history.

    A ticket menta resold or transferred belongs to its buyer: their account's details once they
    have one, else the email and name the resale carries (the ticket's initial owner fields).
    """
    resale = getattr(ticket, "resale", None)
    if resale is None:
        history: dict[str, int | None] = {
            "initial_holder_id": ticket.first_owner_id(),
            "previous_holder_id": ticket.previous_holder_id,
            "transfers_forward": ticket.transfers_forward,
            "transfers_back": ticket.transfers_back,
        }
        return _account(ticket.holder), history
    if resale.issued is not None:
        buyer = resale.issued.holder
        return _account(buyer), dict(ticket.passed_to(buyer.pk))
    first, _sep, last = resale.holder_name.strip().partition(" ")
    return _Owner(resale.buyer_email, first, last, None), dict(ticket.passed_to(None))


def row(ticket: Ticket) -> dict[str, Any]:
    """One ticket's row, with only the fields the platform has a value for."""
    show, event, option = ticket.show, ticket.show.event, ticket.option
    owner, history = _owner(ticket)
    profile = owner.profile
    valid = ticket.status == Ticket.Status.VALID
    reissued_as = getattr(ticket, "reissued_as", None)
    metadata = {
        "showId": show.external_id,
        "orderReference": ticket.order.reference,
        "ticketOption": option.name,
        "reissuedFrom": ticket.reissued_from.external_id if ticket.reissued_from_id else None,  # type: ignore[union-attr]
        "reissuedAs": reissued_as.external_id if reissued_as is not None else None,
        "listedForResaleSince": _stamp(ticket.listed_at),
    }
    holder = {"name": ticket.holder_name, "idNumber": ticket.holder_id_number}
    values: dict[str, Any] = {
        "ticketId": ticket.external_id,
        "eventId": event.external_id,
        "organizerId": event.organizer.external_id if event.organizer is not None else None,
        "eventName": event.title,
        "eventStartDate": _stamp(show.starts_at),
        "ownerEmail": owner.email or None,
        "ownerFirstName": owner.first_name or None,
        "ownerLastName": owner.last_name or None,
        "ownerPhone": (profile.phone or None) if profile else None,
        "ownerBirthDate": _stamp(profile.birth_date) if profile else None,
        "ownerResidenceCountry": (profile.residence_country.code or None) if profile else None,
        # Consent is given, never assumed: an owner who never set it has not opted in.
        "ownerAllowPromoEmail": profile.allow_promo_email if profile else False,
        "ownerAllowPromoThirdPartyEmail": profile.allow_promo_third_party_email if profile else False,
        "ownerAllowTracking": profile.allow_tracking if profile else False,
        "ticketNumber": ticket.external_id,
        # What the gate scans; an ended ticket's code opens nothing, so it is not given.
        "ticketBarcode": ticket.locator if valid else None,
        "ticketHolder": {k: v for k, v in holder.items() if v} or None,
        "previousOwnerId": _id(history["previous_holder_id"]),
        "initialOwnerId": _id(history["initial_holder_id"]),
        "status": ticket.status,
        "checkedDate": _stamp(ticket.checked_in_at),
        "purchaseDate": _stamp(ticket.order.created_at),
        # The face value, for tickets sold here; a resale's price is menta's, not known here.
        "purchasePrice": f"{option.price:.2f}" if ticket.reissued_from_id is None else None,
        "purchaseCurrency": option.currency if ticket.reissued_from_id is None else None,
        "purchaseSeatCategoryId": option.external_id,
        "seatingSeated": bool(ticket.seat),
        "seatingNumbered": bool(ticket.seat),
        "seatingArea": ticket.section or None,
        "seatingRow": ticket.row or None,
        "seatingSeat": ticket.seat or None,
        "ticketMetadata": {k: v for k, v in metadata.items() if v is not None},
        "deletionDate": None if valid else _stamp(ticket.ended_at or ticket.updated_at),
        "deletionReason": None if valid else ticket.status.lower(),
        "transferForwardCount": history["transfers_forward"],
        "transferBackwardCount": history["transfers_back"],
    }
    return {name: value for name, value in values.items() if value is not None}


def _id(pk: int | None) -> str | None:
    return str(pk) if pk else None


def rows(query: QuerySet[Ticket]) -> Iterator[dict[str, Any]]:
    for ticket in query.iterator(chunk_size=CHUNK):
        yield row(ticket)


# Exports: one row per ticket, the columns above; objects as JSON text.


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return value


def _flat(item: dict[str, Any]) -> list[Any]:
    return [_cell(item.get(name, "")) for name in COLUMNS]


class _Echo:
    def write(self, value: str) -> str:
        return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text people type, which a spreadsheet must not run: a first name "=HYPERLINK(...)", or a phone
# "-(1)-(2)-3456", which a spreadsheet reads as a sum. Ids and codes the platform makes (a barcode
# may start with "-") are left exactly as they are.
_TYPED = frozenset(
    COLUMNS.index(name) for name in ("eventName", "ownerEmail", "ownerFirstName", "ownerLastName", "ownerPhone")
)


def _csv_cell(column: int, value: Any) -> Any:
    """Booleans as the JSON report spells them; typed text that starts like a formula is quoted
    with "'" (a phone "+34 600 000 000" too: the quote is what keeps a spreadsheet from reading it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if column in _TYPED and str(value).startswith(_FORMULA_START):
        return f"'{value}"
    return value


def csv_lines(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The CSV, one line at a time (for a streamed response)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for item in items:
        yield writer.writerow([_csv_cell(column, value) for column, value in enumerate(_flat(item))])


def xlsx_file(items: Iterable[dict[str, Any]], *, title: str) -> IO[bytes]:
    """The spreadsheet in a temporary file (rewound), written row by row in constant memory."""
    output = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it, which deletes it)
    # Text stays text: a name starting with "=" is not a formula, nor an address a link.
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, **options})
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\']", "", title).strip()[:31] or "Tickets")
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, COLUMNS, bold)
    sheet.freeze_panes(1, 0)
    for number, item in enumerate(items, start=1):
        sheet.write_row(number, 0, _flat(item))
    workbook.close()
    output.seek(0)
    return output
