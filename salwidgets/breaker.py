"""A circuit breaker in front of menta, shared by a site's processes through its cache.

After ``BREAKER_FAILURES`` failures in a row, calls stop for ``BREAKER_COOLDOWN`` seconds and
pages render their last answer or their fallback at once; then one probe is let through, one
for the whole site (a key in the shared cache): success closes the circuit, failure opens it
again. Pages read the shared state at most once in ``cache.NEAR_SECONDS`` per process (what a
process records itself it sees at once), so a page that calls nothing costs no round trip for
it; a call about to be made, or retried, reads it afresh, so that no process keeps calling for a
second after another one opened the circuit.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from salwidgets import cache
from salwidgets.conf import call_seconds, get_config

logger = logging.getLogger("salwidgets.breaker")

FAILURES = f"{cache.PREFIX}:breaker:failures"
OPEN_UNTIL = f"{cache.PREFIX}:breaker:open-until"
PROBE = f"{cache.PREFIX}:breaker:probe"


@dataclass(frozen=True)
class State:
    name: str  # "closed", "open" or "half-open"
    failures: int
    open_until: float | None


COPY = f"{cache.PREFIX}:breaker:copy"


def _shared() -> tuple[int, float | None]:
    values = cache.backend().get_many([FAILURES, OPEN_UNTIL])
    open_until = values.get(OPEN_UNTIL)
    return int(values.get(FAILURES) or 0), None if open_until is None else float(open_until)


def state(*, fresh: bool = False) -> State:
    """The breaker as this process saw it within ``cache.NEAR_SECONDS`` (``fresh``: as it is now)."""
    failures, open_until = _shared() if fresh else cache.copy(COPY, _shared)
    if fresh:
        cache.keep_copy(COPY, (failures, open_until))
    if open_until is None:
        return State("closed", failures, None)
    return State("open" if time.time() < open_until else "half-open", failures, open_until)


def is_open() -> bool:
    """Open and cooling down: callers should not even try (a half-open breaker is not open)."""
    return state().name == "open"


def is_closed() -> bool:
    """Closed: menta answers as far as anyone knows, and a page may wait for it (neither open nor
    half-open, when only the one probe may call)."""
    return state().name == "closed"


def still_closed() -> bool:
    """Closed as the shared state says now (before a retry: another process may have opened it)."""
    return state(fresh=True).name == "closed"


def allow() -> bool:
    """Whether a call to menta may go now (in half-open state, only the one probe)."""
    current = state(fresh=True)
    if current.name == "closed":
        return True
    if current.name == "open":
        return False
    return bool(cache.backend().add(PROBE, 1, timeout=int(call_seconds()) + 1))


def record_success() -> None:
    failures, open_until = _shared()  # after a call: worth a look at the shared state
    if open_until is not None or failures:
        cache.backend().delete_many([FAILURES, OPEN_UNTIL, PROBE])
        cache.keep_copy(COPY, (0, None))
        if open_until is not None:
            logger.warning("Circuit breaker closed: menta answers again (after %d failures in a row)", failures)


def record_failure() -> None:
    config = get_config()
    failures = cache.increment(FAILURES)
    open_until = state().open_until
    if failures >= config["BREAKER_FAILURES"]:
        if open_until is None or failures == config["BREAKER_FAILURES"]:
            logger.warning(
                "Circuit breaker opened after %d failures in a row: no call to menta for %s s, then one probe;"
                " pages show cached answers or the fallback meanwhile",
                failures,
                config["BREAKER_COOLDOWN"],
            )
        open_until = time.time() + config["BREAKER_COOLDOWN"]
        cache.backend().set(OPEN_UNTIL, open_until, timeout=None)
        cache.backend().delete(PROBE)
    cache.keep_copy(COPY, (failures, open_until))
