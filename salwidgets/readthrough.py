"""Reading menta's answers through the shared cache: one read-through for every kind of answer.

A show's components, a listing's buttons, a show's listed tickets and a person's tickets and
orders are all read the same way (``read``): the cached entries of some items, fresh or stale; a
stale one is served while one refresh runs in the background, on a small pool of threads; what is
not cached is fetched if the caller may wait, in one call shared by every process (single
flight: whoever takes the items' lock fetches, the others wait for the entries), else left to a
lazy fragment or the fallback. Every fetch ends within ``calls.fetch_seconds()``, its retries
included; waiters wait a little longer than that, and the lock lasts longer still, so no second
process fetches the same items while the first still may. While the circuit breaker is open
nothing is fetched, and what no cache had is not looked for again for a second.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from salwidgets import breaker, cache, calls, metrics
from salwidgets.recent import Recent

logger = logging.getLogger("salwidgets")

State = Literal["ready", "missing", "failed", "not_found", "off"]
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
WAIT_STEP = 0.05
Entries = Mapping[K, cache.Entry[Any]]


def _wait_seconds() -> float:
    """How long single-flight waiters wait: the fetch, and a moment to store its answer."""
    return calls.fetch_seconds() + 0.5


def _lock_seconds() -> int:
    """How long an entry's lock lasts (whole seconds, as caches keep them): beyond the waiters'."""
    return math.ceil(_wait_seconds() + 0.5)


def unanswered() -> State:
    """What a caller that may not wait gets for an answer not at hand: unless the breaker is
    closed, the fallback at once (a lazy fragment would only fail later); otherwise a lazy
    fragment."""
    return "missing" if breaker.is_closed() else "failed"


def may_wait(wait: bool) -> bool:
    """Whether a caller that asked to wait for menta may: only while the breaker is closed. Open,
    nothing would be called; half-open, the one probe is made in the background, not by a page."""
    return wait and breaker.is_closed()


# Keys found in no cache while the breaker was open, for a second: while it stays open, a page
# that would only render their fallback does not look for them again at every view.
_absent: Recent[bool] = Recent(size=4096, seconds=cache.NEAR_SECONDS)


def known_absent(keys: Iterable[str]) -> bool:
    return all(_absent.get(key) for key in keys) and breaker.is_open()


def _note_absent(keys: Iterable[str], state: State) -> None:
    if state == "failed":
        for key in keys:
            _absent.put(key, True)


def single_flight(lock: str, fetch: Callable[[], T], ready: Callable[[], T | None], failed: T) -> T:
    """Run ``fetch`` if this caller takes ``lock``; otherwise wait for ``ready()`` to answer."""
    backend = cache.backend()
    if backend.add(lock, 1, timeout=_lock_seconds()):
        try:
            # Another caller may have fetched between our look in the cache and taking the lock.
            answer = ready()
            return answer if answer is not None else fetch()
        finally:
            backend.delete(lock)
    deadline = time.monotonic() + _wait_seconds()
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP)
        answer = ready()
        if answer is not None:
            return answer
        if backend.get(lock) is None:  # the fetch ended without an answer
            break
    return failed


# --- refreshes in the background ------------------------------------------------------------

# At most REFRESH_THREADS at once in a process, and at most REFRESH_QUEUED entries waiting for one
# (beyond, an entry is served stale a little longer).
REFRESH_THREADS = 4
REFRESH_QUEUED = 64
_refreshing: set[str] = set()
_refreshes = threading.Condition()
_pool: ThreadPoolExecutor | None = None
# An entry's refresh is queued at most once in REFRESH_RETRY_SECONDS per process. While menta
# fails some of its calls and the breaker stays closed, a stale answer's views would otherwise
# each queue one (to find another process's lock, or to fail again): a failed refresh is tried
# again after this long, by whichever process's page then shows the stale answer.
REFRESH_RETRY_SECONDS = 5.0
_queued: Recent[bool] = Recent(size=4096, seconds=REFRESH_RETRY_SECONDS)


def _refresh_pool() -> ThreadPoolExecutor:
    global _pool
    with _refreshes:
        if _pool is None:
            _pool = ThreadPoolExecutor(REFRESH_THREADS, thread_name_prefix="salwidgets-refresh")
        return _pool


def refresh_in_background(key: str, fetch: Callable[[], object]) -> None:
    """Queue one refresh of the entry ``key`` in this process; it runs if it takes the entry's
    lock (no other process is fetching it)."""
    if breaker.is_open() or _queued.get(key):  # open: nothing would be called, the stale entry is what there is
        return
    with _refreshes:
        if key in _refreshing or len(_refreshing) >= REFRESH_QUEUED:
            return
        _refreshing.add(key)
    _queued.put(key, True, seconds=REFRESH_RETRY_SECONDS)

    def run() -> None:
        backend = cache.backend()
        lock = f"{key}:lock"
        try:
            current = cache.reread(key)  # this process's copy may be older than the shared entry
            if current is not None and current.is_fresh():
                return
            if backend.add(lock, 1, timeout=_lock_seconds()):
                try:
                    fetch()
                finally:
                    backend.delete(lock)
        except Exception:
            logger.exception("Refreshing a SAL answer failed")
        finally:
            with _refreshes:
                _refreshing.discard(key)
                _refreshes.notify_all()

    _refresh_pool().submit(run)


def refreshes_done(timeout: float) -> bool:
    """Wait until this process's background refreshes have ended; False if some still run."""
    with _refreshes:
        return _refreshes.wait_for(lambda: not _refreshing, timeout=timeout)


