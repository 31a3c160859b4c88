"""HTTP transport to menta: one pooled session, hard deadlines, bounded retries.

It knows nothing of menta's envelope; it turns library exceptions into
``Unavailable``/``Timeout``/``MalformedResponse`` and retries what is safe to retry.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from salwidgets.conf import BACKOFF_BASE, BACKOFF_CAP, MAX_RESPONSE_BYTES, MAX_RETRIES, POOL_SIZE, RETRY_BUDGET
from salwidgets.errors import MalformedResponse, Timeout, Unavailable

logger = logging.getLogger("salwidgets.client")

RETRY_STATUSES = frozenset({502, 503, 504})
CHUNK_BYTES = 64 * 1024

# When the calls made in this context must be done, retries included (time.monotonic()).
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("salwidgets_deadline", default=None)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Every call to menta inside the block, each attempt and each wait before a retry, ends
    within ``seconds`` from now (or sooner, by an enclosing deadline); later ones raise Timeout."""
    at = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(at if outer is None else min(at, outer))
    try:
        yield at
    finally:
        _deadline.reset(token)


# Asked before each retry, in the calls made in this context: False stops retrying.
_may_retry: contextvars.ContextVar[Callable[[], bool] | None] = contextvars.ContextVar(
    "salwidgets_may_retry", default=None
)


@contextlib.contextmanager
def retrying_while(check: Callable[[], bool]) -> Iterator[None]:
    """Calls inside the block retry only while ``check()`` answers True (asked before each retry)."""
    token = _may_retry.set(check)
    try:
        yield
    finally:
        _may_retry.reset(token)


def _retries_allowed() -> bool:
    check = _may_retry.get()
    return check is None or check()


def _time_left(method: str, path: str) -> float | None:
    at = _deadline.get()
    if at is None:
        return None
    left = at - time.monotonic()
    if left <= 0:
        raise Timeout(f"no time left for menta {method} {path}")
    return left


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed_ms: float

    @property
    def request_id(self) -> str | None:
        return self.headers.get("X-Request-Id")


class Transport:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        max_retries: int = MAX_RETRIES,
        retry_budget: float = RETRY_BUDGET,
        backoff_base: float = BACKOFF_BASE,
        backoff_cap: float = BACKOFF_CAP,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        pool_size: int = POOL_SIZE,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.max_retries = max_retries
        self.retry_budget = retry_budget
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, api_key='***')"

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based): capped, with jitter."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        timeout: tuple[float, float],
        retry: bool,
    ) -> RawResponse:
        """Send one call, retrying when ``retry`` allows it, within the retry budget.

        A 429 is retried for any call (menta did not act on it) when its
        ``Retry-After`` fits in the budget; connection errors and 502/503/504 only
        when ``retry`` is true. A read timeout is never retried: the upstream may be
        hanging, and a second wait would double the caller's. Inside ``deadline``, no attempt
        and no wait goes past it.
        """
        started = time.monotonic()
        attempt = 0
        while True:
            left = _time_left(method, path)
            attempt_timeout = timeout if left is None else (min(timeout[0], left), min(timeout[1], left))
            failure: Unavailable | None = None
            try:
                response = self._send(method, path, params, json, attempt_timeout, left)
            except Unavailable as exc:
                if isinstance(exc, Timeout) or not retry or attempt >= self.max_retries:
                    raise
                wait = self.backoff(attempt)
                if self._over_budget(started, wait):
                    raise
                failure = exc
            else:
                retry_wait = self._retry_wait(response, retry, attempt)
                if retry_wait is None or self._over_budget(started, retry_wait):
                    return response
                wait = retry_wait
            logger.info("Retrying menta %s %s in %.2f s (attempt %d)", method, path, wait, attempt + 2)
            self._sleep(wait)
            if not _retries_allowed():  # e.g. the breaker opened meanwhile: the last answer stands
                if failure is not None:
                    raise failure
                return response
            attempt += 1

    def _over_budget(self, started: float, wait: float) -> bool:
        """Whether waiting ``wait`` more seconds would pass the retry budget or the deadline."""
        at = _deadline.get()
        if at is not None and time.monotonic() + wait >= at:
            return True
        return time.monotonic() + wait - started > self.retry_budget

    def _retry_wait(self, response: RawResponse, retry: bool, attempt: int) -> float | None:
        if attempt >= self.max_retries:
            return None
        if response.status == 429:
            return retry_after_seconds(response.headers)
        if retry and response.status in RETRY_STATUSES:
            return self.backoff(attempt)
        return None

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        timeout: tuple[float, float],
        left: float | None = None,
    ) -> RawResponse:
        started = time.monotonic()
        deadline = started + (sum(timeout) if left is None else min(sum(timeout), left))
        headers = {"Authorization": self._api_key, "Accept": "application/json"}
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers=headers,
                timeout=timeout,
                stream=True,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            if isinstance(exc, requests.ConnectTimeout):
                raise Unavailable(f"menta connect timeout on {method} {path}") from exc
            raise Timeout(f"menta read timeout on {method} {path}") from exc
        except requests.RequestException as exc:
            raise Unavailable(f"menta unreachable on {method} {path}: {type(exc).__name__}") from exc
        with response:
            body = self._read(response, deadline, method, path)
        elapsed_ms = (time.monotonic() - started) * 1000
        request_id = response.headers.get("X-Request-Id")
        logger.info("menta %s %s -> %s in %.0f ms [%s]", method, path, response.status_code, elapsed_ms, request_id)
        return RawResponse(response.status_code, response.headers, body, elapsed_ms)

    def _read(self, response: requests.Response, deadline: float, method: str, path: str) -> bytes:
        request_id = response.headers.get("X-Request-Id")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_response_bytes:
            raise MalformedResponse(
                f"menta answer of {declared} bytes exceeds the limit of {self.max_response_bytes}",
                status=response.status_code,
                request_id=request_id,
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(CHUNK_BYTES):
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise MalformedResponse(
                        f"menta answer exceeds the limit of {self.max_response_bytes} bytes",
                        status=response.status_code,
                        request_id=request_id,
                    )
                if time.monotonic() > deadline:
                    raise Timeout(f"menta answer too slow on {method} {path}", request_id=request_id)
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise Timeout(f"menta answer interrupted on {method} {path}") from exc
        return b"".join(chunks)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
