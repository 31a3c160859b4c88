"""``salwidgets.tasks``: the outbox's delivery task (the worker running it is
``tests/integration/test_worker.py``)."""

from __future__ import annotations

import pytest
from django_tasks.backends.immediate import ImmediateBackend

from salwidgets import sync, tasks, wire
from tests.conftest import SandboxControl, World

pytestmark = pytest.mark.django_db


def test_one_run_sends_what_is_due_and_keeps_the_counts_as_its_result(site_menta: SandboxControl, world: World) -> None:
    event_id, (show_id,) = world.event()
    sync.send_leads(wire.Lead("WISHLIST", event_id, show_id, wire.Buyer(email=f"fan{n}@example.com")) for n in range(3))
    sync.send_leads([wire.Lead("WISHLIST", "evt_unknown", "show_x", wire.Buyer(email="fan@example.com"))])

    result = tasks.deliver.call()

    assert result == {"delivered": 3, "failed": 1, "retrying": 0, "superseded": 0, "calls": 1}
    assert tasks.deliver.call()["calls"] == 0  # nothing left that is due


def test_the_queue_is_in_the_sites_database_only_with_the_database_backend() -> None:
    assert tasks.stores_in_database(tasks.deliver.get_backend())
    assert not tasks.stores_in_database(ImmediateBackend("immediate", {}))
