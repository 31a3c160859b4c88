"""Build your own buying flow: listed tickets, buy intentions and checkouts against the sandbox,
and the ``sal_listings`` tag with its checkout view on the site."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.template import Context, RequestContext, Template
from django.test import Client, RequestFactory

from salwidgets import cache, wire
from salwidgets.client import MentaClient
from salwidgets.errors import ValidationFailed
from tests.conftest import API_KEY, SandboxControl, World
from tests.support.upstream import ScriptedUpstream


def soup(html: bytes | str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


class Market:
    """A show with tickets listed by a seller through the sandbox's sell pages."""

    def __init__(self, world: World, person: Any) -> None:
        self.world, self.menta = world, world.menta
        self.event_id, (self.show_id,) = world.event(max_percent=200)
        self.seller = person("seller@example.com")
        self.tickets: dict[str, str] = {}  # listing id -> ticket id

    def list(self, seat: tuple[str, str, str], price: str, *, option: str = "GA") -> str:
        ticket_id = self.world.ticket(self.event_id, self.show_id, self.seller.email, seat=seat, option=option)
        self.seller.submit(self.seller.open(self.menta.selling_flow_url(ticket_id)), action="list", price=price)
        return self.listing_of(ticket_id)

    def pack(self, seats: list[tuple[str, str, str]], price: str) -> list[str]:
        order_id = self.world.id("order")
        tickets = [
            self.world.ticket(self.event_id, self.show_id, self.seller.email, seat=seat, order_id=order_id)
            for seat in seats
        ]
        page = self.seller.open(self.menta.order_selling_flow_url(order_id))
        assert self.seller.submit(page, form="List as one pack", price=price).ok
        return [self.listing_of(ticket_id) for ticket_id in tickets]

    def listing_of(self, ticket_id: str) -> str:
        listing_id = self.menta.listing_for_ticket(ticket_id).listing_id
        self.tickets[listing_id] = ticket_id
        return listing_id

    def listed(self) -> tuple[wire.ListedTicket, ...]:
        listed, dropped = self.menta.listed_tickets(self.event_id, show_id=self.show_id)
        assert dropped == ()
        return listed


@pytest.fixture
def market(world: World, person: Any) -> Market:
    return Market(world, person)


class TestListedTickets:
    def test_singles_and_a_pack_with_their_seats(self, market: Market) -> None:
        single = market.list(("A", "1", "7"), "80")
        pack = market.pack([("A", "1", "8"), ("A", "1", "9")], "85")

        listed = {item.listing_id: item for item in market.listed()}

        assert set(listed) == {single, *pack}
        assert (listed[single].type, listed[single].quantity, listed[single].pack_id) == ("SINGLE", 1, None)
        assert listed[single].price == wire.Money(Decimal("80"), "USD")
        assert (listed[single].section, listed[single].row, listed[single].seat) == ("A", "1", "7")
        assert {(listed[i].type, listed[i].quantity) for i in pack} == {("PACK", 2)}
        assert listed[pack[0]].pack_id == listed[pack[1]].pack_id is not None

    def test_an_unknown_event_is_not_found(self, menta: MentaClient) -> None:
        with pytest.raises(Exception, match="Event not found"):
            menta.listed_tickets("no-such-event")


