"""Who the site tells what, at each step of the resale loop, and what menta's other notices change.

- a resale (``ticket_resold``): the seller "sold" (or "transferred"), the buyer "your ticket" (with
  a link to create or verify the account that receives it, when they have none);
- a listing created, repriced or withdrawn (``listing_changed``): the seller's confirmation; a new
  listing also tells the people who asked to hear about its show (at most once a day each);
- ``payout_delivered``: the payout is recorded, its tickets read "Paid", the seller is told;
- ``notify_me``: the person is put on the show's alerts;
- ``event_unlocked``: the show's QR codes appear, and its ticket holders are told.

Every email is queued in the notice's transaction (``salsite.emails``) with a key built from what it
is about, so a notice applied twice sends nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from salsite import accounts
from salsite.emails import language_for, queue, site_url
from salsite.models import Payout, Profile, Resale, ResaleAlert, Show, Ticket
from salwidgets import signals, wire
from salwidgets.models import WebhookDelivery

logger = logging.getLogger("salsite.notices")

ALERT_EVERY = timedelta(days=1)
CENTS = Decimal("0.01")
_UNSUBSCRIBE_SALT = "salsite.notices.unsubscribe"


def _show_values(show: Show) -> dict[str, Any]:
    return {
        "event": show.event.title,
        "venue": show.event.venue,
        "city": show.event.city,
        "starts_at": show.starts_at,
        "show_url": site_url(reverse("show", args=[show.event.external_id, show.external_id])),
    }


def _ticket_values(ticket: Ticket) -> dict[str, Any]:
    return {
        **_show_values(ticket.show),
        "ticket_id": ticket.external_id,
        "section": ticket.section,
        "row": ticket.row,
        "seat": ticket.seat,
        "my_tickets_url": site_url(f"{reverse('my-tickets')}#ticket-{ticket.external_id}"),
    }


def _money(value: wire.Money | None) -> dict[str, Any]:
    return {"amount": str(value.amount), "currency": value.currency} if value is not None else {}


def _stored(value: wire.Money | None) -> tuple[Decimal | None, str]:
    """A price as the database keeps it: cents, under 10^12 (menta's parser's limit), a 3-letter
    code. An amount that reaches 10^12 once rounded to cents (999999999999.995) is no price: left
    out, as the parser leaves out a larger one (its column has room for 12 digits before the point;
    PostgreSQL refuses the 13th, SQLite keeps it and cannot read it back)."""
    if value is None:
        return None, ""
    amount = value.amount.quantize(CENTS, rounding=ROUND_HALF_UP)
    if abs(amount) >= wire.MAX_AMOUNT:
        return None, ""
    return amount, value.currency.strip()[:3]


def _delivery_key(delivery: WebhookDelivery | None) -> str:
    return str(delivery.key or delivery.pk) if delivery is not None else ""


# --- the resale -------------------------------------------------------------------------------


def resold(resale: Resale) -> None:
    """Tell the seller their ticket sold (or was transferred), and the buyer that a ticket waits."""
    ended = resale.ticket
    seller_kind, buyer_kind = ("transferred", "received") if resale.transfer else ("sold", "bought")
    values = _ticket_values(ended)
    price = _money(wire.Money(ended.listing_price, ended.listing_currency)) if ended.listing_price else {}
    queue(seller_kind, ended.holder.email, key=f"{seller_kind}:{resale.pk}", **values, **price)
    if resale.issued is not None:
        values["my_tickets_url"] = site_url(f"{reverse('my-tickets')}#ticket-{resale.issued.external_id}")
        values["guest"] = False
    else:
        # No account has verified this email: the ticket waits for one that does.
        known = User.objects.filter(email__iexact=resale.buyer_email).exists()
        values["guest"] = True
        values["account_url"] = site_url(reverse("account_email" if known else "account_signup"))
        values["has_account"] = known
    queue(buyer_kind, resale.buyer_email, key=f"{buyer_kind}:{resale.pk}", **values)


# --- listings ---------------------------------------------------------------------------------


def listing_changed(change: wire.ListingChanged, delivery: WebhookDelivery | None) -> None:
    """Confirm the change to the seller; a new listing tells the show's alerts."""
    tickets = list(
        Ticket.objects.select_related("show__event", "holder").filter(external_id__in=change.ticket_ids).order_by("pk")
    )
    if change.deleted:
        if (change.status or "").upper() == "SOLD":
            return  # the sale's own emails say it
        kind = "withdrawn"
    else:
        amount, currency = _stored(change.price)
        listing: dict[str, Any] = {"listing_id": change.listing_id[:100]}
        if amount is not None:
            listing.update(listing_price=amount, listing_currency=currency)
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(**listing)
        kind = "listed" if change.created else "repriced"
    valid = [ticket for ticket in tickets if ticket.status == Ticket.Status.VALID]
    if valid:
        first = valid[0]
        queue(
            kind,
            first.holder.email,
            key=f"{kind}:{change.listing_id}:{_delivery_key(delivery) or change.status or ''}",
            count=len(valid),
            **_ticket_values(first),
            **_money(change.price),
        )
    if change.created and tickets:
        resale_appeared(tickets[0].show, change.price)


