"""menta's hosted pages, as the sandbox plays them: buy a listed ticket, list/reprice/withdraw one.

A person arrives signed in through ``?oneTimeToken=`` (see ``middleware``); the ``returnTo`` of a
buy link, or of any hosted page, is kept in the session for the way back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from menta_sandbox import market, verify, wire
from menta_sandbox.models import BuyIntention, Event, Listing, Show, Ticket

SESSION_USER = "user"
SESSION_RETURN = "return_to"


def _user(request: HttpRequest) -> str:
    return str(request.session.get(SESSION_USER, ""))


def _remember_return(request: HttpRequest) -> None:
    target = request.GET.get(wire.RETURN_TO, "")
    if target.startswith(("http://", "https://")):
        request.session[SESSION_RETURN] = target


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    _remember_return(request)
    context = {"user": _user(request), "return_to": request.session.get(SESSION_RETURN, ""), **context}
    return render(request, f"menta_sandbox/{template}", context, status=status)


def _message(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return _page(request, "message.html", {"title": title, "message": message}, status=status)


def _signed_in_required(request: HttpRequest) -> HttpResponse | None:
    if _user(request):
        return None
    return _message(
        request,
        _("Sign in through your ticketing site"),
        _("Open this page from the link on your ticketing site, so that we know whose tickets to show."),
        403,
    )


def _url(name: str, *args: str) -> str:
    return reverse(f"menta_sandbox:{name}", args=args)


# --- buying ---------------------------------------------------------------------------------


def buy_show(request: HttpRequest, event_id: str, show_id: str, *, error: str = "", status: int = 200) -> HttpResponse:
    show = get_object_or_404(Show.objects.select_related("event"), event__external_id=event_id, show_id=show_id)
    listings = market.active_listings(show.event, show.show_id)
    filters = {
        "ticket__section": request.GET.get("section"),
        "ticket__ticket_option_id": request.GET.get(wire.TICKET_OPTION_ID),
        "ticket__ticket_id": request.GET.get(wire.TICKET_ID),
    }
    listings = listings.filter(**{name: value for name, value in filters.items() if value})
    highlighted = request.GET.get("listing", "")
    user = _user(request).lower()
    rows = [
        {
            "listing": listing,
            "price": market.format_money(listing.price, listing.currency),
            "highlighted": listing.public_id == highlighted,
            "mine": bool(user) and listing.seller_email == user,
        }
        for listing in listings
    ]
    enabled = market.resale_rule(show.event, show.show_id).enabled and not (show.cancelled or show.event.cancelled)
    return _page(
        request,
        "buy_show.html",
        {
            "show": show,
            "rows": rows,
            "enabled": enabled,
            "filtered": any(filters.values()),
            "error": error,
            "notified": request.GET.get("notified") == "1",
        },
        status=status,
    )


@require_POST
def notify_me(request: HttpRequest, event_id: str, show_id: str) -> HttpResponse:
    """ "Notify me" on a show without listings: menta tells the platform (notifyMe.created.updated)."""
    show = get_object_or_404(Show.objects.select_related("event"), event__external_id=event_id, show_id=show_id)
    email = _user(request) or request.POST.get("email", "").strip()
    try:
        validate_email(email)
    except ValidationError:
        return buy_show(request, event_id, show_id, error=_("Enter a valid email address to be notified."), status=400)
    market.notify_me(show, email)
    return HttpResponseRedirect(_url("buy-show", event_id, show_id) + "?notified=1")


@require_http_methods(["GET", "POST"])
def buy_listing(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = get_object_or_404(Listing.objects.select_related("ticket__event"), pk=listing_id)
    ticket = listing.ticket
    if request.method == "GET":
        return HttpResponseRedirect(_url("buy-show", ticket.event.external_id, ticket.show_id))
    buyer = _user(request)
    if not buyer:
        buyer = request.POST.get("email", "").strip()
        try:
            validate_email(buyer)
        except ValidationError:
            return buy_show(
                request,
                ticket.event.external_id,
                ticket.show_id,
                error=_("Enter a valid email address to buy."),
                status=400,
            )
    reason = verify.refusal(ticket, listing.seller_email) if listing.status == Listing.ACTIVE else None
    if reason:
        return buy_show(
            request,
            ticket.event.external_id,
            ticket.show_id,
            error=_("This ticket is no longer available."),
            status=409,
        )
    try:
        sold = market.buy(listing.pk, buyer, request.POST.get("price"))
    except market.MarketError as exc:
        return buy_show(request, ticket.event.external_id, ticket.show_id, error=str(exc), status=409)
    return _page(
        request,
        "buy_done.html",
        {"listing": sold, "ticket": ticket, "price": market.format_money(sold.price, sold.currency), "buyer": buyer},
    )


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, intention_id: str) -> HttpResponse:
    """The checkout of listings chosen on the platform's own page (contract 4): pay, get them,
    go back to ``returnURL``."""
    intention = get_object_or_404(BuyIntention, public_id=intention_id)
    listings = list(intention.listings.select_related("ticket__event").order_by("id"))
    context: dict[str, Any] = {
        "intention": intention,
        "rows": [{"listing": item, "price": market.format_money(item.price, item.currency)} for item in listings],
        "total": market.format_money(sum((item.price for item in listings), Decimal(0)), listings[0].currency)
        if listings
        else "",
    }
    if request.method == "GET" or intention.completed_at is not None:
        return _page(request, "checkout.html", {**context, "done": intention.completed_at is not None})
    buyer = _user(request) or request.POST.get("email", "").strip()
    try:
        validate_email(buyer)
    except ValidationError:
        return _page(request, "checkout.html", {**context, "error": _("Enter a valid email address to buy.")}, 400)
    refused = next((verify.refusal(item.ticket, item.seller_email) for item in listings), None)
    try:
        if refused:
            raise market.MarketError(_("These tickets are no longer available."))
        market.check_out(intention, buyer)
    except (market.MarketError, market.CheckoutRefused) as exc:
        return _page(request, "checkout.html", {**context, "error": str(exc)}, 409)
    return HttpResponseRedirect(_url("checkout", intention.public_id))


# --- selling --------------------------------------------------------------------------------


def _status(ticket: Ticket, user: str) -> dict[str, Any]:
    answer = market.ticket_access(ticket, user, "en", lambda name, *args, **query: "")
    return {"ticket": ticket, "status": answer["status"], "reason": answer.get("reason", "")}


def sell_home(request: HttpRequest) -> HttpResponse:
    refused = _signed_in_required(request)
    if refused:
        return refused
    user = _user(request)
    tickets = market.with_statuses(Ticket.objects.filter(deleted=False))
    mine = [ticket for ticket in tickets.order_by("event__title", "ticket_id") if market.owns(ticket, user)]
    return _page(request, "sell_home.html", {"rows": [_status(ticket, user) for ticket in mine]})


def _seller_context(ticket: Ticket, user: str) -> dict[str, Any]:
    active = market.active_listing(ticket)
    sold = market.sold_by(ticket, user)
    ceiling = market.max_price(ticket)
    show = market.show_of(ticket)
    return {
        **_status(ticket, user),
        "show": show,
        "active": active,
        "active_price": market.format_money(active.price, active.currency) if active else "",
        "sold": sold,
        "sold_price": market.format_money(sold.price, sold.currency) if sold else "",
        "face_value": market.format_money(ticket.price, ticket.currency) if ticket.price is not None else "",
        "max_price": market.format_money(ceiling, ticket.currency) if ceiling is not None else "",
        "max_amount": ceiling,
    }


@require_http_methods(["GET", "POST"])
def sell_ticket(request: HttpRequest, ticket_id: str) -> HttpResponse:
    refused = _signed_in_required(request)
    if refused:
        return refused
    user = _user(request)
    ticket = get_object_or_404(market.with_statuses(Ticket.objects.all()), ticket_id=ticket_id)
    context = _seller_context(ticket, user)
    if not market.owns(ticket, user) and context["sold"] is None:
        return _message(request, _("Not your ticket"), _("This ticket is not in your account."), 403)
    action = request.POST.get("action") if request.method == "POST" else None
    if context["sold"] is None and action in (None, "list"):
        reason = verify.refusal(ticket, user)
        if reason:
            ticket = market.with_statuses(Ticket.objects.all()).get(pk=ticket.pk)
            context = _seller_context(ticket, user)
            return _page(request, "sell_ticket.html", {**context, "error": reason, "refused": True}, status=409)
    if action is None:
        return _page(request, "sell_ticket.html", {**context, "done": request.GET.get("done", "")})
    try:
        if action == "list":
            market.list_ticket(ticket, user, request.POST.get("price", ""))
            done = "listed"
        elif action == "withdraw":
            if not market.withdraw(ticket, "Withdrawn by the seller"):
                raise market.MarketError(_("This ticket is not listed."))
            done = "withdrawn"
        elif action == "payout":
            if context["sold"] is None:
                raise market.MarketError(_("This ticket has not been sold."))
            market.set_payout(context["sold"], request.POST.get("payout", ""))
            done = "payout"
        else:
            raise market.MarketError(_("Choose what to do with the ticket."))
    except market.MarketError as exc:
        return _page(request, "sell_ticket.html", {**context, "error": str(exc)}, status=400)
    return HttpResponseRedirect(f"{_url('sell-ticket', ticket.ticket_id)}?done={done}")


def sell_payout(request: HttpRequest, ticket_id: str) -> HttpResponse:
    """Where PENDING_PAYOUT_INFO leads: the ticket's page, which carries the payout form."""
    return HttpResponseRedirect(_url("sell-ticket", ticket_id) + "#payout")


