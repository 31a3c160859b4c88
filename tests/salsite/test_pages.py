"""The demo site's pages, over HTTP with Django's test client, parsed and asserted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.test import Client

from salsite.models import Event, Order, Show, Ticket, TicketOption
from tests.conftest import SandboxControl


def page(response: object) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")  # type: ignore[attr-defined]


class TestListing:
    def test_every_upcoming_show(self, demo: SandboxControl, client: Client) -> None:
        response = client.get("/")

        shows = [card["data-show"] for card in page(response).select(".show-card")]
        assert response.status_code == 200
        assert "evt_2024_metallica/show_nyc_20240815" in shows
        assert len(shows) == 8


class TestShowPage:
    def test_the_seed_show(self, demo: SandboxControl, client: Client) -> None:
        response = client.get("/events/evt_2024_metallica/show_nyc_20240815/")

        html = page(response)
        assert html.h1.get_text() == "Metallica: M72 World Tour"
        assert [td.get_text() for td in html.select(".options td:first-child")] == ["General admission", "VIP floor"]

    def test_unknown_show_is_404(self, demo: SandboxControl, client: Client) -> None:
        assert client.get("/events/evt_2024_metallica/nope/").status_code == 404


class TestMyTickets:
    def test_needs_sign_in(self, demo: SandboxControl, client: Client) -> None:
        response = client.get("/my-tickets/")

        assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/my-tickets/")

    def test_sign_in_with_email_and_see_tickets_by_order(self, demo: SandboxControl, client: Client) -> None:
        signed_in = client.post("/accounts/login/", {"login": "alice@example.com", "password": "demo12345"})
        html = page(client.get("/my-tickets/"))

        assert signed_in["Location"] == "/my-tickets/"
        orders = {
            order["data-order"]: [t["data-ticket"] for t in order.select(".ticket")] for order in html.select(".order")
        }
        assert orders["ORD-ALICE-1"] == ["TKT-ALICE-001", "TKT-ALICE-002"]
        assert html.select_one('[data-ticket="TKT-ALICE-007"] .ticket-status').get_text() == "Transferred"
        assert html.select_one('[data-ticket="TKT-ALICE-004"]') is None  # refunded: gone
        assert not any(ticket.startswith("TKT-BOB") for tickets in orders.values() for ticket in tickets)

    def test_wrong_password_is_a_clear_error(self, demo: SandboxControl, client: Client) -> None:
        response = client.post("/accounts/login/", {"login": "alice@example.com", "password": "nope"})

        assert response.status_code == 400
        assert (
            "email address and/or password you specified are not correct"
            in page(response).select_one(".error").get_text()
        )


class TestResaleOnPages:
    def test_every_page_carries_the_csp(self, demo: SandboxControl, client: Client) -> None:
        for url in ("/", "/events/evt_2024_metallica/show_nyc_20240815/", "/accounts/login/"):
            policy = client.get(url)["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "style-src 'self'" in policy
            assert "unsafe-inline" not in policy

    def test_no_inline_script_or_style(self, demo: SandboxControl, client: Client) -> None:
        client.login(username="alice@example.com", password="demo12345")
        for url in ("/", "/events/evt_2024_metallica/show_nyc_20240815/", "/my-tickets/"):
            html = page(client.get(url))
            assert all(script.get("src") for script in html.select("script")), url
            assert not html.select("style") and not html.select("[style]"), url

    def test_listing_buttons_come_from_one_bulk_call(self, demo: SandboxControl, client: Client) -> None:
        loader = page(client.get("/")).select_one(".sal-loader")
        demo.reset_stats()

        filled = page(client.get(loader["hx-get"]))
        warm = page(client.get("/"))

        assert demo.stats() == {"POST /v1/wrapper/accesslayer/bulk": 1}
        assert len(filled.select(".sal-slot")) == 8
        assert warm.select_one(".sal-loader") is None
        metallica = warm.select_one('[data-show="evt_2024_metallica/show_nyc_20240815"] .sal-button')
        assert metallica.get_text(" ", strip=True) == "Buy resale tickets 5 tickets from $95"
        assert warm.select_one('[data-show="evt_bluenote_jazz/show_bluenote_1"] .sal-button') is None

    def test_my_tickets_per_order_and_per_ticket(self, demo: SandboxControl, client: Client) -> None:
        client.login(username="alice@example.com", password="demo12345")
        cold = page(client.get("/my-tickets/"))
        for loader in cold.select(".sal-loader"):
            client.get(loader["hx-get"])

        html = page(client.get("/my-tickets/"))

        def status(selector: str) -> str:
            return html.select_one(f"{selector} .sal-item")["data-sal-status"]

        assert len(cold.select(".sal-loader")) == 2
        assert status('[data-ticket="TKT-ALICE-001"]') == "SELLABLE"
        assert status('[data-ticket="TKT-ALICE-005"]') == "NOT_SELLABLE"
        assert html.select_one('[data-ticket="TKT-ALICE-005"] [data-sal-action]')["data-sal-action"] == "P2P"
        assert html.select_one('[data-ticket="TKT-ALICE-007"] .sal-item') is None  # transferred: no CTAs
        assert status('[data-order="ORD-ALICE-1"] .order-sal') == "SELLABLE"
        # Each action once: a one-ticket order's actions are its ticket's, not repeated on the order.
        assert html.select_one('[data-order="ORD-ALICE-3"] .order-sal') is None
        # Nor one whose other ticket was transferred away: one ticket with actions.
        assert html.select_one('[data-order="ORD-ALICE-4"] .order-sal') is None
        assert len(html.select('[data-order="ORD-ALICE-3"] [data-sal-action="P2P"]')) == 1
        # The site's own state shows only when it is news: a valid ticket is not labelled "Valid".
        assert html.select_one('[data-ticket="TKT-ALICE-001"] .ticket-status') is None
        assert html.select_one('[data-ticket="TKT-ALICE-007"] .ticket-status').get_text() == "Transferred"

    def test_a_seller_is_not_offered_their_own_listings(self, demo: SandboxControl, client: Client) -> None:
        show = {"event": "evt_2024_metallica", "show": "show_nyc_20240815"}
        client.login(username="carol@example.com", password="demo12345")
        carols = page(client.get("/sal/fragments/listings/", show))
        client.login(username="bob@example.com", password="demo12345")
        bobs = page(client.get("/sal/fragments/listings/", show))

        mine = carols.select(".sal-listings__item--own")
        assert len(mine) == len(carols.select(".sal-listings__item")) == 5
        assert all(item.select_one("input") is None and "Your listing" in item.get_text() for item in mine)
        assert [button.get_text() for button in carols.select("button[type=submit]")] == ["Apply"]  # no checkout
        assert not bobs.select(".sal-listings__item--own") and len(bobs.select("input[name=listing]")) == 5

    def test_a_show_without_resale_has_no_resale_section(self, demo: SandboxControl, client: Client) -> None:
        html = page(client.get("/events/evt_bluenote_jazz/show_bluenote_1/"))

        assert html.select_one("#resale-title") is None
        assert "Resale is off for this show: a ticket cannot be resold, but it can be passed on" in html.get_text()

    def test_spanish(self, demo: SandboxControl, client: Client) -> None:
        client.post("/i18n/setlang/", {"language": "es", "next": "/"})

        html = page(client.get("/"))

        assert html.html["lang"] == "es"
        assert html.h1.get_text() == "Próximas funciones"


@pytest.mark.django_db(transaction=True)
class TestFreshData:
    """django-cachalot serves the catalogue from the cache, and a write invalidates it at once."""

    def test_a_refunded_ticket_disappears_at_once(
        self, site_menta: SandboxControl, client: Client, django_assert_num_queries: Any
    ) -> None:
        alice = User.objects.create_user("alice@example.com", "alice@example.com", "pw")
        event = Event.objects.create(external_id="e", title="Show", description="", venue="V", city="C")
        show = Show.objects.create(event=event, external_id="s", starts_at="2030-01-01T20:00:00Z")
        option = TicketOption.objects.create(event=event, external_id="GA", name="GA", price=Decimal("10"))
        order = Order.objects.create(reference="O-1", user=alice)
        for n in (1, 2):
            Ticket.objects.create(external_id=f"T-{n}", order=order, holder=alice, show=show, option=option)
        client.force_login(alice)
        client.get("/my-tickets/")
        with django_assert_num_queries(1):  # the session; the user and the tickets come from cachalot
            client.get("/my-tickets/")

        Ticket.objects.filter(external_id="T-2").update(status=Ticket.Status.REFUNDED)
        html = page(client.get("/my-tickets/"))

        assert html.select_one('[data-ticket="T-2"]') is None
        assert html.select_one('[data-ticket="T-1"]') is not None
