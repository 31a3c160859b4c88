"""What a page asks for: a show's components, a person's ticket and order CTAs.

Each function answers from the cache when it can and calls menta only when the caller may
wait (``wait=True``). Calls are single-flight across processes: whoever takes an entry's lock
fetches, the others wait for the entry. Every call ends within ``calls.fetch_seconds()``, its retries
included; the others wait a little longer than that, and the lock lasts longer still, so no
second process fetches the same entry while the first still may. A stale entry is served while
one refresh runs in the background, on a small pool of threads. The circuit breaker short-cuts
calls while menta is failing. Failures never escape: they come back as ``failed`` results for
the caller's fallback.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from django.core.signals import setting_changed
from django.dispatch import receiver

from salwidgets import breaker, cache, calls, metrics, wire
from salwidgets.client import get_client
from salwidgets.conf import get_config
from salwidgets.errors import MentaError, NotFound
from salwidgets.privacy import redact
from salwidgets.recent import Recent

logger = logging.getLogger("salwidgets")

State = Literal["ready", "missing", "failed", "not_found", "off"]
T = TypeVar("T")
R = TypeVar("R")
Pair = tuple[str, str]
WAIT_STEP = 0.05


@dataclass(frozen=True)
class ShowResult:
    state: State
    components: tuple[wire.Component, ...] = ()
    dropped: tuple[wire.Dropped, ...] = ()
    entry: cache.Entry[Any] | None = None

    @functools.cached_property
    def identity(self) -> Hashable:
        """What makes this answer this answer: where and when it was fetched (cheaper than its
        content), for keys of what is built from it."""
        entry = self.entry
        if entry is None or entry.value is None:
            return self.components
        layer = entry.value
        return (layer.type, layer.event_id, layer.show_id, layer.lang, entry.fetched_at, entry.partial)


FAILED = ShowResult("failed")  # one shared answer: a result is frozen
MISSING = ShowResult("missing")


@dataclass(frozen=True, eq=False)
class ShowsResult:
    """The answers for a page's shows, by (event id, show id), in the page's order.

    What is derived from them is computed once per result: a busy listing gets the same result
    (kept in ``_batches``) for a second, so its views do not derive it again for each show.
    """

    results: dict[Pair, ShowResult]

    @functools.cached_property
    def version(self) -> tuple[Hashable, ...]:
        """Which answers these are: a key for what is built from them."""
        return tuple((pair, result.state, result.identity) for pair, result in self.results.items())

    @functools.cached_property
    def by_key(self) -> dict[str, ShowResult]:
        """The answers by ``"<event id>/<show id>"``, the key a page's show slot has."""
        return {f"{event_id}/{show_id}": result for (event_id, show_id), result in self.results.items()}

    @functools.cached_property
    def missing(self) -> tuple[str, ...]:
        """The keys of the shows whose answer is not at hand, in order."""
        return tuple(key for key, result in self.by_key.items() if result.state == "missing")

    @functools.cached_property
    def all_failed(self) -> bool:
        """Whether every answer failed (menta is down): one fallback serves them all."""
        return bool(self.results) and all(result.state == "failed" for result in self.results.values())


def enabled() -> bool:
    return bool(get_config()["ENABLED"])


def _wait_seconds() -> float:
    """How long single-flight waiters wait: the fetch, and a moment to store its answer."""
    return calls.fetch_seconds() + 0.5


def _lock_seconds() -> int:
    """How long an entry's lock lasts (whole seconds, as caches keep them): beyond the waiters'."""
    return math.ceil(_wait_seconds() + 0.5)


def _unanswered() -> State:
    """What a caller that may not wait gets for an answer not at hand: unless the breaker is
    closed, the fallback at once (a lazy fragment would only fail later); otherwise a lazy
    fragment."""
    return "missing" if breaker.is_closed() else "failed"


def _may_wait(wait: bool) -> bool:
    """Whether a caller that asked to wait for menta may: only while the breaker is closed. Open,
    nothing would be called; half-open, the one probe is made in the background, not by a page."""
    return wait and breaker.is_closed()


