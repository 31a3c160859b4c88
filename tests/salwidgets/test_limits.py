"""``salwidgets.limits``: one client's calls to menta counted against ``RATE_LIMIT``."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from salwidgets import limits

pytestmark = pytest.mark.django_db


def request(address: str = "203.0.113.5", user: Any = None) -> Any:
    made = RequestFactory().get("/sal/fragments/buy/", REMOTE_ADDR=address)
    made.user = user or AnonymousUser()
    return made


def test_the_call_beyond_the_rate_is_limited_with_the_seconds_to_wait(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "2/m"}

    verdicts = [limits.check(request()) for _ in range(3)]

    assert [verdict.limited for verdict in verdicts] == [False, False, True]
    assert 1 <= verdicts[2].retry_after <= 60


def test_each_address_and_each_person_is_counted_on_its_own(settings: Any, django_user_model: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "1/m"}
    alice = django_user_model.objects.create_user("alice", "alice@example.com", "pw")
    bob = django_user_model.objects.create_user("bob", "bob@example.com", "pw")

    first = [limits.check(request("203.0.113.5")), limits.check(request("203.0.113.6"))]
    people = [limits.check(request("203.0.113.5", alice)), limits.check(request("203.0.113.5", bob))]

    assert [verdict.limited for verdict in first + people] == [False, False, False, False]
    assert limits.check(request("203.0.113.5", alice)).limited


def test_no_rate_limits_no_one(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": None}

    assert not any(limits.check(request()).limited for _ in range(100))


def test_a_cache_that_fails_limits_no_one(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "1/m"}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    settings.RATELIMIT_USE_CACHE = "default"

    assert [limits.check(request()).limited for _ in range(3)] == [False, False, False]
