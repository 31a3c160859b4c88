"""The JSON API for the platform's apps (``/sal/api/v1/``): the same answers as the fragments,
with ETags, person-bound links, JSON errors and the fallback, against the sandbox over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import hypothesis
import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from tests.conftest import SandboxControl, World
from tests.salwidgets.test_listings import Market
from tests.salwidgets.test_views import OWNED, own, signed_in

pytestmark = pytest.mark.django_db
API = "/sal/api/v1"
TOKENS = {"app-token-alice": "alice@example.com"}


def app_user(request: HttpRequest) -> User | None:
    """The bearer tokens of the platform's app, as a site would check them."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    email = TOKENS.get(token.strip())
    if email is None:
        raise PermissionDenied("This app token is not valid.")
    return User.objects.get(email=email)


@pytest.fixture(autouse=True)
def app_tokens(settings: Any) -> Iterator[None]:
    settings.SALWIDGETS = {
        **settings.SALWIDGETS,
        "API_AUTHENTICATION": [f"{__name__}.app_user"],
        "PERSON_ITEMS": "tests.salwidgets.test_views.owned_items",
    }
    yield
    OWNED.clear()


@pytest.fixture
def alice(site_menta: SandboxControl) -> User:
    return User.objects.create_user("alice@example.com", "alice@example.com", "pw")


@pytest.fixture
def bob(site_menta: SandboxControl) -> User:
    return User.objects.create_user("bob@example.com", "bob@example.com", "pw")


@pytest.fixture
def show(world: World, site_menta: SandboxControl) -> tuple[str, str]:
    event_id, (show_id,) = world.event()
    return event_id, show_id


@pytest.fixture
def ticket(world: World, show: tuple[str, str], alice: User) -> str:
    ticket_id = world.ticket(*show, "alice@example.com")
    own("alice@example.com", tickets=(ticket_id,))
    return ticket_id


def error(response: Any) -> dict[str, str]:
    assert response["Content-Type"] == "application/json", response.content[:200]
    return dict(response.json()["error"])