class TestCheckoutConstraints:
    def test_adjacent_seats_of_one_option_check_out(self, market: Market) -> None:
        ids = [market.list(("A", "1", "7"), "80"), market.list(("A", "1", "8"), "80")]

        url = market.menta.checkout_url(ids, return_url="https://site.example/back/")

        assert urlsplit(url).path.startswith("/checkout/bi_")

    @pytest.mark.parametrize(
        ("seats", "options", "message"),
        [
            ([("A", "1", "7"), ("A", "1", "9")], ("GA", "GA"), "seats must be contiguous"),
            ([("A", "1", "7"), ("A", "2", "8")], ("GA", "GA"), "seats must be contiguous"),
            ([("A", "1", "7"), ("A", "1", "8")], ("GA", "VIP"), "listings must share event, show and ticket option"),
        ],
    )
    def test_refusals_name_the_constraint(
        self, market: Market, seats: list[tuple[str, str, str]], options: tuple[str, str], message: str
    ) -> None:
        ids = [market.list(seat, "80", option=option) for seat, option in zip(seats, options, strict=True)]

        with pytest.raises(ValidationFailed) as refused:
            market.menta.checkout_url(ids, return_url="https://site.example/back/")

        assert (refused.value.status, refused.value.message) == (400, message)

    def test_a_pack_is_sold_whole(self, market: Market) -> None:
        pack = market.pack([("A", "1", "8"), ("A", "1", "9")], "85")

        with pytest.raises(ValidationFailed, match="a pack cannot be split"):
            market.menta.checkout_url(pack[:1], return_url="https://site.example/back/")
        assert market.menta.checkout_url(pack, return_url="https://site.example/back/")

    @pytest.mark.parametrize("ids", [["lst_999999999"], ["nonsense"]])
    def test_a_listing_that_is_gone_is_a_conflict(self, menta: MentaClient, ids: list[str]) -> None:
        with pytest.raises(ValidationFailed) as refused:
            menta.checkout_url(ids, return_url="https://site.example/back/")

        assert (refused.value.status, refused.value.message) == (409, "listing is no longer available")

    def test_an_empty_choice_and_a_bad_return_url(self, sandbox: SandboxControl, market: Market) -> None:
        listing = market.list(("A", "1", "7"), "80")

        empty = sandbox.call("POST", "/v1/marketplace/checkout/url", json={"listingIds": []})
        bad = sandbox.call(
            "POST", "/v1/marketplace/checkout/url", params={"returnURL": "ftp://x"}, json={"listingIds": [listing]}
        )

        assert empty[1]["errors"] == {"message": "listingIds must contain at least one listing"}
        assert bad[1]["errors"] == {"message": "returnURL must be an http(s) URL"}

    def test_a_buy_intention_holds_the_listings_for_its_buyer(self, market: Market) -> None:
        listing = market.list(("A", "1", "7"), "80")

        intention = market.menta.buy_intention([listing], "bob@example.com")

        assert intention.id.startswith("bi_") and intention.expires_at is not None
        assert urlsplit(intention.url).path == f"/checkout/{intention.id}/"
        with pytest.raises(ValidationFailed, match="listing is no longer available"):
            market.menta.checkout_url([listing], return_url="https://site.example/back/")
        trust = ("email", "bob@example.com")
        assert market.menta.checkout_url([listing], return_url="https://site.example/back/", trust=trust)


class TestCheckoutPage:
    def test_the_buyer_signed_in_by_login_trust_pays_and_goes_back(self, market: Market, person: Any) -> None:
        ids = [market.list(("A", "1", "7"), "80"), market.list(("A", "1", "8"), "90")]
        url = market.menta.checkout_url(
            ids, return_url="https://site.example/back/", trust=("email", "buyer@example.com")
        )
        buyer = person("buyer@example.com")

        page = buyer.browser.get(url, timeout=10)
        assert "Signed in as buyer@example.com" in page.text and "Total: $170" in page.text
        done = buyer.submit(page, form="Pay $170")

        assert "Purchase complete" in done.text
        assert soup(done.text).find("a", string="Back to your ticketing site")["href"] == "https://site.example/back/"
        assert market.listed() == ()
        bought = market.menta.ticket_access("buyer@example.com", [market.tickets[i] for i in ids])
        assert {access.status for access in bought} == {"SELLABLE"}  # the buyer's now, and theirs to resell


