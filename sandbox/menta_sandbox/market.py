"""The sandbox's marketplace: resale rules, listings and sales, and what SAL derives from them.

Everything here works on the models; ``api`` and ``hosted`` turn it into answers and pages.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from menta_sandbox import notify, wire
from menta_sandbox.formats import price_text
from menta_sandbox.models import BuyIntention, Event, Listing, Show, Ticket
from menta_sandbox.texts import language, plural, text

MAX_AGE = 60
LIST_LIMIT = 10
# The colours menta gives its promotional banners (contract 2.1: hex only).
PROMO_COLORS = {"background": "#f3edff", "text": "#1b1f24", "accent": "#5b3cc4"}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "MXN": "MX$", "ARS": "AR$", "BRL": "R$"}

# Builds an absolute URL of a hosted page from a URL name, its arguments and a query.
UrlBuilder = Callable[..., str]


class MarketError(Exception):
    """A person's action in a hosted flow that cannot be done; the message says why."""


def format_money(amount: Decimal, currency: str, lang: str | None = None) -> str:
    """A price as people read it in ``lang`` (else the page's language): $1,200.50, 1.200,50 US$."""
    with translation.override(language(lang or get_language())):
        return price_text(amount, currency, CURRENCY_SYMBOLS)


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResaleRule:
    enabled: bool = True
    max_price_percent: Decimal = Decimal(100)


def resale_rule(event: Event, show_id: str = "", ticket_option_id: str = "") -> ResaleRule:
    """The most specific RESALE rule for the scope; resale is on at face value when none is set.

    Reads ``event.rules.all()``: one query, or none when the rules were prefetched (``with_statuses``).
    """
    rules = {
        (rule.show_id, rule.ticket_option_id): rule.rules
        for rule in event.rules.all()
        if rule.rule_type == wire.RESALE and not rule.price_type_id
    }
    for scope in ((show_id, ticket_option_id), (show_id, ""), ("", ticket_option_id), ("", "")):
        if scope in rules:
            raw = rules[scope]
            percent = raw.get(wire.RULE_MAX_PRICE_PERCENT, 100)
            return ResaleRule(
                enabled=bool(raw.get(wire.RULE_ENABLED, True)),
                max_price_percent=Decimal(str(percent)) if isinstance(percent, (int, float)) else Decimal(100),
            )
    return ResaleRule()