@require_http_methods(["GET", "POST"])
def sell_order(request: HttpRequest, order_id: str) -> HttpResponse:
    refused = _signed_in_required(request)
    if refused:
        return refused
    user = _user(request)
    tickets = market.with_statuses(Ticket.objects.filter(order_id=order_id))
    rows = [_status(ticket, user) for ticket in tickets.order_by("ticket_id")]
    rows = [row for row in rows if market.owns(row["ticket"], user) or row["status"] == "SOLD"]
    if not rows:
        return _message(request, _("Order not found"), _("There are no tickets of yours in this order."), 404)
    sellable = [row["ticket"] for row in rows if row["status"] == "SELLABLE"]
    context = {"order_id": order_id, "rows": rows, "sellable": sellable, "done": request.GET.get("done", "")}
    if request.method == "POST":
        try:
            market.list_pack(sellable, user, request.POST.get("price", ""))
        except market.MarketError as exc:
            return _page(request, "sell_order.html", {**context, "error": str(exc)}, 400)
        return HttpResponseRedirect(f"{_url('sell-order', order_id)}?done=pack")
    return _page(request, "sell_order.html", context)


@require_http_methods(["GET", "POST"])
def transfer_ticket(request: HttpRequest, ticket_id: str) -> HttpResponse:
    refused = _signed_in_required(request)
    if refused:
        return refused
    user = _user(request)
    ticket = get_object_or_404(Ticket.objects.select_related("event"), ticket_id=ticket_id, deleted=False)
    if not market.owns(ticket, user):
        return _message(request, _("Not your ticket"), _("This ticket is not in your account."), 403)
    context: dict[str, Any] = {"ticket": ticket}
    if request.method == "POST":
        recipient = request.POST.get("email", "").strip().lower()
        try:
            validate_email(recipient)
        except ValidationError:
            return _page(request, "transfer.html", {**context, "error": _("Enter your friend's email address.")}, 400)
        if recipient == user.lower():
            return _page(request, "transfer.html", {**context, "error": _("That is your own address.")}, 400)
        market.transfer(ticket, recipient)
        context["transferred_to"] = recipient
    return _page(request, "transfer.html", context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return _message(request, _("Signed out"), _("You are signed out of the resale marketplace."), 200)


def home(request: HttpRequest) -> HttpResponse:
    events = Event.objects.filter(cancelled=False).prefetch_related("shows").order_by("title")
    return _page(request, "home.html", {"events": events})