# Keys found in no cache while the breaker was open, for a second, and the listings' sets of shows
# none of whose keys were: while it stays open, a page that would only render their fallback does
# not look for them again at every view.
_absent: Recent[bool] = Recent(size=4096, seconds=cache.NEAR_SECONDS)


def _known_absent(keys: Iterable[str]) -> bool:
    return all(_absent.get(key) for key in keys) and breaker.is_open()


def _note_absent(keys: Iterable[str], state: State) -> None:
    if state == "failed":
        for key in keys:
            _absent.put(key, True)


def _single_flight(lock: str, fetch: Callable[[], T], ready: Callable[[], T | None], failed: T) -> T:
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


# --- shows ----------------------------------------------------------------------------------


def _from_entry(entry: cache.Entry[Any]) -> ShowResult:
    if entry.value is None:
        return ShowResult("not_found", entry=entry)
    return ShowResult("ready", entry.value.components, entry.value.dropped, entry)


def fetch_show(type: str, event_id: str | None, show_id: str | None, lang: str) -> ShowResult:
    """Ask menta now and cache what it says (a 404 is cached briefly)."""
    key = cache.show_key(type, event_id, show_id, lang)
    try:
        answer = calls.guarded(
            lambda: get_client().access_layer_exchange(type, event_id=event_id, show_id=show_id, lang=lang)
        )
    except NotFound:
        return _from_entry(cache.put_show(key, None, max_age=None))
    except calls.Skipped:
        return FAILED
    except MentaError as exc:
        logger.warning("SAL %s components for %s/%s unavailable: %s", type, event_id, show_id, exc)
        return FAILED
    layer = answer.value
    metrics.count("dropped", len(layer.dropped))
    return _from_entry(cache.put_show(key, layer, max_age=layer.max_age, latency_ms=answer.elapsed_ms))


# Background refreshes of stale entries: at most REFRESH_THREADS at once in a process, and at
# most REFRESH_QUEUED entries waiting for one (beyond, an entry is served stale a little longer).
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


def _refresh_in_background(key: str, fetch: Callable[[], object]) -> None:
    """Queue one refresh of an entry in this process; it runs if it takes the entry's lock (no
    other process is fetching it)."""
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


def _read_through(
    key: str,
    fetch: Callable[[], R],
    from_entry: Callable[[cache.Entry[Any]], R],
    unanswered: Callable[[State], R],
    *,
    wait: bool,
    usable: Callable[[cache.Entry[Any]], bool] = lambda entry: True,
) -> R:
    """A cached answer (fresh, or stale while one refresh runs in the background); else, if
    ``wait``, one fetch shared by every process (single flight); else ``unanswered(state)``."""
    if not wait and _known_absent([key]):
        return unanswered("failed")
    entry = cache.get_show(key)
    if entry is not None and usable(entry):
        if entry.is_fresh():
            metrics.count("hits")
        else:
            metrics.count("stale")
            _refresh_in_background(key, fetch)
        return from_entry(entry)
    metrics.count("misses")
    if not _may_wait(wait):
        state = _unanswered()
        _note_absent([key] if entry is None else [], state)
        if state == "missing":
            return unanswered(state)
        _refresh_in_background(key, fetch)  # half-open: the probe (open: nothing is called)
        return from_entry(entry) if entry is not None else unanswered(state)

    def ready() -> R | None:
        found = cache.reread(key)  # the shared entry: this process may hold an older copy
        return from_entry(found) if found is not None and usable(found) else None

    # An unusable entry (a show's partial one) is what the page shows if the fetch fails.
    fallback = from_entry(entry) if entry is not None else unanswered("failed")
    result = _single_flight(f"{key}:lock", fetch, ready, fallback)
    return fallback if getattr(result, "state", None) == "failed" else result


def show(type: str, event_id: str | None, show_id: str | None, lang: str, *, wait: bool) -> ShowResult:
    """A show's components: cached (fresh or stale), fetched if ``wait``, else ``missing``.

    An entry filled by a bulk call lacks lists and maps: it counts as missing here, and is what
    the page shows if the full fetch fails.
    """
    if not enabled():
        return ShowResult("off")
    return _read_through(
        cache.show_key(type, event_id, show_id, lang),
        lambda: fetch_show(type, event_id, show_id, lang),
        _from_entry,
        ShowResult,
        wait=wait,
        usable=lambda entry: not entry.partial,
    )


