"""``salwidgets.breaker``: closed, open after failures in a row, one probe when half-open."""

from __future__ import annotations

import time
from typing import Any

import pytest

from salwidgets import breaker, cache


@pytest.fixture(autouse=True)
def three_failures(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "BREAKER_FAILURES": 3, "BREAKER_COOLDOWN": 30}


def test_closed_until_failures_in_a_row_reach_the_setting() -> None:
    breaker.record_failure()
    breaker.record_failure()

    assert breaker.state().name == "closed" and breaker.allow()
    breaker.record_failure()

    assert breaker.state().name == "open" and breaker.is_open() and not breaker.allow()


def test_a_success_resets_the_count() -> None:
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()

    assert breaker.state() == breaker.State("closed", 1, None)


def test_after_the_cooldown_one_probe_goes_and_its_answer_decides() -> None:
    for _ in range(3):
        breaker.record_failure()
    cache.backend().set(breaker.OPEN_UNTIL, time.time() - 1, timeout=None)  # the cooldown is over

    assert breaker.state().name == "half-open" and not breaker.is_open()
    assert [breaker.allow(), breaker.allow()] == [True, False]  # the probe, then no one else
    breaker.record_failure()
    assert breaker.state().name == "open"

    cache.backend().set(breaker.OPEN_UNTIL, time.time() - 1, timeout=None)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state() == breaker.State("closed", 0, None)
