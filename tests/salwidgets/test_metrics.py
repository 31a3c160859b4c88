"""``salwidgets.metrics``: counts summed over processes in the shared cache, flushed in batches."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from salwidgets import metrics


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    metrics.reset()
    yield
    metrics.reset()


def test_a_count_is_flushed_at_once_when_the_last_flush_is_old(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_flushed_at", time.monotonic() - metrics.FLUSH_SECONDS - 1)

    metrics.count("stale")

    assert metrics.cache.backend().get(metrics._key("stale")) == 1


def test_counts_add_up_and_unknown_names_are_not_listed() -> None:
    metrics.count("calls")
    metrics.count("calls", 2)
    metrics.count("hits", 0)  # nothing happened
    metrics.count("nonsense")

    totals = metrics.totals()

    assert totals == {
        "calls": 3,
        "hits": 0,
        "stale": 0,
        "misses": 0,
        "fallbacks": 0,
        "dropped": 0,
        "webhooks_refused": 0,
    }


def test_a_count_waits_in_the_process_until_its_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_flushed_at", time.monotonic())  # flushed a moment ago
    metrics.count("fallbacks")
    assert metrics.cache.backend().get(metrics._key("fallbacks")) is None  # not yet in the shared cache

    metrics.flush()

    assert metrics.cache.backend().get(metrics._key("fallbacks")) == 1
    assert metrics.totals()["fallbacks"] == 1
    metrics.reset()
    assert metrics.totals()["fallbacks"] == 0


def test_series_keep_each_count_in_the_slot_it_happened(monkeypatch: pytest.MonkeyPatch) -> None:
    start = metrics.slot_of(time.time()) - 3
    for slot, n in ((start, 2), (start + 2, 5), (start + 2, 1)):
        monkeypatch.setattr(metrics.time, "time", lambda slot=slot: slot * metrics.SLOT_SECONDS + 1)
        metrics.count("menta_calls", n)
    metrics.count("fallbacks")  # a running total only, never a series

    found = metrics.series(["menta_calls", "fallbacks"], start, 4)

    assert found == {"menta_calls": (2, 0, 6, 0)}
    assert metrics.totals()["fallbacks"] == 1


def test_reset_forgets_the_series_too() -> None:
    metrics.count("hits", 4)
    slot = metrics.slot_of(time.time())
    assert metrics.series(["hits"], slot, 1) == {"hits": (4,)}

    metrics.reset()

    assert metrics.series(["hits"], slot, 1) == {"hits": (0,)}
