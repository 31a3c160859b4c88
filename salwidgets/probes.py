"""Health probes for load balancers and orchestrators (liveness, readiness), and Prometheus' scrape.

``ProbeMiddleware`` answers two paths before any other middleware runs, so that a probe is never
redirected to HTTPS, refused for its Host header (a load balancer probes by address), given a
session, or counted by a rate limit:

- ``GET /healthz`` (liveness): 200 as long as the process answers; it touches nothing.
- ``GET /readyz`` (readiness): 200 when each of the site's databases answers ``SELECT 1`` and
  each of its caches gives back what was just put in it; 503 with the failing checks otherwise.

menta's state is deliberately not part of either: a menta outage is served from the cache or the
fallback, and taking every node out of service because of it would turn a degraded feature into a
site outage. menta's and the outbox's health are for people and alerts (the admin's health view,
``manage.py sal_ping``, and ``GET /metrics``, see ``salwidgets.monitoring``).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Iterable

from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from salwidgets.conf import get_config
from salwidgets.ownership import networks, within

PROBE_KEY = "salwidgets:readyz:"


def _aliases(configured: Iterable[str] | None, known: Iterable[str]) -> list[str]:
    return list(known) if configured is None else list(configured)


def _database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 did not answer 1")


def _cache(alias: str) -> None:
    # A cache that ignores its backend's errors (django-redis' IGNORE_EXCEPTIONS) answers None:
    # only getting back the value just set proves that it answers.
    backend = caches[alias]
    key, value = PROBE_KEY + uuid.uuid4().hex, uuid.uuid4().hex
    backend.set(key, value, timeout=10)
    try:
        if backend.get(key) != value:
            raise RuntimeError("it did not give back the value just set")
    finally:
        backend.delete(key)


def readiness() -> dict[str, str]:
    """Each check by name ("database:<alias>", "cache:<alias>") with "ok" or what went wrong."""
    config = get_config()
    checks: list[tuple[str, Callable[[str], None], str]] = [
        *(("database", _database, alias) for alias in _aliases(config["READY_DATABASES"], connections)),
        *(("cache", _cache, alias) for alias in _aliases(config["READY_CACHES"], caches)),
    ]
    results = {}
    for kind, check, alias in checks:
        try:
            check(alias)
        except Exception as exc:  # noqa: BLE001 (any failure is the answer; its type says which)
            # The exception's type and first line: enough to act on, no connection string.
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            results[f"{kind}:{alias}"] = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
        else:
            results[f"{kind}:{alias}"] = "ok"
    return results


def _probe(answer: HttpResponse) -> HttpResponse:
    answer["Cache-Control"] = "no-store"
    return answer


def liveness_view(request: HttpRequest) -> HttpResponse:
    return _probe(HttpResponse("ok\n", content_type="text/plain; charset=utf-8"))


def readiness_view(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    ready = all(result == "ok" for result in checks.values())
    return _probe(JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503))


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape: for the allowed addresses, or the bearer of the metrics token."""
    from salwidgets import monitoring

    config = get_config()
    token = config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    by_token = bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    by_address = within(request.META.get("REMOTE_ADDR", ""), networks(config["METRICS_ALLOWED_IPS"]))
    if not (by_token or by_address):
        refused = HttpResponse(
            "Metrics are served to the addresses in SALWIDGETS['METRICS_ALLOWED_IPS'], or with "
            "'Authorization: Bearer <METRICS_TOKEN>'.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
        return _probe(refused)
    return _probe(HttpResponse(monitoring.exposition(), content_type=monitoring.CONTENT_TYPE))


class ProbeMiddleware:
    """Answers the liveness, readiness and metrics paths; put it first in ``MIDDLEWARE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        config = get_config()
        views = {
            config["LIVENESS_PATH"]: liveness_view,
            config["READINESS_PATH"]: readiness_view,
            config["METRICS_PATH"]: metrics_view,
        }
        view = views.get(request.path_info)
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            answer = HttpResponse("Probes answer GET and HEAD.\n", status=405, content_type="text/plain")
            answer["Allow"] = "GET, HEAD"
            return answer
        answer = view(request)
        if request.method == "HEAD":
            answer.content = b""
        return answer
