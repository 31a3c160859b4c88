"""``salwidgets.breaker``: closed, open after failures in a row, one probe when half-open."""

from __future__ import annotations

import logging
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


def cooldown_over() -> None:
    """The cooldown ends (as every process sees it once its copy of the state is a second old)."""
    cache.backend().set(breaker.OPEN_UNTIL, time.time() - 1, timeout=None)
    cache.forget_near()


def test_after_the_cooldown_one_probe_goes_and_its_answer_decides() -> None:
    for _ in range(3):
        breaker.record_failure()
    cooldown_over()

    assert breaker.state().name == "half-open" and not breaker.is_open()
    assert [breaker.allow(), breaker.allow()] == [True, False]  # the probe, then no one else
    breaker.record_failure()
    assert breaker.state().name == "open"

    cooldown_over()
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state() == breaker.State("closed", 0, None)


def test_each_process_reads_the_shared_state_once_a_second_and_its_own_records_at_once() -> None:
    breaker.record_failure()
    cache.backend().set(breaker.FAILURES, 2, timeout=None)  # another process failed too

    assert breaker.state().failures == 1  # this process's copy
    cache.forget_near()
    assert breaker.state().failures == 2
    breaker.record_failure()
    assert breaker.state().name == "open"


def test_opening_and_closing_are_warnings_once_each(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "BREAKER_FAILURES": 3, "BREAKER_COOLDOWN": 30}

    with caplog.at_level(logging.INFO, logger="salwidgets.breaker"):
        for _failure in range(5):
            breaker.record_failure()
        breaker.record_success()
        breaker.record_success()

    assert [(r.levelno, r.getMessage().split(":")[0]) for r in caplog.records] == [
        (logging.WARNING, "Circuit breaker opened after 3 failures in a row"),
        (logging.WARNING, "Circuit breaker closed"),
    ]
