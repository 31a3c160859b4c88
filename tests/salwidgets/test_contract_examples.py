"""Every labelled JSON example of ``docs/menta-contract.md``: the client parses it, and the sandbox
answers the same call in the same shape (no field the example does not document)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from salwidgets import wire
from tests.conftest import SandboxControl, World, event_push, ticket_push
from tests.salwidgets.test_listings import Market

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "menta-contract.md"
EXAMPLE = re.compile(r"<!-- example: ([a-z-]+) -->\s*```json\n(.*?)```", re.DOTALL)
EXAMPLES: dict[str, Any] = {name: json.loads(body) for name, body in EXAMPLE.findall(CONTRACT.read_text())}
PUSHES = ("event-push", "ticket-push")


COMPONENT_TYPES = ("button", "banner", "modal", "list", "map")


def shape(value: Any, path: str = "") -> set[str]:
    """Every field path of a JSON value (list items merged; a SAL component's paths start at its
    type, wherever it appears, so that any example of that type documents it)."""
    if isinstance(value, dict):
        if value.get("type") in COMPONENT_TYPES and "id" in value:
            path = f"<{value['type']}>"
        return {path} | {p for key, item in value.items() for p in shape(item, f"{path}.{key}")}
    if isinstance(value, list):
        return {path} | {p for item in value for p in shape(item, f"{path}[]")}
    return {path}


def test_the_examples_are_all_there() -> None:
    assert set(EXAMPLES) == {
        "envelope-error",
        "access-layer",
        "ticket-access",
        "order-access",
        "bulk",
        "token",
        "marketplace-url",
        "admission",
        "listed-tickets",
        "buy-intention",
        "checkout-url",
        *PUSHES,
    }


# --- the client reads each answer -------------------------------------------------------------

READERS: dict[str, Callable[[Any], None]] = {}


def reader(name: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    def register(check: Callable[[Any], None]) -> Callable[[Any], None]:
        READERS[name] = check
        return check

    return register


@reader("access-layer")
def _access_layer(data: Any) -> None:
    layer = wire.parse_access_layer(data)
    assert [c.kind for c in layer.components] == ["button", "banner", "modal", "list"]  # the map is not visible
    assert layer.dropped == ()
    button, banner, modal, listing = layer.components
    assert button.colors == wire.Colors(background="#5b3cc4", text="#ffffff") and button.mode == "buy"
    assert (banner.description, banner.image) == (
        "Fans are reselling 12 tickets for this show.",
        "https://cdn.mentatech.io/b.png",
    )
    assert isinstance(modal, wire.Modal) and modal.description == "Tickets are re-issued in your name."
    assert isinstance(listing, wire.ListingList) and listing.items[0].seat == "7"


@reader("ticket-access")
def _ticket_access(data: Any) -> None:
    sellable, for_sale, not_sellable = wire.parse_ticket_access(data)
    assert [c.kind for c in sellable.components] == ["banner"] and sellable.components[0].mode == "sell"
    assert for_sale.listing_price == wire.Money(amount=Decimal("120.0"), currency="USD")
    assert [cta.action for cta in not_sellable.ctas] == ["P2P"]


@reader("order-access")
def _order_access(data: Any) -> None:
    (order,) = wire.parse_order_access(data)
    assert (order.status, order.ticket_ids) == ("SELLABLE", ("T1", "T2"))


@reader("bulk")
def _bulk(data: Any) -> None:
    found, missing = wire.parse_bulk(data)
    assert [c.kind for c in found.components] == ["button"] and missing.error == "Show not found"


@reader("token")
def _token(data: Any) -> None:
    assert wire.parse_token(data).expires_in == 300


@reader("marketplace-url")
def _url(data: Any) -> None:
    assert "oneTimeToken=" in wire.parse_url(data)


@reader("checkout-url")
def _checkout_url(data: Any) -> None:
    assert wire.parse_url(data).startswith(("http://", "https://"))


@reader("admission")
def _admission(data: Any) -> None:
    assert data is True


@reader("listed-tickets")
def _listed(data: Any) -> None:
    listed, dropped = wire.parse_listed_tickets(data)
    assert dropped == ()
    assert [(item.type, item.quantity, item.pack_id) for item in listed] == [("SINGLE", 1, None), ("PACK", 2, "pck_2")]


@reader("buy-intention")
def _intention(data: Any) -> None:
    intention = wire.parse_buy_intention(data)
    assert intention.id == "bi_1" and intention.expires_at is not None


@pytest.mark.parametrize("name", sorted(set(EXAMPLES) - set(PUSHES) - {"envelope-error"}))
def test_the_client_reads_the_example(name: str) -> None:
    envelope = wire.parse_envelope(EXAMPLES[name])

    assert envelope.error_message is None
    READERS[name](envelope.data)


def test_the_client_reads_the_error_example() -> None:
    assert wire.parse_envelope(EXAMPLES["envelope-error"]).error_message == "Event not found"


# --- the sandbox answers in the same shape ----------------------------------------------------

DOCUMENTED_COMPONENTS = {p for example in EXAMPLES.values() for p in shape(example) if p.startswith("<")}


@pytest.fixture
def market(world: World, person: Any) -> Market:
    return Market(world, person)


def _nothing_dropped(parse: Callable[[Any], tuple[Any, tuple[wire.Dropped, ...]]]) -> Callable[[Any], None]:
    def check(data: Any) -> None:
        assert parse(data)[1] == ()

    return check


PARSERS: dict[str, Callable[[Any], object]] = {
    "access-layer": lambda data: _nothing_dropped(lambda d: (None, wire.parse_access_layer(d).dropped))(data),
    "ticket-access": wire.parse_ticket_access,
    "order-access": wire.parse_order_access,
    "bulk": wire.parse_bulk,
    "token": wire.parse_token,
    "marketplace-url": _url,
    "admission": _admission,
    "listed-tickets": _nothing_dropped(wire.parse_listed_tickets),
    "buy-intention": wire.parse_buy_intention,
    "checkout-url": _checkout_url,
}


def sandbox_answers(sandbox: SandboxControl, world: World, market: Market) -> dict[str, tuple[int, Any]]:
    """The sandbox's answer to the call of each example, from state made for it."""
    listing = market.list(("A", "1", "7"), "80")
    market.pack([("A", "1", "8"), ("A", "1", "9")], "85")
    event, show = market.event_id, market.show_id
    sellable = world.ticket(event, show, "alice@example.com", order_id=world.id("order"))
    buy = {"type": "buy", "eventId": event, "showId": show}
    return {
        "envelope-error": sandbox.call("GET", "/v1/wrapper/accesslayer", params={**buy, "eventId": "no-such"}),
        "access-layer": sandbox.call("GET", "/v1/wrapper/accesslayer", params=buy),
        "ticket-access": sandbox.call(
            "POST",
            "/v1/wrapper/accesslayer",
            json={"user": "alice@example.com", "tickets": [{"ticketId": sellable}, {"ticketId": "unknown"}]},
        ),
        "order-access": sandbox.call(
            "POST",
            "/v1/wrapper/accesslayer",
            json={"user": market.seller.email, "orders": [{"orderId": world.id("order")}]},
        ),
        "bulk": sandbox.call(
            "POST",
            "/v1/wrapper/accesslayer/bulk",
            params={"type": "buy"},
            json=[{"eventId": event, "showIds": [show, "x"]}],
        ),
        "token": sandbox.call("GET", "/v1/auth/oneTimeToken", params={"user": "alice@example.com"}),
        "marketplace-url": sandbox.call(
            "GET",
            "/v1/marketplace/sellingflow/url/entrypoint",
            params={"ticketId": sellable, "loginTrust[withMethod]": "email", "loginTrust[user]": "alice@example.com"},
        ),
        "admission": sandbox.call("POST", f"/v1/tickets/{sellable}/eventAdmission"),
        "listed-tickets": sandbox.call(
            "GET", f"/v1/marketplace/items/events/{event}/listedTickets", params={"showId": show}
        ),
        "buy-intention": sandbox.call(
            "POST", "/v1/marketplace/buyingflow/buyIntention", json={"items": [listing], "user": "bob@example.com"}
        ),
        "checkout-url": sandbox.call(
            "POST",
            "/v1/marketplace/checkout/url",
            params={
                "returnURL": "https://tickets.example/shows/1/",
                "loginTrust[withMethod]": "email",
                "loginTrust[user]": "bob@example.com",
            },
            json={"listingIds": [listing]},
        ),
    }


