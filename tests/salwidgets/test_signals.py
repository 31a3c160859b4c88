"""``salwidgets.signals``: a signal for every notification the receiver reads, and what a
receiver's exception does to the delivery (the receiver itself is ``test_webhooks``)."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from salwidgets import signals, sync, wire
from salwidgets.models import OutboxItem, WebhookDelivery
from tests.salwidgets.test_webhooks import body, configured, post

pytestmark = pytest.mark.django_db
__all__ = ["configured"]  # the receiver's secret, for every test here
UNLOCK = body("event.unlock", {"eventId": "evt_1"})


def test_every_notification_the_receiver_reads_has_its_own_signal() -> None:
    read = {typing.get_type_hints(parse)["return"] for parse in wire.WEBHOOK_PARSERS.values()}
    declared = [value for value in vars(signals).values() if isinstance(value, signals.Signal)]

    assert read == set(signals.BY_PAYLOAD)
    assert sorted(map(id, signals.BY_PAYLOAD.values())) == sorted(map(id, declared))


class TestReceiverExceptions:
    def receive_with(self, receiver: Any) -> Any:
        signals.event_unlocked.connect(receiver, dispatch_uid="test.receiver")
        try:
            return post(UNLOCK)
        finally:
            signals.event_unlocked.disconnect(dispatch_uid="test.receiver")

    def test_unprocessable_is_answered_422_with_its_message_and_undoes_the_deliverys_writes(self) -> None:
        def refuse(sender: Any, delivery: WebhookDelivery, payload: wire.EventUnlocked, **kwargs: Any) -> None:
            sync.delete_ticket("TKT-1")
            raise signals.Unprocessable(f"event {payload.event_id} is not on sale here")

        answer = self.receive_with(refuse)

        assert (answer.status_code, answer.json()) == (
            422,
            {"status": "rejected", "message": "event evt_1 is not on sale here"},
        )
        assert not OutboxItem.objects.exists()

    def test_a_refused_delivery_is_tried_afresh_when_menta_sends_it_again(self) -> None:
        def refuse(sender: Any, **kwargs: Any) -> None:
            raise signals.Unprocessable("not yet")

        def apply(sender: Any, **kwargs: Any) -> None:
            sync.delete_ticket("TKT-1")

        refused, applied = self.receive_with(refuse), self.receive_with(apply)

        assert (refused.status_code, applied.status_code) == (422, 200)
        assert OutboxItem.objects.get().key == "TKT-1"