def max_price(ticket: Ticket) -> Decimal | None:
    """The highest price the rule allows for a ticket (None when its face value is unknown)."""
    if ticket.price is None:
        return None
    rule = resale_rule(ticket.event, ticket.show_id, ticket.ticket_option_id)
    return (ticket.price * rule.max_price_percent / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


# --- per-ticket and per-order status (contract 2.2) -----------------------------------------


def owns(ticket: Ticket, user: str) -> bool:
    return bool(user) and (ticket.holder_email == user.lower() or ticket.holder_id == user)


def sold_by(ticket: Ticket, user: str) -> Listing | None:
    """The ticket's listing that ``user`` sold, if any."""
    return next(
        (item for item in ticket.listings.all() if item.status == Listing.SOLD and item.seller_email == user.lower()),
        None,
    )


def active_listing(ticket: Ticket) -> Listing | None:
    return next((item for item in ticket.listings.all() if item.status == Listing.ACTIVE), None)


def show_of(ticket: Ticket) -> Show | None:
    """The ticket's show, from its event's shows (prefetched by ``with_statuses``)."""
    return next((show for show in ticket.event.shows.all() if show.show_id == ticket.show_id), None)


def why_not_sellable(ticket: Ticket) -> str | None:
    """The reason a ticket cannot be listed now, or None when it can."""
    show = show_of(ticket)
    if ticket.deleted:
        return "ticket_invalid"
    if ticket.event.cancelled or (show is not None and show.cancelled):
        return "show_cancelled"
    if ticket.admitted_at is not None:
        return "ticket_used"
    if not resale_rule(ticket.event, ticket.show_id, ticket.ticket_option_id).enabled:
        return "resale_off"
    return None


def ticket_access(ticket: Ticket | None, user: str, lang: str, url: UrlBuilder) -> dict[str, Any]:
    """One item of the tickets-mode answer, derived from the ticket's state and listings."""

    def cta(action: str, name: str, **query: str) -> dict[str, str]:
        assert ticket is not None
        return wire.cta(action, text(lang, f"cta_{action.lower()}"), url(name, ticket.ticket_id, **query))

    if ticket is None:
        return wire.ticket_access("", "NOT_SELLABLE", [], reason=text(lang, "ticket_not_found"))
    sold = sold_by(ticket, user)
    if sold is not None:
        ctas = [cta("DETAILS", "sell-ticket")]
        if not sold.payout_details:
            ctas.append(cta("PENDING_PAYOUT_INFO", "sell-payout"))
        return wire.ticket_access(ticket.ticket_id, "SOLD", ctas)
    if not owns(ticket, user):
        return wire.ticket_access(ticket.ticket_id, "NOT_SELLABLE", [], reason=text(lang, "ticket_not_found"))
    listing = active_listing(ticket)
    if listing is not None:
        return wire.ticket_access(
            ticket.ticket_id,
            "FOR_SALE",
            [cta("EDIT", "sell-ticket"), cta("DETAILS", "sell-ticket", view="details")],
            listing_price=wire.money(listing.price, listing.currency),
        )
    reason = why_not_sellable(ticket)
    if reason == "resale_off":
        return wire.ticket_access(
            ticket.ticket_id, "NOT_SELLABLE", [cta("P2P", "transfer-ticket")], reason=text(lang, reason)
        )
    if reason:
        return wire.ticket_access(ticket.ticket_id, "NOT_SELLABLE", [], reason=text(lang, reason))
    ceiling = max_price(ticket)
    invite = wire.banner(
        f"{ticket.ticket_id}-resell",
        text(lang, "ticket_sell_title"),
        text(lang, "ticket_sell_body", price=format_money(ceiling, ticket.currency or "USD", lang))
        if ceiling is not None
        else text(lang, "sell_body"),
        mode="sell",
        colors=PROMO_COLORS,
    )
    return wire.ticket_access(ticket.ticket_id, "SELLABLE", [cta("SELL", "sell-ticket")], components=[invite])


def with_statuses(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Tickets with what their statuses read: listings, and their events' rules and shows (a
    query each for the whole answer, not a few per ticket)."""
    return tickets.select_related("event").prefetch_related("listings", "event__rules", "event__shows")


def tickets_for(user: str, ticket_ids: Iterable[str]) -> dict[str, Ticket]:
    return {ticket.ticket_id: ticket for ticket in with_statuses(Ticket.objects.filter(ticket_id__in=list(ticket_ids)))}


def orders_access(order_ids: list[str], user: str, lang: str, url: UrlBuilder) -> list[dict[str, Any]]:
    """The orders-mode answer: for each order, the statuses of the user's tickets in it, aggregated."""
    mine = Q(holder_email=user.lower()) | Q(listings__seller_email=user.lower(), listings__status=Listing.SOLD)
    if "@" not in user:
        mine |= Q(holder_id=user)
    by_order: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in with_statuses(Ticket.objects.filter(mine, order_id__in=order_ids).distinct().order_by("ticket_id")):
        by_order[ticket.order_id].append(ticket)
    return [order_access(order_id, by_order[order_id], user, lang, url) for order_id in order_ids]


def order_access(order_id: str, tickets: list[Ticket], user: str, lang: str, url: UrlBuilder) -> dict[str, Any]:
    """One order of the orders-mode answer, from the user's tickets in it."""
    items = [ticket_access(ticket, user, lang, url) for ticket in tickets]
    statuses = {item["status"] for item in items}
    pending_payout = any(c["action"] == "PENDING_PAYOUT_INFO" for item in items for c in item["ctas"])

    def cta(action: str, name: str) -> dict[str, str]:
        return wire.cta(action, text(lang, f"cta_{action.lower()}"), url(name, order_id))

    # PARTIALLY_FOR_SALE: some tickets listed, others not. Sold tickets beside sellable ones leave
    # the order SELLABLE (what is left can be sold); beside tickets that cannot be sold, SOLD.
    if not items or statuses == {"NOT_SELLABLE"}:
        status, ctas = "NOT_SELLABLE", []
    elif statuses == {"FOR_SALE"}:
        status, ctas = "FOR_SALE", [cta("EDIT", "sell-order"), cta("DETAILS", "sell-order")]
    elif "FOR_SALE" in statuses:
        status, ctas = "PARTIALLY_FOR_SALE", [cta("MANAGE", "sell-order")]
    elif "SELLABLE" in statuses:
        status, ctas = "SELLABLE", [cta("SELL", "sell-order")]
    else:
        status, ctas = "SOLD", [cta("DETAILS", "sell-order")]
    if pending_payout:
        ctas.append(cta("PENDING_PAYOUT_INFO", "sell-order"))
    return wire.order_access(order_id, status, [item["ticketId"] for item in items], ctas)


# --- components for a show (contract 2.1 and 2.3) -------------------------------------------


def active_listings(event: Event, show_id: str) -> QuerySet[Listing]:
    return (
        Listing.objects.filter(status=Listing.ACTIVE, ticket__event=event, ticket__show_id=show_id)
        .select_related("ticket")
        .order_by("price", "id")
    )


def _seat_label(ticket: Ticket, lang: str) -> str:
    parts = [ticket.ticket_option_id or text(lang, "ticket")]
    seat = ", ".join(
        f"{text(lang, name)} {value}"
        for name, value in (("section", ticket.section), ("row", ticket.row), ("seat", ticket.seat))
        if value
    )
    return " · ".join([*parts, seat] if seat else parts)


def buy_components(show: Show, lang: str, url: UrlBuilder) -> list[dict[str, Any]]:
    """Buy entry points for a show: none when resale is off or the show is cancelled."""
    event = show.event
    if event.cancelled or show.cancelled or not resale_rule(event, show.show_id).enabled:
        return []
    page = url("buy-show", event.external_id, show.show_id)
    how = wire.modal(
        f"{show.show_id}-how",
        text(lang, "how_trigger"),
        text(lang, "how_title"),
        text(lang, "how_body"),
        mode="buy",
        cta=wire.link(text(lang, "see_tickets"), page),
    )
    listings = list(active_listings(event, show.show_id))
    if not listings:
        # The list and the map are there, hidden, as menta sends them when they have nothing to show.
        return [
            wire.button(f"{show.show_id}-buy", text(lang, "marketplace"), page, mode="buy", style="secondary"),
            how,
            wire.listing_list(f"{show.show_id}-listings", text(lang, "list_title"), [], mode="buy", more_url=None),
            wire.seat_map(f"{show.show_id}-map", text(lang, "map_title"), [], mode="buy", image=None),
        ]
    cheapest = listings[0]
    badge = text(
        lang,
        plural("badge", len(listings)),
        count=len(listings),
        price=format_money(cheapest.price, cheapest.currency, lang),
    )
    items = [
        wire.listing_item(
            listing.public_id,
            listing.ticket.ticket_option_id,
            _seat_label(listing.ticket, lang),
            wire.money(listing.price, listing.currency),
            url("buy-show", event.external_id, show.show_id, listing=listing.public_id),
            section=listing.ticket.section,
            row=listing.ticket.row,
            seat=listing.ticket.seat,
        )
        for listing in listings[:LIST_LIMIT]
    ]
    by_section: dict[str, list[Listing]] = defaultdict(list)
    for listing in listings:
        by_section[listing.ticket.section or listing.ticket.ticket_option_id or "-"].append(listing)
    sections = [
        wire.map_section(
            name,
            name,
            len(group),
            url("buy-show", event.external_id, show.show_id, section=name),
            wire.money(group[0].price, group[0].currency),
        )
        for name, group in sorted(by_section.items())
    ]
    image = show.data.get("seatMapUrl") or event.data.get("seatMapUrl")
    return [
        wire.button(f"{show.show_id}-buy", text(lang, "buy"), page, mode="buy", badge=badge),
        wire.banner(
            f"{show.show_id}-available",
            text(lang, "available_title"),
            text(lang, plural("available_body", len(listings)), count=len(listings)),
            mode="buy",
            colors=PROMO_COLORS,
            cta=wire.link(text(lang, "see_tickets"), page),
        ),
        how,
        wire.listing_list(
            f"{show.show_id}-listings",
            text(lang, "list_title"),
            items,
            mode="buy",
            more_url=page if len(listings) > LIST_LIMIT else None,
        ),
        wire.seat_map(f"{show.show_id}-map", text(lang, "map_title"), sections, mode="buy", image=image),
    ]


def sell_components(event: Event | None, show: Show | None, lang: str, url: UrlBuilder) -> list[dict[str, Any]]:
    """Seller entry points: an invitation to resell, unless resale is off for the scope."""
    if event is not None:
        if event.cancelled or (show is not None and show.cancelled):
            return []
        if not resale_rule(event, show.show_id if show else "").enabled:
            return []
    page = url("sell-home")
    return [
        wire.banner(
            "sell-invite",
            text(lang, "sell_title"),
            text(lang, "sell_body"),
            mode="sell",
            colors=PROMO_COLORS,
            cta=wire.link(text(lang, "sell_cta"), page),
        ),
        wire.modal(
            "sell-how",
            text(lang, "sell_how_trigger"),
            text(lang, "sell_how_title"),
            text(lang, "sell_how_body"),
            mode="sell",
            cta=wire.link(text(lang, "sell_cta"), page),
        ),
    ]


# --- what people do in the hosted flows -----------------------------------------------------


def _parse_price(raw: str) -> Decimal:
    try:
        price = Decimal(raw.strip().replace(",", "."))
    except ArithmeticError:
        raise MarketError(_("Enter the price as a number, for example 85.50.")) from None
    if not price.is_finite() or price <= 0:
        raise MarketError(_("The price must be more than zero."))
    return price.quantize(Decimal("0.01"))


@transaction.atomic
def list_ticket(ticket: Ticket, seller: str, raw_price: str) -> Listing:
    """Create or reprice the seller's listing of a ticket, within the resale rule."""
    ticket = Ticket.objects.select_for_update().select_related("event").get(pk=ticket.pk)
    if not owns(ticket, seller):
        raise MarketError(_("This ticket is not yours to sell."))
    reason = why_not_sellable(ticket)
    if reason:
        raise MarketError(text(get_language(), reason))
    price = _parse_price(raw_price)
    ceiling = max_price(ticket)
    if ceiling is not None and price > ceiling:
        raise MarketError(
            _("The price can be at most %(price)s for this ticket.") % {"price": format_money(ceiling, ticket.currency)}
        )
    listing = active_listing(ticket)
    if listing is None:
        listing = Listing.objects.create(
            ticket=ticket, seller_email=seller.lower(), price=price, currency=ticket.currency or "USD"
        )
        _notify_listing(wire.LISTING_CREATED, listing)
        return listing
    if listing.price != price:
        listing.price = price
        listing.save(update_fields=["price"])
        _notify_listing(wire.LISTING_UPDATED, listing)
    return listing


def _notify_listing(action: str, listing: Listing) -> None:
    ticket = listing.ticket
    notify.emit(
        action,
        wire.listing_data(
            listing.public_id,
            [ticket.ticket_id],
            ticket.event.external_id,
            ticket.show_id,
            listing.seller_email,
            wire.money(listing.price, listing.currency),
            listing.status,
        ),
        type="SINGLE",
    )


@transaction.atomic
def withdraw(ticket: Ticket, reason: str) -> int:
    """Withdraw the ticket's active listing, if any; answers how many were withdrawn."""
    listings = list(Listing.objects.select_for_update().filter(ticket=ticket, status=Listing.ACTIVE))
    for listing in listings:
        listing.status, listing.withdrawn_reason = Listing.WITHDRAWN, reason
        listing.save(update_fields=["status", "withdrawn_reason"])
        _notify_listing(wire.LISTING_DELETED, listing)
    return len(listings)


def _change_holder(ticket: Ticket, to: str, *, transfer: bool) -> None:
    """The ticket is ``to``'s now; the platform is told, and delivers it (contract 8)."""
    old = ticket.holder_email
    ticket.holder_email, ticket.holder_id = to.lower(), ""
    ticket.save(update_fields=["holder_email", "holder_id"])
    notify.emit(
        wire.TICKET_UPDATED,
        wire.ticket_updated_data(ticket.ticket_id, to.lower(), old),
        type=wire.USER_TRANSFER if transfer else None,
    )


@transaction.atomic
def buy(listing_id: int, buyer: str, shown_price: str | None = None) -> Listing:
    """Complete the purchase of an active listing by ``buyer``, at the price the buyer was shown."""
    listing = Listing.objects.select_for_update().select_related("ticket__event").filter(pk=listing_id).first()
    if listing is None or listing.status != Listing.ACTIVE:
        raise MarketError(_("This ticket is no longer for sale."))
    if listing.seller_email == buyer.lower():
        raise MarketError(_("You cannot buy your own ticket."))
    if shown_price is not None and _shown(shown_price) != listing.price:
        raise MarketError(
            _("The seller changed the price to %(price)s. Check the new price and buy again.")
            % {"price": format_money(listing.price, listing.currency)}
        )
    listing.status = Listing.SOLD
    listing.buyer_email = buyer.lower()
    listing.sold_at = timezone.now()
    listing.save(update_fields=["status", "buyer_email", "sold_at"])
    _change_holder(listing.ticket, buyer, transfer=False)
    _notify_listing(wire.LISTING_DELETED, listing)
    return listing


def _shown(raw: str) -> Decimal | None:
    try:
        return Decimal(raw).quantize(Decimal("0.01"))
    except ArithmeticError:
        return None


@transaction.atomic
def transfer(ticket: Ticket, recipient: str) -> None:
    """Give a ticket to a friend (resale off): its listing ends, the platform re-issues it."""
    withdraw(ticket, "Transferred")
    _change_holder(ticket, recipient, transfer=True)


@transaction.atomic
def set_payout(listing: Listing, details: str) -> None:
    details = details.strip()
    if len(details) < 4:
        raise MarketError(_("Enter the account where the payout should go."))
    listing.payout_details = details[:200]
    listing.save(update_fields=["payout_details"])
    if listing.status == Listing.SOLD:  # the sandbox pays at once
        pay(Listing.objects.filter(pk=listing.pk))


@transaction.atomic
def pay(listings: QuerySet[Listing]) -> list[Listing]:
    """Pay the sold, unpaid ``listings`` (each once): menta tells the platform (payouts.delivered)."""
    paid = list(listings.select_for_update().select_related("ticket__event").filter(status=Listing.SOLD, paid_at=None))
    now = timezone.now()
    for listing in paid:
        listing.paid_at = now
        listing.save(update_fields=["paid_at"])
        ticket = listing.ticket
        notify.emit(
            wire.PAYOUTS_DELIVERED,
            wire.payout_data(
                ticket.event.external_id,
                ticket.show_id,
                listing.seller_email,
                [listing.public_id],
                wire.money(listing.price, listing.currency),
            ),
        )
    return paid


@transaction.atomic
def unlock(event_id: str, show_id: str = "") -> None:
    """The organizer's unlock of a show's tickets (or every show's): the platform is told (event.unlock)."""
    if not Event.objects.filter(external_id=event_id).exists():
        raise MarketError(_("No event %(id)s.") % {"id": event_id})
    notify.emit(wire.EVENT_UNLOCK, wire.unlock_data(event_id, show_id))


@transaction.atomic
def notify_me(show: Show, email: str) -> None:
    """A "notify me" for a show without listings: the platform hears of it."""
    notify.emit(wire.NOTIFY_ME, wire.notify_me_data(email.lower(), show.event.external_id, show.show_id))


# --- build your own buying flow (contract 4) ------------------------------------------------

HOLD_SECONDS = 10 * 60


class CheckoutRefused(Exception):
    """Listings that cannot be bought together; ``status`` and the message are the contract's."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def listed(event: Event, show_id: str | None) -> list[Listing]:
    """The active listings of an event (of one show when given), cheapest first."""
    listings = Listing.objects.filter(status=Listing.ACTIVE, ticket__event=event, ticket__deleted=False)
    if show_id:
        listings = listings.filter(ticket__show_id=show_id)
    return list(listings.select_related("ticket__event").order_by("price", "id"))


def pack_sizes(listings: Iterable[Listing]) -> dict[str, int]:
    packs = {listing.pack_id for listing in listings if listing.pack_id}
    counts = Listing.objects.filter(pack_id__in=packs, status=Listing.ACTIVE).values_list("pack_id", flat=True)
    sizes: dict[str, int] = defaultdict(int)
    for pack_id in counts:
        sizes[pack_id] += 1
    return sizes


def _held_by_someone_else(listing: Listing, user: str) -> bool:
    now = timezone.now()
    return listing.intentions.filter(holds=True, completed_at=None, expires_at__gt=now).exclude(user=user).exists()


def _contiguous(tickets: list[Ticket]) -> bool:
    """One section and row, numeric seats that follow each other (contract 4, reading)."""
    if len({(ticket.section, ticket.row) for ticket in tickets}) > 1:
        return False
    if not all(ticket.seat.isdigit() for ticket in tickets):
        return False
    seats = sorted(int(ticket.seat) for ticket in tickets)
    return seats == list(range(seats[0], seats[0] + len(seats)))


def checkable(listing_ids: list[str], user: str = "") -> list[Listing]:
    """The listings named, if they can be bought together now; CheckoutRefused says why not."""
    if not listing_ids:
        raise CheckoutRefused(400, "listingIds must contain at least one listing")
    pks = [int(value[4:]) for value in listing_ids if value.startswith("lst_") and value[4:].isdigit()]
    listings = list(
        Listing.objects.select_for_update().select_related("ticket__event").filter(pk__in=pks).order_by("id")
    )
    if len(pks) != len(listing_ids) or len(listings) != len(set(pks)):
        raise CheckoutRefused(409, "listing is no longer available")
    for listing in listings:
        if listing.status != Listing.ACTIVE or listing.ticket.deleted or _held_by_someone_else(listing, user):
            raise CheckoutRefused(409, "listing is no longer available")
    tickets = [listing.ticket for listing in listings]
    if len({(t.event_id, t.show_id, t.ticket_option_id) for t in tickets}) > 1:
        raise CheckoutRefused(400, "listings must share event, show and ticket option")
    chosen = {listing.pk for listing in listings}
    for pack_id in {listing.pack_id for listing in listings if listing.pack_id}:
        whole = set(Listing.objects.filter(pack_id=pack_id, status=Listing.ACTIVE).values_list("pk", flat=True))
        if not whole <= chosen:
            raise CheckoutRefused(400, "a pack cannot be split")
    if len(tickets) > 1 and any(ticket.seat for ticket in tickets) and not _contiguous(tickets):
        raise CheckoutRefused(400, "seats must be contiguous")
    return listings


@transaction.atomic
def intend(listing_ids: list[str], *, user: str, holds: bool, return_url: str = "") -> BuyIntention:
    """A buy intention (``holds``: the listings are kept for ``user`` for HOLD_SECONDS)."""
    listings = checkable(listing_ids, user.lower())
    intention = BuyIntention.objects.create(
        public_id=f"bi_{uuid.uuid4().hex[:16]}",
        user=user.lower(),
        holds=holds,
        return_url=return_url,
        expires_at=timezone.now() + timedelta(seconds=HOLD_SECONDS),
    )
    intention.listings.set(listings)
    return intention


@transaction.atomic
def check_out(intention: BuyIntention, buyer: str) -> list[Listing]:
    """Buy every listing of the intention for ``buyer``, or none (MarketError or CheckoutRefused)."""
    intention = BuyIntention.objects.select_for_update().get(pk=intention.pk)
    if intention.completed_at is not None:
        raise MarketError(_("This purchase is already complete."))
    if intention.expires_at <= timezone.now():
        raise MarketError(_("This checkout has expired. Choose the tickets again."))
    ids = [listing.public_id for listing in intention.listings.order_by("id")]
    listings = checkable(ids, intention.user if intention.holds else buyer.lower())
    sold = [buy(listing.pk, buyer) for listing in listings]
    intention.completed_at = timezone.now()
    intention.save(update_fields=["completed_at"])
    return sold


@transaction.atomic
def list_pack(tickets: list[Ticket], seller: str, raw_price: str) -> list[Listing]:
    """List the seller's tickets as one pack, each at ``raw_price``: bought together only."""
    if len(tickets) < 2:
        raise MarketError(_("A pack needs at least two tickets."))
    pack_id = f"pck_{uuid.uuid4().hex[:12]}"
    listings = [list_ticket(ticket, seller, raw_price) for ticket in tickets]
    for listing in listings:
        listing.pack_id = pack_id
        listing.save(update_fields=["pack_id"])
    return listings
