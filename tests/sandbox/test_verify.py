"""The sandbox asks the site's ownership endpoint before it lets a ticket be listed or sold."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User

from salsite import menta_sync
from salsite.models import Event, Order, Show, Ticket, TicketOption
from salwidgets import outbox
from tests.conftest import API_KEY, Person, SandboxControl, make_client, start_sandbox

SECRET = "verify-secret-for-tests"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def verifying_sandbox(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxControl]:
    """A sandbox that calls this test run's live site, as menta calls the platform."""
    sandbox, db = start_sandbox(
        tmp_path_factory, SANDBOX_VERIFY_URL=f"{live_server.url}/menta/tickets", SAL_VERIFY_SECRET=SECRET
    )
    yield SandboxControl(sandbox.url, db)
    sandbox.stop()


@pytest.fixture
def platform(settings: Any, verifying_sandbox: SandboxControl) -> Any:
    settings.SALWIDGETS = {
        "BASE_URL": verifying_sandbox.url,
        "API_KEY": API_KEY,
        "VERIFY_SECRET": SECRET,
        "OWNED_TICKETS": "salsite.ownership.owned_tickets",
    }
    return make_client(verifying_sandbox.url)


@pytest.fixture
def alices_ticket(platform: Any) -> Ticket:
    """A ticket alice bought on the site, pushed to menta as the site does."""
    alice = User.objects.create_user("alice@example.com", "alice@example.com", "pw")
    event = Event.objects.create(external_id="evt_verify", title="Verify", description="d", venue="V", city="C")
    show = Show.objects.create(event=event, external_id="show_verify", starts_at="2030-01-01T20:00:00Z")
    option = TicketOption.objects.create(event=event, external_id="GA", name="GA", price=Decimal("100"))
    order = Order.objects.create(reference="ORD-VERIFY", user=alice)
    ticket = Ticket.objects.create(external_id="TKT-VERIFY", order=order, holder=alice, show=show, option=option)
    menta_sync.event_changed(event)
    menta_sync.tickets_issued([ticket])
    assert outbox.deliver_due(platform).failed == 0
    return ticket


def refund(ticket: Ticket) -> None:
    ticket.status = Ticket.Status.REFUNDED
    ticket.save(update_fields=["status"])


def test_a_ticket_refunded_while_listing_is_refused(platform: Any, alices_ticket: Ticket) -> None:
    alice = Person(platform, "alice@example.com")
    page = alice.open(platform.selling_flow_url("TKT-VERIFY"))
    assert page.status_code == 200 and 'name="price"' in page.text

    refund(alices_ticket)
    answer = alice.submit(page, action="list", price="90")

    assert answer.status_code == 409
    assert "Your ticketing site says this ticket is no longer yours" in answer.text.replace("&#x27;", "'")
    assert platform.ticket_access("alice@example.com", ["TKT-VERIFY"])[0].status != "FOR_SALE"


def test_entering_the_sell_flow_with_a_refunded_ticket_is_refused(platform: Any, alices_ticket: Ticket) -> None:
    refund(alices_ticket)

    page = Person(platform, "alice@example.com").open(platform.selling_flow_url("TKT-VERIFY"))

    assert page.status_code == 409 and 'name="price"' not in page.text


def test_a_purchase_of_a_ticket_refunded_after_listing_is_refused(platform: Any, alices_ticket: Ticket) -> None:
    alice, bob = Person(platform, "alice@example.com"), Person(platform, "bob@example.com")
    alice.submit(alice.open(platform.selling_flow_url("TKT-VERIFY")), action="list", price="90")
    assert platform.listing_for_ticket("TKT-VERIFY").status == "ACTIVE"
    shop = bob.open(platform.buying_flow_url("evt_verify", "show_verify", return_to="http://127.0.0.1/"))

    refund(alices_ticket)
    answer = bob.submit(shop, form="/buy/listings/")

    assert answer.status_code == 409 and "This ticket is no longer available." in answer.text
    assert platform.listing_for_ticket("TKT-VERIFY").status == "WITHDRAWN"


def test_an_unanswered_check_refuses_without_withdrawing(platform: Any, alices_ticket: Ticket, settings: Any) -> None:
    alice = Person(platform, "alice@example.com")
    alice.submit(alice.open(platform.selling_flow_url("TKT-VERIFY")), action="list", price="90")
    settings.SALWIDGETS = {**settings.SALWIDGETS, "VERIFY_SECRET": "rotated"}

    answer = alice.browser.get(platform.selling_flow_url("TKT-VERIFY"))

    assert answer.status_code == 409 and "We could not check with your ticketing site" in answer.text
    assert platform.listing_for_ticket("TKT-VERIFY").status == "ACTIVE"
