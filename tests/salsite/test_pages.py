"""The demo site's pages, over HTTP with Django's test client, parsed and asserted."""

from __future__ import annotations

from bs4 import BeautifulSoup
from django.test import Client

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
        signed_in = client.post("/accounts/login/", {"username": "alice@example.com", "password": "demo12345"})
        html = page(client.get("/my-tickets/"))

        assert signed_in["Location"] == "/my-tickets/"
        orders = {
            order["data-order"]: [t["data-ticket"] for t in order.select(".ticket")] for order in html.select(".order")
        }
        assert orders["ORD-ALICE-1"] == ["TKT-ALICE-001", "TKT-ALICE-002"]
        assert html.select_one('[data-ticket="TKT-ALICE-004"] .ticket-status').get_text() == "Refunded"
        assert not any(ticket.startswith("TKT-BOB") for tickets in orders.values() for ticket in tickets)

    def test_wrong_password_is_a_clear_error(self, demo: SandboxControl, client: Client) -> None:
        response = client.post("/accounts/login/", {"username": "alice@example.com", "password": "nope"})

        assert response.status_code == 200
        assert "Please enter a correct username and password" in page(response).select_one(".error").get_text()
