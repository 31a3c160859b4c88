"""``manage.py menta_resync``: the catalogue pushed to menta again, upcoming events by default."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from salsite.models import Event, Show, Ticket
from salwidgets import outbox
from salwidgets.models import OutboxItem
from tests.conftest import SandboxControl

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def upcoming() -> tuple[int, int, int]:
    shows = Show.objects.filter(starts_at__gte=timezone.now())
    events = Event.objects.filter(shows__in=shows).distinct().count()
    return events, Ticket.objects.filter(show__in=shows, status="VALID").count(), shows.count()


def test_every_upcoming_event_its_tickets_and_inventories_go_again(demo: SandboxControl) -> None:
    outbox.deliver_due()
    Show.objects.filter(external_id="show_ham_mat").update(starts_at=timezone.now() - timedelta(days=1))
    events, tickets, shows = upcoming()
    OutboxItem.objects.all().delete()
    demo.reset_stats()
    out = io.StringIO()

    call_command("menta_resync", "--dry-run", stdout=out)
    assert out.getvalue().strip() == (
        f"Dry run: {events} events, {tickets} tickets and {shows} inventories would be pushed."
    )
    assert not OutboxItem.objects.exists()

    call_command("menta_resync", stdout=out)
    assert set(OutboxItem.objects.values_list("kind", flat=True)) == {"event", "rules", "ticket", "inventory"}
    assert OutboxItem.objects.filter(kind="ticket").count() == tickets
    assert OutboxItem.objects.filter(kind="inventory").count() == shows
    assert out.getvalue().strip().splitlines()[-1] == (
        f"Stored {events} events, {tickets} tickets and {shows} inventories for menta; the worker sends them."
    )
    report = outbox.deliver_due()
    assert report.failed == 0 and report.delivered == OutboxItem.objects.count()
    assert demo.applied()["tickets"] == tickets


def test_all_includes_past_events_and_a_terminal_sees_progress(demo: SandboxControl) -> None:
    outbox.deliver_due()
    Show.objects.update(starts_at=timezone.now() - timedelta(days=1))
    OutboxItem.objects.all().delete()
    terminal = Terminal()

    call_command("menta_resync", stdout=io.StringIO())
    assert not OutboxItem.objects.exists()  # nothing to come
    call_command("menta_resync", "--all", stdout=terminal)

    assert "\rEvents 1/" in terminal.getvalue() and "\rTickets " in terminal.getvalue()
    assert OutboxItem.objects.filter(kind="ticket").count() == Ticket.objects.filter(status="VALID").count()
