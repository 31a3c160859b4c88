"""Components and CTAs rendered from menta's answers, parsed and asserted as HTML."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import hypothesis
import pytest
from bs4 import BeautifulSoup
from django.test import Client, RequestFactory
from django.test.utils import override_settings
from django_htmx.middleware import HtmxDetails
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from salwidgets import viewer
from tests.conftest import API_KEY, SandboxControl, World
from tests.salwidgets.test_wire import FIELDS, JSON
from tests.support.upstream import ScriptedUpstream


def soup(html: bytes | str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def fragment(client: Client, **query: str) -> BeautifulSoup:
    response = client.get("/sal/fragments/buy/", query)
    assert response.status_code == 200
    return soup(response.content)


@pytest.fixture
def listed_show(site_menta: SandboxControl, world: World, person: Any) -> tuple[str, str]:
    """A show with one listing in section B, through the sandbox's sell page."""
    event_id, (show_id,) = world.event(max_percent=150)
    ticket_id = world.ticket(event_id, show_id, "seller@example.com", price=80, seat=("B", "2", "9"))
    seller = person("seller@example.com")
    seller.submit(seller.open(world.menta.selling_flow_url(ticket_id)), action="list", price="95")
    return event_id, show_id


@pytest.mark.django_db
class TestComponentsFromTheSandbox:
    def test_every_kind_with_its_accessible_name(self, client: Client, listed_show: tuple[str, str]) -> None:
        event_id, show_id = listed_show

        html = fragment(client, event=event_id, show=show_id)

        kinds = [node["data-sal-component"] for node in html.select("[data-sal-component]")]
        assert kinds == ["button", "banner", "modal", "list", "map"]
        assert (
            html.select_one(".sal-button--primary").get_text(" ", strip=True) == "Buy resale tickets 1 ticket from $95"
        )
        assert html.select_one(".sal-banner")["aria-label"] == "Resale tickets available"
        dialog = html.select_one("dialog.sal-modal")
        trigger = html.select_one("[data-sal-component=modal]")
        assert trigger["commandfor"] == dialog["id"] and trigger["command"] == "show-modal"
        assert html.find(id=dialog["aria-labelledby"]).get_text() == "Safe resale with menta"
        assert html.select_one(".sal-list").find(id=html.select_one(".sal-list")["aria-labelledby"])
        assert html.select_one(".sal-list__item").get_text(" ", strip=True) == "GA · Section B, Row 2, Seat 9 $95"

    def test_the_map_without_an_image_is_a_list_of_sections(self, client: Client, listed_show: tuple[str, str]) -> None:
        event_id, show_id = listed_show

        seat_map = fragment(client, event=event_id, show=show_id).select_one(".sal-map")

        assert seat_map.img is None
        assert [li.get_text(" ", strip=True) for li in seat_map.select("li")] == ["B 1 ticket, from $95"]

    def test_every_link_goes_through_the_redirect_view(self, client: Client, listed_show: tuple[str, str]) -> None:
        event_id, show_id = listed_show

        hrefs = [a["href"] for a in fragment(client, event=event_id, show=show_id).select("a[href]")]

        assert len(hrefs) == 5  # button, banner and modal CTAs, one listing, one section
        assert all(href.startswith("/sal/go/?ref=") for href in hrefs)

    def test_spanish(self, client: Client, listed_show: tuple[str, str]) -> None:
        event_id, show_id = listed_show

        response = client.get("/sal/fragments/buy/", {"event": event_id, "show": show_id}, HTTP_ACCEPT_LANGUAGE="es")

        html = soup(response.content)
        assert (
            html.select_one(".sal-button").get_text(" ", strip=True)
            == "Comprar entradas de reventa 1 entrada desde 95\u00a0US$"
        )
        assert html.select_one(".sal-map li").get_text(" ", strip=True) == "B 1 entrada, desde 95\u00a0US$"
        assert html.select_one("dialog button").get_text() == "Cerrar"

    def test_resale_off_renders_nothing(self, client: Client, site_menta: SandboxControl, world: World) -> None:
        event_id, (show_id,) = world.event(resale=False)

        assert client.get("/sal/fragments/buy/", {"event": event_id, "show": show_id}).content.strip() == b""

    def test_a_fragment_needs_event_and_show(self, client: Client, site_menta: SandboxControl) -> None:
        response = client.get("/sal/fragments/buy/", {"event": "e"})

        assert (response.status_code, response.content) == (400, b"Both event and show are required.")


