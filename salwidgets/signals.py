"""What menta tells the site, as Django signals (contract 8); ``salwidgets.webhooks`` sends them.

Every signal is sent with ``sender=WebhookDelivery``, ``delivery`` (the record it came from) and
``payload`` (the typed body, ``salwidgets.wire``). Receivers run inside the delivery's
transaction: an exception rolls back everything the delivery did and menta retries it later, so
a receiver must be quick (enqueue a task for slow work) and idempotent. ``Unprocessable`` says
the notification cannot be applied as it stands (e.g. an unknown ticket): it is answered 422 with
its message, and a retry is tried afresh. ``Conflict`` says it contradicts what the site knows
(a ticket already resold to someone else, a seller who does not hold the ticket): it is answered
409, recorded as a conflict for staff to look into, and logged as an error.

- ``ticket_resold`` (``wire.TicketResold``): a resale or a transfer completed at menta. The site
  must move the ticket to ``new_owner_email`` and stop the seller's copy from working.
- ``listing_changed`` (``wire.ListingChanged``): a listing was created, repriced or removed. While
  a ticket is listed its QR should not open the gate.
- ``event_unlocked`` (``wire.EventUnlocked``): a show's tickets were unlocked.
- ``notify_me`` (``wire.NotifyMe``): someone asked menta to be told about resale tickets.
- ``payout_delivered`` (``wire.PayoutDelivered``): a seller's payout was paid.
"""

from __future__ import annotations

from django.dispatch import Signal

from salwidgets import wire


class Unprocessable(Exception):
    """Raised by a receiver: the notification cannot be applied; the message says why."""


class Conflict(Unprocessable):
    """Raised by a receiver: the notification contradicts the site's records; the message says how."""


ticket_resold = Signal()
listing_changed = Signal()
event_unlocked = Signal()
notify_me = Signal()
payout_delivered = Signal()

BY_PAYLOAD: dict[type, Signal] = {
    wire.TicketResold: ticket_resold,
    wire.ListingChanged: listing_changed,
    wire.EventUnlocked: event_unlocked,
    wire.NotifyMe: notify_me,
    wire.PayoutDelivered: payout_delivered,
}
