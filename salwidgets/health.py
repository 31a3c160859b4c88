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
from salwidgets.errors import MentaError, Unauthorized, Unavailable

# What menta's answer to the health call says, beyond "it did not work": the cure differs (a key
# to fix in the settings; a network, or menta, to wait for; an answer the client cannot read).
MENTA_STATES = {
    "reachable": "reachable",
    "key refused": "menta refused the API key",
    "unreachable": "menta is unreachable or unavailable",
    "bad answer": "menta answered something the client cannot read",
}


def _menta_state(error: MentaError | None) -> str:
    if error is None:
        return "reachable"
    if isinstance(error, Unauthorized):
        return "key refused"
    if isinstance(error, Unavailable) or error.status is None:
        return "unreachable"
    return "bad answer"


@dataclass(frozen=True)
class Health:
    menta_reachable: bool
    menta_latency_ms: float | None
    menta_error: str | None
    menta_state: str  # a key of MENTA_STATES
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
    error: MentaError | None = None
    try:
        get_client().access_layer("sell")
    except MentaError as exc:
        error = exc
    latency = (time.monotonic() - started) * 1000
    state = breaker.state()
    backend = cache.raw()
    return Health(
        menta_reachable=error is None,
        menta_latency_ms=round(latency, 1),
        menta_error=None if error is None else str(error),
        menta_state=_menta_state(error),
        breaker=state.name,
        breaker_failures=state.failures,
        cache_backend=f"{type(backend).__module__}.{type(backend).__name__} ({get_config()['CACHE_ALIAS']!r})",
        cache_ok=_cache_ok(),
        outbox=outbox.counts(),
    )


def problems(report: Health) -> list[str]:
    """What is wrong, in words an operator acts on (empty when healthy)."""
    found = []
    if not report.menta_reachable:
        found.append(MENTA_STATES[report.menta_state])
    if not report.cache_ok:
        found.append("the cache does not answer")
    failed = report.outbox["failed"]
    if failed:
        items = "1 outbox item was" if failed == 1 else f"{failed} outbox items were"
        found.append(f"{items} refused for good (see the admin's outbox)")
    return found
