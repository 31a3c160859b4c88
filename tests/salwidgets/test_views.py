"""The redirect view, the way back, and the per-person fragments."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.test.utils import override_settings

from salwidgets import links
from tests.conftest import API_KEY, SandboxControl, World

pytestmark = pytest.mark.django_db

# Each person's own (ticket ids, order ids), as the site tells salwidgets (SALWIDGETS["PERSON_ITEMS"]).
OWNED: dict[str, tuple[list[str], list[str]]] = {}


def owned_items(email: str) -> tuple[list[str], list[str]]:
    return OWNED.get(email, ([], []))


def own(email: str, *, tickets: tuple[str, ...] = (), orders: tuple[str, ...] = ()) -> None:
    ticket_ids, order_ids = OWNED.setdefault(email, ([], []))
    ticket_ids.extend(tickets)
    order_ids.extend(orders)


@pytest.fixture(autouse=True)
def person_items(settings: Any) -> Any:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "PERSON_ITEMS": f"{__name__}.owned_items"}
    yield
    OWNED.clear()


@pytest.fixture
def alice(site_menta: SandboxControl) -> User:
    return User.objects.create_user("alice@example.com", "alice@example.com", "pw")


@pytest.fixture
def bob(site_menta: SandboxControl) -> User:
    return User.objects.create_user("bob@example.com", "bob@example.com", "pw")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sell_link(client: Client, ticket_id: str) -> str:
    """The SELL link My tickets would show for ``ticket_id``."""
    html = BeautifulSoup(client.get("/sal/fragments/tickets/", {"id": ticket_id}).content, "html.parser")
    return html.select_one('[data-sal-action="SELL"]')["href"]


@pytest.fixture
def ticket(world: World, alice: User) -> str:
    event_id, (show_id,) = world.event()
    ticket_id = world.ticket(event_id, show_id, "alice@example.com")
    own("alice@example.com", tickets=(ticket_id,))
    return ticket_id


class TestGo:
    def test_the_owner_is_sent_to_menta_with_a_one_time_token(
        self, alice: User, ticket: str, site_menta: SandboxControl
    ) -> None:
        client = signed_in(alice)

        response = client.get(sell_link(client, ticket))

        target = urlsplit(response["Location"])
        query = parse_qs(target.query)
        assert response.status_code == 302
        assert f"{target.scheme}://{target.netloc}" == site_menta.url
        assert target.path == f"/sell/tickets/{ticket}/"
        assert query["returnTo"] == [
            f"http://testserver/sal/back/?next=%2Fsal%2Ffragments%2Ftickets%2F%3Fid%3D{ticket}"
        ]
        assert "no-store" in response["Cache-Control"] and response["Referrer-Policy"] == "no-referrer"
        page = requests.get(response["Location"], timeout=5)
        assert "Signed in as alice@example.com" in page.text

    def test_a_token_is_minted_per_click(self, alice: User, ticket: str, site_menta: SandboxControl) -> None:
        client = signed_in(alice)
        link = sell_link(client, ticket)
        site_menta.reset_stats()

        first, second = client.get(link)["Location"], client.get(link)["Location"]

        assert parse_qs(urlsplit(first).query)["oneTimeToken"] != parse_qs(urlsplit(second).query)["oneTimeToken"]
        stats = site_menta.stats()
        assert stats["GET /v1/marketplace/sellingflow/url/entrypoint"] == 2  # Login Trust: one call a click
        assert "GET /v1/auth/oneTimeToken" not in stats

    def test_with_the_one_time_token_method_a_click_makes_a_token_call(
        self, alice: User, ticket: str, site_menta: SandboxControl, settings: Any
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "LOGIN_METHOD": "one-time-token"}
        client = signed_in(alice)
        link = sell_link(client, ticket)
        site_menta.reset_stats()

        location = client.get(link)["Location"]

        assert urlsplit(location).path == f"/sell/tickets/{ticket}/"
        assert site_menta.stats() == {"GET /v1/auth/oneTimeToken": 1}
        assert "Signed in as alice@example.com" in requests.get(location, timeout=5).text

    def test_login_trust_opens_menta_in_the_person_s_language(
        self, alice: User, ticket: str, site_menta: SandboxControl
    ) -> None:
        client = signed_in(alice)
        client.cookies["django_language"] = "es"

        location = client.get(sell_link(client, ticket))["Location"]

        assert parse_qs(urlsplit(location).query)["lang"] == ["es"]
        assert "Sesión iniciada como alice@example.com" in requests.get(location, timeout=5).text

    def test_tampered(self, alice: User, ticket: str) -> None:
        client = signed_in(alice)
        link = sell_link(client, ticket)

        response = client.get(link[:-3] + "xyz")

        assert response.status_code == 400
        assert "This link is not valid." in response.content.decode()
        assert "oneTimeToken=" not in response.content.decode()

    def test_someone_elses(self, alice: User, bob: User, ticket: str, site_menta: SandboxControl) -> None:
        link = sell_link(signed_in(alice), ticket)
        site_menta.reset_stats()

        as_bob = signed_in(bob).get(link)

        assert as_bob.status_code == 403 and "This link was made for someone else." in as_bob.content.decode()
        assert "GET /v1/auth/oneTimeToken" not in site_menta.stats()

    def test_after_signing_out_the_link_asks_to_sign_in_and_goes_on(
        self, alice: User, bob: User, ticket: str, site_menta: SandboxControl
    ) -> None:
        client = signed_in(alice)
        link = sell_link(client, ticket)
        client.logout()

        asked = client.get(link)
        assert asked.status_code == 302
        login = urlsplit(asked["Location"])
        assert login.path == "/accounts/login/" and parse_qs(login.query)["next"] == [link]
        client.force_login(alice)
        went = client.get(parse_qs(login.query)["next"][0])
        assert urlsplit(went["Location"]).path == f"/sell/tickets/{ticket}/"
        # Someone else signing in on that page still may not use alice's link.
        assert signed_in(bob).get(link).status_code == 403

    def test_with_the_one_time_token_method_menta_opens_in_the_person_s_language(
        self, alice: User, ticket: str, site_menta: SandboxControl, settings: Any
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "LOGIN_METHOD": "one-time-token"}
        client = signed_in(alice)
        client.cookies["django_language"] = "es"

        location = client.get(sell_link(client, ticket))["Location"]

        assert parse_qs(urlsplit(location).query)["lang"] == ["es"]

    def test_expired(self, alice: User, ticket: str, settings: Any) -> None:
        client = signed_in(alice)
        link = sell_link(client, ticket)
        settings.SALWIDGETS = {**settings.SALWIDGETS, "LINK_MAX_AGE": -1}

        response = client.get(link)

        assert response.status_code == 410 and "This link has expired." in response.content.decode()

    @pytest.mark.parametrize("target", ["https://evil.example/sell", "javascript:alert(1)", "ftp://127.0.0.1/x"])
    def test_a_target_that_is_not_allowed(self, alice: User, rf: Any, target: str) -> None:
        request = rf.get("/")
        request.user = alice
        link = links.sign(links.person_of(request), target)

        response = signed_in(alice).get(link)

        assert response.status_code == 400 and "This link leads somewhere it may not." in response.content.decode()

    def test_an_anonymous_buyer_gets_no_token(self, site_menta: SandboxControl, world: World) -> None:
        event_id, (show_id,) = world.event()
        client = Client()
        html = BeautifulSoup(
            client.get("/sal/fragments/buy/", {"event": event_id, "show": show_id}).content, "html.parser"
        )
        site_menta.reset_stats()

        response = client.get(html.select_one(".sal-button")["href"])

        assert response.status_code == 302 and "oneTimeToken=" not in response["Location"]
        assert "GET /v1/auth/oneTimeToken" not in site_menta.stats()

    def test_menta_down_is_a_clear_503(self, alice: User, ticket: str, site_menta: SandboxControl) -> None:
        client = signed_in(alice)
        link = sell_link(client, ticket)
        site_menta.faults(mode="down")

        response = client.get(link)

        assert response.status_code == 503 and "Resale is unavailable right now" in response.content.decode()

    def test_tokens_are_never_cached_or_rendered(self, alice: User, ticket: str) -> None:
        client = signed_in(alice)
        page = client.get("/my-tickets/").content + client.get("/sal/fragments/tickets/", {"id": ticket}).content
        location = client.get(sell_link(client, ticket))["Location"]
        token = parse_qs(urlsplit(location).query)["oneTimeToken"][0]

        assert b"oneTimeToken=" not in page
        assert all(token not in repr(cache.get(key)) for key in cache._cache)  # type: ignore[attr-defined]


class TestBack:
    def test_returns_to_the_page_with_fresh_ctas(self, alice: User, ticket: str, site_menta: SandboxControl) -> None:
        client = signed_in(alice)
        sell_link(client, ticket)
        site_menta.reset_stats()
        sell_link(client, ticket)
        assert site_menta.stats() == {}

        response = client.get("/sal/back/", {"next": "/my-tickets/"})
        sell_link(client, ticket)

        assert (response.status_code, response["Location"]) == (302, "/my-tickets/")
        assert site_menta.stats() == {"POST /v1/wrapper/accesslayer": 1}

    @pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
    def test_never_leaves_the_site(self, target: str) -> None:
        assert Client().get("/sal/back/", {"next": target})["Location"] == "/"


class TestPersonFragments:
    def test_anonymous_gets_nothing(self, site_menta: SandboxControl) -> None:
        assert Client().get("/sal/fragments/tickets/", {"id": "T1"}).status_code == 204

    def test_alices_ctas_are_never_served_to_bob(self, alice: User, bob: User, ticket: str) -> None:
        alices = signed_in(alice).get("/sal/fragments/tickets/", {"id": ticket}).content
        bobs = signed_in(bob).get("/sal/fragments/tickets/", {"id": ticket}).content

        assert b'data-sal-status="SELLABLE"' in alices
        assert b"data-sal-status" not in bobs and b"SELL" not in bobs

    def test_menta_is_asked_only_about_the_persons_own_tickets(
        self, alice: User, ticket: str, world: World, site_menta: SandboxControl
    ) -> None:
        event_id, (show_id,) = world.event()
        bobs = world.ticket(event_id, show_id, "bob@example.com")
        site_menta.reset_stats()

        html = BeautifulSoup(
            signed_in(alice).get("/sal/fragments/tickets/", [("id", ticket), ("id", bobs)]).content, "html.parser"
        )

        slots = {slot["id"]: slot for slot in html.select(".sal-slot")}
        assert len(slots) == 2  # bob's slot is filled too (with the fallback), so it stops loading
        assert [item["data-sal-status"] for item in html.select("[data-sal-status]")] == ["SELLABLE"]
        assert site_menta.stats() == {"POST /v1/wrapper/accesslayer": 1}

    def test_a_request_naming_many_tickets_spends_a_unit_per_call_to_menta(
        self, alice: User, world: World, site_menta: SandboxControl, settings: Any
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "3/m"}
        many = [f"T-{number}" for number in range(250)]  # three calls of at most 100
        own("alice@example.com", tickets=(*many, "T-other"))
        client = signed_in(alice)
        cache.clear()

        first = client.get("/sal/fragments/tickets/", [("id", ticket_id) for ticket_id in many])
        second = client.get("/sal/fragments/tickets/", {"id": "T-other"})

        assert first.status_code == 200
        assert second.status_code == 429

    def test_each_item_fills_its_slot_out_of_band(self, alice: User, world: World) -> None:
        event_id, (show_id,) = world.event()
        order_id = world.id("order")
        tickets = [world.ticket(event_id, show_id, "alice@example.com", order_id=order_id) for _ in range(2)]
        own("alice@example.com", tickets=tuple(tickets), orders=(order_id,))

        html = BeautifulSoup(
            signed_in(alice).get("/sal/fragments/tickets/", [("id", t) for t in tickets]).content, "html.parser"
        )
        orders = BeautifulSoup(signed_in(alice).get("/sal/fragments/orders/", {"id": order_id}).content, "html.parser")

        assert [slot["hx-swap-oob"] for slot in html.select(".sal-slot")] == ["true", "true"]
        assert len({slot["id"] for slot in html.select(".sal-slot")}) == 2
        assert orders.select_one("[data-sal-action]")["data-sal-action"] == "SELL"

    def test_menta_down_renders_the_fallback(self, alice: User, ticket: str, site_menta: SandboxControl) -> None:
        site_menta.faults(mode="down")

        response = signed_in(alice).get("/sal/fragments/tickets/", {"id": ticket})

        assert response.status_code == 200
        assert BeautifulSoup(response.content, "html.parser").select_one(".sal-slot").get_text(strip=True) == ""


@override_settings(SALWIDGETS={"API_KEY": API_KEY, "EMBED_ORIGINS": ["https://shop.example"]})
def test_embed_origins_may_fetch_a_shows_components(settings: Any, site_menta: SandboxControl, world: World) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "BASE_URL": site_menta.url}
    event_id, (show_id,) = world.event()
    query = {"event": event_id, "show": show_id}

    allowed = Client().get("/sal/fragments/buy/", query, HTTP_ORIGIN="https://shop.example")
    other = Client().get("/sal/fragments/buy/", query, HTTP_ORIGIN="https://other.example")

    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "Access-Control-Allow-Origin" not in other
