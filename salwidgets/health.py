"""Is the integration healthy: menta reachable, the breaker closed, the cache answering, the outbox
moving (nothing failed)."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from salwidgets import breaker, cache, outbox
from salwidgets.client import get_client
from salwidgets.conf import get_config
from salwidgets.errors import MentaError


@dataclass(frozen=True)
class Health:
    menta_reachable: bool
    menta_latency_ms: float | None
    menta_error: str | None
    breaker: str
    breaker_failures: int
    cache_backend: str
    cache_ok: bool
    outbox: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.menta_reachable and self.cache_ok and self.breaker == "closed" and not self.outbox["failed"]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _cache_ok() -> bool:
    probe = f"{cache.PREFIX}:health:{uuid.uuid4().hex}"
    try:
        backend = cache.raw()
        backend.set(probe, 1, timeout=10)
        found = bool(backend.get(probe) == 1)
        backend.delete(probe)
    except Exception:  # noqa: BLE001 (any failure of the cache backend is the answer)
        return False
    return found


def check() -> Health:
    """Ask menta once (a sell-components call, bypassing the breaker) and the cache once."""
    started = time.monotonic()
    error = None
    try:
        get_client().access_layer("sell")
    except MentaError as exc:
        error = str(exc)
    latency = (time.monotonic() - started) * 1000
    state = breaker.state()
    backend = cache.raw()
    return Health(
        menta_reachable=error is None,
        menta_latency_ms=round(latency, 1),
        menta_error=error,
        breaker=state.name,
        breaker_failures=state.failures,
        cache_backend=f"{type(backend).__module__}.{type(backend).__name__} ({get_config()['CACHE_ALIAS']!r})",
        cache_ok=_cache_ok(),
        outbox=outbox.counts(),
    )
