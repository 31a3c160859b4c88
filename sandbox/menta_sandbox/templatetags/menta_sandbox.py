"""The sandbox's pages: a ticket's seat and status in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from menta_sandbox.formats import seat_label

register = template.Library()
STATUSES = {
    "SELLABLE": _("Can be resold"),
    "NOT_SELLABLE": _("Not resellable"),
    "FOR_SALE": _("For sale"),
    "SOLD": _("Sold"),
}


@register.filter
def seat(ticket: Any) -> str:
    return seat_label(ticket.section, ticket.row, ticket.seat)


@register.filter
def status(code: str) -> str:
    """A ticket's status as the seller reads it (the code itself when it is not one of these)."""
    return str(STATUSES.get(code, code))