def fetch_shows(type: str, pairs: list[Pair], lang: str, *, keep_full: bool = True) -> dict[Pair, ShowResult]:
    """One bulk call (split by the client at 50) that fills each show's entry.

    A bulk answer carries buttons, modals and banners only: with ``keep_full`` a show's full,
    fresh entry is kept rather than replaced by the partial one.
    """
    try:
        answers = calls.guarded(lambda: get_client().access_layer_bulk(type, pairs, lang=lang))
    except calls.Skipped:
        return {pair: FAILED for pair in pairs}
    except MentaError as exc:
        logger.warning("SAL bulk %s components for %d shows unavailable: %s", type, len(pairs), exc)
        return {pair: FAILED for pair in pairs}
    results: dict[Pair, ShowResult] = {}
    for answer in answers:
        pair = (answer.event_id, answer.show_id)
        key = cache.show_key(type, *pair, lang)
        current = cache.get_show(key) if keep_full else None
        if current is not None and not current.partial and current.is_fresh():
            results[pair] = _from_entry(current)
        elif answer.error:
            results[pair] = _from_entry(cache.put_show(key, None, max_age=None))
        else:
            layer = wire.AccessLayer(type, *pair, lang, None, answer.components, answer.dropped)
            results[pair] = _from_entry(cache.put_show(key, layer, max_age=None, partial=True))
    return {pair: results.get(pair, FAILED) for pair in pairs}


# Complete answers for a page's set of shows, kept for a second (as long as the cache's own copies
# of its entries): a busy listing then neither reads nor assembles them at every view.
_batches: Recent[ShowsResult] = Recent(size=256, seconds=cache.NEAR_SECONDS)


def forget_batches() -> None:
    """Drop this process's recent batches and refreshes (when settings change, or a test wants a
    cold start)."""
    _batches.clear()
    _absent.clear()
    _queued.clear()


@receiver(setting_changed, dispatch_uid="salwidgets.sal")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "SALWIDGETS":
        forget_batches()


def _bulk_key(type: str, lang: str, pairs: list[Pair]) -> str:
    """What one bulk call for ``pairs`` is known by: its lock, and its refresh in the background."""
    return f"{cache.PREFIX}:bulk:{type}:{lang}:{cache.digest(sorted(pairs))}"


def _refresh_stale(type: str, lang: str, pairs: list[Pair], entries: dict[Pair, cache.Entry[Any]]) -> None:
    """Stale answers of a listing are served as they are while they are refreshed in the
    background: those a bulk call filled by one bulk call, and each full one (a show page's, with
    its lists and maps, which a bulk answer lacks) by a call of its own."""
    metrics.count("stale", len(pairs))
    partial = [pair for pair in pairs if entries[pair].partial]
    if partial:
        _refresh_in_background(_bulk_key(type, lang, partial), lambda: fetch_shows(type, partial, lang))
    for event_id, show_id in (pair for pair in pairs if not entries[pair].partial):
        _refresh_in_background(
            cache.show_key(type, event_id, show_id, lang),
            functools.partial(fetch_show, type, event_id, show_id, lang),
        )


