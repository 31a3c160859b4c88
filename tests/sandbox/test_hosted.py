"""menta's hosted pages in the sandbox: sign-in by one-time token, selling, buying, the way back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from salwidgets.client import MentaClient
from tests.conftest import HIDDEN, Person, SandboxControl, World, make_client, start_sandbox

People = Callable[[str], Person]


def sent(sandbox: SandboxControl, action: str, which: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """The data of the webhooks of ``action`` the sandbox sent that ``which`` picks."""
    rows = sandbox.rows("SELECT body FROM menta_sandbox_outgoingwebhook WHERE action = ? ORDER BY id", action)
    found = [json.loads(body)["message"]["data"] for (body,) in rows]
    return [data for data in found if which(data)]


def statuses(menta: MentaClient, user: str, *ticket_ids: str) -> list[tuple[str, list[str]]]:
    return [(t.status, [c.action for c in t.ctas]) for t in menta.ticket_access(user, ticket_ids)]


class TestSignIn:
    def test_a_token_signs_in_once_and_leaves_the_url(self, menta: MentaClient, world: World, person: People) -> None:
        event_id, (show_id,) = world.event()
        ticket_id = world.ticket(event_id, show_id, "alice@example.com")
        url = menta.selling_flow_url(ticket_id)
        token = menta.one_time_token("alice@example.com").token
        alice, mallory = person("alice@example.com"), person("mallory@example.com")

        first = alice.browser.get(url, params={"oneTimeToken": token}, timeout=5)
        replay = mallory.browser.get(url, params={"oneTimeToken": token}, timeout=5)

        assert first.status_code == 200 and "Signed in as alice@example.com" in first.text
        assert "oneTimeToken=" not in first.url and first.history[0].status_code == 302
        assert replay.status_code == 403 and "expired or was used already" in replay.text

    def test_an_unknown_token_is_refused(self, menta: MentaClient, person: People) -> None:
        page = person("a@example.com").browser.get(
            menta.access_layer("sell").components[0].cta.url + "?oneTimeToken=nope"
        )

        assert page.status_code == 403

    def test_an_expired_token_is_refused(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        sandbox, _ = start_sandbox(tmp_path_factory, SANDBOX_TOKEN_TTL="0")
        try:
            menta = make_client(sandbox.url)
            page = Person(menta, "alice@example.com").open(f"{sandbox.url}/sell/")
        finally:
            sandbox.stop()

        assert page.status_code == 403

    def test_sell_pages_need_a_signed_in_person(self, menta: MentaClient, world: World, person: People) -> None:
        event_id, (show_id,) = world.event()
        ticket_id = world.ticket(event_id, show_id, "alice@example.com")

        anonymous = person("alice@example.com").open(menta.selling_flow_url(ticket_id), sign_in=False)
        someone_else = person("bob@example.com").open(menta.selling_flow_url(ticket_id))

        assert anonymous.status_code == 403 and "Sign in through your ticketing site" in anonymous.text
        assert someone_else.status_code == 403 and "not in your account" in someone_else.text


@pytest.fixture
def listed(menta: MentaClient, world: World, person: People) -> Iterator[tuple[str, str, str, Person]]:
    """A show with alice's ticket (face value 100, resale up to 120%), and alice in its sell page."""
    event_id, (show_id,) = world.event(max_percent=120)
    ticket_id = world.ticket(event_id, show_id, "alice@example.com", price=100)
    alice = person("alice@example.com")
    yield event_id, show_id, ticket_id, alice


