"""The outbox's delivery rules, against the running sandbox over HTTP (and a scripted upstream for 429)."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from salwidgets import answers, outbox, privacy, sync, tasks, wire
from salwidgets.models import OutboxItem
from tests.conftest import SandboxControl, World, event_push, make_client, ticket_push
from tests.support.upstream import ScriptedUpstream

pytestmark = pytest.mark.django_db
Status = OutboxItem.Status
BULK_LEADS = "POST /v1/marketdata/ticket-leads/bulk"


def lead(event_id: str, show_id: str, n: int, **fields: Any) -> wire.Lead:
    return wire.Lead(
        "WISHLIST", event_id=event_id, show_id=show_id, buyer=wire.Buyer(email=f"fan{n}@example.com"), **fields
    )


def statuses() -> dict[str, int]:
    return {status: OutboxItem.objects.filter(status=status).count() for status in Status.values}


def drain() -> outbox.Report:
    """What the worker does over time: run now, and again whenever retries come due (made due at once)."""
    total = outbox.Report()
    for _run in range(50):
        report = outbox.deliver_due()
        for name, value in report.as_dict().items():
            setattr(total, name, getattr(total, name) + value)
        waiting = OutboxItem.objects.filter(status=Status.RETRYING)
        if not waiting.exists():
            return total
        waiting.update(next_attempt_at=timezone.now())
    raise AssertionError(f"the outbox did not drain: {statuses()}")


@pytest.fixture
def show(site_menta: SandboxControl, world: World) -> tuple[str, str]:
    event_id, (show_id,) = world.event()
    site_menta.reset_stats()
    return event_id, show_id


class TestBatches:
    def test_10000_leads_go_out_in_10_bulk_calls(self, site_menta: SandboxControl, show: tuple[str, str]) -> None:
        sent = sync.send_leads(lead(*show, n) for n in range(10_000))

        report = outbox.deliver_due()

        assert (sent, report.delivered, report.calls) == (10_000, 10_000, 10)
        assert site_menta.stats() == {BULK_LEADS: 10}
        assert site_menta.applied() == {"leads": 10_000}

    def test_tickets_go_out_500_a_call_after_their_event(self, site_menta: SandboxControl, world: World) -> None:
        event_id = world.id("evtbatch")
        sync.push_tickets(ticket_push(f"{event_id}-{n}", event_id, "s1", "fan@example.com") for n in range(1200))
        sync.push_event(event_push(event_id, ["s1"]))  # stored after its tickets, yet sent before them
        site_menta.reset_stats()

        report = outbox.deliver_due()

        assert report.delivered == 1201
        assert site_menta.stats() == {"PUT /v1/events": 1, "POST /v1/events": 1, "POST /v1/tickets": 3}
        assert site_menta.applied() == {"tickets": 1200}

    def test_the_latest_inventory_of_a_show_wins(self, site_menta: SandboxControl, show: tuple[str, str]) -> None:
        for sold in (10, 20, 30):
            sync.update_inventory(*show, wire.Inventory(100, 100, 0, False, float(sold)))

        report = outbox.deliver_due()

        assert (report.delivered, report.superseded) == (1, 2)
        assert site_menta.applied() == {"inventory": 1}
        (data,) = site_menta.rows(
            "SELECT i.data FROM menta_sandbox_inventory i JOIN menta_sandbox_event e ON e.id = i.event_id "
            "WHERE e.external_id = ? AND i.show_id = ?",
            *show,
        )
        assert json.loads(data[0])["soldPercentage"] == 30.0

    def test_changes_to_one_ticket_arrive_in_order(self, site_menta: SandboxControl, show: tuple[str, str]) -> None:
        ticket = ticket_push(f"{show[0]}-t", *show, "alice@example.com")
        sync.push_tickets([ticket])
        sync.update_ticket(wire.TicketPush(**{**ticket.__dict__, "buyer": wire.Buyer(email="bob@example.com")}))
        sync.delete_ticket(ticket.ticket_id)

        outbox.deliver_due()

        assert statuses()["delivered"] == 3
        assert site_menta.applied() == {"tickets": 1, "ticket updates": 1, "ticket deletions": 1}
        answer = make_client(site_menta.url).ticket_access("bob@example.com", [ticket.ticket_id])
        assert answer[0].reason == "This ticket is no longer valid"


class TestRefusals:
    def test_a_refused_ticket_fails_with_mentas_message_and_its_batch_goes_on(
        self, site_menta: SandboxControl, show: tuple[str, str]
    ) -> None:
        good = [ticket_push(f"{show[0]}-{n}", *show, "fan@example.com") for n in range(3)]
        stray = ticket_push(f"{show[0]}-stray", show[0], "show_nope", "fan@example.com")
        sync.push_tickets([*good[:2], stray, good[2]])

        report = outbox.deliver_due()

        failed = OutboxItem.objects.get(status=Status.FAILED)
        assert (failed.key, failed.last_status, failed.last_error) == (stray.ticket_id, 404, "Show not found")
        assert (report.delivered, report.failed) == (3, 1)
        assert site_menta.applied() == {"tickets": 3}

    def test_a_lead_refused_in_a_bulk_call_is_kept_with_its_message(
        self, site_menta: SandboxControl, show: tuple[str, str]
    ) -> None:
        sync.send_leads([lead(*show, 1), lead("evt_unknown", "show_x", 2), lead(*show, 3)])

        report = outbox.deliver_due()

        assert (report.delivered, report.failed, report.calls) == (2, 1, 1)
        refused = OutboxItem.objects.get(status=Status.FAILED)
        assert (refused.key, refused.last_error) == ("email:fan2@example.com|evt_unknown|show_x", "Event not found")

    def test_retry_now_sends_a_failed_item_again(self, site_menta: SandboxControl, world: World) -> None:
        event_id = world.id("evtlate")
        sync.send_leads([lead(event_id, "s1", 1)])
        outbox.deliver_due()
        world.menta.create_event(event_push(event_id, ["s1"]).to_wire())

        assert outbox.retry_now(OutboxItem.objects.filter(status=Status.FAILED)) == 1
        outbox.deliver_due()

        assert statuses()["delivered"] == 1


class TestFaults:
    def test_menta_down_keeps_items_for_a_later_attempt(
        self, site_menta: SandboxControl, show: tuple[str, str]
    ) -> None:
        sync.send_leads(lead(*show, n) for n in range(3))
        site_menta.faults(mode="down")

        report = outbox.deliver_due()

        item = OutboxItem.objects.first()
        assert item is not None
        assert (report.retrying, item.status, item.attempts, item.last_status) == (3, "retrying", 1, 503)
        assert item.next_attempt_at > timezone.now()
        assert outbox.counts() == {"pending": 0, "sending": 0, "retrying": 3, "failed": 0}
        site_menta.restore()
        drain()
        assert site_menta.applied() == {"leads": 3}

    def test_a_batchs_retries_are_marked_in_one_statement(
        self, site_menta: SandboxControl, show: tuple[str, str]
    ) -> None:
        sync.send_leads(lead(*show, n) for n in range(200))
        site_menta.faults(mode="down")

        with CaptureQueriesContext(connection) as queries:
            report = outbox.deliver_due()

        marked = [query for query in queries if re.match(r"""UPDATE .* SET .*"status" = 'retrying'""", query["sql"])]
        assert (report.retrying, len(marked)) == (200, 1)
        attempts_at = set(OutboxItem.objects.values_list("next_attempt_at", flat=True))
        assert len(attempts_at) > 1  # each item at its own backoff (with jitter)
        assert min(attempts_at) > timezone.now()

    def test_half_the_answers_failing_delivers_everything_once(
        self, site_menta: SandboxControl, show: tuple[str, str], settings: Any
    ) -> None:
        # No retries inside a call: every failed answer comes back to the outbox. With 24 first
        # calls (1 for the tickets, 20 deletions, 3 for the leads), all 24 succeeding is a 1 in 2**24 chance.
        settings.SALWIDGETS = {**settings.SALWIDGETS, "MAX_RETRIES": 0}
        sync.push_tickets(ticket_push(f"{show[0]}-{n}", *show, "fan@example.com") for n in range(40))
        for n in range(20):
            sync.delete_ticket(f"{show[0]}-{n}")
        sync.send_leads(lead(*show, n) for n in range(2500))
        site_menta.faults(errorRate=0.5)

        report = drain()

        assert statuses()["delivered"] == 2560
        assert report.retrying > 0
        assert site_menta.applied() == {"tickets": 40, "ticket deletions": 20, "leads": 2500}

    def test_an_item_gives_up_after_the_last_attempt(
        self, site_menta: SandboxControl, show: tuple[str, str], settings: Any
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "SYNC_MAX_ATTEMPTS": 2}
        sync.send_leads([lead(*show, 1)])
        site_menta.faults(mode="down")

        outbox.deliver_due()
        OutboxItem.objects.update(next_attempt_at=timezone.now())
        outbox.deliver_due()

        item = OutboxItem.objects.get()
        assert (item.status, item.attempts) == ("failed", 2)
        assert re.fullmatch(
            r"gave up after 2 attempts: Service unavailable \(HTTP 503\) \[request \w+\]", item.last_error
        )

    def test_retry_after_is_honoured(self, settings: Any) -> None:
        limited = (429, {"Retry-After": "120"}, b'{"status": 429, "data": null, "errors": {"message": "Slow down"}}')
        upstream = ScriptedUpstream([limited])
        settings.SALWIDGETS = {**settings.SALWIDGETS, "BASE_URL": upstream.url, "SYNC_BACKOFF_BASE": 1.0}
        sync.send_leads([lead("e", "s", 1)])
        try:
            outbox.deliver_due()
        finally:
            upstream.close()

        item = OutboxItem.objects.get()
        assert (item.status, item.last_status) == ("retrying", 429)
        assert item.next_attempt_at - timezone.now() > timedelta(seconds=110)

    def test_an_expired_claim_is_taken_over(self, site_menta: SandboxControl, show: tuple[str, str]) -> None:
        sync.send_leads([lead(*show, 1)])
        OutboxItem.objects.update(status=Status.SENDING, claim="dead-worker", claimed_until=timezone.now())

        report = outbox.deliver_due()

        assert report.delivered == 1
        assert site_menta.applied() == {"leads": 1}


class TestBackoff:
    def test_doubles_with_jitter_up_to_the_cap(self, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "SYNC_BACKOFF_BASE": 2.0, "SYNC_BACKOFF_CAP": 10.0}

        waits = [outbox.backoff(attempts) for attempts in (1, 2, 3, 10)]

        assert 1.0 <= waits[0] <= 2.0
        assert 2.0 <= waits[1] <= 4.0
        assert 4.0 <= waits[2] <= 8.0
        assert 5.0 <= waits[3] <= 10.0


def test_money_goes_out_as_numbers(site_menta: SandboxControl, show: tuple[str, str]) -> None:
    holder = wire.Lead(
        "TICKET_HOLDER",
        *show,
        wire.Buyer(email="a@example.com"),
        ticket_id="T1",
        price=Decimal("99.99"),
        currency="USD",
    )

    assert holder.to_wire()["price"] == 99.99


def test_a_delivered_ticket_is_offered_for_resale_at_its_holders_next_view(
    site_menta: SandboxControl, show: tuple[str, str]
) -> None:
    """Between a sale and the worker's delivery, the holder's page cached what menta said of a ticket
    it did not know yet; the delivery drops that answer instead of leaving it for USER_SECONDS."""
    holder = "New.Holder@Example.com"
    ticket = ticket_push(f"{show[0]}-bought", *show, holder)
    sync.push_tickets([ticket])
    before = answers.tickets(holder.lower(), [ticket.ticket_id], "en", wait=True)
    assert before.state == "ready"
    assert not before.items[ticket.ticket_id].ctas  # not known to menta: nothing to offer

    outbox.deliver_due()

    assert answers.tickets(holder.lower(), [ticket.ticket_id], "en", wait=False).state == "missing"
    after = answers.tickets(holder.lower(), [ticket.ticket_id], "en", wait=True)
    assert "SELL" in {cta.action for cta in after.items[ticket.ticket_id].ctas}


class TestLogs:
    """What the logs say: enough to act on, at the right level, and no one's email."""

    def test_a_refused_lead_is_logged_without_its_email(
        self, site_menta: SandboxControl, show: tuple[str, str], caplog: pytest.LogCaptureFixture
    ) -> None:
        sync.send_leads([lead("evt_unknown", "show_x", 2)])

        with caplog.at_level(logging.INFO, logger="salwidgets"):
            outbox.deliver_due()

        (refused,) = [record for record in caplog.records if "refused for good:" in record.getMessage()]
        assert refused.levelno == logging.WARNING
        assert (
            "@" not in refused.getMessage() and f"<email {privacy.digest('fan2@example.com')}>" in refused.getMessage()
        )
        assert all("@" not in record.getMessage() for record in caplog.records)

    def test_retries_are_info_until_an_item_is_old_then_a_warning(
        self, site_menta: SandboxControl, show: tuple[str, str], settings: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "MAX_RETRIES": 0}
        sync.send_leads(lead(*show, n) for n in range(3))
        site_menta.faults(mode="down")
        with caplog.at_level(logging.INFO, logger="salwidgets"):
            outbox.deliver_due()
        assert [r.levelno for r in caplog.records if r.name == "salwidgets.outbox"] == [logging.INFO]
        caplog.clear()

        OutboxItem.objects.update(created_at=timezone.now() - timedelta(minutes=11), next_attempt_at=timezone.now())
        with caplog.at_level(logging.INFO, logger="salwidgets"):
            outbox.deliver_due()

        (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "salwidgets.outbox"]
        assert warning.getMessage().startswith(
            "menta outbox: 3 lead item(s) still undelivered after 10 minutes or more"
        )

    def test_the_worker_says_what_it_delivered(
        self, site_menta: SandboxControl, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        event_id = world.id("evtlog")
        sync.push_event(event_push(event_id, ["s1"]))
        sync.push_tickets(ticket_push(f"{event_id}-{n}", event_id, "s1", "fan@example.com") for n in range(2))

        with caplog.at_level(logging.INFO, logger="salwidgets"):
            tasks.deliver.call()

        (summary,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("menta outbox: delivered")]
        assert re.fullmatch(
            r"menta outbox: delivered 3 \(event 1, ticket 2\); 0 to retry, 0 refused for good, 0 superseded; "
            r"2 calls, in \d+\.\d\d s",
            summary,
        ), summary


class TestTheWorkersWakeUp:
    """The queue knows nothing of the task engine: the tasks module registers its wake-up."""

    def test_the_apps_task_is_the_registered_waker(self) -> None:
        assert outbox._waker is tasks.wake

    def test_without_a_worker_storing_says_what_to_install_and_keeps_nothing(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from django.core.exceptions import ImproperlyConfigured

        monkeypatch.setattr(outbox, "_waker", None)

        with pytest.raises(
            ImproperlyConfigured, match=r"^salwidgets' outbox has no worker to wake: install salwidgets\[tasks\]"
        ):
            sync.send_leads([lead("evt_1", "show_1", 1)])

        assert not OutboxItem.objects.exists()

    def test_the_outbox_imports_nothing_of_the_task_engine(self) -> None:
        import ast
        from pathlib import Path

        tree = ast.parse(Path(outbox.__file__).read_text())
        imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)] + [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        ]

        assert not [name for name in imported if "tasks" in name]


def test_the_queue_imports_neither_the_client_nor_the_tasks() -> None:
    """A plain durable queue: what it carries and where to are registered with it (by ``sync``),
    and so is the wake-up (by ``tasks``)."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(outbox.__file__).read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
    ours = {name.split(".")[1] for name in modules if name.startswith("salwidgets.")}

    assert ours <= {"conf", "metrics", "models", "monitoring", "privacy"}, ours
    assert [kind.name for kind in outbox.KINDS.values()][:4] == ["event", "event.cancel", "rules", "ticket"]