class TestShow:
    def test_the_buy_components_with_links_through_the_sites_redirect(
        self, show: tuple[str, str], site_menta: SandboxControl
    ) -> None:
        response = Client().get(f"{API}/shows/{show[0]}/{show[1]}", {"return": "/events/1/"})

        assert response.status_code == 200
        body = response.json()
        assert (body["eventId"], body["showId"], body["enabled"], body["fallback"]) == (*show, True, False)
        [button] = [c for c in body["components"] if c["type"] == "button"]
        assert urlsplit(button["url"])[:3] == ("http", "testserver", "/sal/go/")
        assert response["Cache-Control"].startswith("private, max-age=")
        assert 0 < int(response["Cache-Control"].rsplit("=", 1)[1]) <= 60
        assert response["ETag"].startswith('W/"')
        assert body["linksValidUntil"].endswith("Z")
        # The link leads to menta's buying page, and back to the page named.
        location = Client().get(button["url"])["Location"]
        assert urlsplit(location).netloc == urlsplit(site_menta.url).netloc

    def test_a_304_while_the_answer_holds_and_no_call_to_menta(
        self, show: tuple[str, str], site_menta: SandboxControl
    ) -> None:
        url = f"{API}/shows/{show[0]}/{show[1]}"
        first = Client().get(url)
        site_menta.reset_stats()

        again = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        whole = Client().get(url)

        assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
        assert whole.status_code == 200 and whole["ETag"] == first["ETag"]
        assert site_menta.stats() == {}

    def test_each_host_has_its_own_answer_and_a_host_not_allowed_none(
        self, show: tuple[str, str], settings: Any
    ) -> None:
        """An anonymous answer is kept under its host, though its viewer is not built to look it
        up: links made for one host never reach another, and a host Django refuses gets its 400
        even right after an allowed one's answer was kept (without the middleware that checks)."""
        settings.ALLOWED_HOSTS = ["testserver", "other.example"]
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "django.middleware.common.CommonMiddleware"]
        url = f"{API}/shows/{show[0]}/{show[1]}"
        first = Client().get(url)

        other = Client().get(url, HTTP_HOST="other.example")
        refused = Client().get(url, HTTP_HOST="evil.example")

        links = [c["url"] for c in other.json()["components"] if "url" in c]
        assert links and all(urlsplit(link).netloc == "other.example" for link in links)
        assert other["ETag"] != first["ETag"]
        assert refused.status_code == 400 and b"sal/go" not in refused.content

    def test_another_language_is_another_answer(self, show: tuple[str, str]) -> None:
        url = f"{API}/shows/{show[0]}/{show[1]}"
        english = Client().get(url)

        spanish = Client().get(url, HTTP_ACCEPT_LANGUAGE="es", HTTP_IF_NONE_MATCH=english["ETag"])

        assert spanish.status_code == 200 and spanish["ETag"] != english["ETag"]
        assert "Accept-Language" in spanish["Vary"]

    def test_a_show_menta_does_not_know_is_404(self, site_menta: SandboxControl) -> None:
        response = Client().get(f"{API}/shows/no-such-event/no-such-show")

        assert response.status_code == 404
        assert error(response)["code"] == "show_not_found"

    def test_menta_down_gives_the_fallback_not_an_error(self, settings: Any, show: tuple[str, str]) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "BASE_URL": "http://127.0.0.1:9", "MAX_RETRIES": 0}

        response = Client().get(f"{API}/shows/{show[0]}/{show[1]}", HTTP_ACCEPT_LANGUAGE="es")

        assert response.status_code == 200
        body = response.json()
        assert (body["fallback"], body["components"]) == (True, [])
        assert body["message"] == "La reventa no está disponible ahora. Vuelve a intentarlo más tarde."
        assert response["Cache-Control"] == "private, no-cache"

    @pytest.mark.parametrize("page", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
    def test_a_return_page_off_the_site_is_refused(self, show: tuple[str, str], page: str) -> None:
        response = Client().get(f"{API}/shows/{show[0]}/{show[1]}", {"return": page})

        assert response.status_code == 400
        assert error(response)["field"] == "return"

    def test_too_many_calls_to_menta_is_429_with_retry_after(
        self, settings: Any, world: World, site_menta: SandboxControl
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "2/m"}
        event_id, show_ids = world.event(shows=3)
        client = Client(REMOTE_ADDR="198.51.100.9")

        statuses = [client.get(f"{API}/shows/{event_id}/{show_id}").status_code for show_id in show_ids]

        assert statuses == [200, 200, 429]
        limited = client.get(f"{API}/shows/{event_id}/{show_ids[2]}")
        assert error(limited)["code"] == "rate_limited" and int(limited["Retry-After"]) > 0


class TestMine:
    def test_anonymous_is_401(self, site_menta: SandboxControl) -> None:
        response = Client().get(f"{API}/me/tickets")

        assert response.status_code == 401
        assert error(response)["code"] == "not_signed_in"
        assert response["WWW-Authenticate"] == 'Bearer realm="sal"'

    def test_alices_tickets_with_status_and_actions_bound_to_her(self, alice: User, bob: User, ticket: str) -> None:
        response = signed_in(alice).get(f"{API}/me/tickets")

        assert response.status_code == 200
        [item] = response.json()["items"]
        assert (item["id"], item["status"], item["statusText"]) == (ticket, "SELLABLE", "Can be resold")
        [sell] = [action for action in item["actions"] if action["action"] == "SELL"]
        assert sell["url"].startswith("http://testserver/sal/go/?ref=")
        assert signed_in(alice).get(sell["url"]).status_code == 302
        assert signed_in(bob).get(sell["url"]).status_code == 403  # made for alice
        assert "Cookie" in response["Vary"]

    def test_in_spanish(self, alice: User, ticket: str) -> None:
        response = signed_in(alice).get(f"{API}/me/tickets", HTTP_ACCEPT_LANGUAGE="es")

        assert response.json()["items"][0]["statusText"] == "Se puede revender"

    def test_an_apps_bearer_token(self, alice: User, ticket: str) -> None:
        response = Client().get(f"{API}/me/tickets", HTTP_AUTHORIZATION="Bearer app-token-alice")

        assert response.status_code == 200
        assert [item["id"] for item in response.json()["items"]] == [ticket]

    def test_a_wrong_token_is_401_not_anonymous(self, alice: User, show: tuple[str, str]) -> None:
        for url in (f"{API}/me/tickets", f"{API}/shows/{show[0]}/{show[1]}"):
            response = Client().get(url, HTTP_AUTHORIZATION="Bearer stolen")

            assert response.status_code == 401
            assert error(response) == {"code": "invalid_credentials", "message": "This app token is not valid."}

    def test_only_the_persons_own_ids_are_asked_about(
        self, alice: User, ticket: str, world: World, show: tuple[str, str], site_menta: SandboxControl
    ) -> None:
        bobs = world.ticket(*show, "bob@example.com")

        response = signed_in(alice).get(f"{API}/me/tickets", {"id": [ticket, bobs]})

        assert [item["id"] for item in response.json()["items"]] == [ticket]

    def test_orders(self, alice: User, world: World, show: tuple[str, str]) -> None:
        order_id = world.id("order")
        tickets = [world.ticket(*show, "alice@example.com", order_id=order_id, seat=("A", "1", str(n))) for n in (1, 2)]
        own("alice@example.com", orders=(order_id,))

        [order] = signed_in(alice).get(f"{API}/me/orders").json()["items"]

        assert order["id"] == order_id and sorted(order["ticketIds"]) == sorted(tickets)

    def test_an_etag_is_the_persons_own(self, alice: User, bob: User, ticket: str) -> None:
        alices = signed_in(alice).get(f"{API}/me/tickets")

        bobs = signed_in(bob).get(f"{API}/me/tickets", HTTP_IF_NONE_MATCH=alices["ETag"])

        assert bobs.status_code == 200 and bobs.json()["items"] == []


@pytest.fixture
def market_maker(world: World, person: Any, site_menta: SandboxControl) -> Any:
    def make() -> Market:
        market = Market(world, person)
        market.list(("A", "1", "8"), "90")
        market.list(("A", "1", "7"), "80")
        return market

    return make


class TestListings:
    @pytest.fixture
    def market(self, market_maker: Any) -> Market:
        return market_maker()

    def test_listed_tickets_cheapest_first(self, market: Market) -> None:
        body = Client().get(f"{API}/shows/{market.event_id}/{market.show_id}/listings").json()

        assert [(item["seatText"], item["price"]["text"]) for item in body["listings"]] == [
            ("Section A, Row 1, Seat 7", "$80"),
            ("Section A, Row 1, Seat 8", "$90"),
        ]
        assert body["more"] == 0 and body["ticketOptionIds"] == ["GA"]

    def test_a_bad_sort_names_the_parameter(self, market: Market) -> None:
        response = Client().get(f"{API}/shows/{market.event_id}/{market.show_id}/listings", {"sort": "seat"})

        assert response.status_code == 400
        assert error(response)["field"] == "sort"

    def test_a_checkout_of_chosen_listings(self, market: Market) -> None:
        listings = Client().get(f"{API}/shows/{market.event_id}/{market.show_id}/listings").json()["listings"]

        response = Client().post(
            f"{API}/shows/{market.event_id}/{market.show_id}/listings",
            {"listingIds": [listings[0]["listingId"]], "returnTo": "/my-tickets/"},
            content_type="application/json",
        )

        assert response.status_code == 200, response.content
        assert "/checkout" in response.json()["checkoutUrl"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "listingIds"),
            ({"listingIds": []}, "listingIds"),
            ({"listingIds": "L1"}, "listingIds"),
            ({"listingIds": [1]}, "listingIds"),
            ({"listingIds": ["L1"], "returnTo": "https://evil.example/"}, "returnTo"),
        ],
    )
    def test_a_bad_body_names_the_field(self, market: Market, body: dict[str, Any], field: str) -> None:
        response = Client().post(
            f"{API}/shows/{market.event_id}/{market.show_id}/listings", body, content_type="application/json"
        )

        assert response.status_code == 400
        assert error(response)["field"] == field

    def test_not_json_is_415(self, market: Market) -> None:
        response = Client().post(f"{API}/shows/{market.event_id}/{market.show_id}/listings", {"listingIds": "x"})

        assert response.status_code == 415 and error(response)["code"] == "unsupported_media_type"

    def test_a_session_needs_the_csrf_token(self, alice: User, market: Market) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(alice)
        listing = client.get(f"{API}/shows/{market.event_id}/{market.show_id}/listings").json()["listings"][0]
        url = f"{API}/shows/{market.event_id}/{market.show_id}/listings"
        body = json.dumps({"listingIds": [listing["listingId"]]})

        refused = client.post(url, body, content_type="application/json")
        client.get("/")  # the site's pages set the CSRF cookie
        token = client.cookies["csrftoken"].value
        accepted = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)

        assert refused.status_code == 403 and error(refused)["code"] == "csrf_failed"
        assert accepted.status_code == 200, accepted.content

    def test_an_app_needs_no_csrf_token(self, alice: User, market: Market) -> None:
        listing = Client().get(f"{API}/shows/{market.event_id}/{market.show_id}/listings").json()["listings"][0]

        response = Client(enforce_csrf_checks=True).post(
            f"{API}/shows/{market.event_id}/{market.show_id}/listings",
            {"listingIds": [listing["listingId"]]},
            content_type="application/json",
            HTTP_AUTHORIZATION="Bearer app-token-alice",
        )

        assert response.status_code == 200, response.content


