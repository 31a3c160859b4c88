"""The probes a load balancer calls: /healthz answers without touching anything, /readyz checks
the site's own databases and caches and never menta."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from salwidgets.testing import SandboxControl

pytestmark = pytest.mark.django_db

# A Redis nobody listens on, behind django-redis told to ignore its errors (as the demo's cache
# is): every call "succeeds" and gives back nothing.
SILENT_REDIS = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
}


def test_liveness_answers_a_load_balancer_by_address_over_http_without_touching_anything(
    client: Client, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.SECURE_SSL_REDIRECT = True  # production: every other page redirects to https
    settings.ALLOWED_HOSTS = ["tickets.example"]

    with django_assert_num_queries(0):
        answer = client.get("/healthz", HTTP_HOST="10.0.3.7")

    assert answer.status_code == 200 and answer.content == b"ok\n"
    assert answer["Cache-Control"] == "no-store"
    assert not answer.cookies  # no session, no CSRF cookie
    assert client.get("/", HTTP_HOST="10.0.3.7").status_code == 400  # the rest of the site refuses that host


def test_readiness_lists_each_database_and_cache(client: Client) -> None:
    answer = client.get("/readyz")

    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    assert answer.json() == {"ready": True, "checks": {"database:default": "ok", "cache:default": "ok"}}


def test_a_cache_that_does_not_answer_makes_the_node_unready(client: Client, settings: Any) -> None:
    settings.CACHES = {**settings.CACHES, "sessions": SILENT_REDIS}

    answer = client.get("/readyz", HTTP_HOST="10.0.3.7")

    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["database:default"] == "ok" and checks["cache:default"] == "ok"
    assert checks["cache:sessions"] == "RuntimeError: it did not give back the value just set"
    assert answer.json()["ready"] is False


def test_the_caches_a_site_survives_without_can_be_left_out(client: Client, settings: Any) -> None:
    settings.CACHES = {**settings.CACHES, "sessions": SILENT_REDIS}
    settings.SALWIDGETS = {**settings.SALWIDGETS, "READY_CACHES": ["default"]}

    assert client.get("/readyz").json() == {"ready": True, "checks": {"database:default": "ok", "cache:default": "ok"}}


def test_menta_down_makes_no_node_unready(client: Client, site_menta: SandboxControl) -> None:
    site_menta.faults(mode="down")

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert site_menta.faults(mode="hang")
    assert client.get("/readyz").status_code == 200


def test_probes_take_get_and_head_only(client: Client) -> None:
    head = client.head("/readyz")
    assert head.status_code == 200 and head.content == b""
    refused = client.post("/healthz")
    assert refused.status_code == 405 and refused["Allow"] == "GET, HEAD"


@hypothesis.settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=20))
def test_near_misses_are_the_sites_pages_never_a_500(client: Client, suffix: str) -> None:
    for base in ("/healthz", "/readyz"):
        answer = client.get(base + suffix.replace("?", "").replace("#", ""))
        assert answer.status_code < 500