def unsubscribe_token(alert: ResaleAlert) -> str:
    return signing.dumps(alert.pk, salt=_UNSUBSCRIBE_SALT)


def alert_for_token(token: str) -> ResaleAlert | None:
    """The alert an unsubscribe link names (None for a link that was not made here)."""
    try:
        pk = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return ResaleAlert.objects.select_related("show__event").filter(pk=pk).first() if isinstance(pk, int) else None


def resale_appeared(show: Show, price: wire.Money | None = None) -> int:
    """Tell the people waiting for resale tickets of ``show`` (once a day at most); answers how many."""
    now = timezone.now()
    declined = [
        email.lower() for email in Profile.objects.filter(resale_alerts=False).values_list("user__email", flat=True)
    ]
    alerts = list(
        ResaleAlert.objects.select_for_update()
        .filter(show=show, unsubscribed_at=None)
        .filter(Q(last_sent_at=None) | Q(last_sent_at__lte=now - ALERT_EVERY))
        .exclude(email__in=declined)
    )
    for alert in alerts:
        link = site_url(reverse("alert-unsubscribe", args=[unsubscribe_token(alert)]))
        queue(
            "alert",
            alert.email,
            key=f"alert:{alert.pk}:{now:%Y-%m-%d}",
            language=language_for(alert.email, alert.language),
            headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            unsubscribe_url=link,
            **_show_values(show),
            **_money(price),
        )
    ResaleAlert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(last_sent_at=now)
    return len(alerts)


def subscribe(show: Show, email: str, language: str = "") -> ResaleAlert:
    """Put ``email`` on ``show``'s alerts (again, if they had left them)."""
    alert, created = ResaleAlert.objects.get_or_create(
        email=email.strip().lower(), show=show, defaults={"language": language}
    )
    if not created and (alert.unsubscribed_at is not None or (language and alert.language != language)):
        alert.unsubscribed_at = None
        alert.language = language or alert.language
        alert.save(update_fields=["unsubscribed_at", "language"])
    return alert


def _named(event_id: str, show_id: str | None) -> QuerySet[Show]:
    """The show a notice names, or every show of its event when it names none."""
    shows = Show.objects.select_related("event").filter(event__external_id=event_id)
    return shows.filter(external_id=show_id) if show_id else shows


def _shows(event_id: str, show_id: str | None, action: str) -> list[Show]:
    """The shows a notice names; none (said in the log) when the site does not sell them: there is
    nothing here to change, and no one here to tell."""
    found = list(_named(event_id, show_id))
    if not found:
        logger.warning(
            "%s for show %s/%s, which this site does not have: nothing to do", action, event_id, show_id or "*"
        )
    return found


