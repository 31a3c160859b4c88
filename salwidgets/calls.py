"""A call to menta made for a page: through the circuit breaker, within the time a page may
wait (``fetch_seconds()``, retries included). What ``answers`` reads through its cache and what
``handoffs`` asks at a click both go through here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from salwidgets import breaker, metrics, transport
from salwidgets.conf import call_seconds
from salwidgets.errors import MentaError, NotFound, ValidationFailed

T = TypeVar("T")


class Skipped(Exception):
    """The breaker is open: menta was not called."""


def fetch_seconds() -> float:
    """The longest a call made for a page takes, the client's retries included: one call's
    connect and read timeouts."""
    return call_seconds()


def guarded(call: Callable[[], T]) -> T:
    """Call menta through the breaker, within ``fetch_seconds()``; outages count against the
    breaker, refusals and 404s do not."""
    if not breaker.allow():
        raise Skipped
    metrics.count("calls")
    try:
        with transport.deadline(fetch_seconds()), transport.retrying_while(breaker.still_closed):
            result = call()
    except (NotFound, ValidationFailed):  # menta answered: it is up
        breaker.record_success()
        raise
    except MentaError:
        breaker.record_failure()
        raise
    breaker.record_success()
    return result
