"""Every change a person or the staff makes on the site reaches menta, checked through the sandbox's answers.

Each test acts over HTTP as a person would, then runs the worker's delivery (``outbox.deliver_due``)
and asks the sandbox what it now knows.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from salsite import checkout
from salsite.models import Cart, Show, Ticket
from salwidgets import outbox
from salwidgets.client import get_client
from salwidgets.models import OutboxItem
from tests.conftest import SandboxControl

SHOW = "/events/evt_hamilton/show_ham_sun/"
SOLD_OUT = "/events/evt_bluenote_jazz/show_bluenote_1/"


def delivered() -> outbox.Report:
    report = outbox.deliver_due()
    assert report.failed == 0, list(OutboxItem.objects.filter(status="failed").values_list("last_error", flat=True))
    return report


def signed_in(email: str, password: str = "demo12345") -> Client:
    client = Client()
    assert client.login(username=email, password=password)
    return client


def leads(sandbox: SandboxControl, kind: str) -> list[dict[str, Any]]:
    return [json.loads(data) for (data,) in sandbox.rows("SELECT data FROM menta_sandbox_lead WHERE type = ?", kind)]


@pytest.fixture
def bob(demo: SandboxControl) -> Client:
    demo.reset_stats()
    return signed_in("bob@example.com")


def buy(person: Client, quantity: int = 2) -> Ticket:
    show = Show.objects.get(external_id="show_ham_sun")
    option = show.event.ticket_options.get(external_id="MEZZ")
    held = person.post(f"{SHOW}buy/", {"option": option.pk, "quantity": quantity})
    assert held.status_code == 302, held.content
    paid = person.post(held["Location"])
    assert paid.status_code == 302 and paid["Location"].startswith("/my-tickets/#order-ORD-")
    return Ticket.objects.filter(show=show, holder__email="bob@example.com").latest("id")


class TestCheckout:
    def test_a_purchase_reaches_menta_with_leads_and_inventory(self, bob: Client, demo: SandboxControl) -> None:
        ticket = buy(bob, quantity=2)

        delivered()

        answer = get_client().ticket_access("bob@example.com", [ticket.external_id])
        assert answer[0].status == "SELLABLE"
        assert demo.applied()["tickets"] == 2
        bought = set(ticket.order.tickets.values_list("external_id", flat=True))
        # menta keeps one lead per person and show (an upsert): the order's two leads make one.
        holders = [lead for lead in leads(demo, "TICKET_HOLDER") if lead.get("ticketId") in bought]
        assert [(lead["buyer"]["email"], lead["price"]) for lead in holders] == [("bob@example.com", 129)]
        (inventory,) = demo.rows(
            "SELECT i.data FROM menta_sandbox_inventory i JOIN menta_sandbox_event e ON e.id = i.event_id "
            "WHERE e.external_id = 'evt_hamilton' AND i.show_id = 'show_ham_sun'"
        )
        assert json.loads(inventory[0])["soldPercentage"] == 0.5  # 2 of 400 places

    def test_a_buyer_not_signed_in_is_asked_to_sign_in(self, demo: SandboxControl) -> None:
        answer = Client().post(f"{SHOW}buy/", {"option": 1, "quantity": 1})

        assert answer.status_code == 302
        assert answer["Location"] == f"/accounts/login/?next={SHOW}"

    @pytest.mark.parametrize(
        ("quantity", "message"),
        [(0, "Ensure this value is greater than or equal to 1."), (9, "less than or equal to 6")],
    )
    def test_a_bad_quantity_is_refused_with_a_message(
        self, bob: Client, demo: SandboxControl, quantity: int, message: str
    ) -> None:
        option = Show.objects.get(external_id="show_ham_sun").event.ticket_options.first()
        assert option is not None

        answer = bob.post(f"{SHOW}buy/", {"option": option.pk, "quantity": quantity})

        assert answer.status_code == 400
        assert message in answer.content.decode()
        assert not Cart.objects.exists()

    def test_an_expired_cart_sends_an_abandoned_cart_lead_and_frees_its_places(
        self, bob: Client, demo: SandboxControl
    ) -> None:
        show = Show.objects.get(external_id="show_ham_sun")
        option = show.event.ticket_options.get(external_id="ORCH")
        bob.post(f"{SHOW}buy/", {"option": option.pk, "quantity": 3})
        cart = Cart.objects.get()
        Cart.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert checkout.expire_overdue() == 1
        delivered()

        assert bob.post(f"/checkout/{cart.pk}/").status_code == 409
        abandoned = [lead for lead in leads(demo, "ABANDONED_CART") if lead["showId"] == "show_ham_sun"]
        assert abandoned[-1]["buyer"]["email"] == "bob@example.com"
        assert abandoned[-1]["metadata"] == {"quantity": 3, "reason_abandoned": "cart_expired"}

    def test_a_sold_out_show_offers_notify_me_which_sends_a_wishlist_lead(self, demo: SandboxControl) -> None:
        page = Client().get(SOLD_OUT).content.decode()
        assert "This show is sold out." in page and "Notify me when tickets are available" in page

        bad = Client().post(f"{SOLD_OUT}notify/", {"email": "not-an-email"})
        answer = Client().post(f"{SOLD_OUT}notify/", {"email": "Fan@Example.com"})
        delivered()

        assert bad.status_code == 400 and "Enter a valid email address." in bad.content.decode()
        assert answer.status_code == 302
        wished = [lead for lead in leads(demo, "WISHLIST") if lead["showId"] == "show_bluenote_1"]
        assert [lead["buyer"]["email"] for lead in wished] == ["Fan@Example.com"]


class TestStaffActions:
    def act(self, action: str, ticket: str, **extra: str) -> Any:
        admin = signed_in("admin@example.com", "admin12345")
        pk = Ticket.objects.get(external_id=ticket).pk
        return admin.post("/admin/salsite/ticket/", {"action": action, "_selected_action": [pk], **extra})

    def test_a_refund_makes_the_ticket_unsellable_at_menta(self, demo: SandboxControl) -> None:
        assert self.act("refund", "TKT-ALICE-002").status_code == 302
        delivered()

        answer = get_client().ticket_access("alice@example.com", ["TKT-ALICE-002"])
        assert (answer[0].status, answer[0].reason) == ("NOT_SELLABLE", "This ticket is no longer valid")

    def test_a_transfer_moves_the_ticket_at_menta(self, demo: SandboxControl) -> None:
        form = self.act("transfer", "TKT-ALICE-002")
        assert form.status_code == 200 and "New holder" in form.content.decode()
        refused = self.act("transfer", "TKT-ALICE-002", email="nobody@example.com")
        assert "No account has this email address." in refused.content.decode()

        self.act("transfer", "TKT-ALICE-002", email="bob@example.com")
        delivered()

        assert get_client().ticket_access("bob@example.com", ["TKT-ALICE-002"])[0].status == "SELLABLE"
        assert get_client().ticket_access("alice@example.com", ["TKT-ALICE-002"])[0].status == "NOT_SELLABLE"

    def test_a_check_in_makes_the_ticket_used_at_menta(self, demo: SandboxControl) -> None:
        self.act("check_in", "TKT-BOB-001")
        delivered()

        answer = get_client().ticket_access("bob@example.com", ["TKT-BOB-001"])
        assert answer[0].reason == "This ticket was already used"

    def test_cancelling_a_show_is_pushed(self, demo: SandboxControl) -> None:
        admin = signed_in("admin@example.com", "admin12345")
        show = Show.objects.get(external_id="show_mad_night2")

        admin.post("/admin/salsite/show/", {"action": "cancel_shows", "_selected_action": [show.pk]})
        delivered()

        answer = get_client().access_layer("buy", event_id="evt_rosalia_motomami", show_id="show_mad_night2")
        assert answer.components == ()

    def test_editing_an_event_is_pushed(self, demo: SandboxControl) -> None:
        admin = signed_in("admin@example.com", "admin12345")
        event = Show.objects.get(external_id="show_ham_sun").event
        page = admin.get(f"/admin/salsite/event/{event.pk}/change/")
        form = {
            key: value for key, value in page.context["adminform"].form.initial.items() if isinstance(value, str | int)
        }
        data = {**form, "title": "Hamilton (revival)"}
        for inline_admin in page.context["inline_admin_formsets"]:
            formset = inline_admin.formset
            prefix = formset.prefix
            management = formset.management_form
            data |= {f"{prefix}-{name}": management[name].value() for name in management.fields}
            for index, inline in enumerate(formset.forms):
                for name, value in inline.initial.items():
                    if isinstance(value, datetime):  # the admin's split date and time widget
                        data |= {
                            f"{prefix}-{index}-{name}_0": f"{value:%Y-%m-%d}",
                            f"{prefix}-{index}-{name}_1": f"{value:%H:%M:%S}",
                        }
                    elif value is not None:
                        data[f"{prefix}-{index}-{name}"] = value
                data[f"{prefix}-{index}-id"] = inline.instance.pk
                data[f"{prefix}-{index}-event"] = event.pk
        demo.reset_stats()

        answer = admin.post(f"/admin/salsite/event/{event.pk}/change/", data)
        delivered()

        assert answer.status_code == 302
        assert demo.stats()["PUT /v1/events"] == 1
        (title,) = demo.rows("SELECT title FROM menta_sandbox_event WHERE external_id = 'evt_hamilton'")
        assert title == ("Hamilton (revival)",)


class TestImportLeads:
    def test_good_rows_are_sent_and_bad_rows_reported_by_line(self, demo: SandboxControl, tmp_path: Path) -> None:
        csv = tmp_path / "queue.csv"
        csv.write_text(
            "email,phone,user_id,event_id,show_id,date,tags\n"
            "q1@example.com,,,evt_2024_metallica,show_nyc_20240815,2030-01-01T10:00:00Z,queue;timeout\n"
            ",,,evt_2024_metallica,show_nyc_20240815,,\n"
            ",+15550100,,evt_2024_metallica,show_nyc_20240815,yesterday,\n"
            ",,u-3,evt_2024_metallica,show_nyc_20240816,,\n"
        )
        errors = io.StringIO()

        with pytest.raises(CommandError, match="2 row"):
            call_command("sal_import_leads", str(csv), "--type", "VIRTUAL_QUEUE", stdout=io.StringIO(), stderr=errors)
        delivered()

        assert errors.getvalue().splitlines() == [
            "line 3: buyer.email or buyer.phone or buyer.id is required",
            "line 4: purchaseDate must be an ISO 8601 date",
        ]
        queued = leads(demo, "VIRTUAL_QUEUE")
        assert {(lead["buyer"].get("email"), lead["buyer"].get("id")) for lead in queued} >= {
            ("q1@example.com", None),
            (None, "u-3"),
        }
        assert next(lead for lead in queued if lead["buyer"].get("email") == "q1@example.com")["tags"] == [
            "queue",
            "timeout",
        ]
