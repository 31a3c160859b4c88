"""Metrics for Prometheus, in its text format at ``/metrics`` (``salwidgets.probes.ProbeMiddleware``).

Counters and histograms are prometheus_client's. Under gunicorn, set ``PROMETHEUS_MULTIPROC_DIR``
to an empty directory for the site's processes (before they start): each worker then writes its
own counts to a file there, and a scrape, answered by any worker, sums them all. Without it (one
process, ``runserver``) the counts are that process's.

The breaker's state and the outbox's queue are read when Prometheus scrapes (from the shared cache
and the database), so they are the site's, whichever worker answers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

MENTA_CALLS = Counter(
    "salwidgets_menta_calls",
    "Calls to menta by endpoint (its path, ids left out) and outcome (ok, or the error's kind).",
    ["endpoint", "outcome"],
)
MENTA_SECONDS = Histogram(
    "salwidgets_menta_call_seconds",
    "How long calls to menta took, retries included, by endpoint.",
    ["endpoint"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
)
CACHE = Counter(
    "salwidgets_cache_lookups", "SAL answers looked up in the cache, by result (hit, stale or miss).", ["result"]
)
FALLBACKS = Counter("salwidgets_fallbacks", "Fallbacks rendered instead of menta's components.")
DROPPED = Counter("salwidgets_components_dropped", "Components menta sent that could not be rendered safely.")
WEBHOOKS = Counter(
    "salwidgets_webhook_deliveries", "Webhook calls received, by action and outcome.", ["action", "outcome"]
)
RATE_LIMITED = Counter("salwidgets_rate_limited_requests", "Requests refused by the per-client limit on menta calls.")
OUTBOX = Counter(
    "salwidgets_outbox_items",
    "Outbox items the worker handled, by outcome (delivered, retrying, failed, superseded).",
    ["outcome"],
)

# The words of menta's paths: any other segment is an id, and is named {id} (so that the series
# do not grow with the catalogue).
_WORDS = re.compile(r"^(v1|[a-zA-Z]+(-[a-z]+)*)$")
PATH_WORDS = frozenset(
    [
        "v1",
        "marketdata",
        "ticket-leads",
        "bulk",
        "users",
        "wrapper",
        "accesslayer",
        "auth",
        "oneTimeToken",
        "marketplace",
        "buyingflow",
        "url",
        "entrypoint",
        "sellingflow",
        "order",
        "details",
        "events",
        "tickets",
        "salePublicUrl",
        "listings",
        "ticket",
        "items",
        "listedTickets",
        "buyIntention",
        "checkout",
        "cancellation",
        "rules",
        "sync",
        "eventAdmission",
        "batch",
        "inventory",
    ]
)


def endpoint(method: str, path: str) -> str:
    """``GET /v1/tickets/{id}``: the call's method and path, each id replaced by ``{id}``."""
    segments = [
        segment if segment in PATH_WORDS and _WORDS.match(segment) else "{id}"
        for segment in path.split("?", 1)[0].strip("/").split("/")
    ]
    return f"{method} /{'/'.join(segments)}"


def observe_call(method: str, path: str, seconds: float, outcome: str) -> None:
    name = endpoint(method, path)
    MENTA_CALLS.labels(endpoint=name, outcome=outcome).inc()
    MENTA_SECONDS.labels(endpoint=name).observe(seconds)


def outcome_of(error: BaseException | None) -> str:
    """``ok``, or the kind of error (``unavailable``, ``timeout``, ``unauthorized``...)."""
    if error is None:
        return "ok"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()


class _SiteState(Collector):
    """What is read at scrape time: the breaker, and the outbox's queue."""

    def collect(self) -> Iterator[Any]:
        from salwidgets import breaker
        from salwidgets.models import UNFINISHED, OutboxItem

        state = breaker.state(fresh=True)
        opened = GaugeMetricFamily("salwidgets_breaker_open", "1 while the breaker holds calls to menta off.")
        opened.add_metric([], 1.0 if state.name == "open" else 0.0)
        yield opened
        failures = GaugeMetricFamily("salwidgets_breaker_failures", "menta's failures in a row.")
        failures.add_metric([], float(state.failures))
        yield failures

        items = GaugeMetricFamily(
            "salwidgets_outbox_queue", "Outbox items not yet delivered, by kind and status.", labels=["kind", "status"]
        )
        rows = (
            OutboxItem.objects.filter(status__in=(*UNFINISHED, OutboxItem.Status.FAILED))
            .values("kind", "status")
            .annotate(total=Count("id"), oldest=Min("created_at"))
            .order_by()
        )
        oldest = None
        for row in rows:
            items.add_metric([row["kind"], row["status"]], float(row["total"]))
            if row["status"] in UNFINISHED and (oldest is None or row["oldest"] < oldest):
                oldest = row["oldest"]
        yield items
        age = GaugeMetricFamily(
            "salwidgets_outbox_oldest_pending_seconds", "Age of the oldest item still waiting for menta (0: none)."
        )
        age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
        yield age


def exposition() -> bytes:
    """Every metric, in Prometheus' text format."""
    registry = CollectorRegistry()
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        for metric in (MENTA_CALLS, MENTA_SECONDS, CACHE, FALLBACKS, DROPPED, WEBHOOKS, RATE_LIMITED, OUTBOX):
            registry.register(metric)
    registry.register(_SiteState())
    return generate_latest(registry)
