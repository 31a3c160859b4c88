"""The demo's data: accounts, events, orders and tickets, and resale listings made in the sandbox.

Everything is created idempotently, so ``seed_demo`` can run again on the same databases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import requests
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from salsite import report
from salsite.models import Event, Order, Organizer, Profile, Show, Ticket, TicketOption, token_digest
from salwidgets.client import MentaClient
from salwidgets.conf import get_config
from salwidgets.errors import NotFound

DEMO_PASSWORD = "demo12345"
ADMIN_PASSWORD = "admin12345"
# The demo organizer's API token for its events' ticket report (a real organizer's token is issued
# in the admin and shown once).
DEMO_ORGANIZER_TOKEN = "org_demo_live_presents"
# (external id, name, events): who puts on which event.
ORGANIZERS = [
    ("org_live_presents", "Live Presents", ["evt_2024_metallica", "evt_rosalia_motomami"]),
    ("org_broadway_house", "Broadway House", ["evt_hamilton", "evt_bluenote_jazz"]),
]
# What alice and bob told the site about themselves (carol never opened her account page).
PROFILES: dict[str, dict[str, Any]] = {
    "alice": {
        "phone": "+34 600 123 456",
        "birth_date": date(1990, 4, 12),
        "residence_country": "ES",
        "allow_promo_email": True,
        "allow_promo_third_party_email": False,
        "allow_tracking": True,
    },
    "bob": {"phone": "+1 212 555 0142", "residence_country": "US"},
}

# (external id, title, venue, city, description, resale max %, [(show id, days from now, resale on)],
#  [(option id, name, price, currency, places per show)]). Blue Note's one table is sold: it
#  shows "sold out" and its "notify me".
EVENTS = [
    (
        "evt_2024_metallica",
        "Metallica: M72 World Tour",
        "Madison Square Garden",
        "New York",
        "Two nights, no repeats: the M72 tour in the round.",
        120,
        [("show_nyc_20240815", 21, True), ("show_nyc_20240816", 22, True)],
        [("GA", "General admission", "99.99", "USD", 200), ("VIP", "VIP floor", "249.00", "USD", 200)],
    ),
    (
        "evt_rosalia_motomami",
        "Rosalía: Motomami Live",
        "WiZink Center",
        "Madrid",
        "Rosalía brings Motomami back to Madrid.",
        100,
        [("show_mad_night1", 35, True), ("show_mad_night2", 36, True)],
        [("PISTA", "Pista", "65.00", "EUR", 200), ("GRADA", "Grada", "45.00", "EUR", 200)],
    ),
    (
        "evt_bluenote_jazz",
        "Blue Note Jazz Nights",
        "Blue Note",
        "New York",
        "An intimate evening of modern jazz. Resale is off for this show: a ticket cannot be resold, "
        "but it can be passed on to a friend.",
        100,
        [("show_bluenote_1", 14, False)],
        [("TABLE", "Table seat", "55.00", "USD", 1)],
    ),
    (
        "evt_hamilton",
        "Hamilton",
        "Richard Rodgers Theatre",
        "New York",
        "The story of America then, told by America now.",
        110,
        [("show_ham_mat", 10, True), ("show_ham_eve", 10, True), ("show_ham_sun", 12, True)],
        [("ORCH", "Orchestra", "179.00", "USD", 200), ("MEZZ", "Mezzanine", "129.00", "USD", 200)],
    ),
]


# Shows start at 20:00 except these (a matinee shares its day with the evening show).
SHOW_HOURS = {"show_ham_mat": 14}


@dataclass(frozen=True)
class DemoTicket:
    ticket_id: str
    order: str
    owner: str
    event: str
    show: str
    option: str
    seat: tuple[str, str, str] = ("", "", "")
    status: str = Ticket.Status.VALID


TICKETS = [
    DemoTicket("TKT-ALICE-001", "ORD-ALICE-1", "alice", "evt_2024_metallica", "show_nyc_20240815", "GA"),
    DemoTicket("TKT-ALICE-002", "ORD-ALICE-1", "alice", "evt_2024_metallica", "show_nyc_20240815", "GA"),
    DemoTicket("TKT-ALICE-003", "ORD-ALICE-2", "alice", "evt_rosalia_motomami", "show_mad_night1", "PISTA"),
    DemoTicket(
        "TKT-ALICE-004",
        "ORD-ALICE-2",
        "alice",
        "evt_rosalia_motomami",
        "show_mad_night1",
        "PISTA",
        status=Ticket.Status.REFUNDED,
    ),
    DemoTicket(
        "TKT-ALICE-005", "ORD-ALICE-3", "alice", "evt_bluenote_jazz", "show_bluenote_1", "TABLE", ("T", "4", "2")
    ),
    DemoTicket("TKT-ALICE-006", "ORD-ALICE-4", "alice", "evt_hamilton", "show_ham_eve", "ORCH", ("ORCH", "F", "11")),
    DemoTicket(
        "TKT-ALICE-007",
        "ORD-ALICE-4",
        "alice",
        "evt_hamilton",
        "show_ham_eve",
        "ORCH",
        ("ORCH", "F", "12"),
        status=Ticket.Status.TRANSFERRED,
    ),
    DemoTicket(
        "TKT-BOB-001", "ORD-BOB-1", "bob", "evt_2024_metallica", "show_nyc_20240816", "VIP", ("FLOOR", "3", "7")
    ),
    DemoTicket("TKT-BOB-002", "ORD-BOB-2", "bob", "evt_hamilton", "show_ham_mat", "MEZZ", ("MEZZ", "B", "5")),
    DemoTicket(
        "TKT-BOB-003",
        "ORD-BOB-2",
        "bob",
        "evt_hamilton",
        "show_ham_mat",
        "MEZZ",
        ("MEZZ", "B", "6"),
        status=Ticket.Status.CANCELLED,
    ),
    *(
        DemoTicket(
            f"TKT-CAROL-{n:03}",
            "ORD-CAROL-1",
            "carol",
            "evt_2024_metallica",
            "show_nyc_20240815",
            "VIP" if n > 3 else "GA",
            ("FLOOR" if n > 3 else "A", "1", str(10 + n)),
        )
        for n in range(1, 7)
    ),
    *(
        DemoTicket(
            f"TKT-CAROL-R{n}",
            "ORD-CAROL-2",
            "carol",
            "evt_rosalia_motomami",
            "show_mad_night2",
            "GRADA",
            ("G2", "8", str(n)),
        )
        for n in range(1, 4)
    ),
]
# Listings carol makes in menta's sell flow: ticket id -> price.
LISTINGS = {
    "TKT-CAROL-001": "95",
    "TKT-CAROL-002": "110",
    "TKT-CAROL-003": "98",
    "TKT-CAROL-004": "260",
    "TKT-CAROL-005": "280",
    "TKT-CAROL-R1": "42",
    "TKT-CAROL-R2": "45",
}
ACCOUNTS = {
    "alice": ("Alice", "Martin"),
    "bob": ("Bob", "Okafor"),
    "carol": ("Carol", "Ruiz"),
}


def _user(username: str, first: str, last: str, password: str, *, staff: bool = False) -> AbstractUser:
    user_model = get_user_model()
    email = f"{username}@example.com"
    user, created = user_model.objects.get_or_create(
        username=email, defaults={"email": email, "first_name": first, "last_name": last}
    )
    if created:
        user.set_password(password)
        user.is_staff = user.is_superuser = staff
        user.save()
    # The demo's accounts count as having verified their email (resales to it reach them).
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


@transaction.atomic
def create_site_data() -> list[Ticket]:
    """Accounts, events, shows, options, orders and tickets of the demo; answers the tickets."""
    users = {name: _user(name, *names, DEMO_PASSWORD) for name, names in ACCOUNTS.items()}
    _user("admin", "Site", "Admin", ADMIN_PASSWORD, staff=True)
    for name, fields in PROFILES.items():
        Profile.objects.get_or_create(user=users[name], defaults=fields)
    now = timezone.now().replace(hour=20, minute=0, second=0, microsecond=0)
    for external_id, title, venue, city, description, percent, shows, options in EVENTS:
        event, _ = Event.objects.update_or_create(
            external_id=external_id,
            defaults={
                "title": title,
                "venue": venue,
                "city": city,
                "description": description,
                "resale_max_percent": percent,
            },
        )
        for show_id, days, resale in shows:
            Show.objects.get_or_create(
                event=event,
                external_id=show_id,
                defaults={
                    "starts_at": (now + timedelta(days=days)).replace(hour=SHOW_HOURS.get(show_id, 20)),
                    "resale_enabled": resale,
                },
            )
        for option_id, name, price, currency, places in options:
            TicketOption.objects.update_or_create(
                event=event,
                external_id=option_id,
                defaults={
                    "name": name,
                    "price": Decimal(price),
                    "currency": currency,
                    "capacity": places,
                },
            )
    _organizers()
    tickets = []
    for item in TICKETS:
        owner = users[item.owner]
        order, _ = Order.objects.get_or_create(reference=item.order, defaults={"user": owner})
        show = Show.objects.get(event__external_id=item.event, external_id=item.show)
        option = TicketOption.objects.get(event__external_id=item.event, external_id=item.option)
        section, row, seat = item.seat
        ticket, _ = Ticket.objects.get_or_create(
            external_id=item.ticket_id,
            defaults={
                "order": order,
                "holder": owner,
                "show": show,
                "option": option,
                "section": section,
                "row": row,
                "seat": seat,
                "status": item.status,
            },
        )
        tickets.append(ticket)
    return tickets


def _organizers() -> None:
    """The demo's organizers, the first with a known API token, and olivia, staff at Live Presents,
    who may read the ticket report of Metallica and nothing else."""
    for external_id, name, events in ORGANIZERS:
        organizer, created = Organizer.objects.get_or_create(external_id=external_id, defaults={"name": name})
        if created and external_id == ORGANIZERS[0][0]:
            organizer.token_digest = token_digest(DEMO_ORGANIZER_TOKEN)
            organizer.token_issued_at = timezone.now()
            organizer.save(update_fields=["token_digest", "token_issued_at"])
        Event.objects.filter(external_id__in=events, organizer=None).update(organizer=organizer)
    olivia = _user("olivia", "Olivia", "Chen", DEMO_PASSWORD)
    if not olivia.is_staff:
        olivia.is_staff = True
        olivia.save(update_fields=["is_staff"])
    assign_perm(report.PERMISSION, olivia, Event.objects.get(external_id="evt_2024_metallica"))


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ALERT = re.compile(r'role="alert">([^<]+)<')


class SellFlowError(Exception):
    """The sell page refused the demo's listing."""


def list_in_sell_flow(client: MentaClient, seller: str, ticket_id: str, price: str) -> None:
    """List a ticket the way a person does: signed into menta's sell page by a one-time token.

    Only the sandbox's hosted pages are known to this function; against the real menta
    the demo has no listings until people make them.
    """
    try:
        if client.listing_for_ticket(ticket_id, seller_email=seller).status in ("ACTIVE", "SOLD"):
            return
    except NotFound:
        pass
    page = client.selling_flow_url(ticket_id)
    token = client.one_time_token(seller).token
    with requests.Session() as browser:
        form = browser.get(page, params={get_config()["OTT_PARAM"]: token}, timeout=10)
        match = _CSRF_INPUT.search(form.text)
        if not form.ok or match is None:
            raise SellFlowError(f"the sell page of {ticket_id} answered HTTP {form.status_code} without a form")
        answer = browser.post(
            form.url,
            data={"csrfmiddlewaretoken": match.group(1), "action": "list", "price": price},
            headers={"Referer": form.url},
            timeout=10,
        )
        if not answer.ok:
            alert = _ALERT.search(answer.text)
            raise SellFlowError(
                f"listing {ticket_id} at {price} was refused: {alert.group(1) if alert else answer.status_code}"
            )