class TestSelling:
    def test_price_above_the_rule_is_refused(self, menta: MentaClient, listed: tuple[str, str, str, Person]) -> None:
        _, _, ticket_id, alice = listed

        answer = alice.submit(alice.open(menta.selling_flow_url(ticket_id)), action="list", price="120.01")

        assert answer.status_code == 400
        assert "The price can be at most $120 for this ticket." in answer.text
        assert statuses(menta, "alice@example.com", ticket_id) == [("SELLABLE", ["SELL"])]

    @pytest.mark.parametrize("price", ["0", "-5", "abc", "NaN"])
    def test_price_must_be_a_positive_number(
        self, menta: MentaClient, listed: tuple[str, str, str, Person], price: str
    ) -> None:
        _, _, ticket_id, alice = listed

        answer = alice.submit(alice.open(menta.selling_flow_url(ticket_id)), action="list", price=price)

        assert answer.status_code == 400
        assert 'role="alert"' in answer.text

    def test_list_reprice_and_withdraw(self, menta: MentaClient, listed: tuple[str, str, str, Person]) -> None:
        _, _, ticket_id, alice = listed
        page = alice.open(menta.selling_flow_url(ticket_id))

        listed_page = alice.submit(page, action="list", price="110")
        (ticket,) = menta.ticket_access("alice@example.com", [ticket_id])
        assert "Your ticket is listed for sale." in listed_page.text
        assert (ticket.status, [c.action for c in ticket.ctas]) == ("FOR_SALE", ["EDIT", "DETAILS"])
        assert str(ticket.listing_price.amount) == "110.0"

        alice.submit(listed_page, action="list", price="99.5")
        assert str(menta.ticket_access("alice@example.com", [ticket_id])[0].listing_price.amount) == "99.5"

        withdrawn = alice.submit(alice.browser.get(listed_page.url), action="withdraw")
        assert "Your listing was withdrawn." in withdrawn.text
        assert statuses(menta, "alice@example.com", ticket_id) == [("SELLABLE", ["SELL"])]

    def test_resale_off_offers_a_transfer_instead(self, menta: MentaClient, world: World, person: People) -> None:
        event_id, (show_id,) = world.event(resale=False)
        ticket_id = world.ticket(event_id, show_id, "alice@example.com")
        (ticket,) = menta.ticket_access("alice@example.com", [ticket_id])
        alice = person("alice@example.com")

        transfer = alice.open(ticket.ctas[0].url)
        done = alice.submit(transfer, form="Your friend", email="friend@example.com")

        assert "transferred to friend@example.com" in done.text
        assert statuses(menta, "friend@example.com", ticket_id) == [("NOT_SELLABLE", ["P2P"])]
        assert statuses(menta, "alice@example.com", ticket_id)[0][0] == "NOT_SELLABLE"


