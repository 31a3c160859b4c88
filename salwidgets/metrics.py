"""Counters of what salwidgets does, summed over a site's processes in the shared cache (for the
admin's preview), and the same counts for Prometheus (``salwidgets.monitoring``).

Each process adds to counts of its own and flushes them to the cache at most every few seconds,
so that counting costs a page view nothing.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

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
FLUSH_SECONDS = 5.0

_lock = threading.Lock()
_pending: Counter[str] = Counter()
_flushed_at = time.monotonic()


def _key(name: str) -> str:
    return f"{cache.PREFIX}:count:{name}"


def _prometheus(name: str, n: int) -> None:
    if name in _LOOKUPS:
        monitoring.CACHE.labels(result=_LOOKUPS[name]).inc(n)
    elif name == "fallbacks":
        monitoring.FALLBACKS.inc(n)
    elif name == "dropped":
        monitoring.DROPPED.inc(n)
    elif name == "webhooks_refused":
        monitoring.WEBHOOKS.labels(action="", outcome="unauthenticated").inc(n)


_LOOKUPS = {"hits": "hit", "stale": "stale", "misses": "miss"}


def count(name: str, n: int = 1) -> None:
    global _flushed_at
    if n <= 0:
        return
    _prometheus(name, n)
    with _lock:
        _pending[name] += n
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
    for name, n in counts.items():
        cache.increment(_key(name), n)


def totals() -> dict[str, int]:
    flush()
    found = cache.backend().get_many([_key(name) for name in NAMES])
    return {name: int(found.get(_key(name)) or 0) for name in NAMES}


def reset() -> None:
    with _lock:
        _pending.clear()
    cache.backend().delete_many([_key(name) for name in NAMES])
