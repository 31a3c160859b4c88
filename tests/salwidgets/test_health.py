"""``salwidgets.health``: menta asked once, the breaker and the cache read, the outbox counted."""

from __future__ import annotations

from typing import Any

import pytest

from salwidgets import breaker, health
from tests.conftest import SandboxControl

pytestmark = pytest.mark.django_db


def test_healthy_when_menta_answers_and_the_cache_works(site_menta: SandboxControl) -> None:
    site_menta.reset_stats()

    found = health.check()

    assert found.ok and found.menta_reachable and found.menta_error is None
    assert found.breaker == "closed" and found.cache_ok
    assert site_menta.stats() == {"GET /v1/wrapper/accesslayer": 1}
    assert found.as_dict()["ok"] is True


def test_menta_down_is_reported_with_its_error_even_with_the_breaker_open(
    site_menta: SandboxControl, settings: Any
) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "BREAKER_FAILURES": 1, "MAX_RETRIES": 0}
    breaker.record_failure()
    site_menta.faults(mode="down")

    found = health.check()

    assert not found.ok and not found.menta_reachable and "503" in (found.menta_error or "")
    assert found.breaker == "open"


def test_a_cache_that_fails_is_reported(site_menta: SandboxControl, settings: Any) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "dead": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    settings.SALWIDGETS = {**settings.SALWIDGETS, "CACHE_ALIAS": "dead"}

    found = health.check()

    assert not found.cache_ok and not found.ok and "RedisCache" in found.cache_backend
