"""``salwidgets.models``: the outbox's items and the webhook deliveries, as stored."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from salwidgets.models import OutboxItem, WebhookDelivery

pytestmark = pytest.mark.django_db


def test_a_new_item_is_pending_and_due_at_once() -> None:
    before = timezone.now()
    item = OutboxItem.objects.create(kind="ticket.delete", key="TKT-1", lane="ticket:TKT-1", payload={})

    assert (item.status, item.attempts, str(item)) == ("pending", 0, "ticket.delete TKT-1")
    assert before <= item.next_attempt_at <= timezone.now()


def test_a_webhook_key_is_applied_once_while_keyless_deliveries_are_all_kept() -> None:
    WebhookDelivery.objects.create(webhook_id="msg_1", key="msg_1", action="event.unlock")
    for _ in range(2):  # refused deliveries are recorded without a key
        WebhookDelivery.objects.create(webhook_id="msg_1")

    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(webhook_id="msg_1", key="msg_1")

    assert WebhookDelivery.objects.count() == 3


def test_deliveries_newest_first_and_named_by_action_and_id() -> None:
    first = WebhookDelivery.objects.create(webhook_id="msg_1", action="event.unlock")
    second = WebhookDelivery.objects.create()

    assert list(WebhookDelivery.objects.all()) == [second, first]
    assert (str(first), str(second)) == ("event.unlock msg_1", f"? {second.pk}")
