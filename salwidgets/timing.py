"""How long a response spent in salwidgets, as a ``Server-Timing`` header.

Add ``salwidgets.timing.ServerTimingMiddleware`` to ``MIDDLEWARE`` (right after
``salwidgets.probes.ProbeMiddleware``, before the others, so that it sees the whole response) and
every response salwidgets had a part in says how long that part took::

    Server-Timing: sal;dur=0.412;desc="SAL", sal-cpu;dur=0.301;desc="SAL CPU"

On a page of the site, the part is its SAL template tags (``{% sal_buy %}``, ``{% sal_tickets %}``
and the others: what they look up, wait for and render); on salwidgets' own views (fragments,
links, the API), the whole response. ``dur`` is wall time, what the person waited for, a call to
menta included; ``sal-cpu`` is the time the thread ran, what it cost the server (waiting for menta
or for another thread of the process is not in it). Browsers show both in their developer tools'
network timings, and a load test can sum them per page view.

The header tells whoever reads the page how long its SAL part took: where that should stay among
the platform's staff, add the middleware only to the processes they reach, or strip the header at
the proxy.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from django.http import HttpRequest
from django.http.response import HttpResponseBase

ATTRIBUTE = "_salwidgets_timing"
# The URL namespaces of salwidgets' own views, whose whole response is SAL's part.
NAMESPACES = frozenset({"salwidgets", "salwidgets_ownership", "salwidgets_webhooks", "salwidgets_admin"})

Params = ParamSpec("Params")
Result = TypeVar("Result")


@dataclass
class Spent:
    """What a request spent in salwidgets so far, in seconds."""

    wall: float = 0.0
    cpu: float = 0.0
    inside: bool = False  # a timed call is running: the calls it makes are counted in it


def timed(
    function: Callable[Concatenate[HttpRequest, Params], Result],
) -> Callable[Concatenate[HttpRequest, Params], Result]:
    """Count the time of ``function(request, ...)`` in the request's SAL part, when the
    middleware asked for it (otherwise one dictionary lookup)."""

    @functools.wraps(function)
    def wrapper(request: HttpRequest, /, *args: Params.args, **kwargs: Params.kwargs) -> Result:
        spent: Spent | None = request.__dict__.get(ATTRIBUTE)
        if spent is None or spent.inside:
            return function(request, *args, **kwargs)
        spent.inside = True
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return function(request, *args, **kwargs)
        finally:
            spent.cpu += time.thread_time() - cpu
            spent.wall += time.perf_counter() - wall
            spent.inside = False

    return wrapper


def header(spent: Spent) -> str:
    return f'sal;dur={spent.wall * 1000:.3f};desc="SAL", sal-cpu;dur={spent.cpu * 1000:.3f};desc="SAL CPU"'


class ServerTimingMiddleware:
    """Adds ``Server-Timing`` with salwidgets' part of the response (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        spent = request.__dict__[ATTRIBUTE] = Spent()
        wall, cpu = time.perf_counter(), time.thread_time()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and NAMESPACES.intersection(match.namespaces):
            spent.wall, spent.cpu = time.perf_counter() - wall, time.thread_time() - cpu
        elif not spent.wall:
            return response  # salwidgets had no part in it
        timing = header(spent)
        existing = response.get("Server-Timing")
        response["Server-Timing"] = f"{existing}, {timing}" if existing else timing
        return response