@pytest.mark.django_db
class TestTheTag:
    @pytest.fixture
    def show(self, site_menta: SandboxControl, market: Market) -> Market:
        market.list(("A", "1", "8"), "90")
        market.list(("A", "1", "7"), "80")
        market.list(("B", "2", "1"), "150", option="VIP")
        return market

    def listings(self, client: Client, show: Market, **query: str) -> BeautifulSoup:
        response = client.get("/sal/fragments/listings/", {"event": show.event_id, "show": show.show_id, **query})
        assert response.status_code == 200
        return soup(response.content)

    def rows(self, html: BeautifulSoup) -> list[str]:
        return [item.label.get_text(" ", strip=True) for item in html.select(".sal-listings__item")]

    def test_listings_sorted_by_price_with_seat_labels(self, client: Client, show: Market) -> None:
        html = self.listings(client, show)

        assert self.rows(html) == [
            "GA Section A, Row 1, Seat 7 $80",
            "GA Section A, Row 1, Seat 8 $90",
            "VIP Section B, Row 2, Seat 1 $150",
        ]
        assert [o["value"] for o in html.select("select[name=sal_option] option")] == ["", "GA", "VIP"]

    def test_in_spanish(self, client: Client, show: Market) -> None:
        client.cookies["django_language"] = "es"

        html = self.listings(client, show)

        assert self.rows(html)[0] == "GA Sector A, Fila 1, Asiento 7 80\u00a0US$"
        assert html.select_one(".sal-listings__form button[type=submit]").get_text() == "Ir a pagar"

    def test_filter_by_option_and_sort_highest_first(self, client: Client, show: Market) -> None:
        html = self.listings(client, show, option="GA", sort="-price")

        assert self.rows(html) == ["GA Section A, Row 1, Seat 8 $90", "GA Section A, Row 1, Seat 7 $80"]

    def test_the_tag_renders_inline_once_cached_and_reads_the_page_query(
        self, rf: RequestFactory, show: Market
    ) -> None:
        template = Template("{% load sal %}{% sal_listings event show %}")
        request = rf.get("/show/?sal_option=VIP")
        request.user = User()

        lazy = soup(template.render(Context({"request": request, "event": show.event_id, "show": show.show_id})))
        assert "option=VIP" in lazy.select_one(".sal-lazy")["hx-get"]
        inline = Template("{% load sal %}{% sal_listings event show lazy=False %}").render(
            Context({"request": request, "event": show.event_id, "show": show.show_id})
        )
        assert self.rows(soup(inline)) == ["VIP Section B, Row 2, Seat 1 $150"]

    def test_the_page_s_forms_and_the_listings_share_one_token(self, rf: RequestFactory, show: Market) -> None:
        template = Template('<form method="post">{% csrf_token %}</form>{% load sal %}{% sal_listings event show %}')
        request = rf.get("/show/")
        request.user = User()
        Template("{% load sal %}{% sal_listings event show lazy=False %}").render(
            Context({"request": request, "event": show.event_id, "show": show.show_id})
        )  # cached: the tag below renders inline

        html = soup(template.render(RequestContext(request, {"event": show.event_id, "show": show.show_id})))

        fields = [field["value"] for field in html.select("input[name=csrfmiddlewaretoken]")]
        assert len(fields) == 2 and len(set(fields)) == 1  # masked once for the page, as Django's forms share it
        assert html.select_one(".sal-listings__form input[name=csrfmiddlewaretoken]")

    def test_listings_are_cached_and_dropped_with_the_show(
        self, client: Client, show: Market, site_menta: SandboxControl
    ) -> None:
        site_menta.reset_stats()
        self.listings(client, show)
        self.listings(client, show)
        calls = "GET /v1/marketplace/items/events/:eventId/listedTickets"
        assert site_menta.stats()[calls] == 1

        cache.forget_show(show.event_id, show.show_id)
        self.listings(client, show)

        assert site_menta.stats()[calls] == 2