def test_the_sandbox_answers_in_the_shape_of_every_example(
    sandbox: SandboxControl, world: World, market: Market
) -> None:
    answers = sandbox_answers(sandbox, world, market)

    for name, example in EXAMPLES.items():
        if name in PUSHES:
            continue
        status, body = answers[name]
        assert status == example["status"], name
        assert set(body) == {"status", "data", "errors"}, name
        undocumented = shape(body["data"]) - shape(example["data"]) - DOCUMENTED_COMPONENTS
        assert not undocumented, (name, undocumented)
        if name != "envelope-error":
            PARSERS[name](body["data"])  # and the client reads it
    assert wire.parse_envelope(answers["envelope-error"][1]).error_message == "Event not found"


def test_the_sandbox_accepts_the_push_examples_and_the_client_sends_no_other_field(
    sandbox: SandboxControl, world: World
) -> None:
    event_id, ticket_id = world.id("evtdoc"), world.id("tktdoc")
    text = json.dumps([EXAMPLES["event-push"], EXAMPLES["ticket-push"]])
    event, ticket = json.loads(text.replace("evt_2024_metallica", event_id).replace('"T1"', f'"{ticket_id}"'))

    assert sandbox.call("POST", "/v1/events", json=event)[0] == 200
    assert sandbox.call("POST", "/v1/tickets", json=[ticket])[0] == 200
    show = event["shows"][0]["showId"]
    ours_event = event_push(event_id, [show]).to_wire()
    ours_ticket = ticket_push(ticket_id, event_id, show, "alice@example.com").to_wire()
    assert shape(ours_event) <= shape(EXAMPLES["event-push"])
    assert shape(ours_ticket) <= shape(EXAMPLES["ticket-push"])
