"""``seed_demo``: the demo's accounts and data, and SAL answers derived from what it pushed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from salsite import demo
from salsite.models import Show, Ticket
from salwidgets import outbox
from salwidgets.client import get_client
from salwidgets.models import OutboxItem
from tests.conftest import SandboxControl


@pytest.mark.django_db
def test_refused_when_debug_is_off(site_menta: SandboxControl, settings: Any) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="runs only with DEBUG on"):
        call_command("seed_demo")

    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_menta_down_at_start_loses_nothing(site_menta: SandboxControl, settings: Any) -> None:
    settings.DEBUG = True
    site_menta.faults(mode="down")
    output = io.StringIO()

    call_command("seed_demo", stdout=output)

    valid = Ticket.objects.filter(status=Ticket.Status.VALID).count()
    assert "menta did not take them now: the worker retries). No listings made." in output.getvalue()
    assert outbox.counts()["retrying"] > 0
    site_menta.restore()
    site_menta.reset_stats()
    outbox.retry_now(OutboxItem.objects.all())  # what the worker does when their time comes
    report = outbox.deliver_due()

    assert (report.failed, outbox.counts()) == (0, {"pending": 0, "sending": 0, "retrying": 0, "failed": 0})
    assert site_menta.applied()["tickets"] == valid
    answer = get_client().ticket_access("alice@example.com", ["TKT-ALICE-001"])
    assert answer[0].status == "SELLABLE"


class TestDemo:
    def test_accounts(self, demo: SandboxControl) -> None:
        for email, password in [
            ("alice@example.com", "demo12345"),
            ("bob@example.com", "demo12345"),
            ("admin@example.com", "admin12345"),
        ]:
            assert authenticate(username=email, password=password) is not None
        assert authenticate(username="admin@example.com", password="admin12345").is_staff

    def test_alice_owns_tickets_in_several_orders_and_states(self, demo: SandboxControl) -> None:
        tickets = Ticket.objects.filter(holder__email="alice@example.com")

        assert tickets.values("order").distinct().count() >= 3
        assert set(tickets.values_list("status", flat=True)) >= {"VALID", "REFUNDED", "TRANSFERRED"}

    def test_the_seed_documents_show_has_buy_components_from_listings(self, demo: SandboxControl) -> None:
        assert Show.objects.filter(event__external_id="evt_2024_metallica", external_id="show_nyc_20240815").exists()

        answer = get_client().access_layer("buy", event_id="evt_2024_metallica", show_id="show_nyc_20240815")

        kinds = {c.kind: c for c in answer.components}
        assert set(kinds) == {"button", "banner", "modal", "list", "map"}
        assert kinds["button"].badge == "5 tickets from $95"

    def test_sal_statuses_follow_what_was_pushed(self, demo: SandboxControl) -> None:
        answers = get_client().ticket_access("alice@example.com", ["TKT-ALICE-001", "TKT-ALICE-004", "TKT-ALICE-005"])

        assert [(a.status, a.reason) for a in answers] == [
            ("SELLABLE", None),
            ("NOT_SELLABLE", "Ticket not found"),  # refunded: never pushed
            ("NOT_SELLABLE", "Resale is not enabled for this show"),
        ]

    def test_running_it_again_changes_nothing(self, demo: SandboxControl, settings: Any) -> None:
        before = Ticket.objects.count()
        demo.reset_stats()
        settings.DEBUG = True

        call_command("seed_demo", stdout=io.StringIO())

        assert Ticket.objects.count() == before
        assert "POST /v1/events" not in demo.stats()
        assert get_client().access_layer("buy", event_id="evt_2024_metallica", show_id="show_nyc_20240815")


@pytest.mark.django_db
def test_no_two_shows_of_an_event_start_at_the_same_time() -> None:
    demo.create_site_data()

    starts = list(Show.objects.values_list("event_id", "starts_at"))
    assert len(starts) == len(set(starts))
    matinee = Show.objects.get(external_id="show_ham_mat")
    assert (matinee.starts_at.hour, Show.objects.get(external_id="show_ham_eve").starts_at.hour) == (14, 20)
