"""The sandbox asks the platform who owns a ticket now (contract 7), as menta does.

Called when a person enters the sell flow, before a listing is created, and before a resale
purchase completes. Unconfigured (no ``SANDBOX_VERIFY_URL``), it trusts the pushed tickets.
"""

from __future__ import annotations

import logging

import requests
from django.conf import settings

from menta_sandbox import market, wire
from menta_sandbox.models import Ticket

logger = logging.getLogger("menta_sandbox")

NOT_YOURS = (
    "Your ticketing site says this ticket is no longer yours (it may have been refunded, transferred or "
    "cancelled), so it cannot be sold."
)
UNREACHABLE = "We could not check with your ticketing site that you still own this ticket. Please try again later."


def owned_by(email: str) -> set[str] | None:
    """Ticket ids the platform says ``email`` owns now; None when it could not be asked."""
    try:
        answer = requests.get(
            settings.SANDBOX_VERIFY_URL,
            params={"user": email},
            headers={"X-Menta-Secret": settings.SANDBOX_VERIFY_SECRET, "Accept": "application/json"},
            timeout=(2, 5),
        )
    except requests.RequestException as exc:
        logger.warning("Ownership check for a seller failed: %s", type(exc).__name__)
        return None
    if answer.status_code != 200:
        logger.warning("Ownership check answered HTTP %s", answer.status_code)
        return None
    try:
        return wire.owned_ticket_ids(answer.json())
    except ValueError:
        return None


def refusal(ticket: Ticket, owner: str) -> str | None:
    """Why ``owner`` may not sell (or have sold) ``ticket`` now, or None; withdraws a listing it refuses."""
    if not settings.SANDBOX_VERIFY_URL:
        return None
    owned = owned_by(owner)
    if owned is None:
        return UNREACHABLE
    if ticket.ticket_id in owned:
        return None
    market.withdraw(ticket, "The platform no longer lists the seller as its owner")
    return NOT_YOURS