def shows(type: str, pairs: Iterable[Pair], lang: str, *, wait: bool) -> ShowsResult:
    """Components of many shows (buttons, modals, banners suffice): one bulk call for the missing ones."""
    order = list(dict.fromkeys(pairs))
    if not enabled():
        return ShowsResult({pair: ShowResult("off") for pair in order})
    batch_key = (type, lang, cache.near_version(), tuple(order))
    recent = _batches.get(batch_key)
    if recent is not None:
        metrics.count("hits", len(recent.results))
        return recent
    if not wait and _absent.get(batch_key) and breaker.is_open():
        return ShowsResult(dict.fromkeys(order, FAILED))
    keys = {pair: cache.show_key(type, *pair, lang) for pair in order}
    if not wait and _known_absent(keys.values()):
        _absent.put(batch_key, True)  # the next views skip looking at each show
        return ShowsResult(dict.fromkeys(order, FAILED))
    entries = cache.get_entries(keys.values())
    results = {pair: _from_entry(entries[key]) for pair, key in keys.items() if key in entries}
    missing = [pair for pair in order if pair not in results]
    stale = [pair for pair in order if pair in results and not entries[keys[pair]].is_fresh()]
    metrics.count("hits", len(results) - len(stale))
    if stale:
        _refresh_stale(type, lang, stale, {pair: entries[keys[pair]] for pair in stale})
    if not missing:
        complete = ShowsResult(results)
        _batches.put(batch_key, complete)
        return complete
    bulk = _bulk_key(type, lang, missing)
    if not _may_wait(wait):
        unanswered = ShowResult(_unanswered())
        _note_absent([keys[pair] for pair in missing] if len(missing) == len(order) else [], unanswered.state)
        if unanswered.state == "failed":  # half-open: the probe (open: nothing is called)
            _refresh_in_background(bulk, lambda: fetch_shows(type, missing, lang))
        return ShowsResult({pair: results.get(pair, unanswered) for pair in order})

    def ready() -> dict[Pair, ShowResult] | None:
        found = cache.get_entries([keys[pair] for pair in missing])
        if len(found) < len(missing):
            return None
        return {pair: _from_entry(found[keys[pair]]) for pair in missing}

    failed = dict.fromkeys(missing, FAILED)
    results.update(_single_flight(f"{bulk}:lock", lambda: fetch_shows(type, missing, lang), ready, failed))
    return ShowsResult({pair: results.get(pair, FAILED) for pair in order})


# --- a person's tickets and orders ----------------------------------------------------------

# A person's items are cached, fetched and loaded lazily in groups of at most GROUP_SIZE ids and
# GROUP_CHARS characters of query string, so that no fragment URL grows with their number.
GROUP_SIZE = 50
GROUP_CHARS = 3000


def groups(ids: Iterable[str], param: str = "id") -> list[tuple[str, ...]]:
    """``ids`` in order, in the groups that are cached and loaded together (``param`` names them
    in a fragment's query string)."""
    return list(_groups(tuple(ids), param))


@functools.lru_cache(maxsize=1024)  # a pure function: a person's page asks for the same at every view
def _groups(ids: tuple[str, ...], param: str) -> tuple[tuple[str, ...], ...]:
    found: list[tuple[str, ...]] = []
    current: list[str] = []
    size = 0
    for item in ids:
        length = len(param) + 2 + len(quote(item, safe=""))  # "&id=" and the id
        if current and (len(current) >= GROUP_SIZE or size + length > GROUP_CHARS):
            found.append(tuple(current))
            current, size = [], 0
        current.append(item)
        size += length
    if current:
        found.append(tuple(current))
    return tuple(found)


@dataclass(frozen=True)
class PersonResult:
    """Per-person answers by id (tickets or orders), or why there are none. ``missing`` is the
    groups of ids not at hand when the caller could not wait (state ``missing``)."""

    state: State
    items: dict[str, Any] = field(default_factory=dict)
    missing: tuple[tuple[str, ...], ...] = ()
    version: tuple[tuple[str, float], ...] = ()  # the cache entries the items came from: key, fetched at


