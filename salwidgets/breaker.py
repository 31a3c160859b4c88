"""A circuit breaker in front of menta, shared by a site's processes through its cache.

After ``BREAKER_FAILURES`` failures in a row, calls stop for ``BREAKER_COOLDOWN`` seconds and
pages render their fallback at once; then one probe is let through: success closes the
circuit, failure opens it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from salwidgets import cache
from salwidgets.conf import call_seconds, get_config

FAILURES = f"{cache.PREFIX}:breaker:failures"
OPEN_UNTIL = f"{cache.PREFIX}:breaker:open-until"
PROBE = f"{cache.PREFIX}:breaker:probe"


@dataclass(frozen=True)
class State:
    name: str  # "closed", "open" or "half-open"
    failures: int
    open_until: float | None


def state() -> State:
    backend = cache.backend()
    values = backend.get_many([FAILURES, OPEN_UNTIL])
    failures = int(values.get(FAILURES) or 0)
    open_until = values.get(OPEN_UNTIL)
    if open_until is None:
        return State("closed", failures, None)
    return State("open" if time.time() < open_until else "half-open", failures, float(open_until))


def is_open() -> bool:
    """Open and cooling down: callers should not even try (a half-open breaker is not open)."""
    return state().name == "open"


def allow() -> bool:
    """Whether a call to menta may go now (in half-open state, only the one probe)."""
    current = state()
    if current.name == "closed":
        return True
    if current.name == "open":
        return False
    return bool(cache.backend().add(PROBE, 1, timeout=int(call_seconds()) + 1))


def record_success() -> None:
    current = state()
    if current.name != "closed" or current.failures:
        cache.backend().delete_many([FAILURES, OPEN_UNTIL, PROBE])


def record_failure() -> None:
    config = get_config()
    if cache.increment(FAILURES) >= config["BREAKER_FAILURES"]:
        cache.backend().set(OPEN_UNTIL, time.time() + config["BREAKER_COOLDOWN"], timeout=None)
        cache.backend().delete(PROBE)
