"""Retries, timeouts and faults: the client against each fault mode of the running sandbox."""

from __future__ import annotations

import time

import pytest

from salwidgets import transport
from salwidgets.errors import MalformedResponse, RateLimited, Timeout, Unavailable
from salwidgets.transport import Transport
from tests.conftest import SandboxControl, World, make_client
from tests.support.upstream import ScriptedUpstream

SAL = "GET /v1/wrapper/accesslayer"


class TestFaults:
    def test_down_is_unavailable_after_bounded_retries(self, sandbox: SandboxControl) -> None:
        menta = make_client(sandbox.url, max_retries=2)
        sandbox.faults(mode="down")
        sandbox.reset_stats()

        with pytest.raises(Unavailable) as failed:
            menta.access_layer("sell")

        assert failed.value.status == 503
        assert sandbox.stats()[SAL] == 3

    def test_unsafe_calls_are_not_retried(self, sandbox: SandboxControl) -> None:
        menta = make_client(sandbox.url, max_retries=2)
        sandbox.faults(mode="down")
        sandbox.reset_stats()

        with pytest.raises(Unavailable):
            menta.one_time_token("alice@example.com")

        assert sandbox.stats()["GET /v1/auth/oneTimeToken"] == 1

    def test_retries_stop_at_the_retry_budget(self, sandbox: SandboxControl) -> None:
        menta = make_client(sandbox.url, max_retries=50, retry_budget=0.3, backoff_base=0.1, backoff_cap=0.1)
        sandbox.faults(mode="down")
        sandbox.reset_stats()

        with pytest.raises(Unavailable):
            menta.access_layer("sell")

        assert 2 <= sandbox.stats()[SAL] <= 7

    def test_retries_and_their_waits_stop_at_the_deadline(self, sandbox: SandboxControl) -> None:
        menta = make_client(sandbox.url, max_retries=50, retry_budget=30, backoff_base=0.05, backoff_cap=0.05)
        sandbox.faults(mode="down", latencyMs=100)
        sandbox.reset_stats()

        with pytest.raises(Unavailable), transport.deadline(0.5) as deadline:
            menta.access_layer("sell")

        # Each attempt takes 100 ms and each wait 25-50 ms: 3 or 4 fit in the half second, not 50.
        assert time.monotonic() < deadline + 0.1
        assert 2 <= sandbox.stats()[SAL] <= 4

    def test_an_attempt_past_the_deadline_is_not_made(self, sandbox: SandboxControl) -> None:
        menta = make_client(sandbox.url)
        sandbox.reset_stats()

        with pytest.raises(Timeout), transport.deadline(0):
            menta.access_layer("sell")

        assert sandbox.stats() == {}

    def test_a_hanging_attempt_is_let_go_at_the_deadline(self, sandbox: SandboxControl) -> None:
        menta = make_client(sandbox.url, connect_timeout=5, read_timeout=5)
        sandbox.faults(mode="hang")

        with pytest.raises(Timeout), transport.deadline(0.3) as deadline:
            menta.access_layer("sell")

        assert time.monotonic() < deadline + 0.5  # not the 5 s read timeout

    def test_hang_times_out_within_the_configured_timeouts(self, sandbox: SandboxControl) -> None:
        menta = make_client(sandbox.url, connect_timeout=0.5, read_timeout=0.5)
        sandbox.faults(mode="hang")
        sandbox.reset_stats()

        started = time.monotonic()
        with pytest.raises(Timeout):
            menta.access_layer("sell")
        waited = time.monotonic() - started

        # A generous bound: what matters is that the caller is let go, not held until menta answers.
        assert waited < 0.5 + 0.5 + 2
        assert sandbox.stats()[SAL] == 1

    def test_malformed_json(self, sandbox: SandboxControl) -> None:
        sandbox.faults(mode="malformed")

        with pytest.raises(MalformedResponse, match="not a valid envelope"):
            make_client(sandbox.url).access_layer("sell")

    def test_oversized_answer_is_refused_without_reading_it_all(self, sandbox: SandboxControl) -> None:
        sandbox.faults(mode="oversized")

        with pytest.raises(MalformedResponse, match="exceeds the limit of 2097152 bytes"):
            make_client(sandbox.url).access_layer("sell")

    def test_error_rate_turns_answers_into_500(self, sandbox: SandboxControl) -> None:
        sandbox.faults(errorRate=1.0)

        with pytest.raises(Unavailable) as failed:
            make_client(sandbox.url, max_retries=0).access_layer("sell")

        assert (failed.value.status, failed.value.message) == (500, "Internal server error")

    def test_latency_is_added_and_then_normal_again(self, sandbox: SandboxControl, world: World) -> None:
        menta = make_client(sandbox.url, read_timeout=0.2)
        sandbox.faults(latencyMs=1000)

        with pytest.raises(Timeout):
            menta.access_layer("sell")
        sandbox.restore()

        assert menta.access_layer("sell").components

    def test_nothing_listening_is_unavailable(self) -> None:
        with pytest.raises(Unavailable, match="menta unreachable"):
            make_client("http://127.0.0.1:9", max_retries=0).access_layer("sell")


class TestBackoff:
    def test_capped_with_jitter(self) -> None:
        transport = Transport(base_url="http://x", api_key="k", backoff_base=0.1, backoff_cap=0.5)

        waits = [transport.backoff(attempt) for attempt in (0, 1, 2, 3, 10)]

        assert 0.05 <= waits[0] <= 0.1
        assert 0.1 <= waits[1] <= 0.2
        assert all(0.25 <= wait <= 0.5 for wait in waits[3:])


LIMITED = (429, {"Retry-After": "0.2"}, b'{"status": 429, "data": null, "errors": {"message": "Too many requests"}}')
SELL_OK = (200, {}, b'{"status": 200, "data": {"type": "sell", "components": []}, "errors": null}')


class TestRateLimits:
    def test_retry_after_is_honoured_when_it_fits_the_budget(self) -> None:
        upstream = ScriptedUpstream([LIMITED, SELL_OK])
        waits: list[float] = []
        try:
            answer = make_client(upstream.url, sleep=waits.append).access_layer("sell")
        finally:
            upstream.close()

        assert answer.type == "sell"
        assert waits == [0.2]
        assert upstream.requests == 2

    def test_a_wait_beyond_the_budget_is_left_to_the_caller(self) -> None:
        far = (429, {"Retry-After": "30"}, LIMITED[2])
        upstream = ScriptedUpstream([far])
        waits: list[float] = []
        try:
            with pytest.raises(RateLimited) as limited:
                make_client(upstream.url, sleep=waits.append).access_layer("sell")
        finally:
            upstream.close()

        assert (limited.value.retry_after, waits, upstream.requests) == (30.0, [], 1)

    def test_server_errors_without_an_envelope(self) -> None:
        upstream = ScriptedUpstream([(502, {}, b"<html>Bad gateway</html>")])
        try:
            with pytest.raises(Unavailable, match="HTTP 502"):
                make_client(upstream.url, max_retries=1, sleep=lambda _: None).access_layer("sell")
        finally:
            upstream.close()

        assert upstream.requests == 2
