"""What the site tells salwidgets about its catalogue: the shows coming up."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from salsite.models import Order, Show, Ticket

# The tickets whose resale CTAs My tickets shows: valid ones, and resold ones (whose seller adds
# payout details there).
RESALE_STATUSES = (Ticket.Status.VALID, Ticket.Status.RESOLD)


def upcoming_shows(days: int) -> list[tuple[str, str]]:
    """(event id, show id) of every show starting in the next ``days`` days."""
    shows = Show.objects.upcoming().filter(starts_at__lte=timezone.now() + timedelta(days=days))
    return [(show.event.external_id, show.external_id) for show in shows]


def person_items(email: str) -> tuple[list[str], list[str]]:
    """(ticket ids, order ids) of a person's tickets and orders with resale CTAs, as My tickets asks
    menta about them; salwidgets asks menta about no other ids for this person."""
    mine = Q(holder__email__iexact=email) | Q(order__user__email__iexact=email)
    tickets = Ticket.objects.filter(mine, status__in=RESALE_STATUSES).order_by("external_id")
    orders = Order.objects.filter(user__email__iexact=email).order_by("-created_at", "-id")
    return list(tickets.values_list("external_id", flat=True)), list(orders.values_list("reference", flat=True))