# --- payouts ----------------------------------------------------------------------------------


@transaction.atomic
def paid(payout: wire.PayoutDelivered, delivery: WebhookDelivery | None = None) -> Payout:
    """Record a payout (once), mark its tickets paid, and tell the seller."""
    ids = sorted(payout.listing_ids)
    amount, currency = _stored(payout.amount)
    key = f"{payout.event_id}|{payout.show_id or ''}|{','.join(ids)}" if ids else f"delivery:{_delivery_key(delivery)}"
    tickets = list(
        Ticket.objects.select_related("show__event", "holder")
        .filter(listing_id__in=[i[:100] for i in ids])
        .order_by("pk")
    )
    show = tickets[0].show if tickets else (_named(payout.event_id, payout.show_id).first() if payout.show_id else None)
    seller = tickets[0].holder if tickets else None
    if seller is None and payout.seller_email:
        seller = accounts.verified_owner(payout.seller_email)
    record, created = Payout.objects.get_or_create(
        key=key[:300],
        defaults={
            "seller": seller,
            "seller_email": payout.seller_email or (seller.email if seller else ""),
            "show": show,
            "listing_ids": ids,
            "amount": amount,
            "currency": currency,
        },
    )
    if not created:
        return record
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(payout=record, updated_at=timezone.now())
    to = record.seller_email  # the notice's, else the seller account's
    if to:
        values = _ticket_values(tickets[0]) if tickets else (_show_values(show) if show else {"event": ""})
        queue(
            "paid",
            to,
            key=f"paid:{record.pk}",
            count=len(tickets),
            account_url=site_url(f"{reverse('account')}#payouts"),
            **values,
            **_money(payout.amount),
        )
    return record


def payouts_of(user: User) -> list[Payout]:
    emails = accounts.verified_emails(user)
    return list(
        Payout.objects.filter(Q(seller=user) | Q(seller_email__in=emails, seller=None))
        .select_related("show__event")
        .order_by("-paid_at", "-pk")
    )


# --- the show's unlock ------------------------------------------------------------------------


@transaction.atomic
def unlocked(unlock: wire.EventUnlocked) -> int:
    """Unlock the shows named (their QR codes appear) and tell each holder once; answers how many."""
    now = timezone.now()
    told = 0
    for show in _shows(unlock.event_id, unlock.show_id, wire.EVENT_UNLOCK):
        Show.objects.filter(pk=show.pk, unlocked_at=None).update(unlocked_at=now)
        holders = (
            Ticket.objects.filter(show=show, status=Ticket.Status.VALID)
            .values_list("holder_id", "holder__email")
            .distinct()
            .order_by("holder_id")
        )
        for holder_id, email in holders:
            told += queue(
                "unlocked",
                email,
                key=f"unlocked:{show.pk}:{holder_id}",
                my_tickets_url=site_url(reverse("my-tickets")),
                **_show_values(show),
            )
    return told


# --- menta's notices --------------------------------------------------------------------------


@receiver(signals.payout_delivered, dispatch_uid="salsite.notices.payout_delivered")
def _on_payout(
    sender: Any, payload: wire.PayoutDelivered, delivery: WebhookDelivery | None = None, **kwargs: Any
) -> None:
    paid(payload, delivery)


@receiver(signals.notify_me, dispatch_uid="salsite.notices.notify_me")
def _on_notify_me(sender: Any, payload: wire.NotifyMe, **kwargs: Any) -> None:
    for show in _shows(payload.event_id, payload.show_id, wire.NOTIFY_ME):
        subscribe(show, payload.email)


@receiver(signals.event_unlocked, dispatch_uid="salsite.notices.event_unlocked")
def _on_unlock(sender: Any, payload: wire.EventUnlocked, **kwargs: Any) -> None:
    unlocked(payload)
