"""The resale loop between a real sandbox and the site on a live server: the sandbox verifies
ownership with the site, and its webhooks (signed, retried) change the site's tickets."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from salsite import demo, lifecycle
from salsite.models import Resale, Ticket
from salwidgets import outbox
from salwidgets.client import MentaClient
from salwidgets.models import WebhookDelivery
from tests.conftest import (
    HIDDEN,
    LOOP_SECRET,
    Person,
    SandboxControl,
    make_client,
    seed_looped_site,
    start_menta_for,
    verification_path,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

SHOW = ("evt_2024_metallica", "show_nyc_20240815")


@pytest.fixture
def loop(live_server: Any, settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxControl]:
    """A sandbox of its own that asks the live site who owns what and tells it what was sold;
    the site pointed at it, with the demo data seeded and every webhook of the seed applied."""
    sandbox, db = start_menta_for(live_server.url, tmp_path_factory)
    control = SandboxControl(sandbox.url, db)
    seed_looped_site(settings, control)
    yield control
    # Deliveries still in flight would reach the site while its test database is emptied (on
    # PostgreSQL the two deadlock): let them land first.
    with contextlib.suppress(AssertionError):
        control.settle(timeout=10)
    sandbox.stop()


@pytest.fixture
def menta(loop: SandboxControl) -> MentaClient:
    return make_client(loop.url)


def listing_form(page: requests.Response, price: str) -> str:
    """The buy form of the listing shown at ``price`` on a hosted buy page."""
    row = page.text[: page.text.index(f"<td>{price}</td>")]
    start = row.rindex("<tr ")
    form = page.text[start:].split('action="')[1].split('"')[0]
    return form


def ticket(external_id: str) -> Ticket:
    return Ticket.objects.select_related("holder").get(external_id=external_id)


def my_tickets(email: str) -> str:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client.get("/my-tickets/").content.decode()


def owned(email: str) -> list[str]:
    answer = Client().get("/menta/tickets", {"user": email}, HTTP_X_MENTA_SECRET=LOOP_SECRET)
    return [item["ticketId"] for item in answer.json()["tickets"]]


def sell(menta: MentaClient, seller: Person, ticket_id: str, price: str) -> requests.Response:
    return seller.submit(seller.open(menta.selling_flow_url(ticket_id)), action="list", price=price)


def shop(menta: MentaClient, buyer: Person) -> requests.Response:
    return buyer.open(menta.buying_flow_url(*SHOW, return_to="http://127.0.0.1/"))


def buy(buyer: Person, page: requests.Response, price: str, **fields: str) -> requests.Response:
    return buyer.submit(page, form=listing_form(page, price), **fields)


def test_a_resale_moves_the_ticket_to_the_buyer_who_can_resell_it(loop: SandboxControl, menta: MentaClient) -> None:
    alice, bob = Person(menta, "alice@example.com"), Person(menta, "bob@example.com")
    qr = ticket("TKT-ALICE-001").locator

    assert sell(menta, alice, "TKT-ALICE-001", "101.50").status_code == 200
    loop.settle()
    assert ticket("TKT-ALICE-001").listed_at is not None
    assert "Listed for resale: your QR is on hold." in my_tickets("alice@example.com")
    with pytest.raises(lifecycle.TicketError, match="listed for resale"):
        lifecycle.check_in(ticket("TKT-ALICE-001"))

    bought = buy(bob, shop(menta, bob), "$101.50")
    assert bought.status_code == 200 and "Purchase complete" in bought.text
    actions = [row["action"] for row in loop.settle()]

    old = ticket("TKT-ALICE-001")
    (new,) = Ticket.objects.filter(reissued_from=old)
    assert actions[-2:] == ["ticket.updated", "listing.deleted"]
    assert (old.status, old.holder.email, old.listed_at) == ("RESOLD", "alice@example.com", None)
    assert old.locator != qr
    assert (new.status, new.holder.email, new.show_id, new.option_id) == (
        "VALID",
        "bob@example.com",
        old.show_id,
        old.option_id,
    )
    assert new.order.user.email == "bob@example.com" and new.order.reference != old.order.reference
    assert "TKT-ALICE-001" not in owned("alice@example.com")
    assert new.external_id in owned("bob@example.com")
    alices = my_tickets("alice@example.com")
    alice_row = alices[alices.index('data-ticket="TKT-ALICE-001"') :].split("</li>")[0]
    assert "Resold" in alice_row and "data-qr" not in alice_row
    bobs = my_tickets("bob@example.com")
    assert 'data-qr="shown"' in bobs[bobs.index(f'data-ticket="{new.external_id}"') :].split("</li>")[0]

    # The seller cannot sell it again; the buyer's new ticket reaches menta and sells on.
    sold = alice.open(menta.selling_flow_url("TKT-ALICE-001"))
    token = dict(HIDDEN.findall(sold.text))["csrfmiddlewaretoken"]
    forced = alice.browser.post(
        sold.url, data={"csrfmiddlewaretoken": token, "action": "list", "price": "90"}, timeout=10
    )
    assert 'value="list"' not in sold.text
    assert forced.status_code == 400 and "This ticket is not yours to sell." in forced.text
    outbox.deliver_due()
    assert sell(menta, bob, new.external_id, "99").status_code == 200
    loop.settle()
    assert ticket(new.external_id).listed_at is not None


def test_double_sales_are_refused(loop: SandboxControl, menta: MentaClient) -> None:
    alice = Person(menta, "alice@example.com")
    bob, dave = Person(menta, "bob@example.com"), Person(menta, "dave@example.com")
    sell(menta, alice, "TKT-ALICE-001", "100")
    sell(menta, alice, "TKT-ALICE-002", "105")
    bobs_page, daves_page = shop(menta, bob), shop(menta, dave)

    first = buy(bob, bobs_page, "$100")
    second = buy(dave, daves_page, "$100")
    assert (first.status_code, second.status_code) == (200, 409)
    assert "This ticket is no longer for sale." in second.text

    sell(menta, alice, "TKT-ALICE-002", "110")  # repriced while dave looks at $105
    repriced = buy(dave, daves_page, "$105")
    assert repriced.status_code == 409
    assert "The seller changed the price to $110. Check the new price and buy again." in repriced.text

    loop.settle()
    assert [t.status for t in (ticket("TKT-ALICE-001"), ticket("TKT-ALICE-002"))] == ["RESOLD", "VALID"]
    assert Ticket.objects.filter(holder__email="dave@example.com").count() == 0
    assert Resale.objects.count() == 1


def test_a_buyer_without_an_account_gets_the_ticket_on_sign_up(loop: SandboxControl, menta: MentaClient) -> None:
    alice = Person(menta, "alice@example.com")
    sell(menta, alice, "TKT-ALICE-001", "100")
    guest = Person(menta, "erin@example.com")
    page = guest.browser.get(menta.buying_flow_url(*SHOW, return_to="http://127.0.0.1/"), timeout=10)

    assert buy(guest, page, "$100", email="Erin@Example.com").status_code == 200
    loop.settle()
    resale = Resale.objects.get()
    assert (resale.buyer_email, resale.issued) == ("erin@example.com", None)

    site = Client()
    signed_up = site.post(
        "/accounts/signup/",
        {"email": "ERIN@example.com", "name": "Erin Example", "password1": "resale-1234", "password2": "resale-1234"},
    )
    assert (signed_up.status_code, signed_up["Location"]) == (302, "/my-tickets/")
    # Anyone can type an email: until it is verified, the ticket waits, and My tickets says so.
    resale.refresh_from_db()
    assert resale.issued is None
    waiting = BeautifulSoup(site.get("/my-tickets/").content, "html.parser").select_one("[data-waiting]")
    assert waiting["data-waiting"] == "1" and "verify your email" in waiting.get_text()

    confirmed = site.post(verification_path("erin@example.com"))
    assert confirmed.status_code == 302
    resale.refresh_from_db()
    assert resale.issued is not None and resale.issued.holder.email == "erin@example.com"
    page = site.get("/my-tickets/").content.decode()
    assert resale.issued.external_id in page and "data-waiting" not in page

    twice = Client().post(
        "/accounts/signup/",
        {"email": "erin@EXAMPLE.com", "password1": "resale-1234", "password2": "resale-1234"},
    )
    assert twice.status_code == 400
    assert "A user is already registered with this email address." in twice.content.decode()


def test_a_stranger_who_signs_up_with_a_guests_email_gets_nothing(loop: SandboxControl, menta: MentaClient) -> None:
    sell(menta, Person(menta, "alice@example.com"), "TKT-ALICE-001", "100")
    guest = Person(menta, "guest@example.com")
    page = guest.browser.get(menta.buying_flow_url(*SHOW, return_to="http://127.0.0.1/"), timeout=10)
    assert buy(guest, page, "$100", email="guest@example.com").status_code == 200
    loop.settle()

    stranger = Client()
    stranger.post(
        "/accounts/signup/", {"email": "GUEST@Example.COM", "password1": "any-pass-1", "password2": "any-pass-1"}
    )
    stranger.post("/accounts/logout/")
    stranger.post("/accounts/login/", {"login": "guest@example.com", "password": "any-pass-1"})

    assert Resale.objects.get().issued is None
    assert not Ticket.objects.filter(holder__email__iexact="guest@example.com").exists()


def test_while_the_site_is_down_nothing_is_lost_and_each_delivery_applies_once(
    loop: SandboxControl, menta: MentaClient, live_server: Any
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}/menta/webhooks"
    loop.webhooks(url=nowhere)
    alice, bob = Person(menta, "alice@example.com"), Person(menta, "bob@example.com")
    sell(menta, alice, "TKT-ALICE-001", "100")
    buy(bob, shop(menta, bob), "$100")
    waiting = wait_for(
        lambda: (
            (rows := [r for r in loop.webhooks() if not r["deliveredAt"]])
            and len(rows) == 3
            and all(r["attempts"] >= 2 for r in rows)
            and rows
        ),
        30,
        lambda: f"deliveries not retried: {loop.webhooks()}",
    )
    assert ticket("TKT-ALICE-001").status == "VALID"

    loop.webhooks(url=f"{live_server.url}/menta/webhooks")
    delivered = loop.settle()

    assert sorted(row["action"] for row in waiting) == ["listing.created", "listing.deleted", "ticket.updated"]
    assert [row["attempts"] >= 3 for row in delivered[-3:]] == [True, True, True]
    assert ticket("TKT-ALICE-001").status == "RESOLD"
    assert Ticket.objects.filter(holder__email="bob@example.com", reissued_from__isnull=False).count() == 1
    assert WebhookDelivery.objects.filter(action="ticket.updated", outcome="applied").count() == 1


def test_a_second_notice_of_the_same_resale_changes_nothing(loop: SandboxControl, menta: MentaClient) -> None:
    alice, bob = Person(menta, "alice@example.com"), Person(menta, "bob@example.com")
    sell(menta, alice, "TKT-ALICE-001", "100")
    buy(bob, shop(menta, bob), "$100")
    loop.settle()
    notice = {"id": "TKT-ALICE-001", "newOwnerEmail": "bob@example.com", "oldOwnerEmail": "alice@example.com"}

    requests.post(f"{loop.url}/__sandbox/webhooks", json={"action": "ticket.updated", "data": notice}, timeout=10)
    loop.settle()

    assert Ticket.objects.filter(reissued_from__external_id="TKT-ALICE-001").count() == 1
    assert WebhookDelivery.objects.filter(action="ticket.updated", outcome="applied").count() == 2


def test_the_sandboxs_own_state_after_a_sale(loop: SandboxControl, menta: MentaClient) -> None:
    alice, bob = Person(menta, "alice@example.com"), Person(menta, "bob@example.com")
    sell(menta, alice, "TKT-ALICE-001", "100")
    page = shop(menta, bob)
    assert "Your listing" not in page.text
    own = shop(menta, alice)
    assert "Your listing" in own.text and "$100" in own.text

    buy(bob, page, "$100")

    (holder,) = loop.rows("SELECT holder_email FROM menta_sandbox_ticket WHERE ticket_id = ?", "TKT-ALICE-001")
    assert holder == ("bob@example.com",)
    assert 'name="price" value="100.00"' in page.text


def test_the_organizers_report_follows_a_resale_to_a_buyer_who_signs_up_later(
    loop: SandboxControl, menta: MentaClient
) -> None:
    organizer = Client(HTTP_AUTHORIZATION=f"Bearer {demo.DEMO_ORGANIZER_TOKEN}")

    def report(**params: str) -> dict[str, dict[str, Any]]:
        answer = organizer.get(
            "/organizer/report/events/evt_2024_metallica/tickets", {"limit": 100, "offset": 0, **params}
        )
        assert answer.status_code == 200, answer.content
        return {item["ticketId"]: item for item in answer.json()["result"]}

    alice_id = str(User.objects.get(email="alice@example.com").pk)
    before_listing = timezone.now().isoformat()
    sell(menta, Person(menta, "alice@example.com"), "TKT-ALICE-001", "100")
    loop.settle()
    listed = report(lastUpdatedSince=before_listing)
    assert list(listed) == ["TKT-ALICE-001"] and "listedForResaleSince" in listed["TKT-ALICE-001"]["ticketMetadata"]
    guest = Person(menta, "erin@example.com")
    page = guest.browser.get(menta.buying_flow_url(*SHOW, return_to="http://127.0.0.1/"), timeout=10)
    assert buy(guest, page, "$100", email="erin@example.com").status_code == 200
    loop.settle()

    # Sold to someone without an account: the row names them by the email the sale carries.
    sold = report()["TKT-ALICE-001"]
    assert (sold["status"], sold["deletionReason"], sold["ownerEmail"]) == ("RESOLD", "resold", "erin@example.com")
    assert (sold["previousOwnerId"], sold["initialOwnerId"], sold["transferForwardCount"]) == (alice_id, alice_id, 1)
    assert "ownerAllowPromoEmail" in sold and sold["ownerAllowPromoEmail"] is False
    assert "TKT-ALICE-001" not in report(excludeDeleted="true")

    before_sign_up = timezone.now().isoformat()
    erin_site = Client()
    erin_site.post(
        "/accounts/signup/",
        {"email": "erin@example.com", "name": "Erin Example", "password1": "resale-1234", "password2": "resale-1234"},
    )
    erin_site.post(verification_path("erin@example.com"))
    erin = User.objects.get(email="erin@example.com")
    (new,) = Ticket.objects.filter(reissued_from__external_id="TKT-ALICE-001")
    changed = report(lastUpdatedSince=before_sign_up)
    assert set(changed) == {"TKT-ALICE-001", new.external_id}
    issued, old = changed[new.external_id], changed["TKT-ALICE-001"]
    assert (issued["status"], issued["ownerEmail"], issued["ownerFirstName"]) == ("VALID", "erin@example.com", "Erin")
    assert (issued["previousOwnerId"], issued["initialOwnerId"]) == (alice_id, alice_id)
    assert (issued["transferForwardCount"], issued["transferBackwardCount"]) == (1, 0)
    assert "purchasePrice" not in issued  # the resale price is menta's
    assert issued["ticketMetadata"]["reissuedFrom"] == "TKT-ALICE-001"
    assert old["ticketMetadata"]["reissuedAs"] == new.external_id
    assert (old["ownerEmail"], old["ownerLastName"]) == ("erin@example.com", "Example")
    assert new.holder_id == erin.pk