class TestBuying:
    def test_the_whole_loop(self, menta: MentaClient, listed: tuple[str, str, str, Person], person: People) -> None:
        event_id, show_id, ticket_id, alice = listed
        alice.submit(alice.open(menta.selling_flow_url(ticket_id)), action="list", price="115")
        buy_url = menta.buying_flow_url(event_id, show_id, return_to="http://127.0.0.1:8000/events/x/")
        bob = person("bob@example.com")

        shop = bob.open(buy_url)
        assert 'id="return-link"' in shop.text and 'href="http://127.0.0.1:8000/events/x/"' in shop.text
        (item,) = menta.access_layer("buy", event_id=event_id, show_id=show_id).components[3].items
        bought = bob.submit(shop, form=f"/buy/listings/{item.listing_id.removeprefix('lst_')}/")

        assert bought.status_code == 200 and "Purchase complete" in bought.text
        assert statuses(menta, "alice@example.com", ticket_id) == [("SOLD", ["DETAILS", "PENDING_PAYOUT_INFO"])]
        assert menta.listing_for_ticket(ticket_id).status == "SOLD"
        assert menta.access_layer("buy", event_id=event_id, show_id=show_id).components[0].badge is None

        details = alice.open(menta.ticket_access("alice@example.com", [ticket_id])[0].ctas[1].url)
        alice.submit(details, action="payout", payout="ES91 2100 0418 4502 0005 1332")
        assert statuses(menta, "alice@example.com", ticket_id) == [("SOLD", ["DETAILS"])]

        answer = bob.submit(shop, form=f"/buy/listings/{item.listing_id.removeprefix('lst_')}/")
        assert answer.status_code == 409 and "This ticket is no longer for sale." in answer.text
        assert "/buy/listings/" not in bob.browser.get(buy_url).text

    def test_a_sale_is_paid_once_on_the_control_call(
        self, menta: MentaClient, listed: tuple[str, str, str, Person], person: People, sandbox: SandboxControl
    ) -> None:
        event_id, show_id, ticket_id, alice = listed
        alice.submit(alice.open(menta.selling_flow_url(ticket_id)), action="list", price="115")
        bob = person("bob@example.com")
        shop = bob.open(menta.buying_flow_url(event_id, show_id, return_to="http://127.0.0.1:8000/"))
        (item,) = menta.access_layer("buy", event_id=event_id, show_id=show_id).components[3].items
        # (The sandbox is shared with other tests: each call names this listing.)
        assert sandbox.pay(listingId=item.listing_id) == []  # not sold yet
        bob.submit(shop, form=f"/buy/listings/{item.listing_id.removeprefix('lst_')}/")

        assert sandbox.pay(listingId=item.listing_id, sellerEmail="bob@example.com") == []
        assert sandbox.pay(listingId=item.listing_id, sellerEmail="Alice@example.com") == [item.listing_id]
        assert sandbox.pay(listingId=item.listing_id) == []  # paid once
        details = alice.open(menta.ticket_access("alice@example.com", [ticket_id])[0].ctas[1].url)
        alice.submit(details, action="payout", payout="ES91 2100 0418 4502 0005 1332")  # paid already: nothing sent

        (payout,) = sent(sandbox, "payouts.delivered", lambda data: item.listing_id in data["listingIds"])
        assert payout == {
            "eventId": event_id,
            "showId": show_id,
            "sellerEmail": "alice@example.com",
            "listingIds": [item.listing_id],
            "amount": {"amount": 115.0, "currency": "USD"},
        }

    def test_the_control_calls_refuse_what_they_cannot_do(self, sandbox: SandboxControl) -> None:
        for path, body, status, message in [
            ("payouts", {"listingId": "12"}, 400, "listingId must look like lst_12"),
            ("payouts", {"who": "me"}, 400, "unknown field(s): who"),
            ("unlock", {}, 400, "eventId is required"),
            ("unlock", {"eventId": 5}, 400, "eventId must be a string"),
            ("unlock", {"eventId": "evt_none"}, 404, "No event evt_none."),
        ]:
            answer = requests.post(f"{sandbox.url}/__sandbox/{path}", json=body, timeout=10)
            assert (answer.status_code, answer.json()["message"]) == (status, message)

    def test_an_unlock_is_told_to_the_platform(self, world: World, sandbox: SandboxControl) -> None:
        event_id, (show_id,) = world.event()

        sandbox.unlock(event_id, show_id)

        assert sent(sandbox, "event.unlock", lambda data: data["eventId"] == event_id) == [
            {"eventId": event_id, "showId": show_id}
        ]

    def test_a_price_with_cents_can_be_bought_in_spanish(
        self, menta: MentaClient, listed: tuple[str, str, str, Person], person: People
    ) -> None:
        event_id, show_id, ticket_id, alice = listed
        alice.submit(alice.open(menta.selling_flow_url(ticket_id)), action="list", price="101.50")
        bob = person("bob@example.com")
        shop = bob.open(menta.buying_flow_url(event_id, show_id, return_to="http://127.0.0.1:8000/", lang="es"))
        (item,) = menta.access_layer("buy", event_id=event_id, show_id=show_id).components[3].items

        bought = bob.submit(shop, form=f"/buy/listings/{item.listing_id.removeprefix('lst_')}/")

        assert bought.status_code == 200 and 'lang="es"' in bought.text
        assert menta.listing_for_ticket(ticket_id).status == "SOLD"

    def test_a_guest_buys_with_an_email(
        self, menta: MentaClient, listed: tuple[str, str, str, Person], person: People
    ) -> None:
        event_id, show_id, ticket_id, alice = listed
        alice.submit(alice.open(menta.selling_flow_url(ticket_id)), action="list", price="100")
        guest = person("guest@example.com")
        shop = guest.open(menta.buying_flow_url(event_id, show_id, return_to="http://127.0.0.1/"), sign_in=False)
        form = shop.text[
            shop.text.index("/buy/listings/") : shop.text.index("/", shop.text.index("/buy/listings/") + 14) + 1
        ]

        refused = guest.submit(shop, form=form, email="not-an-email")
        bought = guest.submit(shop, form=form, email="guest@example.com")

        assert refused.status_code == 400 and "Enter a valid email address to buy." in refused.text
        assert bought.status_code == 200 and "re-issued to guest@example.com" in bought.text

    def test_a_seller_cannot_buy_their_own_ticket(
        self, menta: MentaClient, listed: tuple[str, str, str, Person]
    ) -> None:
        event_id, show_id, ticket_id, alice = listed
        alice.submit(alice.open(menta.selling_flow_url(ticket_id)), action="list", price="100")
        shop = alice.open(menta.buying_flow_url(event_id, show_id, return_to="http://127.0.0.1/"), sign_in=False)
        listing_id = menta.listing_for_ticket(ticket_id).listing_id.removeprefix("lst_")
        token = dict(HIDDEN.findall(shop.text))["csrfmiddlewaretoken"]

        answer = alice.browser.post(
            shop.url.split("/buy/")[0] + f"/buy/listings/{listing_id}/", data={"csrfmiddlewaretoken": token}, timeout=10
        )

        assert "Your listing" in shop.text and "/buy/listings/" not in shop.text
        assert answer.status_code == 409 and "You cannot buy your own ticket." in answer.text


