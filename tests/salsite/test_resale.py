"""``salsite.resale`` through the webhook receiver: a resale moves a ticket once, to the buyer the
first notice names; a notice that contradicts the site is a conflict, never applied in silence."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from salsite.models import Resale, Ticket
from salwidgets.models import WebhookDelivery
from tests.conftest import SandboxControl, post_notice

pytestmark = pytest.mark.django_db

SECRET = "resale-test-secret"
TICKET = "TKT-ALICE-001"


@pytest.fixture(autouse=True)
def receiver(settings: Any, demo: SandboxControl) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "VERIFY_SECRET": SECRET, "WEBHOOK_SIGNING_SECRETS": []}


def notice(webhook_id: str, data: dict[str, Any], metadata: dict[str, Any] | None = None) -> Any:
    message = {"family": "ticket", "action": "ticket.updated", "data": data, "metadata": metadata or {}}
    return post_notice(SECRET, webhook_id, message)


def sold_to(buyer: str, seller: str = "alice@example.com") -> dict[str, str]:
    return {"id": TICKET, "newOwnerEmail": buyer, "oldOwnerEmail": seller}


def test_a_resale_moves_the_ticket_to_the_buyer() -> None:
    answer = notice("msg_1", sold_to("bob@example.com"))

    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    assert Ticket.objects.get(external_id=TICKET).status == Ticket.Status.RESOLD
    assert Ticket.objects.get(reissued_from__external_id=TICKET).holder.email == "bob@example.com"


def test_a_second_buyer_of_the_same_ticket_is_a_conflict(caplog: pytest.LogCaptureFixture) -> None:
    first = notice("msg_1", sold_to("bob@example.com"))
    second = notice("msg_2", sold_to("carol@example.com"))
    again = notice("msg_3", sold_to("bob@example.com"))  # the first sale, told again: nothing changes

    assert (first.status_code, second.status_code, again.status_code) == (200, 409, 200)
    assert second.json() == {"status": "conflict", "message": f"ticket {TICKET!r} was resold to another person already"}
    assert WebhookDelivery.objects.get(webhook_id="msg_2").outcome == WebhookDelivery.Outcome.CONFLICT
    assert Resale.objects.get(ticket__external_id=TICKET).buyer_email == "bob@example.com"
    assert Ticket.objects.filter(reissued_from__external_id=TICKET).count() == 1
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "salwidgets.webhooks"]
    assert len(errors) == 1 and "contradicts the site" in errors[0].getMessage()


def test_a_seller_who_does_not_hold_the_ticket_is_a_conflict() -> None:
    answer = notice("msg_1", sold_to("bob@example.com", seller="mallory@example.com"))

    assert answer.status_code == 409
    assert "not held by the seller named (mallory@example.com)" in answer.json()["message"]
    assert Ticket.objects.get(external_id=TICKET).status == Ticket.Status.VALID
    assert not Resale.objects.exists()


def test_an_ended_ticket_cannot_be_resold() -> None:
    Ticket.objects.filter(external_id=TICKET).update(status=Ticket.Status.REFUNDED)

    answer = notice("msg_1", sold_to("bob@example.com"))

    assert (answer.status_code, answer.json()["message"]) == (409, f"ticket {TICKET!r} is refunded")


@pytest.mark.parametrize(
    "nominal",
    [
        {"fullName": "N" * 300, "identificationNumber": "9" * 60},
        {"fullName": ["not", "text"], "identificationNumber": {"no": 1}},
        {"identificationNumber": "12345678Z"},
    ],
    ids=["long", "wrong-types", "no-name"],
)
def test_no_holder_name_or_id_number_stops_a_resale(nominal: dict[str, Any]) -> None:
    answer = notice("msg_1", sold_to("bob@example.com"), {"nominal": nominal})

    assert answer.status_code == 200
    issued = Ticket.objects.get(reissued_from__external_id=TICKET)
    assert issued.holder.email == "bob@example.com"
    assert issued.holder_name == (nominal["fullName"] if isinstance(nominal.get("fullName"), str) else "")


def test_staff_apply_a_conflicting_notice_again_once_the_site_is_put_right() -> None:
    Ticket.objects.filter(external_id=TICKET).update(status=Ticket.Status.REFUNDED)  # refunded by mistake
    assert notice("msg_1", sold_to("bob@example.com")).status_code == 409
    applied = notice("msg_2", {**sold_to("bob@example.com"), "id": "TKT-ALICE-002"})
    assert applied.status_code == 200
    conflict = WebhookDelivery.objects.get(webhook_id="msg_1")
    staff = Client()
    staff.force_login(User.objects.get(email="admin@example.com"))
    Ticket.objects.filter(external_id=TICKET).update(status=Ticket.Status.VALID)  # the refund undone

    done = staff.post(
        "/admin/salwidgets/webhookdelivery/",
        {
            "action": "apply_again",
            "_selected_action": [conflict.pk, WebhookDelivery.objects.get(webhook_id="msg_2").pk],
        },
        follow=True,
    )

    assert [str(m) for m in done.context["messages"]] == ["Applied again: 2 applied."]
    conflict.refresh_from_db()
    assert (conflict.outcome, conflict.error) == (WebhookDelivery.Outcome.APPLIED, "")
    assert Ticket.objects.get(external_id=TICKET).status == Ticket.Status.RESOLD
    assert Ticket.objects.get(reissued_from__external_id=TICKET).holder.email == "bob@example.com"
    assert Ticket.objects.filter(reissued_from__external_id="TKT-ALICE-002").count() == 1  # applied once, not twice


def test_applying_again_needs_the_permission() -> None:
    Ticket.objects.filter(external_id=TICKET).update(status=Ticket.Status.REFUNDED)
    notice("msg_1", sold_to("bob@example.com"))
    viewer = User.objects.create_user("v@example.com", "v@example.com", "pw-12345678", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    staff = Client()
    staff.force_login(viewer)
    pk = WebhookDelivery.objects.get().pk

    page = staff.get("/admin/salwidgets/webhookdelivery/")
    refused = staff.post("/admin/salwidgets/webhookdelivery/", {"action": "apply_again", "_selected_action": [pk]})

    assert page.status_code == 200 and b"apply_again" not in page.content
    assert refused.status_code in (200, 302)
    assert WebhookDelivery.objects.get().outcome == WebhookDelivery.Outcome.CONFLICT
