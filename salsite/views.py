"""The demo ticketing site's pages: the listing of upcoming shows, a show, and My tickets."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from salsite import checkout, menta_sync, notices, report, resale
from salsite.catalog import RESALE_STATUSES
from salsite.forms import BuyForm, NameForm, NotifyForm, ProfileForm
from salsite.models import Cart, Order, Profile, ResaleAlert, Show, Ticket
from salwidgets.wire import InvalidPush

# Refunded, cancelled and deleted tickets are gone from My tickets; a resold or transferred one
# stays, marked, without its QR (and keeps its resale CTAs: the seller adds payout details there).
SHOWN_STATUSES = (Ticket.Status.VALID, Ticket.Status.TRANSFERRED, Ticket.Status.RESOLD)


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


def _show(event_id: str, show_id: str) -> Show:
    return get_object_or_404(Show.objects.select_related("event"), event__external_id=event_id, external_id=show_id)


def _show_page(
    request: HttpRequest, show: Show, *, error: str = "", notify: NotifyForm | None = None, status: int = 200
) -> HttpResponse:
    options = [(option, menta_sync.remaining(show, option)) for option in show.event.ticket_options.all()]
    context = {
        "show": show,
        "event": show.event,
        "options": options,
        "on_sale": checkout.on_sale(show),
        "sold_out": all(left == 0 for _option, left in options),
        "quantities": range(1, checkout.MAX_PER_ORDER + 1),
        "error": error,
        "notify": notify or NotifyForm(),
        "notified": request.GET.get("notified") == "1",
    }
    return render(request, "salsite/show.html", context, status=status)


def show_detail(request: HttpRequest, event_id: str, show_id: str) -> HttpResponse:
    return _show_page(request, _show(event_id, show_id))


@require_POST
def buy(request: HttpRequest, event_id: str, show_id: str) -> HttpResponse:
    """Hold the chosen tickets in a cart and go to payment (signing in first, when needed)."""
    show = _show(event_id, show_id)
    if not request.user.is_authenticated:
        return redirect_to_login(request.path.replace("/buy/", "/"))
    form = BuyForm(show, request.POST)
    if not form.is_valid():
        return _show_page(
            request, show, error=" ".join(str(e) for errors in form.errors.values() for e in errors), status=400
        )
    try:
        cart = checkout.hold(request.user, show, form.cleaned_data["option"], form.cleaned_data["quantity"])
    except checkout.CheckoutError as exc:
        return _show_page(request, show, error=str(exc), status=409)
    return redirect("cart", cart.pk)


def _own_cart(request: AuthenticatedRequest, cart_id: int) -> Cart:
    return get_object_or_404(Cart.objects.select_related("show__event", "option"), pk=cart_id, user=request.user)


@login_required
def cart(request: AuthenticatedRequest, cart_id: int) -> HttpResponse:
    held = _own_cart(request, cart_id)
    if request.method == "POST":
        try:
            order = checkout.pay(held)
        except checkout.CheckoutError as exc:
            return render(request, "salsite/cart.html", {"cart": held, "error": str(exc)}, status=409)
        messages.success(
            request,
            ngettext(
                "Paid: %(count)d ticket is in your account.",
                "Paid: %(count)d tickets are in your account.",
                held.quantity,
            )
            % {"count": held.quantity},
        )
        return redirect(f"{reverse('my-tickets')}#order-{order.reference}")
    return render(request, "salsite/cart.html", {"cart": held})


@require_POST
def notify_me(request: HttpRequest, event_id: str, show_id: str) -> HttpResponse:
    """A sold-out show's "notify me": a WISHLIST lead for menta."""
    show = _show(event_id, show_id)
    user = request.user if request.user.is_authenticated else None
    form = NotifyForm(request.POST if user is None else {"email": user.email})
    if not form.is_valid():
        return _show_page(request, show, notify=form, status=400)
    try:
        with transaction.atomic():
            menta_sync.wishlist(show, form.cleaned_data["email"], full_name=user.get_full_name() if user else "")
            notices.subscribe(show, form.cleaned_data["email"], translation.get_language() or "")
    except InvalidPush as exc:
        form.add_error("email", str(exc))
        return _show_page(request, show, notify=form, status=400)
    return redirect(f"{request.path.replace('/notify/', '/')}?notified=1")


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
        ticket.external_id for order in orders for ticket in order.tickets.all() if ticket.status in RESALE_STATUSES
    ]
    # An order's actions are its ticket's when it has only one ticket with actions: only orders of
    # several such tickets show (and ask menta for) their own.
    grouped = [
        order.reference
        for order in orders
        if sum(ticket.status in RESALE_STATUSES for ticket in order.tickets.all()) > 1
    ]
    context = {
        "orders": orders,
        "ticket_ids": valid,
        "order_ids": grouped,
        "grouped": set(grouped),
        "waiting": resale.waiting_for_verification(request.user),
    }
    return render(request, "salsite/my_tickets.html", context)


@login_required
def account(request: AuthenticatedRequest) -> HttpResponse:
    """The person's name, contact details and consents (organizers see them in their report)."""
    profile = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
    data = request.POST if request.method == "POST" else None
    names, details = NameForm(data, instance=request.user), ProfileForm(data, instance=profile)
    if data is not None:
        if names.is_valid() and details.is_valid():
            with transaction.atomic():
                names.save()
                details.save()
                report.touch_owned_by(request.user)
            messages.success(request, _("Your account details are saved."))
            return redirect("account")
        status = 400
    else:
        status = 200
    context = {
        "names": names,
        "details": details,
        "payouts": notices.payouts_of(request.user),
        "alerts": [
            (alert, notices.unsubscribe_token(alert))
            for alert in ResaleAlert.objects.filter(email=request.user.email.lower(), unsubscribed_at=None)
            .select_related("show__event")
            .order_by("show__starts_at")
        ],
    }
    return render(request, "salsite/account.html", context, status=status)


@csrf_exempt  # the link is the credential (signed, one person's alert); mail apps post it (RFC 8058)
@require_http_methods(["GET", "POST"])
def alert_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop one show's resale alerts, without signing in. A GET only asks (mail scanners open
    links); the POST, from the page's button or a mail app's one-click unsubscribe, does it."""
    alert = notices.alert_for_token(token)
    if alert is None:
        context = {"error": _("This unsubscribe link is not valid. Copy the whole link from the email.")}
        return render(request, "salsite/unsubscribe.html", context, status=404)
    if request.method == "POST" and alert.unsubscribed_at is None:
        alert.unsubscribed_at = timezone.now()
        alert.save(update_fields=["unsubscribed_at"])
    return render(request, "salsite/unsubscribe.html", {"alert": alert, "show": alert.show})
