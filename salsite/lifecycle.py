"""What happens to a ticket after its sale: refund, cancellation, transfer and check-in.

Each change is made in one transaction with what menta must learn of it.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from salsite import menta_sync
from salsite.models import Ticket


class TicketError(Exception):
    """A change a ticket's state does not allow; the message says why."""


def _valid(ticket: Ticket, doing: str) -> Ticket:
    ticket = (
        Ticket.objects.select_for_update()
        .select_related("show__event", "option", "holder", "order__user")
        .get(pk=ticket.pk)
    )
    if ticket.status != Ticket.Status.VALID:
        raise TicketError(f"{ticket.external_id} is {ticket.get_status_display().lower()}: it cannot be {doing}.")
    return ticket


@transaction.atomic
def end(ticket: Ticket, status: str) -> Ticket:
    """Refund or cancel: the ticket stops being valid and leaves menta (its listing is withdrawn)."""
    doing = {Ticket.Status.REFUNDED: "refunded", Ticket.Status.CANCELLED: "cancelled"}[Ticket.Status(status)]
    ticket = _valid(ticket, doing)
    ticket.status = status
    ticket.ended_at = timezone.now()
    ticket.save(update_fields=["status", "ended_at", "updated_at"])
    menta_sync.ticket_ended(ticket)
    return ticket


@transaction.atomic
def transfer(ticket: Ticket, to: AbstractBaseUser) -> Ticket:
    """Give the ticket to another account: same ticket, new holder, a new QR code."""
    ticket = _valid(ticket, "transferred")
    if ticket.holder_id == to.pk:
        raise TicketError(f"{ticket.external_id} already belongs to {to}.")
    owners = ticket.passed_to(to.pk)
    for field, value in owners.items():
        setattr(ticket, field, value)
    ticket.holder = to  # type: ignore[assignment]
    ticket.locator = Ticket._meta.get_field("locator").get_default()
    ticket.save(update_fields=["holder", "locator", *owners, "updated_at"])
    menta_sync.ticket_changed(ticket)
    return ticket


@transaction.atomic
def check_in(ticket: Ticket) -> Ticket:
    ticket = _valid(ticket, "checked in")
    if ticket.checked_in_at is not None:
        raise TicketError(f"{ticket.external_id} was checked in already.")
    if ticket.listed_at is not None:
        raise TicketError(f"{ticket.external_id} is listed for resale: its QR is on hold.")
    ticket.checked_in_at = timezone.now()
    ticket.save(update_fields=["checked_in_at", "updated_at"])
    menta_sync.ticket_admitted(ticket)
    return ticket
