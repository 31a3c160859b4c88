"""How often one client may make the site call menta through salwidgets' public endpoints.

Only requests that would call menta count (a lazy fragment whose answer is not cached, a click
that mints a one-time token): pages served from the cache are never limited. A client is the
signed-in person, else the address the request came from (through ``VERIFY_TRUSTED_PROXIES``).
Counting is django-ratelimit's, on the site's cache; when that cache does not answer, nobody is
limited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from salwidgets import monitoring
from salwidgets.conf import get_config
from salwidgets.ownership import client_address

logger = logging.getLogger("salwidgets")
GROUP = "salwidgets.menta-calls"
R = TypeVar("R")


@dataclass(frozen=True)
class Verdict:
    limited: bool
    retry_after: int = 0


def _client(group: str, request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"address:{client_address(request)}"


def check(request: HttpRequest, calls: int = 1) -> Verdict:
    """Count ``calls`` calls to menta for this request's client; ``limited`` when they are too many
    (a request naming 1,000 tickets costs the ten calls menta is asked, not one)."""
    rate = get_config()["RATE_LIMIT"]
    if not rate:
        return Verdict(False)
    usage = None
    try:
        for _call in range(max(1, calls)):
            usage = get_usage(request, group=GROUP, key=_client, rate=rate, increment=True)
    except Exception as exc:  # noqa: BLE001 (a cache that raises must not turn pages into errors)
        logger.warning("Rate limit not counted, the cache failed: %r", exc)
        return Verdict(False)
    # A limit of 0 is django-ratelimit saying the cache did not answer (a real rate is >= 1).
    if usage is None or not usage["limit"] or not usage["should_limit"]:
        return Verdict(False)
    monitoring.RATE_LIMITED.inc()
    return Verdict(True, max(1, int(usage["time_left"])))


def answer(request: HttpRequest, ask: Callable[[bool], R], calls: Callable[[R], int], failed: R) -> tuple[R, Verdict]:
    """What the cache has (``ask(False)``); else menta's answer (``ask(True)``), unless this client
    made the site call menta too often: then ``failed`` (the fallback) and a limited verdict.
    ``calls`` says how many calls to menta the part of a result not at hand takes (0: none)."""
    result = ask(False)
    needed = calls(result)
    if not needed:
        return result, Verdict(False)
    verdict = check(request, needed)
    return (failed if verdict.limited else ask(True)), verdict


def calls(count: int, per_call: int) -> int:
    """The calls ``count`` items take, ``per_call`` at a time."""
    return -(-count // per_call)
