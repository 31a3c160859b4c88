"""The outbox and the webhook deliveries in Django's admin (``salwidgets.admin``)."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.test import Client
from django_tasks_db.models import DBTaskResult

from salwidgets import sync, wire
from salwidgets.models import OutboxItem, WebhookDelivery

pytestmark = pytest.mark.django_db
OUTBOX = "/admin/salwidgets/outboxitem/"
DELIVERIES = "/admin/salwidgets/webhookdelivery/"


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def staff() -> Client:
    get_user_model().objects.create_superuser("ops@example.com", "ops@example.com", "ops12345")
    client = Client()
    client.force_login(get_user_model().objects.get(username="ops@example.com"))
    return client


def whole(cell: Any) -> str:
    """A list cell's whole text: a long one is cut, with all of it in its tooltip."""
    cut = cell.select_one("[title]")
    return str(cut["title"]) if cut else str(cell.text)


def leads(*emails: str) -> list[OutboxItem]:
    sync.send_leads(wire.Lead("WISHLIST", "evt_1", "show_1", wire.Buyer(email=email)) for email in emails)
    return list(OutboxItem.objects.order_by("id"))


class TestOutbox:
    def test_lists_what_waits_and_what_failed_with_mentas_message(self, staff: Client) -> None:
        waiting, failed = leads("ann@example.com", "bob@example.com")
        OutboxItem.objects.filter(pk=failed.pk).update(
            status=OutboxItem.Status.FAILED, last_status=404, last_error="Event not found"
        )

        rows = {
            whole(row.select_one(".field-item_key")): row
            for row in soup(staff.get(OUTBOX)).select("#result_list tbody tr")
        }

        assert rows.keys() == {waiting.key, failed.key}
        assert rows[failed.key].select_one(".field-state").text == "Failed"
        assert rows[failed.key].select_one(".field-error").text == "404: Event not found"
        assert rows[waiting.key].select_one(".field-state").text.startswith("Pending, next ")
        assert rows[waiting.key].select_one(".field-item_key").text == "email:ann@example.c…"

    def test_filter_by_status_and_search_by_key(self, staff: Client) -> None:
        _ann, bob = leads("ann@example.com", "bob@example.com")
        OutboxItem.objects.filter(pk=bob.pk).update(status=OutboxItem.Status.FAILED)

        def keys(query: str) -> list[str]:
            page = soup(staff.get(f"{OUTBOX}?{query}"))
            return [whole(cell) for cell in page.select("#result_list .field-item_key")]

        assert keys("status__exact=failed") == [bob.key]
        assert keys("q=ann%40") == ["email:ann@example.com|evt_1|show_1"]

    @pytest.mark.django_db(transaction=True)  # its own transaction, as in production: it wakes the worker again
    def test_retry_now_makes_failed_items_due_and_wakes_the_worker(self, staff: Client) -> None:
        (item,) = leads("ann@example.com")
        OutboxItem.objects.filter(pk=item.pk).update(status=OutboxItem.Status.FAILED, attempts=7)
        tasks_before = DBTaskResult.objects.count()

        response = staff.post(OUTBOX, {"action": "retry_now", "_selected_action": [item.pk]}, follow=True)

        item.refresh_from_db()
        assert (item.status, item.attempts) == (OutboxItem.Status.PENDING, 0)
        assert "1 item(s) will be sent again now." in [m.message for m in response.context["messages"]]
        assert DBTaskResult.objects.count() == tasks_before + 1

    def test_items_are_read_only_and_none_are_added_by_hand(self, staff: Client) -> None:
        (item,) = leads("ann@example.com")

        assert staff.get(f"{OUTBOX}add/").status_code == 403
        page = soup(staff.get(f"{OUTBOX}{item.pk}/change/"))
        assert page.select_one(".field-key .readonly").text == item.key
        assert not page.select("input[name=key]")


class TestWebhookDeliveries:
    def test_lists_each_delivery_and_what_became_of_it(self, staff: Client) -> None:
        WebhookDelivery.objects.create(
            webhook_id="msg_1", action="listing.updated", outcome=WebhookDelivery.Outcome.APPLIED
        )
        WebhookDelivery.objects.create(
            webhook_id="msg_2", outcome=WebhookDelivery.Outcome.REJECTED, error="data.ticketIds is required"
        )

        rows = soup(staff.get(DELIVERIES)).select("#result_list tbody tr")

        assert [(row.select_one(".field-action").text, row.select_one(".field-outcome").text) for row in rows] == [
            ("-", "Rejected (malformed)"),
            ("listing.updated", "Applied"),
        ]
        assert rows[0].select_one(".field-short_error").text == "data.ticketIds is required"
        found = soup(staff.get(f"{DELIVERIES}?q=msg_1")).select("#result_list .field-action")
        assert [cell.text for cell in found] == ["listing.updated"]  # the webhook id is still searched

    def test_deliveries_cannot_be_added_or_changed(self, staff: Client) -> None:
        delivery = WebhookDelivery.objects.create(webhook_id="msg_1", body='{"message": {}}')

        assert staff.get(f"{DELIVERIES}add/").status_code == 403
        assert staff.post(f"{DELIVERIES}{delivery.pk}/change/", {"webhook_id": "forged"}).status_code == 403
        delivery.refresh_from_db()
        assert delivery.webhook_id == "msg_1"
