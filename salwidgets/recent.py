"""Copies kept in this process: values kept for a few seconds, the least recently used dropped
first. For work a busy page would otherwise repeat on every view.

Every copy salwidgets keeps in a process is a ``Recent``, and every ``Recent`` is dropped by one
call, ``forget_all`` (when the settings change, or when a test wants a cold start). Which copies
there are, and what each saves a warm view, is in ``bench/layers.py`` and the benchmark's page.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from django.core.signals import setting_changed
from django.dispatch import receiver

V = TypeVar("V")
H = TypeVar("H", bound=Hashable)

# Every copy, so that ``forget_all`` finds them (a copy that is no longer used goes with it).
_every: weakref.WeakSet[Recent[Any]] = weakref.WeakSet()
_every_lock = threading.Lock()


def forget_all() -> None:
    """Drop every copy this process keeps."""
    with _every_lock:
        copies = list(_every)
    for copy in copies:
        copy.clear()


@receiver(setting_changed, dispatch_uid="salwidgets.recent")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    # A copy may hold what the settings shaped (links, texts, a cache's answers).
    if setting in ("SALWIDGETS", "CACHES"):
        forget_all()


class Recent(Generic[V]):
    def __init__(self, *, size: int, seconds: float) -> None:
        self.size, self.seconds = size, seconds
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Event] = {}
        with _every_lock:
            _every.add(self)

    def _live(self, key: Hashable, now: float) -> tuple[float, V] | None:
        """(With the lock held.) The pair kept for ``key`` unless it expired before ``now``, then
        the most recently used."""
        kept = self._items.get(key)
        if kept is None or kept[0] < now:
            return None
        self._items.move_to_end(key)
        return kept

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            kept = self._live(key, time.monotonic())
        return None if kept is None else kept[1]

    def last(self, key: Hashable) -> V | None:
        """The value last kept for ``key``, expired or not (None once dropped or pushed out): what
        a caller about to keep an equal value may keep again instead."""
        kept = self._items.get(key)  # one lookup, without the lock: a pair is only ever replaced
        return None if kept is None else kept[1]

    def get_kept(self, keys: Iterable[H]) -> dict[H, tuple[float, V]]:
        """What is kept for ``keys`` (those not expired), as it is kept: each an (expires at, value)
        pair, the same object until the key's value is replaced or dropped (``still_kept``)."""
        now = time.monotonic()
        found: dict[H, tuple[float, V]] = {}
        with self._lock:
            for key in keys:
                kept = self._live(key, now)
                if kept is not None:
                    found[key] = kept
        return found

    def still_kept(self, kept: Mapping[H, tuple[float, V]]) -> bool:
        """Whether each of these pairs (from ``get_kept``) is still what is kept for its key: none
        replaced or dropped since. (Their expiry is the caller's to check.) One lookup a key, without
        the lock: a pair is never changed in place, only replaced."""
        items = self._items
        return all(items.get(key) is pair for key, pair in kept.items())

    def put(self, key: Hashable, value: V, *, seconds: float | None = None) -> None:
        """Keep ``value`` for ``seconds`` (at most the cache's own)."""
        kept = self.seconds if seconds is None else min(seconds, self.seconds)
        with self._lock:
            self._items[key] = (time.monotonic() + kept, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get_or_put(self, key: Hashable, build: Callable[[], V], *, seconds: float | None = None) -> V:
        """The value kept for ``key``, or ``build()``'s, kept for ``seconds`` (see ``put``)."""
        value = self.get(key)
        if value is None:
            value = build()
            self.put(key, value, seconds=seconds)
        return value

    def get_or_build_once(
        self, key: Hashable, build: Callable[[], V], *, seconds: float | None = None, wait: float = 5.0
    ) -> V:
        """``get_or_put``, with at most one ``build()`` of a key at a time in this process: a thread
        that finds the key being built waits for that build (up to ``wait`` seconds) and takes its
        value, instead of doing the same work beside it. Builds must not wait on each other's keys.
        """
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            building = self._building.get(key)
            if building is None:
                building = self._building[key] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            building.wait(wait)
            # That build's value; if it failed or took too long, this thread's own.
            return self.get_or_put(key, build, seconds=seconds)
        try:
            return self.get_or_put(key, build, seconds=seconds)
        finally:
            with self._lock:
                del self._building[key]
            building.set()

    def delete(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