@pytest.mark.django_db
class TestCheckoutView:
    @pytest.fixture
    def alice(self, site_menta: SandboxControl) -> Client:
        client = Client()
        client.force_login(User.objects.create_user("alice@example.com", "alice@example.com", "pw"))
        return client

    def test_a_signed_in_person_is_sent_to_the_checkout_signed_in(self, alice: Client, market: Market) -> None:
        ids = [market.list(("A", "1", "7"), "80"), market.list(("A", "1", "8"), "80")]

        response = alice.post("/sal/checkout/", {"listing": ids, "next": "/shows/x/"}, headers={"HX-Request": "true"})

        location = response["HX-Redirect"]
        assert response.status_code == 204 and "oneTimeToken" in parse_qs(urlsplit(location).query)
        page = requests.get(location, timeout=10)
        assert "Signed in as alice@example.com" in page.text and "Total: $160" in page.text

    def test_without_htmx_the_browser_is_redirected(
        self, client: Client, site_menta: SandboxControl, market: Market, person: Any
    ) -> None:
        listing = market.list(("A", "1", "7"), "80")

        response = client.post("/sal/checkout/", {"listing": [listing], "next": "/shows/x/"})

        assert response.status_code == 303 and urlsplit(response["Location"]).path.startswith("/checkout/bi_")
        guest = person("guest@example.com")
        done = guest.submit(guest.browser.get(response["Location"], timeout=10), form="Pay $80", email=guest.email)
        back = soup(done.text).find("a", string="Back to your ticketing site")["href"]
        assert back == "http://testserver/sal/back/?next=%2Fshows%2Fx%2F"  # the page the form was on

    def test_a_refusal_in_plain_words_next_to_the_choice(self, alice: Client, market: Market) -> None:
        ids = [market.list(("A", "1", "7"), "80"), market.list(("A", "1", "9"), "80")]

        response = alice.post("/sal/checkout/", {"listing": ids, "next": "/shows/x/"}, headers={"HX-Request": "true"})

        html = soup(response.content)
        assert response.status_code == 400
        assert html.select_one(".sal-listings__refusal-text").get_text() == (
            "These seats are not next to each other. Choose seats side by side in one row."
        )
        assert "seats must be contiguous" in html.select_one(".sal-listings__refusal-detail").get_text()

    def test_a_refusal_without_htmx_is_a_page_with_the_way_back(
        self, client: Client, site_menta: SandboxControl
    ) -> None:
        response = client.post("/sal/checkout/", {"listing": ["lst_999999999"], "next": "/shows/x/"})

        html = soup(response.content)
        assert response.status_code == 409
        assert "One of these tickets was just sold or reserved" in html.get_text()
        assert html.find("a", string="Back")["href"] == "/shows/x/"

    def test_nothing_chosen(self, client: Client, site_menta: SandboxControl) -> None:
        response = client.post("/sal/checkout/", {"next": "//evil.example/"}, headers={"HX-Request": "true"})

        assert (response.status_code, soup(response.content).get_text(strip=True)) == (
            400,
            "Choose at least one ticket.",
        )

    def test_get_is_not_allowed(self, client: Client) -> None:
        assert client.get("/sal/checkout/").status_code == 405


@pytest.mark.django_db
class TestOversizedListings:
    @pytest.fixture
    def upstream(self, settings: Any) -> Any:
        items = [
            {
                "listingId": f"lst_{n}",
                "ticketId": f"T{n}",
                "eventId": "e",
                "showId": "s",
                "ticketOptionId": "GA" if n % 2 else "VIP",
                "type": "SINGLE",
                "quantity": 1,
                "section": "A",
                "row": str(n // 100),
                "seat": str(n),
                "price": {"amount": 10 + n % 97, "currency": "USD"},
            }
            for n in range(5000)
        ]
        items[3] = {"listingId": "broken"}
        body = json.dumps({"status": 200, "data": items, "errors": [None]}).encode()
        server = ScriptedUpstream([(200, {}, body)])
        settings.SALWIDGETS = {"BASE_URL": server.url, "API_KEY": API_KEY}
        yield server
        server.close()

    def test_the_page_shows_the_cheapest_and_counts_the_rest(self, client: Client, upstream: Any) -> None:
        response = client.get("/sal/fragments/listings/", {"event": "e", "show": "s"})

        html = soup(response.content)
        prices = [item.select_one(".sal-price").get_text() for item in html.select(".sal-listings__item")]
        assert response.status_code == 200 and len(prices) == 50
        assert set(prices) == {"$10"}
        assert (
            html.select_one(".sal-listings__more").get_text(strip=True).startswith("4949 more listings are not shown")
        )
