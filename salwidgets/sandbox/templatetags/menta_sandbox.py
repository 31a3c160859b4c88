"""The sandbox's pages: a ticket's seat in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template

from salwidgets.seats import seat_label

register = template.Library()


@register.filter
def seat(ticket: Any) -> str:
    return seat_label(ticket.section, ticket.row, ticket.seat)
