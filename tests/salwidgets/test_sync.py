"""``salwidgets.sync``: what a site tells menta is checked, then stored with the change that made it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from salwidgets import sync, wire
from salwidgets.models import OutboxItem
from tests.conftest import event_push, ticket_push

pytestmark = pytest.mark.django_db


def lead(event_id: str, show_id: str, n: int, **fields: Any) -> wire.Lead:
    return wire.Lead(
        "WISHLIST", event_id=event_id, show_id=show_id, buyer=wire.Buyer(email=f"fan{n}@example.com"), **fields
    )


class Rollback(Exception):
    pass


class TestWithTheChange:
    def test_a_push_is_stored_and_the_worker_woken_in_the_changes_transaction(self) -> None:
        with transaction.atomic():
            sync.push_event(event_push("evt_1", ["s1"]))
            sync.push_tickets([ticket_push("T1", "evt_1", "s1", "fan@example.com")])

        assert list(OutboxItem.objects.values_list("kind", "key", "status")) == [
            ("event", "evt_1", "pending"),
            ("ticket", "T1", "pending"),
        ]
        assert DBTaskResult.objects.exists()

    def test_a_transaction_that_stores_three_times_wakes_the_worker_once(self) -> None:
        # A purchase: its event, its tickets and the buyer's lead, each stored by its own call.
        with transaction.atomic():
            sync.push_event(event_push("evt_1", ["s1"]))
            sync.push_tickets([ticket_push("T1", "evt_1", "s1", "fan@example.com")])
            sync.send_leads([lead("evt_1", "s1", 1)])

        assert OutboxItem.objects.count() == 3
        assert DBTaskResult.objects.count() == 1

    def test_another_task_woken_in_the_same_transaction_gets_its_own_run(self) -> None:
        # The site's emails share the wake-up: one run of each task per transaction.
        from salsite import emails

        with transaction.atomic():
            sync.push_event(event_push("evt_1", ["s1"]))
            emails.queue("unlocked", "fan@example.com", key="unlocked:1", event="A show")
            sync.send_leads([lead("evt_1", "s1", 1)])
            emails.queue("unlocked", "fan@example.com", key="unlocked:2", event="A show")

        runs = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
        assert runs == ["salsite.emails.send_emails", "salwidgets.tasks.deliver"]

    def test_a_wake_up_rolled_back_with_its_savepoint_is_made_again(self) -> None:
        with transaction.atomic():
            with pytest.raises(Rollback), transaction.atomic():
                sync.push_event(event_push("evt_1", ["s1"]))
                raise Rollback
            sync.push_tickets([ticket_push("T1", "evt_1", "s1", "fan@example.com")])
            sync.send_leads([lead("evt_1", "s1", 1)])

        assert OutboxItem.objects.count() == 2
        assert DBTaskResult.objects.count() == 1

    def test_a_rolled_back_change_stores_and_wakes_nothing(self) -> None:
        with pytest.raises(Rollback), transaction.atomic():
            sync.push_tickets([ticket_push("T1", "evt_1", "s1", "fan@example.com")])
            sync.send_leads([lead("evt_1", "s1", 1)])
            raise Rollback

        assert not OutboxItem.objects.exists()
        assert not DBTaskResult.objects.exists()


class TestBadInput:
    @pytest.mark.parametrize(
        ("push", "message"),
        [
            (lambda: sync.send_leads([lead("e", "s", 1, price=None, ticket_id="")]), None),
            (
                lambda: sync.send_leads([wire.Lead("WISHLIST", "e", "s", wire.Buyer())]),
                "buyer.email or buyer.phone or buyer.id is required",
            ),
            (
                lambda: sync.send_leads([wire.Lead("TICKET_HOLDER", "e", "s", wire.Buyer(email="a@b.c"), "T1")]),
                "price is required for TICKET_HOLDER leads",
            ),
            (
                lambda: sync.send_leads([wire.Lead("FAN", "e", "s", wire.Buyer(email="a@b.c"))]),
                "type must be one of: TICKET_HOLDER, ABANDONED_CART, VIRTUAL_QUEUE, WISHLIST",
            ),
            (
                lambda: sync.send_leads([lead("e", "s", 1), lead("e", "s", 2, currency="dollars")]),
                "lead 1: currency must be an ISO 4217 code, e.g. USD",
            ),
            (
                lambda: sync.push_tickets([wire.TicketPush("T1", "e", "s", wire.Buyer(), "GA", "QR")]),
                "buyer.email or buyer.phone or buyer.id is required",
            ),
            (
                lambda: sync.update_inventory("e", "s", wire.Inventory(-1, 0, 0, False, 0)),
                "capacity must be a non-negative number",
            ),
        ],
    )
    def test_is_refused_with_mentas_message_and_nothing_is_stored(self, push: Any, message: str | None) -> None:
        if message is None:  # a valid WISHLIST lead, for contrast
            push()
            assert OutboxItem.objects.count() == 1
            return
        with pytest.raises(wire.InvalidPush) as refused:
            push()

        assert str(refused.value) == message
        assert not OutboxItem.objects.exists()


class TestOneBadPushStoresNone:
    def test_the_message_names_which_push_of_several(self) -> None:
        good = ticket_push("T1", "evt_1", "s1", "fan@example.com")
        nameless = wire.TicketPush("T2", "evt_1", "s1", wire.Buyer(email="fan@example.com"), "GA", "")

        with pytest.raises(wire.InvalidPush) as refused:
            sync.push_tickets([good, good, nameless])

        assert str(refused.value).startswith("ticket 2: ")
        assert not OutboxItem.objects.exists()

    @pytest.mark.parametrize(
        ("push", "message"),
        [
            (
                lambda: sync.push_rules("evt_1", [wire.ResaleRule("evt_1", True), wire.ResaleRule("evt_2", True)]),
                "every rule must be for event evt_1",
            ),
            (
                lambda: sync.push_rules("evt_1", [wire.ResaleRule("evt_1", True, 0)]),
                "maxPricePercent must be more than zero",
            ),
            (lambda: sync.cancel(""), "externalReferenceId is required"),
            (lambda: sync.delete_ticket(""), "ticketId is required"),
            (lambda: sync.admit([wire.Admission("", datetime(2030, 1, 1, tzinfo=UTC))]), "ticketId is required"),
            (
                lambda: sync.update_inventory("evt_1", "", wire.Inventory(100, 100, 0, False, 10)),
                "externalReferenceEventId and showId are required",
            ),
        ],
    )
    def test_ids_and_rules(self, push: Any, message: str) -> None:
        with pytest.raises(wire.InvalidPush) as refused:
            push()

        assert str(refused.value) == message
        assert not OutboxItem.objects.exists()
