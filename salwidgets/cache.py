"""SAL answers in Django's cache.

A show's components are shared by everyone; per-person answers (ticket and order CTAs) live
only under keys that include a hash of that person, and a person's entries can be dropped at
once by bumping their generation. One-time tokens never come here.

Entries read from the shared cache are kept in this process for ``NEAR_SECONDS``: a busy page
then reads each of its entries from the shared cache about once a second per process instead of
once a view. What this process drops or writes is seen here at once; the
other processes see it within ``NEAR_SECONDS``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import BaseCache, caches

from salwidgets.conf import get_config
from salwidgets.recent import Recent

logger = logging.getLogger("salwidgets")
T = TypeVar("T")
PREFIX = "salwidgets:v1"
SHOW_TYPES = ("buy", "sell")
NEAR_SECONDS = 1.0


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A cached answer. ``value`` None means menta answered 404."""

    value: T | None
    fetched_at: float
    fresh_until: float
    partial: bool = False  # filled by a bulk call: buttons, modals and banners only
    latency_ms: float | None = None  # how long menta took to answer

    def is_fresh(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) < self.fresh_until

    @property
    def age(self) -> float:
        return time.time() - self.fetched_at


def raw() -> BaseCache:
    """The configured cache itself (its failures raise)."""
    return caches[get_config()["CACHE_ALIAS"]]


# After the cache fails, this process treats it as empty for a moment instead of waiting on it
# again at every call.
DOWN_SECONDS = 1.0


class FailSafe:
    """The cache operations salwidgets uses, answering as an empty cache when the backend fails
    (Redis down, flapping or slow), so a page falls back to a miss instead of an error."""

    def __init__(self) -> None:
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _call(self, operation: Callable[[BaseCache], T], failed: T) -> T:
        if time.monotonic() < self._down_until:
            return failed
        try:
            return operation(raw())
        except Exception as exc:  # noqa: BLE001 (whatever the backend raises, the cache is down)
            with self._lock:
                if time.monotonic() >= self._down_until:
                    logger.warning("Cache %r failed, answering as a miss: %r", get_config()["CACHE_ALIAS"], exc)
                self._down_until = time.monotonic() + DOWN_SECONDS
            return failed

    def forget_failure(self) -> None:
        """Try the backend again at the next call (tests, or after an operator fixed it)."""
        self._down_until = 0.0

    def get(self, key: str) -> Any:
        return self._call(lambda cache: cache.get(key), None)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        return self._call(lambda cache: cache.get_many(list(keys)), {})

    def set(self, key: str, value: Any, timeout: float | None) -> None:
        self._call(lambda cache: cache.set(key, value, timeout=timeout), None)

    def add(self, key: str, value: Any, timeout: float | None) -> bool:
        """True when added. With the cache down there is no lock to share: every caller goes ahead."""
        return self._call(lambda cache: bool(cache.add(key, value, timeout=timeout)), True)

    def delete(self, key: str) -> None:
        self._call(lambda cache: cache.delete(key), None)

    def delete_many(self, keys: Iterable[str]) -> None:
        self._call(lambda cache: cache.delete_many(list(keys)), None)

    def incr(self, key: str, by: int) -> int:
        """The counter plus ``by``; ValueError when it does not exist; ``by`` with the cache down."""

        def operation(cache: BaseCache) -> int | None:
            try:
                return int(cache.incr(key, by))
            except ValueError:  # not there: an answer, not a failure of the cache
                return None

        failed: int | None = by
        value = self._call(operation, failed)
        if value is None:
            raise ValueError(key)
        return value


_fail_safe = FailSafe()


def backend() -> FailSafe:
    return _fail_safe


# Entries (fresh or stale) and other values read from the shared cache, in this process (see the
# module's doc).
_near: Recent[Any] = Recent(size=20_000, seconds=NEAR_SECONDS)


def forget_near() -> None:
    """Drop this process's copies of the shared cache's entries (a test that wants them read again)."""
    _near.clear()


def copy(key: str, read: Callable[[], T]) -> T:
    """This process's copy of what ``read()`` answers for ``key`` (a value of the shared cache),
    read again after ``NEAR_SECONDS`` (or ``forget_near``)."""
    value: T = _near.get_or_put(key, read)
    return value


def keep_copy(key: str, value: Any) -> None:
    """Replace this process's copy of ``key`` (after this process wrote it)."""
    _near.put(key, value)


def get_entries(keys: Iterable[str]) -> dict[str, Entry[Any]]:
    """The entries found under ``keys``: this process's copies, the rest in one read."""
    return read_entries(keys)[0]


@dataclass(frozen=True)
class Copies:
    """This process's copies that a read found, as it found them: what the read answered stays
    true while ``current()`` (none of them replaced, dropped or expired since)."""

    kept: dict[str, tuple[float, Any]]
    until: float  # monotonic: when the first of them expires

    def current(self) -> bool:
        return time.monotonic() < self.until and _near.still_kept(self.kept)


def _same_as_before(key: str, entry: Entry[Any]) -> Entry[Any]:
    """The copy this process had of ``key`` if ``entry``, read again, is the same write of it (the
    same fetch), else ``entry``. A busy page reads its entries again every ``NEAR_SECONDS``; keeping
    the objects it already had means that what was just read dies young instead of piling up among
    the long-lived objects a full garbage collection goes through (at 500 shows, 500 answers a
    second per process), and the answers built from them are found by the same identity."""
    before = _near.last(key)
    if (
        isinstance(before, Entry)
        and before.fetched_at == entry.fetched_at
        and before.fresh_until == entry.fresh_until
        and before.partial == entry.partial
    ):
        return before
    return entry


