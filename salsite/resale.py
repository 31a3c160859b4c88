"""What the site does when menta says a ticket was listed, sold or transferred (contract 8).

menta only tells; the platform delivers. On a resale the seller's ticket ends (its QR stops
working) and the buyer gets a new ticket, with a new id and QR, in an order of their own, which
is pushed to menta so that the buyer can resell it in turn. A buyer without an account gets it
when an account verifies that email (at sign-up, or later), never on an unverified one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.dispatch import receiver
from django.utils import timezone

from salsite import accounts, menta_sync, notices
from salsite.models import Order, Resale, Ticket, new_order_reference, new_ticket_id
from salwidgets import signals, wire

logger = logging.getLogger("salsite.resale")


def _locked(ticket_id: str) -> Ticket | None:
    return (
        Ticket.objects.select_for_update()
        .select_related("show__event", "option", "holder", "order__user")
        .filter(external_id=ticket_id)
        .first()
    )


def issue(resale: Resale, buyer: User) -> Ticket:
    """The buyer's new ticket: the same seat, a new id and QR, in an order of its own, sent to menta."""
    old = resale.ticket
    order = Order.objects.create(reference=new_order_reference(), user=buyer)
    ticket = Ticket.objects.create(
        external_id=new_ticket_id(),
        order=order,
        holder=buyer,
        show=old.show,
        option=old.option,
        section=old.section,
        row=old.row,
        seat=old.seat,
        holder_name=resale.holder_name,
        holder_id_number=resale.holder_id_number,
        reissued_from=old,
        **old.passed_to(buyer.pk),
    )
    resale.issued = ticket
    resale.save(update_fields=["issued"])
    # The ended ticket's report row now names the buyer's account: it changed too.
    Ticket.objects.filter(pk=old.pk).update(updated_at=timezone.now())
    menta_sync.tickets_issued([ticket])
    return ticket


@transaction.atomic
def fulfil(sold: wire.TicketResold) -> Resale:
    """End the seller's ticket and issue the buyer's (now, or when they have an account).

    Idempotent: a ticket already resold to the same buyer answers its resale unchanged. A notice
    that contradicts the site (the ticket resold to someone else, ended, or held by someone other
    than the seller it names) raises ``signals.Conflict``: the site is the source of truth.
    """
    ticket = _locked(sold.ticket_id)
    if ticket is None:
        raise signals.Unprocessable(f"no ticket {sold.ticket_id!r} on this site")
    existing = Resale.objects.filter(ticket=ticket).first()
    if existing is not None:
        if existing.buyer_email.lower() == sold.new_owner_email.lower():
            return existing
        raise signals.Conflict(f"ticket {sold.ticket_id!r} was resold to another person already")
    if ticket.status != Ticket.Status.VALID:
        raise signals.Conflict(f"ticket {sold.ticket_id!r} is {ticket.get_status_display().lower()}")
    seller = ticket.holder.email.lower()
    if sold.old_owner_email is not None and sold.old_owner_email.lower() != seller:
        raise signals.Conflict(f"ticket {sold.ticket_id!r} is not held by the seller named ({sold.old_owner_email})")
    ticket.status = Ticket.Status.TRANSFERRED if sold.is_transfer else Ticket.Status.RESOLD
    ticket.listed_at = None
    ticket.locator = Ticket._meta.get_field("locator").get_default()  # the old QR opens nothing
    ticket.ended_at = timezone.now()
    ticket.save(update_fields=["status", "listed_at", "locator", "ended_at", "updated_at"])
    menta_sync.ticket_ended(ticket)
    nominal = sold.nominal
    resale = Resale.objects.create(
        ticket=ticket,
        buyer_email=sold.new_owner_email,
        transfer=sold.is_transfer,
        holder_name=nominal.full_name if nominal else "",
        holder_id_number=nominal.identification_number if nominal else "",
    )
    buyer = accounts.verified_owner(sold.new_owner_email)
    if buyer is not None:
        issue(resale, buyer)
    notices.resold(resale)
    return resale


def _waiting(emails: list[str]) -> QuerySet[Resale]:
    matches = Q()
    for email in emails:
        matches |= Q(buyer_email__iexact=email)
    return Resale.objects.filter(matches, issued__isnull=True) if emails else Resale.objects.none()


@transaction.atomic
def claim(user: User) -> list[Ticket]:
    """Issue the tickets bought or received on resale for ``user``'s verified emails (before the
    account existed, or before the email was verified). An unverified email claims nothing: anyone
    can type an address at sign-up."""
    waiting = _waiting(accounts.verified_emails(user)).select_for_update()
    return [issue(resale, user) for resale in waiting.select_related("ticket__show__event", "ticket__option")]


def waiting_for_verification(user: User) -> int:
    """How many tickets wait for one of the account's emails to be verified."""
    return _waiting(accounts.unverified_emails(user)).count()


@transaction.atomic
def listing_changed(change: wire.ListingChanged) -> int:
    """Hold the QR of listed tickets; release it when the listing is gone. Answers tickets changed."""
    tickets = Ticket.objects.select_for_update().filter(external_id__in=change.ticket_ids, status=Ticket.Status.VALID)
    now = timezone.now()
    if change.deleted:
        return tickets.exclude(listed_at=None).update(listed_at=None, updated_at=now)
    return tickets.filter(listed_at=None).update(listed_at=now, updated_at=now)


@receiver(signals.ticket_resold, dispatch_uid="salsite.resale.ticket_resold")
def _on_ticket_resold(sender: Any, payload: wire.TicketResold, **kwargs: Any) -> None:
    fulfil(payload)


@receiver(signals.listing_changed, dispatch_uid="salsite.resale.listing_changed")
def _on_listing_changed(sender: Any, payload: wire.ListingChanged, **kwargs: Any) -> None:
    listing_changed(payload)
    notices.listing_changed(payload, kwargs.get("delivery"))
