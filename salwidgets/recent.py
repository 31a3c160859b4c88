"""A small cache in this process: values kept for a few seconds, the least recently used dropped
first. For work a busy page would otherwise repeat on every view."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    def __init__(self, *, size: int, seconds: float) -> None:
        self.size, self.seconds = size, seconds
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] < time.monotonic():
                return None
            self._items.move_to_end(key)
            return found[1]

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

    def delete(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
