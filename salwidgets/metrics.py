"""Counters of what salwidgets does, summed over a site's processes in the shared cache (for the
admin's preview and its status tab), and the same counts for Prometheus (``salwidgets.monitoring``).

Each process adds to counts of its own and flushes them to the cache at most every few seconds,
so that counting costs a page view nothing. Besides the running totals, the counts people read
over time (cache lookups, calls to menta and their latency, deliveries that failed) are kept in
five-minute slots for a day, so that the status tab can show the last hour and the last 24.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from salwidgets import cache, monitoring

NAMES = {
    "calls": "SAL calls",
    "hits": "cache hits",
    "stale": "stale serves",
    "misses": "cache misses",
    "fallbacks": "fallbacks rendered",
    "dropped": "components dropped",
    "webhooks_refused": "webhook calls refused (unauthenticated)",
}
SERIES = frozenset(
    {
        "hits",
        "stale",
        "misses",
        "menta_calls",  # every call to menta, answered or not
        "menta_failed",  # calls that ended in an error
        "menta_ms",  # their time, summed: the mean is menta_ms / menta_calls
        "outbox_retrying",  # deliveries that failed and will be tried again
        "outbox_failed",  # deliveries refused for good
    }
)
FLUSH_SECONDS = 5.0
SLOT_SECONDS = 300
SLOTS_PER_HOUR = 3600 // SLOT_SECONDS
KEEP_SECONDS = 25 * 3600

_lock = threading.Lock()
_pending: Counter[tuple[str, int]] = Counter()  # (name, slot) -> n
_flushed_at = time.monotonic()


def _key(name: str) -> str:
    return f"{cache.PREFIX}:count:{name}"


def _slot_key(name: str, slot: int) -> str:
    return f"{cache.PREFIX}:series:{name}:{slot}"


def slot_of(at: float) -> int:
    """The five-minute slot a Unix time falls in."""
    return int(at // SLOT_SECONDS)


def _prometheus(name: str, n: int) -> None:
    counter = _COUNTERS.get(name)
    if counter is not None:
        counter.inc(n)


# The Prometheus counter of each name that has one, its labels chosen once: ``labels()`` checks
# and looks them up at every call, a tenth of what a warm page's SAL lookups cost.
_COUNTERS: dict[str, Any] = {
    "hits": monitoring.CACHE.labels(result="hit"),
    "stale": monitoring.CACHE.labels(result="stale"),
    "misses": monitoring.CACHE.labels(result="miss"),
    "fallbacks": monitoring.FALLBACKS,
    "dropped": monitoring.DROPPED,
    "webhooks_refused": monitoring.WEBHOOKS.labels(action="", outcome="unauthenticated"),
}


def count(name: str, n: int = 1) -> None:
    global _flushed_at
    if n <= 0:
        return
    _prometheus(name, n)
    with _lock:
        _pending[(name, slot_of(time.time()))] += n
        due = time.monotonic() - _flushed_at > FLUSH_SECONDS
        if due:
            _flushed_at = time.monotonic()
    if due:
        flush()


def flush() -> None:
    """Add this process's counts to the shared ones."""
    with _lock:
        counts = dict(_pending)
        _pending.clear()
    totals: Counter[str] = Counter()
    for (name, slot), n in counts.items():
        totals[name] += n
        if name in SERIES:
            cache.increment(_slot_key(name, slot), n, timeout=KEEP_SECONDS)
    for name, n in totals.items():
        if name in NAMES:
            cache.increment(_key(name), n)


def series(names: Iterable[str], first_slot: int, slots: int) -> dict[str, tuple[int, ...]]:
    """Each name's counts in ``slots`` five-minute slots from ``first_slot`` on, all processes'."""
    flush()
    names = [name for name in names if name in SERIES]
    keys = {(name, slot): _slot_key(name, slot) for name in names for slot in range(first_slot, first_slot + slots)}
    found = cache.backend().get_many(list(keys.values()))
    return {
        name: tuple(int(found.get(keys[(name, slot)]) or 0) for slot in range(first_slot, first_slot + slots))
        for name in names
    }


def totals() -> dict[str, int]:
    flush()
    found = cache.backend().get_many([_key(name) for name in NAMES])
    return {name: int(found.get(_key(name)) or 0) for name in NAMES}


def reset() -> None:
    with _lock:
        _pending.clear()
    now = slot_of(time.time())
    backend = cache.backend()
    backend.delete_many([_key(name) for name in NAMES])
    for name in SERIES:
        backend.delete_many([_slot_key(name, slot) for slot in range(now - KEEP_SECONDS // SLOT_SECONDS, now + 2)])
