"""``/metrics``: Prometheus' text format, for the addresses and the token the operator allows,
with menta's calls, the cache, the breaker and the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import hypothesis
import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from salwidgets import breaker, monitoring
from salwidgets.client import get_client
from salwidgets.errors import Unavailable
from salwidgets.models import OutboxItem
from salwidgets.testing import SandboxControl

pytestmark = pytest.mark.django_db


def scrape(client: Client, **extra: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", **extra)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == monitoring.CONTENT_TYPE and answer["Cache-Control"] == "no-store"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.content.decode())
        for sample in family.samples
    }


def test_a_call_to_menta_is_counted_and_timed(client: Client, site_menta: SandboxControl) -> None:
    call = ("salwidgets_menta_calls_total", (("endpoint", "GET /v1/wrapper/accesslayer"), ("outcome", "ok")))
    timed = ("salwidgets_menta_call_seconds_count", (("endpoint", "GET /v1/wrapper/accesslayer"),))
    before = scrape(client)

    get_client().access_layer("sell")
    site_menta.faults(mode="down")
    with pytest.raises(Unavailable):
        get_client().access_layer("sell")
    after = scrape(client)

    assert after[call] == before.get(call, 0) + 1
    assert after[timed] == before.get(timed, 0) + 2
    unavailable = (
        "salwidgets_menta_calls_total",
        (("endpoint", "GET /v1/wrapper/accesslayer"), ("outcome", "unavailable")),
    )
    assert after[unavailable] == before.get(unavailable, 0) + 1


def test_the_breaker_and_the_outbox_as_they_are_at_the_scrape(client: Client, settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "BREAKER_FAILURES": 1}
    OutboxItem.objects.create(
        kind="lead", key="l1", lane="l1", payload={}, created_at=timezone.now() - timedelta(minutes=10)
    )
    OutboxItem.objects.create(kind="lead", key="l2", lane="l2", payload={}, status="failed")
    OutboxItem.objects.create(kind="ticket", key="t1", lane="t1", payload={}, status="delivered")

    assert scrape(client)[("salwidgets_breaker_open", ())] == 0
    breaker.record_failure()
    found = scrape(client)

    assert found[("salwidgets_breaker_open", ())] == 1 and found[("salwidgets_breaker_failures", ())] == 1
    assert found[("salwidgets_outbox_queue", (("kind", "lead"), ("status", "pending")))] == 1
    assert found[("salwidgets_outbox_queue", (("kind", "lead"), ("status", "failed")))] == 1
    assert not any(name == "salwidgets_outbox_queue" and ("status", "delivered") in labels for name, labels in found)
    assert 600 <= found[("salwidgets_outbox_oldest_pending_seconds", ())] < 700


def test_served_to_the_allowed_addresses_or_the_bearer_of_the_token(client: Client, settings: Any) -> None:
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    refused = client.get("/metrics", **stranger)
    assert refused.status_code == 403 and b"METRICS_ALLOWED_IPS" in refused.content
    assert b"salwidgets" not in refused.content

    settings.SALWIDGETS = {**settings.SALWIDGETS, "METRICS_TOKEN": "scrape-me"}
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **stranger).status_code == 403
    scrape(client, HTTP_AUTHORIZATION="Bearer scrape-me", **stranger)

    settings.SALWIDGETS = {**settings.SALWIDGETS, "METRICS_ALLOWED_IPS": ["203.0.113.0/24"], "METRICS_TOKEN": ""}
    scrape(client, **stranger)
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 no longer listed


WORDS = sorted(monitoring.PATH_WORDS)


@hypothesis.settings(max_examples=200)
@given(
    segments=st.lists(
        st.one_of(
            st.sampled_from(WORDS), st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s and "?" not in s)
        ),
        max_size=6,
    )
)
def test_an_endpoint_label_is_made_of_menta_words_and_id_alone(segments: list[str]) -> None:
    """Whatever ids a path carries, the label is one of a bounded set: menta's words or ``{id}``."""
    label = monitoring.endpoint("GET", "/" + "/".join(segments))

    assert label.startswith("GET /")
    assert all(part in monitoring.PATH_WORDS or part == "{id}" for part in label[5:].split("/") if part)