def _person(
    kind: str,
    person: str,
    ids: list[str],
    lang: str,
    wait: bool,
    fetch: Callable[[list[str]], list[Any]],
    id_of: str,
) -> PersonResult:
    """The person's answers, group by group: cached (a stale group is served while it is
    refreshed in the background), else fetched in one call if ``wait``."""
    if not enabled():
        return PersonResult("off")
    keyed = {group: cache.person_key(person, kind, list(group), lang) for group in groups(ids)}
    if not wait and keyed and _known_absent(keyed.values()):
        return PersonResult("failed")
    entries = cache.get_entries(keyed.values())
    items: dict[str, Any] = {}
    missing = []

    def fetch_groups(wanted: list[tuple[str, ...]]) -> PersonResult:
        try:
            answers = {
                getattr(item, id_of): item for item in calls.guarded(lambda: fetch([i for g in wanted for i in g]))
            }
        except calls.Skipped:
            return PersonResult("failed")
        except MentaError as exc:
            logger.warning("SAL %s CTAs unavailable: %s", kind, redact(exc))
            return PersonResult("failed")
        version = []
        for group in wanted:
            answer = {item_id: answers[item_id] for item_id in group if item_id in answers}
            version.append((keyed[group], cache.put_person(keyed[group], answer).fetched_at))
        return PersonResult("ready", answers, version=tuple(version))

    version = []
    for group, key in keyed.items():
        entry = entries.get(key)
        if entry is None or not isinstance(entry.value, dict):
            metrics.count("misses")
            missing.append(group)
            continue
        version.append((key, entry.fetched_at))
        if entry.is_fresh():
            metrics.count("hits")
        else:
            metrics.count("stale")
            _refresh_in_background(key, functools.partial(fetch_groups, [group]))
        items.update(entry.value)
    if not missing:
        return PersonResult("ready", items, version=tuple(version))
    if not _may_wait(wait):
        state = _unanswered()
        _note_absent(keyed.values() if len(missing) == len(keyed) else [], state)
        if state != "missing":  # half-open: the probe (open: nothing is called)
            _refresh_in_background(keyed[missing[0]], functools.partial(fetch_groups, missing))
            return PersonResult(state)
        return PersonResult(state, items, tuple(missing), tuple(version))
    fetched = fetch_groups(missing)
    if fetched.state != "ready":
        return fetched
    return PersonResult("ready", {**items, **fetched.items}, version=tuple(version) + fetched.version)


# A person's items by kind: how their answers are cached, asked for, and told apart.
_PERSON_KINDS: dict[str, tuple[str, Callable[..., list[Any]], str]] = {
    "ticket": ("tickets", lambda client, *args, **options: client.ticket_access(*args, **options), "ticket_id"),
    "order": ("orders", lambda client, *args, **options: client.order_access(*args, **options), "order_id"),
}


def for_person(kind: str, person: str, ids: Iterable[str], lang: str, *, wait: bool) -> PersonResult:
    """A person's answers for their tickets or orders (``kind`` is ``ticket`` or ``order``)."""
    cached_as, ask, id_of = _PERSON_KINDS[kind]
    return _person(
        cached_as,
        person,
        list(dict.fromkeys(ids)),
        lang,
        wait,
        lambda wanted: ask(get_client(), person, wanted, lang=lang),
        id_of,
    )


def tickets(person: str, ticket_ids: Iterable[str], lang: str, *, wait: bool) -> PersonResult:
    return for_person("ticket", person, ticket_ids, lang, wait=wait)


def orders(person: str, order_ids: Iterable[str], lang: str, *, wait: bool) -> PersonResult:
    return for_person("order", person, order_ids, lang, wait=wait)


# --- resale listings rendered by the site (contract 4) ----------------------------------------


@dataclass(frozen=True)
class ListingsResult:
    state: State
    listings: tuple[wire.ListedTicket, ...] = ()
    entry: cache.Entry[Any] | None = None


def _listings_from_entry(entry: cache.Entry[Any]) -> ListingsResult:
    if entry.value is None:
        return ListingsResult("not_found", entry=entry)
    return ListingsResult("ready", entry.value, entry)


def fetch_listings(event_id: str, show_id: str) -> ListingsResult:
    key = cache.listings_key(event_id, show_id)
    try:
        listings, dropped = calls.guarded(lambda: get_client().listed_tickets(event_id, show_id=show_id))
    except NotFound:
        return _listings_from_entry(cache.put_show(key, None, max_age=None))
    except calls.Skipped:
        return ListingsResult("failed")
    except MentaError as exc:
        logger.warning("Resale listings of %s/%s unavailable: %s", event_id, show_id, exc)
        return ListingsResult("failed")
    metrics.count("dropped", len(dropped))
    return _listings_from_entry(cache.put_show(key, listings, max_age=None))


def listings(event_id: str, show_id: str, *, wait: bool) -> ListingsResult:
    """A show's listed tickets, cached like its components and dropped with them (``forget_show``)."""
    if not enabled():
        return ListingsResult("off")
    return _read_through(
        cache.listings_key(event_id, show_id),
        lambda: fetch_listings(event_id, show_id),
        _listings_from_entry,
        ListingsResult,
        wait=wait,
    )
