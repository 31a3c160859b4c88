"""``salwidgets.checks``: each misconfiguration reported at start-up with its stable id."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks


@pytest.mark.django_db
class TestChecks:
    @pytest.mark.parametrize(
        ("overrides", "debug", "check_id"),
        [
            ({"BASE_URL": "api.mentatech.io"}, True, "salwidgets.E002"),
            ({"BASE_URL": "http://menta.example", "API_KEY": "k"}, False, "salwidgets.W003"),
            ({"BASE_URL": "https://api.mentatech.io", "API_KEY": ""}, False, "salwidgets.W002"),
            ({"READ_TIMEOUT": 0}, True, "salwidgets.E003"),
            ({"CONNECT_TIMEOUT": 60}, True, "salwidgets.E003"),
            ({"LINK_HOSTS": ["https://menta.example/"]}, True, "salwidgets.E004"),
            ({"VERIFY_SECRET": ""}, True, "salwidgets.W001"),
            ({"VERIFY_ALLOWED_IPS": ["nonsense"]}, True, "salwidgets.E001"),
            ({"NOT_A_SETTING": 1}, True, "salwidgets.E005"),
            ({"RATE_LIMIT": "60 a minute"}, True, "salwidgets.E006"),
            ({"RATE_LIMIT": "0/m"}, True, "salwidgets.E006"),
            ({}, False, "salwidgets.W004"),  # the tests' per-process cache, DEBUG off
        ],
    )
    def test_each_misconfiguration(self, settings: Any, overrides: dict[str, Any], debug: bool, check_id: str) -> None:
        settings.DEBUG = debug
        settings.SALWIDGETS = {"VERIFY_SECRET": "s", "API_KEY": "k", **overrides}

        assert check_id in [message.id for message in run_checks()]

    def test_the_demo_configuration_is_clean(self, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "VERIFY_SECRET": "s", "CACHE_ALIAS": "sal"}
        settings.CACHES = {
            **settings.CACHES,
            "sal": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1"},
        }

        assert [m.id for m in run_checks() if m.id.startswith("salwidgets")] == []

    def test_a_per_process_cache_is_fine_while_debugging(self, settings: Any) -> None:
        settings.DEBUG = True

        assert "salwidgets.W004" not in [m.id for m in run_checks()]

    def test_the_probe_middleware_must_come_first(self, settings: Any) -> None:
        probes = "salwidgets.probes.ProbeMiddleware"
        rest = [name for name in settings.MIDDLEWARE if name != probes]
        assert "salwidgets.W005" not in [m.id for m in run_checks()]  # the demo's: first

        settings.MIDDLEWARE = [rest[0], probes, *rest[1:]]
        assert "salwidgets.W005" in [m.id for m in run_checks()]
        settings.MIDDLEWARE = rest  # left out: nothing to say
        assert "salwidgets.W005" not in [m.id for m in run_checks()]

    def test_the_preview_hidden_behind_the_admin_is_named(self, settings: Any) -> None:
        assert "salwidgets.W006" not in [m.id for m in run_checks()]  # the demo's order

        settings.ROOT_URLCONF = "tests.salwidgets.shadowed_admin_urls"
        [message] = [m for m in run_checks() if m.id == "salwidgets.W006"]

        assert message.msg.startswith("/admin/sal/ is answered by admin:django.contrib.admin.sites.catch_all_view, not")