# --- the read-through -----------------------------------------------------------------------


@dataclass(frozen=True)
class Found(Generic[K]):
    """What the cache, or one fetch, had for some items.

    ``entries`` holds each item's answer, in the callers' order, fresh or stale; when fetching
    failed, an item's unusable entry is there too (a show's partial one is better than nothing).
    ``missing`` is the items without one, and ``state`` says why: ``ready`` (none is missing),
    ``missing`` (the caller may not wait: a lazy fragment will ask) or ``failed`` (the fallback).
    """

    entries: dict[K, cache.Entry[Any]]
    missing: tuple[K, ...]
    state: State


def _always(entry: cache.Entry[Any]) -> bool:
    return True


# A read whose entries were all this process's copies, and fresh, answers the same until one of
# those copies is replaced, dropped or expires, or an entry turns stale: a busy page's next views
# take that answer instead of looking up its items again (a listing's 50 buttons, two or more
# groups of a person's tickets). Asked by the items' keys and what makes an entry ``usable``
# (a function of the module, not a lambda, for the same question to be asked again).
_fresh_reads: Recent[tuple[cache.Copies, float, Found[Any]]] = Recent(size=1024, seconds=cache.NEAR_SECONDS)


def read(
    keys: Mapping[K, str],
    *,
    wait: bool,
    fetch: Callable[[list[K]], Entries[K]],
    lock: Callable[[list[K]], str],
    refresh: Callable[[list[K], Entries[K]], None] | None = None,
    usable: Callable[[cache.Entry[Any]], bool] = _always,
) -> Found[K]:
    """The answers of the items ``keys`` names (item: its cache key).

    ``fetch(items)`` asks menta for some items in one call and caches the answers; it answers
    their entries (none for an item it could not get) and never raises. ``lock(items)`` names
    that call for single flight and for the probe of a half-open breaker. ``refresh(items,
    entries)`` queues refreshes of stale entries (by default one per item, with ``fetch``).
    An entry that is not ``usable`` counts as missing.
    """
    asked = (usable, tuple(keys.items()))
    kept = _fresh_reads.get(asked)
    if kept is not None and kept[0].current() and time.time() < kept[1]:
        metrics.count("hits", len(kept[2].entries))
        return kept[2]
    if not wait and keys and known_absent(keys.values()):
        return Found({}, tuple(keys), "failed")
    cached, copies = cache.read_entries(keys.values())
    entries: dict[K, cache.Entry[Any]] = {}
    unusable: dict[K, cache.Entry[Any]] = {}
    missing: list[K] = []
    stale: list[K] = []
    for item, key in keys.items():
        entry = cached.get(key)
        if entry is not None and usable(entry):
            entries[item] = entry
            if not entry.is_fresh():
                stale.append(item)
        else:
            missing.append(item)
            if entry is not None:
                unusable[item] = entry
    metrics.count("hits", len(entries) - len(stale))
    if stale:
        metrics.count("stale", len(stale))
        if refresh is not None:
            refresh(stale, entries)
        else:
            for item in stale:
                refresh_in_background(keys[item], functools.partial(fetch, [item]))
    if not missing:
        found = Found(entries, (), "ready")
        if copies is not None and not stale:
            stale_at = min((entry.fresh_until for entry in entries.values()), default=math.inf)
            _fresh_reads.put(asked, (copies, stale_at, found))
        return found
    metrics.count("misses", len(missing))
    if not may_wait(wait):
        state = unanswered()
        if len(missing) == len(keys):
            _note_absent([keys[item] for item in missing if item not in unusable], state)
        if state == "failed":  # half-open: the probe (open: nothing is called)
            refresh_in_background(lock(missing), lambda: fetch(missing))
            entries.update(unusable)
        return Found(entries, tuple(item for item in missing if item not in entries), state)

    def ready() -> Entries[K] | None:
        again = cache.reread_many([keys[item] for item in missing])
        found = {item: again[keys[item]] for item in missing if keys[item] in again and usable(again[keys[item]])}
        return found if len(found) == len(missing) else None

    nothing: Entries[K] = {}
    entries.update(single_flight(f"{lock(missing)}:lock", lambda: fetch(missing), ready, nothing))
    failed = [item for item in missing if item not in entries]
    for item in failed:
        if item in unusable:
            entries[item] = unusable[item]
    left = tuple(item for item in failed if item not in entries)
    return Found({item: entries[item] for item in keys if item in entries}, left, "failed" if left else "ready")