class TestErrors:
    def test_an_unknown_endpoint_is_json_404(self) -> None:
        response = Client().get(f"{API}/shows")

        assert response.status_code == 404 and error(response)["code"] == "not_found"

    def test_a_method_not_allowed_is_json_405(self, site_menta: SandboxControl) -> None:
        response = Client().delete(f"{API}/me/tickets")

        assert response.status_code == 405 and error(response)["code"] == "method_not_allowed"

    @hypothesis.settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        event_id=st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="/"), min_size=1),
        query=st.lists(st.tuples(st.sampled_from(["id", "return", "sort", "option", "x"]), st.text()), max_size=4),
    )
    def test_whatever_an_app_sends_no_500(self, site_menta: SandboxControl, event_id: str, query: list[Any]) -> None:
        from urllib.parse import quote, urlencode

        client = Client()
        for path in (f"shows/{quote(event_id, safe='')}/s1", f"shows/{quote(event_id, safe='')}/s1/listings"):
            response = client.get(f"{API}/{path}?{urlencode(query)}")
            assert response.status_code in (200, 400, 404, 429), (path, query, response.content[:300])
            assert response["Content-Type"] == "application/json"


# No 5xx, and every answer (status, content type, headers, body) as the description says.
CONFORMANCE = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.mark.django_db(transaction=True)
class TestTheOpenApiDescription:
    """schemathesis against the live site (a server on 127.0.0.1, over HTTP): what apps generate
    their clients from is what the endpoints do."""

    @pytest.fixture
    def schema(self, live_server: Any, site_menta: SandboxControl) -> Any:
        return schemathesis.openapi.from_url(f"{live_server.url}{API}/openapi.json")

    def test_it_describes_every_endpoint(self, schema: Any) -> None:
        labels = sorted(result.ok().label for result in schema.get_all_operations())

        assert labels == [
            f"GET {API}/me/orders",
            f"GET {API}/me/tickets",
            f"GET {API}/shows/{{eventId}}/{{showId}}",
            f"GET {API}/shows/{{eventId}}/{{showId}}/listings",
            f"POST {API}/shows/{{eventId}}/{{showId}}/listings",
        ]

    @pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    def test_generated_requests_get_described_answers(self, schema: Any, mode: GenerationMode) -> None:
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis.settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def holds(case: Any) -> None:
                response = case.call()
                if response.status_code == 414:  # the web server's own limit: the site never sees it
                    return
                case.validate_response(response, checks=CONFORMANCE)

            holds()

    def test_real_answers_as_described(self, schema: Any, world: World, market_maker: Any, live_server: Any) -> None:
        User.objects.create_user("alice@example.com", "alice@example.com", "pw")
        market = market_maker()
        ticket = world.ticket(market.event_id, market.show_id, "alice@example.com")
        own("alice@example.com", tickets=(ticket,))
        ids = {"eventId": market.event_id, "showId": market.show_id}
        app = {"Authorization": "Bearer app-token-alice"}
        operations = {
            result.ok().label.split(" ", 1)[0] + " " + result.ok().path: result.ok()
            for result in schema.get_all_operations()
        }
        show = operations[f"GET {API}/shows/{{eventId}}/{{showId}}"].Case(path_parameters=ids)
        show.call_and_validate(checks=CONFORMANCE)
        listings = operations[f"GET {API}/shows/{{eventId}}/{{showId}}/listings"].Case(path_parameters=ids)
        listed = listings.call_and_validate(checks=CONFORMANCE).json()["listings"]
        assert listed
        checkout = operations[f"POST {API}/shows/{{eventId}}/{{showId}}/listings"].Case(
            path_parameters=ids, body={"listingIds": [listed[0]["listingId"]]}, media_type="application/json"
        )
        assert checkout.call_and_validate(checks=CONFORMANCE).status_code == 200
        mine = operations[f"GET {API}/me/tickets"].Case(headers=app)
        assert [item["id"] for item in mine.call_and_validate(checks=CONFORMANCE).json()["items"]] == [ticket]
        orders = operations[f"GET {API}/me/orders"].Case(headers=app)
        assert orders.call_and_validate(checks=CONFORMANCE).status_code == 200


PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "openapi" / "sal-api-v1.json"


def test_the_published_description_is_the_served_one() -> None:
    """docs/openapi/sal-api-v1.json, published with the documentation, is what the site serves
    (its server aside). To publish a change: ``make run``, then
    ``curl -s http://127.0.0.1:8000/sal/api/v1/openapi.json | python -m json.tool > docs/openapi/sal-api-v1.json``."""
    served = Client().get(f"{API}/openapi.json").json()
    published = json.loads(PUBLISHED.read_text())

    assert {**served, "servers": published["servers"]} == published
    assert published["servers"] == [{"url": "http://127.0.0.1:8000"}]
