"""The whole resale loop as people click it: browse, sell from My tickets, buy, see it sold."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from salsite.models import Ticket
from salwidgets import outbox
from tests.conftest import SandboxControl
from tests.support.smtp import Mailbox, first_link

pytestmark = pytest.mark.django_db(transaction=True)

SEED_SHOW = "/events/evt_2024_metallica/show_nyc_20240815/"


def test_a_visitor_sees_buy_components(visitor: Any) -> None:
    window = visitor()
    page = window.page

    response = page.goto("/")
    card = page.locator('[data-show="evt_2024_metallica/show_nyc_20240815"]')
    expect(card.locator(".sal-button")).to_have_text(re.compile(r"Buy resale tickets\s+5 tickets from \$95"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    window.screenshot("listing")

    page.goto(SEED_SHOW)
    for kind in ("button", "banner", "modal", "list", "map"):
        expect(page.locator(f'[data-sal-component="{kind}"]')).to_be_visible()
    trigger = page.get_by_role("button", name="How resale works")
    trigger.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Safe resale with menta")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    window.screenshot("show")

    assert window.csp_violations() == []


def test_sell_buy_resell_to_a_new_account(visitor: Any, e2e_sandbox: SandboxControl, mailbox: Mailbox) -> None:
    alice = visitor()
    alice.sign_in("alice@example.com")
    ticket = alice.page.locator('[data-ticket="TKT-ALICE-001"]')
    expect(ticket.locator(".sal-item")).to_have_attribute("data-sal-status", "SELLABLE")
    expect(ticket.locator('img[data-qr="shown"]')).to_be_visible()
    alice.screenshot("my-tickets")

    ticket.get_by_role("link", name="Sell").click()
    alice.page.wait_for_url(f"{e2e_sandbox.url}/sell/tickets/TKT-ALICE-001/**")
    expect(alice.page.get_by_text("Signed in as alice@example.com")).to_be_visible()
    assert "oneTimeToken=" not in alice.page.url
    alice.page.get_by_label("Price (USD)").fill("101.50")
    alice.page.get_by_role("button", name="List for sale").click()
    expect(alice.page.get_by_role("status")).to_have_text("Your ticket is listed for sale.")
    e2e_sandbox.settle()
    alice.page.get_by_role("link", name="Back to your ticketing site").click()

    alice.page.wait_for_url("**/my-tickets/")
    expect(ticket.locator(".sal-item")).to_have_attribute("data-sal-status", "FOR_SALE")
    expect(ticket.locator("[data-sal-action]")).to_have_text(["Edit listing", "Details"])
    expect(ticket.get_by_text("Listed for resale: your QR is on hold.")).to_be_visible()
    expect(ticket.locator("img[data-qr]")).to_have_count(0)
    assert alice.csp_violations() == []

    bob = visitor()
    bob.sign_in("bob@example.com")
    bob.page.goto(SEED_SHOW)
    expect(bob.page.locator('[data-sal-component="list"]')).to_contain_text("$101.50")
    bob.page.locator('[data-sal-component="button"]').click()
    bob.page.wait_for_url(f"{e2e_sandbox.url}/buy/evt_2024_metallica/show_nyc_20240815/**")
    expect(bob.page.get_by_text("Signed in as bob@example.com")).to_be_visible()
    bob.page.get_by_role("row").filter(has_text="$101.50").get_by_role("button", name=re.compile("^Buy")).click()
    expect(bob.page.get_by_role("heading", name="Purchase complete")).to_be_visible()
    e2e_sandbox.settle()  # menta's webhooks reach the site while bob reads the confirmation
    outbox.deliver_due()  # and the site's worker sends menta bob's new ticket
    bob.page.get_by_role("link", name="Back to your ticketing site").click()

    # The show page no longer offers the sold listing; bob's new ticket is in his account.
    bob.page.wait_for_url(f"**{SEED_SHOW}")
    expect(bob.page.locator('[data-sal-component="button"]')).to_be_visible()
    expect(bob.page.locator("main")).not_to_contain_text("$101.50")
    reissued = Ticket.objects.get(reissued_from__external_id="TKT-ALICE-001")
    bob.page.get_by_role("link", name="My tickets").click()
    mine = bob.page.locator(f'[data-ticket="{reissued.external_id}"]')
    expect(mine).to_contain_text("Metallica")
    expect(mine.locator('img[data-qr="shown"]')).to_be_visible()
    expect(mine.locator(".sal-item")).to_have_attribute("data-sal-status", "SELLABLE")
    assert bob.csp_violations() == []

    again = visitor()
    again.sign_in("alice@example.com")
    sold = again.page.locator('[data-ticket="TKT-ALICE-001"]')
    expect(sold.locator(".ticket-status")).to_have_text("Resold")
    expect(sold.locator("img[data-qr]")).to_have_count(0)
    expect(sold.locator(".sal-item")).to_have_attribute("data-sal-status", "SOLD")
    expect(sold.locator("[data-sal-action]:visible")).to_have_text(["Details"])
    # Payout details are the order's: offered once, on the order, which still has a ticket to sell.
    order = again.page.locator('[data-order="ORD-ALICE-1"]')
    expect(order.locator(".order-sal [data-sal-action]")).to_have_text(["Sell", "Add payout details"])
    expect(order.get_by_role("link", name="Add payout details")).to_have_count(1)
    again.screenshot("my-tickets-sold")
    assert again.csp_violations() == []

    # Bob resells his new ticket to someone without an account, who signs up to receive it.
    mine.get_by_role("link", name="Sell").click()
    bob.page.get_by_label("Price (USD)").fill("99")
    bob.page.get_by_role("button", name="List for sale").click()
    expect(bob.page.get_by_role("status")).to_have_text("Your ticket is listed for sale.")

    frank = visitor()
    frank.page.goto(f"{e2e_sandbox.url}/buy/evt_2024_metallica/show_nyc_20240815/")
    row = frank.page.get_by_role("row").filter(has_text="$99")
    row.get_by_label("Your email").fill("Frank@Example.com")
    row.get_by_role("button", name=re.compile("^Buy")).click()
    expect(frank.page.get_by_role("heading", name="Purchase complete")).to_be_visible()
    e2e_sandbox.settle()

    # Frank signs up with the email he bought with; the ticket waits until he proves it is his,
    # with the link the site emails him (read from a real SMTP server).
    frank.page.goto("/accounts/signup/")
    frank.page.get_by_label("Email").fill("frank@example.com")
    frank.page.get_by_label("Name").fill("Frank Fan")
    frank.page.get_by_label("Password", exact=True).fill("resale-loop-1")
    frank.page.get_by_label("Password (again)").fill("resale-loop-1")
    frank.page.get_by_role("button", name="Sign up").click()
    frank.page.wait_for_url("**/my-tickets/")
    expect(frank.page.locator("[data-waiting]")).to_contain_text("1 ticket waits for you: verify your email")
    assert not Ticket.objects.filter(reissued_from=reissued).exists()
    frank.page.goto(first_link(mailbox.wait_for("frank@example.com"), "/accounts/confirm-email/"))
    frank.page.get_by_role("button", name="Confirm").click()
    frank.page.goto("/my-tickets/")
    third = Ticket.objects.get(reissued_from=reissued)
    expect(frank.page.locator(f'[data-ticket="{third.external_id}"] img[data-qr="shown"]')).to_be_visible()
    expect(frank.page.locator("[data-waiting]")).to_have_count(0)
    bob.page.goto("/my-tickets/")
    expect(bob.page.locator(f'[data-ticket="{reissued.external_id}"] .ticket-status')).to_have_text("Resold")
    assert frank.csp_violations() == []
