"""The client against the running sandbox: every endpoint of contract sections 2 to 6."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from salwidgets import wire
from salwidgets.client import MentaClient
from salwidgets.errors import NotFound, RateLimited, Unauthorized, ValidationFailed
from tests.conftest import API_KEY, SandboxControl, World, event_push, make_client, start_sandbox, ticket_push


class TestAccessLayer:
    def test_buy_components_of_a_show_without_listings(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event()

        answer = menta.access_layer("buy", event_id=event_id, show_id=show_id, lang="en")

        assert (answer.type, answer.event_id, answer.show_id, answer.lang) == ("buy", event_id, show_id, "en")
        assert answer.max_age == 60
        assert [c.kind for c in answer.components] == ["button", "modal"]
        assert answer.components[0].badge is None
        assert answer.dropped == ()

    def test_buy_components_follow_listings(self, menta: MentaClient, world: World, person) -> None:
        event_id, (show_id,) = world.event(max_percent=150)
        ticket_id = world.ticket(event_id, show_id, "seller@example.com", price=80, seat=("B", "2", "9"))
        seller = person("seller@example.com")
        seller.submit(seller.open(menta.selling_flow_url(ticket_id)), action="list", price="95")

        answer = menta.access_layer("buy", event_id=event_id, show_id=show_id, lang="en")

        kinds = {c.kind: c for c in answer.components}
        assert set(kinds) == {"button", "banner", "modal", "list", "map"}
        assert kinds["button"].badge == "1 ticket from $95"
        (item,) = kinds["list"].items
        assert (item.section, item.row, item.seat, item.price) == ("B", "2", "9", wire.Money(Decimal("95.0"), "USD"))
        (section,) = kinds["map"].sections
        assert (section.label, section.available, section.min_price.amount) == ("B", 1, Decimal("95.0"))

    def test_spanish_labels(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event()

        answer = menta.access_layer("buy", event_id=event_id, show_id=show_id, lang="es")

        assert answer.lang == "es"
        assert answer.components[0].label == "Mercado de reventa"

    def test_resale_off_gives_no_buy_components(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event(resale=False)

        assert menta.access_layer("buy", event_id=event_id, show_id=show_id).components == ()

    def test_sell_components_without_a_show(self, menta: MentaClient) -> None:
        answer = menta.access_layer("sell")

        assert [c.kind for c in answer.components] == ["banner", "modal"]

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"type": "rent"}, "type must be one of: buy, sell"),
            ({"type": "buy", "event_id": "evt"}, "eventId and showId are required when type=buy"),
        ],
    )
    def test_refused_queries(self, menta: MentaClient, kwargs: dict[str, str], message: str) -> None:
        with pytest.raises(ValidationFailed) as refused:
            menta.access_layer(**kwargs)

        assert refused.value.message == message
        assert refused.value.status == 400

    def test_unknown_event_and_show(self, menta: MentaClient, world: World) -> None:
        event_id, _ = world.event()

        with pytest.raises(NotFound, match="Event not found"):
            menta.access_layer("buy", event_id="evt_nope", show_id="show_nope")
        with pytest.raises(NotFound, match="Show not found"):
            menta.access_layer("buy", event_id=event_id, show_id="show_nope")


class TestTicketAndOrderAccess:
    def test_ticket_statuses(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event()
        off_event, (off_show,) = world.event(resale=False)
        sellable = world.ticket(event_id, show_id, "alice@example.com")
        locked = world.ticket(off_event, off_show, "alice@example.com")

        answers = menta.ticket_access("alice@example.com", [sellable, locked, "tkt_unknown"])

        assert [(a.ticket_id, a.status) for a in answers] == [
            (sellable, "SELLABLE"),
            (locked, "NOT_SELLABLE"),
            ("tkt_unknown", "NOT_SELLABLE"),
        ]
        assert [c.action for c in answers[0].ctas] == ["SELL"]
        assert answers[1].reason == "Resale is not enabled for this show"
        assert [c.action for c in answers[1].ctas] == ["P2P"]
        assert answers[2].reason == "Ticket not found"

    def test_another_persons_ticket_is_not_found(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event()
        ticket_id = world.ticket(event_id, show_id, "alice@example.com")

        (answer,) = menta.ticket_access("bob@example.com", [ticket_id])

        assert (answer.status, answer.reason) == ("NOT_SELLABLE", "Ticket not found")

    def test_more_than_100_tickets_are_split(self, menta: MentaClient, sandbox: SandboxControl) -> None:
        sandbox.reset_stats()

        answers = menta.ticket_access("alice@example.com", [f"t{n}" for n in range(250)])

        assert len(answers) == 250
        assert sandbox.stats()["POST /v1/wrapper/accesslayer"] == 3

    def test_orders_aggregate_their_tickets(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event()
        order_id = world.id("order")
        first = world.ticket(event_id, show_id, "alice@example.com", order_id=order_id)
        second = world.ticket(event_id, show_id, "alice@example.com", order_id=order_id)

        (order,) = menta.order_access("alice@example.com", [order_id])

        assert (order.order_id, order.status, set(order.ticket_ids)) == (order_id, "SELLABLE", {first, second})
        assert [c.action for c in order.ctas] == ["SELL"]


class TestBulk:
    def test_components_for_many_shows_in_calls_of_50(
        self, menta: MentaClient, world: World, sandbox: SandboxControl
    ) -> None:
        event_id, show_ids = world.event(shows=60)
        sandbox.reset_stats()

        answers = menta.access_layer_bulk("buy", [(event_id, show_id) for show_id in show_ids] + [(event_id, "nope")])

        assert sandbox.stats()["POST /v1/wrapper/accesslayer/bulk"] == 2
        assert [a.show_id for a in answers] == [*show_ids, "nope"]
        assert {c.kind for a in answers[:-1] for c in a.components} <= {"button", "modal", "banner"}
        assert (answers[-1].components, answers[-1].error) == ((), "Show not found")


class TestTokensAndUrls:
    def test_one_time_token(self, menta: MentaClient) -> None:
        token = menta.one_time_token("alice@example.com")

        assert len(token.token) > 20
        assert token.expires_in == 300
        assert token.token not in repr(token)

    def test_token_needs_a_user(self, menta: MentaClient) -> None:
        with pytest.raises(ValidationFailed, match="user is required"):
            menta.one_time_token("")

    def test_marketplace_urls(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event()
        order_id = world.id("order")
        ticket_id = world.ticket(event_id, show_id, "alice@example.com", order_id=order_id)

        buy = menta.buying_flow_url(event_id, show_id, return_to="http://127.0.0.1:8000/back", ticket_option_id="GA")
        sell = menta.selling_flow_url(ticket_id, lang="es")
        order = menta.order_selling_flow_url(order_id)
        details = menta.selling_details_url(ticket_id)

        assert f"/buy/{event_id}/{show_id}/" in buy and "returnTo=http" in buy and "ticketOptionId=GA" in buy
        assert sell.endswith(f"/sell/tickets/{ticket_id}/?lang=es")
        assert f"/sell/orders/{order_id}/" in order
        assert f"/sell/tickets/{ticket_id}/?view=details" in details

    def test_urls_of_unknown_things(self, menta: MentaClient) -> None:
        with pytest.raises(NotFound, match="Ticket not found"):
            menta.selling_flow_url("tkt_nope")
        with pytest.raises(NotFound, match="Order not found"):
            menta.order_selling_flow_url("ord_nope")
        with pytest.raises(NotFound, match="Event not found"):
            menta.buying_flow_url("evt_nope", "show", return_to="http://x.example/")
        with pytest.raises(ValidationFailed, match="returnTo must be an http"):
            menta.buying_flow_url("evt_nope", "show", return_to="javascript:alert(1)")

    def test_listing_sale_url_and_termination(self, menta: MentaClient, world: World, person) -> None:
        event_id, (show_id,) = world.event()
        ticket_id = world.ticket(event_id, show_id, "seller@example.com")
        with pytest.raises(NotFound, match="Listing not found"):
            menta.listing_for_ticket(ticket_id)
        seller = person("seller@example.com")
        seller.submit(seller.open(menta.selling_flow_url(ticket_id)), action="list", price="75")

        listing = menta.listing_for_ticket(ticket_id, seller_email="seller@example.com")
        public = menta.sale_public_url(ticket_id, lang="en")
        menta.terminate_listing(ticket_id)

        assert (listing.status, listing.price, listing.seller_email) == (
            "ACTIVE",
            wire.Money(Decimal("75.0"), "USD"),
            "seller@example.com",
        )
        assert f"listing={listing.listing_id}" in public
        assert menta.listing_for_ticket(ticket_id).status == "WITHDRAWN"
        with pytest.raises(NotFound, match="Listing not found"):
            menta.terminate_listing(ticket_id)
        with pytest.raises(NotFound, match="Listing not found"):
            menta.sale_public_url(ticket_id, lang="en")


class TestPushes:
    def test_event_update_cancel_and_rules(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id, _) = world.event(shows=2)
        payload = event_push(event_id, [show_id], title="Renamed").to_wire()

        menta.update_event(payload)
        menta.define_rules([wire.ResaleRule(event_id, enabled=False, show_id=show_id).to_wire()])

        assert menta.access_layer("buy", event_id=event_id, show_id=show_id).components == ()
        menta.cancel_event(event_id, show_id=f"{event_id}_show2")
        assert menta.access_layer("buy", event_id=event_id, show_id=f"{event_id}_show2").components == ()
        menta.cancel_event(event_id)

    def test_event_errors(self, menta: MentaClient, world: World) -> None:
        event_id, _ = world.event()
        full = {**event_push(event_id, ["s"]).to_wire(), "shows": []}

        with pytest.raises(ValidationFailed, match="Event already exists"):
            menta.create_event({**full, "location": {"name": "x"}, "shows": [{"showId": "s"}]})
        with pytest.raises(ValidationFailed, match="location is required"):
            menta.create_event({**full, "externalReferenceId": world.id("new"), "location": None})
        with pytest.raises(NotFound, match="Event not found"):
            menta.update_event({**full, "externalReferenceId": "evt_nope"})
        with pytest.raises(NotFound, match="Event not found"):
            menta.cancel_event("evt_nope")
        with pytest.raises(NotFound, match="Show not found"):
            menta.cancel_event(event_id, show_id="show_nope")
        with pytest.raises(ValidationFailed, match="ruleType is required"):
            menta.define_rules([{"externalReferenceEventId": event_id}])
        with pytest.raises(NotFound, match="Event not found"):
            menta.define_rules([wire.ResaleRule("evt_nope", enabled=True).to_wire()])

    def test_shows_as_an_object_keyed_by_show_id(self, menta: MentaClient, world: World) -> None:
        event_id = world.id("evtobj")
        menta.create_event(
            {
                "externalReferenceId": event_id,
                "title": "t",
                "description": "d",
                "location": {"name": "x"},
                "configuration": {},
                "shows": {"show_a": {"name": "A"}, "show_b": {"name": "B"}},
            }
        )

        assert menta.access_layer("buy", event_id=event_id, show_id="show_b").components

    def test_ticket_lifecycle(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event()
        ticket_id = world.ticket(event_id, show_id, "alice@example.com")
        payload = ticket_push(ticket_id, event_id, show_id, "bob@example.com").to_wire()

        menta.sync_tickets([payload])
        assert menta.ticket_access("bob@example.com", [ticket_id])[0].status == "SELLABLE"
        menta.update_ticket(ticket_id, {"buyer": {"email": "carol@example.com"}})
        assert menta.ticket_access("carol@example.com", [ticket_id])[0].status == "SELLABLE"
        menta.admit_ticket(ticket_id)
        assert menta.ticket_access("carol@example.com", [ticket_id])[0].reason == "This ticket was already used"
        menta.delete_ticket(ticket_id)
        assert menta.ticket_access("carol@example.com", [ticket_id])[0].reason == "This ticket is no longer valid"

    def test_batch_admissions(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event()
        ticket_id = world.ticket(event_id, show_id, "alice@example.com")

        menta.admit_tickets([wire.Admission(ticket_id, datetime(2030, 1, 1, 19, 45, tzinfo=UTC)).to_wire()])

        assert menta.ticket_access("alice@example.com", [ticket_id])[0].status == "NOT_SELLABLE"
        with pytest.raises(ValidationFailed, match="entryDate must be an ISO 8601 date"):
            menta.admit_tickets([{"ticketId": ticket_id, "entryDate": "yesterday"}])

    def test_ticket_errors(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event()
        good = ticket_push("tkt", event_id, show_id, "a@example.com", price=1).to_wire()

        with pytest.raises(ValidationFailed, match="ticketAccess is required"):
            menta.create_tickets([{**good, "ticketAccess": None}])
        with pytest.raises(NotFound, match="Event not found"):
            menta.create_tickets([{**good, "externalReferenceEventId": "evt_nope"}])
        with pytest.raises(NotFound, match="Show not found"):
            menta.sync_tickets([{**good, "showId": "show_nope"}])
        with pytest.raises(NotFound, match="Ticket not found"):
            menta.update_ticket("tkt_nope", {"ticketOptionId": "VIP"})
        with pytest.raises(NotFound, match="Ticket not found"):
            menta.delete_ticket("tkt_nope")
        with pytest.raises(NotFound, match="Ticket not found"):
            menta.admit_ticket("tkt_nope")

    def test_inventory(self, menta: MentaClient, world: World) -> None:
        event_id, show_ids = world.event(shows=2)
        summary = {
            "capacity": 1000,
            "releasedTickets": 900,
            "reservedSpace": 50,
            "soldOut": False,
            "soldPercentage": 80,
        }

        menta.update_inventory(event_id, summary, show_id=show_ids[0])
        menta.update_inventory_details(event_id, [{"section": "A", "capacity": 100}])

        with pytest.raises(ValidationFailed, match="showId is required when the event has several shows"):
            menta.update_inventory(event_id, summary)
        with pytest.raises(ValidationFailed, match="soldOut must be true or false"):
            menta.update_inventory(event_id, {**summary, "soldOut": "no"}, show_id=show_ids[0])
        with pytest.raises(NotFound, match="Event not found"):
            menta.update_inventory("evt_nope", summary)


class TestErrors:
    def test_wrong_key_is_unauthorized(self, sandbox: SandboxControl) -> None:
        menta = MentaClient(base_url=sandbox.url, api_key="wrong-key")

        with pytest.raises(Unauthorized) as refused:
            menta.access_layer("sell")

        assert refused.value.status == 401

    def test_api_key_never_in_repr_or_logs(self, sandbox: SandboxControl, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        menta = make_client(sandbox.url)

        menta.access_layer("sell")
        with pytest.raises(ValidationFailed):
            menta.access_layer("nope")

        assert API_KEY not in repr(menta) and API_KEY not in repr(menta.transport)
        assert caplog.records
        assert all(API_KEY not in record.getMessage() for record in caplog.records)

    def test_sync_tickets_are_limited_to_60_a_minute(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        sandbox, _ = start_sandbox(tmp_path_factory)
        try:
            menta = make_client(sandbox.url)
            for _ in range(60):
                with pytest.raises(ValidationFailed, match="buyer is required"):
                    menta.sync_tickets([{"externalReferenceEventId": "e", "ticketId": "t"}])

            with pytest.raises(RateLimited) as limited:
                menta.sync_tickets([])
        finally:
            sandbox.stop()

        assert limited.value.message == "Too many requests: at most 60 per minute"
        assert 0 < limited.value.retry_after <= 60


class TestReferenceFields:
    """Every top-level request field the API reference (seed 001) lists is accepted."""

    def test_event_with_every_field(self, menta: MentaClient, world: World) -> None:
        event_id = world.id("evtfull")
        event = {
            "title": "Full",
            "description": "Every field",
            "externalReferenceId": event_id,
            "shows": [{"showId": "s1", "name": "Night 1", "startDate": "2030-05-01T20:00:00Z"}],
            "location": {"name": "Arena", "city": "Lima"},
            "producers": [{"name": "Producer"}],
            "configuration": {"currency": "PEN"},
            "seating": {"map": "arena-v2"},
        }

        menta.create_event(event)
        menta.update_event({**event, "title": "Full, renamed"})
        menta.define_rules(
            [
                {
                    "externalReferenceEventId": event_id,
                    "showId": "s1",
                    "ticketOptionId": "GA",
                    "priceTypeId": "regular",
                    "price": 10,
                    "ruleType": "RESALE",
                    "rules": {"enabled": True, "maxPricePercent": 110},
                }
            ]
        )

        assert menta.access_layer("buy", event_id=event_id, show_id="s1").components

    def test_ticket_with_every_field(self, menta: MentaClient, world: World) -> None:
        event_id, (show_id,) = world.event()
        order_id = world.id("order")
        ticket = {
            "externalReferenceEventId": event_id,
            "showId": show_id,
            "buyer": "holder@example.com",
            "ticketId": world.id("tktfull"),
            "ticketAccess": {"type": "URL", "locator": "https://tickets.example/qr/abc"},
            "ticketOptionId": "GA",
            "priceTypeId": "regular",
            "price": 50,
            "buyerEmailExternal": "holder@example.com",
            "primarySaleBuyerData": {"firstName": "Hol", "lastName": "Der", "phoneNumber": "+34600000000"},
            "nominalTicket": {"name": "Holder"},
            "props": {"orderId": order_id},
            "primarySalesFee": {"amount": 5},
        }

        menta.create_tickets([ticket])
        menta.sync_tickets([{**ticket, "ticketId": world.id("tktsync"), "buyer": {"id": "user-7"}}])
        menta.update_ticket(ticket["ticketId"], {"priceTypeId": "vip", "nominalTicket": {"name": "New"}})

        assert menta.ticket_access("holder@example.com", [ticket["ticketId"]])[0].status == "SELLABLE"
        assert menta.order_access("holder@example.com", [order_id])[0].ticket_ids == (ticket["ticketId"],)
        assert menta.order_access("user-7", [order_id])[0].ticket_ids == (world.id("tktsync"),)
