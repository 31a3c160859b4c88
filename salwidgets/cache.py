"""SAL answers in Django's cache.

A show's components are shared by everyone; per-person answers (ticket and order CTAs) live
only under keys that include a hash of that person, and a person's entries can be dropped at
once by bumping their generation. One-time tokens never come here.
"""

from __future__ import annotations

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

logger = logging.getLogger("salwidgets")
T = TypeVar("T")
PREFIX = "salwidgets:v1"
SHOW_TYPES = ("buy", "sell")
# Bumped whenever a show's entries are dropped: processes keep recent batches of a page's shows
# only while it is unchanged.
SHOWS_EPOCH = f"{PREFIX}:shows-epoch"


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


def digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()[:32]


def show_key(type: str, event_id: str | None, show_id: str | None, lang: str) -> str:
    return f"{PREFIX}:show:{type}:{lang}:{digest(event_id, show_id)}"


def listings_key(event_id: str, show_id: str) -> str:
    """A show's listed tickets (contract 4): one entry for every language."""
    return f"{PREFIX}:listings:{digest(event_id, show_id)}"


def get_show(key: str) -> Entry[Any] | None:
    entry = backend().get(key)
    return entry if isinstance(entry, Entry) else None


def put_show(
    key: str, value: Any, *, max_age: int | None, partial: bool = False, latency_ms: float | None = None
) -> Entry[Any]:
    config = get_config()
    now = time.time()
    if value is None:
        fresh, keep = config["NOT_FOUND_SECONDS"], config["NOT_FOUND_SECONDS"]
    else:
        fresh = min(max_age if max_age is not None else config["FRESH_SECONDS"], config["FRESH_SECONDS"])
        keep = max(config["STALE_SECONDS"], fresh)
    entry: Entry[Any] = Entry(
        value=value, fetched_at=now, fresh_until=now + fresh, partial=partial, latency_ms=latency_ms
    )
    backend().set(key, entry, timeout=keep)
    return entry


def drop(key: str) -> None:
    backend().delete(key)


def shows_epoch() -> int:
    return int(backend().get(SHOWS_EPOCH) or 0)


def forget_show(event_id: str, show_id: str | None) -> None:
    """Drop a show's components, both types and every language, and its listings, in every process
    (menta said they changed); the next view fetches them again."""
    languages = {code for code, _name in settings.LANGUAGES} | {settings.LANGUAGE_CODE}
    keys = [show_key(type, event_id, show_id, lang) for type in SHOW_TYPES for lang in sorted(languages)]
    if show_id:
        keys.append(listings_key(event_id, show_id))
    backend().delete_many(keys)
    increment(SHOWS_EPOCH)


# --- per person -----------------------------------------------------------------------------


def _generation(person: str) -> int:
    return int(backend().get(f"{PREFIX}:gen:{digest(person)}") or 0)


def person_key(person: str, kind: str, ids: list[str], lang: str) -> str:
    """A key for ``person``'s answer about ``ids``; it changes when ``forget_person`` is called."""
    return f"{PREFIX}:{kind}:{digest(person)}:{_generation(person)}:{lang}:{digest(sorted(ids))}"


def get_person(key: str) -> Any:
    return backend().get(key)


def put_person(key: str, value: Any) -> None:
    backend().set(key, value, timeout=get_config()["USER_SECONDS"])


def increment(key: str, by: int = 1) -> int:
    """Add to a counter that never expires, creating it at need; answers the new value."""
    cache = backend()
    cache.add(key, 0, timeout=None)
    try:
        return int(cache.incr(key, by))
    except ValueError:  # evicted between add and incr
        cache.set(key, by, timeout=None)
        return by


def forget_person(person: str) -> None:
    """Make every cached answer about ``person`` unreachable (they expire on their own)."""
    increment(f"{PREFIX}:gen:{digest(person)}")
