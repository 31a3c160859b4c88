"""The primary checkout: hold tickets in a cart for a few minutes, pay, get an order of tickets.

Every step that changes what menta should know (tickets issued, inventory, leads) tells it in
the same transaction, through the outbox.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from salsite import menta_sync
from salsite.models import Cart, Order, Show, Ticket, TicketOption, new_order_reference, new_ticket_id

logger = logging.getLogger("salsite")

HOLD_MINUTES = 10
MAX_PER_ORDER = 6


class CheckoutError(Exception):
    """A checkout step that cannot be done; the message is for the person."""


def on_sale(show: Show) -> bool:
    return show.status == Show.Status.LIVE and show.starts_at > timezone.now()


@transaction.atomic
def hold(user: User, show: Show, option: TicketOption, quantity: int) -> Cart:
    """Reserve ``quantity`` tickets of ``option`` for ``user`` for ``HOLD_MINUTES`` minutes."""
    if option.event_id != show.event_id:
        raise CheckoutError(_("That ticket type is not sold for this show."))
    if not on_sale(show):
        raise CheckoutError(_("Tickets for this show are no longer on sale."))
    if not 1 <= quantity <= MAX_PER_ORDER:
        raise CheckoutError(_("Choose from 1 to %(max)d tickets.") % {"max": MAX_PER_ORDER})
    # Serialises checkouts of one option, so that two people never hold the last place.
    TicketOption.objects.select_for_update().get(pk=option.pk)
    left = menta_sync.remaining(show, option)
    if left == 0:
        raise CheckoutError(_("%(option)s is sold out.") % {"option": option.name})
    if quantity > left:
        raise CheckoutError(_("Only %(left)d tickets of %(option)s are left.") % {"left": left, "option": option.name})
    now = timezone.now()
    cart = Cart.objects.create(
        user=user, show=show, option=option, quantity=quantity, expires_at=now + timedelta(minutes=HOLD_MINUTES)
    )
    menta_sync.inventory_changed(show)
    transaction.on_commit(lambda: schedule_expiry(cart))
    return cart


@task()
def expire_carts() -> int:
    """End the carts whose hold ran out (each run ends every overdue cart, not only its own)."""
    return expire_overdue()


def schedule_expiry(cart: Cart) -> None:
    try:
        expire_carts.using(run_after=cart.expires_at).enqueue()
    except Exception:
        logger.exception("Could not schedule the expiry of cart %s", cart.pk)


@transaction.atomic
def pay(cart: Cart) -> Order:
    """Pay for an open cart (the demo's pretend payment): an order with its tickets."""
    cart = Cart.objects.select_for_update().select_related("show__event", "option", "user").get(pk=cart.pk)
    if cart.status == Cart.Status.PAID and cart.order is not None:
        return cart.order
    if not cart.is_open():
        raise CheckoutError(_("Your reservation expired. Choose your tickets again."))
    now = timezone.now()
    order = Order.objects.create(reference=new_order_reference(), user=cart.user, created_at=now)
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                external_id=new_ticket_id(),
                order=order,
                holder=cart.user,
                show=cart.show,
                option=cart.option,
            )
            for _n in range(cart.quantity)
        ]
    )
    cart.status, cart.order = Cart.Status.PAID, order
    cart.save(update_fields=["status", "order"])
    menta_sync.tickets_issued(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).select_related(
            "show__event", "option", "holder", "order__user"
        )
    )
    return order


def expire_overdue() -> int:
    """End every open cart past its time: its places go back on sale and menta gets an
    ABANDONED_CART lead. Answers how many carts ended."""
    ended = 0
    for cart_id in Cart.objects.filter(status=Cart.Status.OPEN, expires_at__lte=timezone.now()).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            cart = (
                Cart.objects.select_for_update()
                .select_related("show__event", "option", "user")
                .filter(pk=cart_id, status=Cart.Status.OPEN)
                .first()
            )
            if cart is None:
                continue
            cart.status = Cart.Status.EXPIRED
            cart.save(update_fields=["status"])
            menta_sync.cart_abandoned(cart)
            ended += 1
    return ended