HOSTILE = {
    "type": "buy",
    "eventId": "e",
    "showId": "s",
    "lang": "en",
    "maxAge": 60,
    "components": [
        {"type": "button", "id": "b", "label": "<script>alert(1)</script>", "url": "https://evil.example/x"},
        {"type": "banner", "id": "n", "title": "<b>Hi</b>", "description": '" onmouseover="alert(1)'},
        {"type": "button", "id": "j", "label": "JS", "url": "javascript:alert(1)"},
        {
            "type": "map",
            "id": "m",
            "title": "Map",
            "image": "http://127.0.0.1/map.png",
            "sections": [{"sectionId": "A", "label": "A & B", "available": 1, "url": "http://127.0.0.1/a"}],
        },
        {"type": "hologram", "id": "h"},
        {"type": "button", "id": "hidden", "label": "Hidden", "url": "http://127.0.0.1/h", "visible": False},
        {
            "type": "button",
            "id": "painted",
            "label": "Painted",
            "url": "http://127.0.0.1/p",
            "style": "secondary",
            "colors": {
                "background": "url(https://evil.example/x.png)",
                "text": "#FFF",
                "accent": "expression(alert(1))",
                "border": "#000",
            },
        },
        {
            "type": "banner",
            "id": "sneaky",
            "title": "Sneaky",
            "description": "Colours that try to leave their rule",
            "colors": {"background": "#fff;}body{display:none", "text": "var(--x)", "accent": "#00aa77"},
            "image": "https://evil.example/tracker.png",
        },
    ],
}


def _priced_list(*amounts: Any) -> dict[str, Any]:
    items = [
        {
            "listingId": f"l{n}",
            "label": f"Seat {n}",
            "price": {"amount": a, "currency": "USD"},
            "url": "http://127.0.0.1/l",
        }
        for n, a in enumerate(amounts)
    ]
    return {"type": "list", "id": "l", "title": "Listings", "items": items}


HOSTILE_NUMBERS = {
    "type": "buy",
    "maxAge": 10**30,
    "components": [
        _priced_list(95),
        _priced_list("NaN"),
        _priced_list("Infinity"),
        _priced_list("-sNaN"),
        _priced_list("1E+999999"),
        {
            "type": "map",
            "id": "m",
            "title": "Map",
            "sections": [{"sectionId": "A", "label": "A", "available": 10**30, "url": "http://127.0.0.1/a"}],
        },
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "es"])
def test_numbers_that_are_not_prices_drop_their_component_alone(settings: Any, client: Client, lang: str) -> None:
    body = json.dumps({"status": 200, "data": HOSTILE_NUMBERS, "errors": None}).encode()
    server = ScriptedUpstream([(200, {}, body)])
    settings.SALWIDGETS = {"BASE_URL": server.url, "API_KEY": API_KEY}
    try:
        for surface in ("buy", "sell"):
            response = client.get(f"/sal/fragments/{surface}/", {"event": "e", "show": "s"}, HTTP_ACCEPT_LANGUAGE=lang)

            assert response.status_code == 200
            html = soup(response.content)
            assert [n["data-sal-component"] for n in html.select("[data-sal-component]")] == ["list"]
            assert html.select_one(".sal-list").get_text().count("95") == 1
    finally:
        server.close()


@pytest.mark.django_db
class TestHostileUpstream:
    @pytest.fixture
    def upstream(self, settings: Any) -> Any:
        body = json.dumps({"status": 200, "data": HOSTILE, "errors": None}).encode()
        server = ScriptedUpstream([(200, {}, body)])
        settings.SALWIDGETS = {"BASE_URL": server.url, "API_KEY": API_KEY}
        yield server
        server.close()

    def test_text_is_escaped_and_bad_links_drop_their_component(self, client: Client, upstream: Any) -> None:
        html = fragment(client, event="e", show="s")

        assert html.select("script") == []
        assert [n["data-sal-component"] for n in html.select("[data-sal-component]")] == [
            "banner",
            "map",
            "button",
            "banner",
        ]
        assert html.select_one(".sal-banner__title").get_text() == "<b>Hi</b>"
        assert html.select_one(".sal-banner__body").get_text() == '" onmouseover="alert(1)'
        assert not html.select_one(".sal-banner").has_attr("onmouseover")

    def test_hidden_components_are_not_rendered(self, client: Client, upstream: Any) -> None:
        html = fragment(client, event="e", show="s")

        assert "Hidden" not in html.get_text()

    def test_colours_reach_the_page_only_as_hex_through_a_stylesheet(self, client: Client, upstream: Any) -> None:
        html = fragment(client, event="e", show="s")
        painted = html.find("a", string="Painted")
        sneaky = html.select_one('[aria-label="Sneaky"]')

        assert "sal-palette-x-fff-x" in painted["class"]
        assert "sal-palette-x-x-00aa77" in sneaky["class"]
        assert sneaky.img is None  # an image from a host not allowed is left out, the banner kept
        assert html.select("[style]") == [] and html.select("style") == []
        assert [link["href"] for link in html.select("link[rel=stylesheet]")] == [
            "/sal/palettes/x-fff-x.css",
            "/sal/palettes/x-x-00aa77.css",
        ]
        for bad in ("evil.example", "expression", "var(", "display:none"):
            assert bad not in str(html)

        css = client.get("/sal/palettes/x-fff-x.css")
        assert css["Content-Type"].startswith("text/css")
        assert css.content == b".sal-palette-x-fff-x{--sal-palette-text:#fff}\n"
        assert "immutable" in css["Cache-Control"] and "public" in css["Cache-Control"]

    @pytest.mark.parametrize("key", ["x-x-x", "FFF-x-x", "fff-x", "url(x)-x-x", "fff-x-x;"])
    def test_a_stylesheet_for_anything_but_hex_colours_is_not_found(self, client: Client, key: str) -> None:
        assert client.get(f"/sal/palettes/{key}.css").status_code == 404

    def test_the_map_shows_its_image_and_still_lists_sections(self, client: Client, upstream: Any) -> None:
        seat_map = fragment(client, event="e", show="s").select_one(".sal-map")

        assert (seat_map.img["src"], seat_map.img["alt"]) == ("http://127.0.0.1/map.png", "Seat map of the venue")
        assert seat_map.select_one("li").get_text(" ", strip=True) == "A & B 1 ticket"

    @override_settings(SALWIDGETS={"LINK_HOSTS": ["menta.example"]})
    def test_link_hosts_can_be_set(self) -> None:
        from salwidgets.links import is_allowed

        assert is_allowed("https://menta.example/x")
        assert not is_allowed("https://127.0.0.1/x")
        assert not is_allowed("https://user:pw@menta.example/x")
        assert not is_allowed("ftp://menta.example/x")


