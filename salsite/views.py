"""The demo ticketing site's pages: the listing of upcoming shows, a show, and My tickets."""

from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from salsite.models import Order, Show, Ticket

# Refunded, cancelled and deleted tickets are gone from My tickets; a transferred one stays, marked.
SHOWN_STATUSES = (Ticket.Status.VALID, Ticket.Status.TRANSFERRED)


class AuthenticatedRequest(HttpRequest):
    """A request that ``login_required`` let through."""

    user: User


def home(request: HttpRequest) -> HttpResponse:
    shows = list(Show.objects.upcoming())
    months = [
        (group[0].starts_at, group)
        for group in (list(g) for _, g in groupby(shows, key=lambda show: (show.starts_at.year, show.starts_at.month)))
    ]
    pairs = [(show.event.external_id, show.external_id) for show in shows]
    return render(request, "salsite/home.html", {"months": months, "pairs": pairs})


def show_detail(request: HttpRequest, event_id: str, show_id: str) -> HttpResponse:
    show = get_object_or_404(Show.objects.select_related("event"), event__external_id=event_id, external_id=show_id)
    return render(
        request,
        "salsite/show.html",
        {"show": show, "event": show.event, "options": show.event.ticket_options.all()},
    )


@login_required
def my_tickets(request: AuthenticatedRequest) -> HttpResponse:
    shown = Ticket.objects.filter(status__in=SHOWN_STATUSES).select_related("show__event", "option")
    orders = [
        order
        for order in Order.objects.filter(user=request.user)
        .prefetch_related(Prefetch("tickets", queryset=shown))
        .order_by("-created_at", "-id")
        if order.tickets.all()
    ]
    valid = [
        ticket.external_id for order in orders for ticket in order.tickets.all() if ticket.status == Ticket.Status.VALID
    ]
    return render(
        request,
        "salsite/my_tickets.html",
        {"orders": orders, "ticket_ids": valid, "order_ids": [order.reference for order in orders]},
    )