class TestOrders:
    def test_order_status_follows_its_tickets(self, menta: MentaClient, world: World, person: People) -> None:
        event_id, (show_id,) = world.event()
        order_id = world.id("order")
        first = world.ticket(event_id, show_id, "alice@example.com", order_id=order_id)
        second = world.ticket(event_id, show_id, "alice@example.com", order_id=order_id)
        alice = person("alice@example.com")

        def order() -> tuple[str, list[str]]:
            (answer,) = menta.order_access("alice@example.com", [order_id])
            return answer.status, [c.action for c in answer.ctas]

        assert order() == ("SELLABLE", ["SELL"])
        alice.submit(alice.open(menta.selling_flow_url(first)), action="list", price="90")
        assert order() == ("PARTIALLY_FOR_SALE", ["MANAGE"])
        alice.submit(alice.open(menta.selling_flow_url(second)), action="list", price="90")
        assert order() == ("FOR_SALE", ["EDIT", "DETAILS"])
        page = alice.open(menta.order_selling_flow_url(order_id))
        assert page.status_code == 200 and first in page.text and second in page.text

    def test_several_orders_in_one_call_each_answer_with_their_own_tickets(
        self, menta: MentaClient, world: World
    ) -> None:
        event_id, (show_id,) = world.event()
        first_order, second_order = world.id("order-1"), world.id("order-2")
        first = world.ticket(event_id, show_id, "alice@example.com", order_id=first_order)
        second = world.ticket(event_id, show_id, "alice@example.com", order_id=second_order)
        third = world.ticket(event_id, show_id, "alice@example.com", order_id=second_order)
        world.ticket(event_id, show_id, "bob@example.com", order_id=second_order)

        answers = menta.order_access("alice@example.com", [second_order, "ORD-NOBODYS", first_order])

        assert [(answer.order_id, answer.status, answer.ticket_ids) for answer in answers] == [
            (second_order, "SELLABLE", tuple(sorted([second, third]))),
            ("ORD-NOBODYS", "NOT_SELLABLE", ()),
            (first_order, "SELLABLE", (first,)),
        ]

    def test_a_sold_ticket_beside_a_sellable_one_leaves_the_order_sellable(
        self, menta: MentaClient, world: World, person: People
    ) -> None:
        event_id, (show_id,) = world.event()
        order_id = world.id("order")
        first = world.ticket(event_id, show_id, "alice@example.com", order_id=order_id)
        world.ticket(event_id, show_id, "alice@example.com", order_id=order_id)
        alice, bob = person("alice@example.com"), person("bob@example.com")
        alice.submit(alice.open(menta.selling_flow_url(first)), action="list", price="90")
        shop = bob.open(menta.buying_flow_url(event_id, show_id, return_to="http://127.0.0.1/"))
        (item,) = menta.access_layer("buy", event_id=event_id, show_id=show_id).components[3].items
        assert (
            "Purchase complete" in bob.submit(shop, form=f"/buy/listings/{item.listing_id.removeprefix('lst_')}/").text
        )

        (answer,) = menta.order_access("alice@example.com", [order_id])

        # Not "partly for sale": nothing is listed. What is left can be sold; the sale wants payout details.
        assert (answer.status, [c.action for c in answer.ctas]) == ("SELLABLE", ["SELL", "PENDING_PAYOUT_INFO"])


class TestLanguage:
    def test_a_link_s_language_holds_for_the_visit(self, menta: MentaClient, world: World, person: People) -> None:
        event_id, (show_id,) = world.event()
        ticket_id = world.ticket(event_id, show_id, "alice@example.com")
        alice = person("alice@example.com")

        spanish = alice.open(menta.selling_flow_url(ticket_id, lang="es"))
        listed = alice.submit(spanish, action="list", price="abc")
        english = person("bob@example.com").open(menta.selling_flow_url(ticket_id))

        assert '<html lang="es">' in spanish.text and spanish.headers["Content-Language"] == "es"
        assert 'data-status="SELLABLE">Se puede revender</span>' in spanish.text
        assert "Poner a la venta" in spanish.text and "Sesión iniciada como alice@example.com" in spanish.text
        # The form posts without ?lang: the visit keeps Spanish, errors included.
        assert "Escribe el precio como un número, por ejemplo 85.50." in listed.text
        assert '<html lang="en">' in english.text