@pytest.mark.parametrize(
    ("headers", "page"),
    [
        ({"HX-Request": "true", "HX-Current-URL": "http://testserver/events/e/s/?day=2"}, "/events/e/s/?day=2"),
        ({"HX-Current-URL": "http://testserver/events/e/s/"}, "/sal/fragments/buy/?event=e&show=s"),
        ({}, "/sal/fragments/buy/?event=e&show=s"),
    ],
)
def test_menta_returns_a_person_to_the_page_a_fragment_was_loaded_into(headers: dict[str, str], page: str) -> None:
    request = RequestFactory().get("/sal/fragments/buy/", {"event": "e", "show": "s"}, headers=headers)
    request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]

    back = urlsplit(viewer.of(request).return_address)

    assert (back.netloc, back.path, parse_qs(back.query)) == ("testserver", "/sal/back/", {"next": [page]})


# --- every renderer renders whatever the parsers let through ---------------------------------

FIELDS_AND_VALUES = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8)
COMPONENT = st.builds(
    lambda kind, fields: {**fields, "type": kind},
    st.sampled_from(["button", "banner", "modal", "list", "map"]),
    FIELDS_AND_VALUES,
)
TICKET = st.builds(
    lambda ticket_id, fields: {**fields, "ticketId": ticket_id}, st.sampled_from(["T1", "T2"]), FIELDS_AND_VALUES
)


class TestAnyAnswerRenders:
    """Whatever menta answers, a fragment answers 200 with HTML: the parser keeps what it can and
    the renderer cannot raise on it (each example names a show of its own, so nothing is cached)."""

    @pytest.fixture
    def upstream(self, settings: Any) -> Any:
        server = ScriptedUpstream([(200, {}, b"{}")])
        settings.SALWIDGETS = {"BASE_URL": server.url, "API_KEY": API_KEY, "RATE_LIMIT": None}
        yield server
        server.close()

    @pytest.mark.django_db
    def test_show_fragments(self, client: Client, upstream: ScriptedUpstream) -> None:
        shows = iter(range(10**6))

        @given(st.lists(COMPONENT, max_size=4), st.sampled_from(["buy", "sell"]), st.sampled_from(["en", "es"]))
        @hypothesis.settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def renders(components: list[Any], surface: str, lang: str) -> None:
            data = {"type": surface, "components": components}
            upstream.answers = [(200, {}, json.dumps({"status": 200, "data": data, "errors": None}).encode())]
            query = {"event": "e", "show": f"s{next(shows)}"}
            response = client.get(f"/sal/fragments/{surface}/", query, HTTP_ACCEPT_LANGUAGE=lang)
            assert response.status_code == 200
            soup(response.content)

        renders()

    @pytest.mark.django_db
    def test_ticket_fragments(self, upstream: ScriptedUpstream, django_user_model: Any) -> None:
        people = iter(range(10**6))

        @given(st.lists(TICKET, max_size=3), st.sampled_from(["en", "es"]))
        @hypothesis.settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def renders(tickets: list[Any], lang: str) -> None:
            upstream.answers = [(200, {}, json.dumps({"status": 200, "data": tickets, "errors": None}).encode())]
            client = Client()
            client.force_login(django_user_model.objects.create_user(f"p{next(people)}@example.com"))
            response = client.get("/sal/fragments/tickets/", [("id", "T1"), ("id", "T2")], HTTP_ACCEPT_LANGUAGE=lang)
            assert response.status_code == 200
            assert len(soup(response.content).select(".sal-slot")) == 2

        renders()