def read_entries(keys: Iterable[str]) -> tuple[dict[str, Entry[Any]], Copies | None]:
    """``get_entries``, and the copies it found when it found every entry among them (None when
    it read the shared cache)."""
    keys = list(keys)
    kept = _near.get_kept(keys)
    found: dict[str, Entry[Any]] = {key: pair[1] for key, pair in kept.items()}
    wanted = [key for key in keys if key not in kept]
    if wanted:
        for key, value in backend().get_many(wanted).items():
            if isinstance(value, Entry):
                found[key] = value = _same_as_before(key, value)
                keep_copy(key, value)
        return found, None
    return found, Copies(kept, min((pair[0] for pair in kept.values()), default=0.0))


def _forget_keys(keys: Iterable[str]) -> None:
    for key in keys:
        _near.delete(key)


def digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()[:32]


# Keys are a pure function of their parts: a listing asks for the same 50 at every view, and My
# tickets for the same person and groups of ids.
@functools.lru_cache(maxsize=8192)
def show_key(type: str, event_id: str | None, show_id: str | None, lang: str) -> str:
    return f"{PREFIX}:show:{type}:{lang}:{digest(event_id, show_id)}"


@functools.lru_cache(maxsize=8192)
def listings_key(event_id: str, show_id: str) -> str:
    """A show's listed tickets (contract 4): one entry for every language."""
    return f"{PREFIX}:listings:{digest(event_id, show_id)}"


def reread(key: str) -> Entry[Any] | None:
    """The entry under ``key`` as the shared cache has it now (and this process's copy of it)."""
    return reread_many([key]).get(key)


def reread_many(keys: list[str]) -> dict[str, Entry[Any]]:
    """The entries under ``keys`` as the shared cache has them now (this process's copies too)."""
    for key in keys:
        _near.delete(key)
    return get_entries(keys)


def get_show(key: str) -> Entry[Any] | None:
    """The entry under ``key`` (a show's, or a person's answer), fresh or stale, or None."""
    return get_entries([key]).get(key)


def _put(key: str, value: Any, *, fresh: float, keep: float, **details: Any) -> Entry[Any]:
    now = time.time()
    entry: Entry[Any] = Entry(value=value, fetched_at=now, fresh_until=now + fresh, **details)
    backend().set(key, entry, timeout=keep)
    keep_copy(key, entry)
    return entry


def put_show(
    key: str, value: Any, *, max_age: int | None, partial: bool = False, latency_ms: float | None = None
) -> Entry[Any]:
    config = get_config()
    if value is None:
        fresh, keep = config["NOT_FOUND_SECONDS"], config["NOT_FOUND_SECONDS"]
    else:
        fresh = min(max_age if max_age is not None else config["FRESH_SECONDS"], config["FRESH_SECONDS"])
        keep = max(config["STALE_SECONDS"], fresh)
    return _put(key, value, fresh=fresh, keep=keep, partial=partial, latency_ms=latency_ms)


def drop(key: str) -> None:
    backend().delete(key)
    _forget_keys([key])


def forget_show(event_id: str, show_id: str | None) -> None:
    """Drop a show's components, both types and every language, and its listings, in every process
    (menta said they changed); the next view fetches them again."""
    languages = {code for code, _name in settings.LANGUAGES} | {settings.LANGUAGE_CODE}
    keys = [show_key(type, event_id, show_id, lang) for type in SHOW_TYPES for lang in sorted(languages)]
    if show_id:
        keys.append(listings_key(event_id, show_id))
    backend().delete_many(keys)
    _forget_keys(keys)


# --- per person -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _person_digest(person: str) -> str:
    return digest(person)


@functools.lru_cache(maxsize=8192)
def _ids_digest(ids: tuple[str, ...]) -> str:
    return digest(sorted(ids))


def _generation_key(person: str) -> str:
    return f"{PREFIX}:gen:{_person_digest(person)}"


def generation(person: str) -> int:
    """Bumped by ``forget_person``: part of every key of ``person``'s answers."""
    key = _generation_key(person)
    return copy(key, lambda: int(backend().get(key) or 0))


def person_key(person: str, kind: str, ids: list[str], lang: str) -> str:
    """A key for ``person``'s answer about ``ids``; it changes when ``forget_person`` is called."""
    return f"{PREFIX}:{kind}:{_person_digest(person)}:{generation(person)}:{lang}:{_ids_digest(tuple(ids))}"


def put_person(key: str, value: Any) -> Entry[Any]:
    """A person's answer, fresh for USER_SECONDS and served stale (while it is refreshed) for as
    long as a show's."""
    config = get_config()
    fresh = config["USER_SECONDS"]
    return _put(key, value, fresh=fresh, keep=max(config["STALE_SECONDS"], fresh))


def increment(key: str, by: int = 1, *, timeout: float | None = None) -> int:
    """Add to a counter, creating it at need to live ``timeout`` seconds (or for ever); answers
    the new value."""
    cache = backend()
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key, by))
    except ValueError:  # evicted (or expired) between add and incr
        cache.set(key, by, timeout=timeout)
        return by


def forget_person(person: str) -> None:
    """Make every cached answer about ``person`` unreachable (they expire on their own)."""
    increment(_generation_key(person))
    _forget_keys([_generation_key(person)])
