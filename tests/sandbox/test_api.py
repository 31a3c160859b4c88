"""The sandbox's contract answers, straight over HTTP: the envelope and the exact messages."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.conftest import SandboxControl


def refused(status: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"status": status, "data": None, "errors": {"message": message}}


class TestSellability:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"tickets": [{"ticketId": "T1"}]}, "user is required"),
            ({"user": "a@example.com", "tickets": []}, "tickets must contain at least one ticket"),
            ({"user": "a@example.com", "orders": []}, "orders must contain at least one order"),
            ({"user": "a@example.com"}, "tickets must contain at least one ticket"),
            (
                {"user": "a@example.com", "tickets": [{"ticketId": "T"}], "orders": [{"orderId": "O"}]},
                "send either tickets or orders, not both",
            ),
            ({"user": "a@example.com", "tickets": [{"ticketId": "T"}] * 101}, "at most 100 tickets per request"),
            ({"user": "a@example.com", "orders": [{"orderId": "O"}] * 101}, "at most 100 orders per request"),
            ({"user": "a@example.com", "tickets": [{"id": "T"}]}, "each of tickets needs a ticketId"),
        ],
    )
    def test_refused_bodies(self, sandbox: SandboxControl, body: dict[str, Any], message: str) -> None:
        assert sandbox.call("POST", "/v1/wrapper/accesslayer", json=body) == refused(400, message)

    def test_a_body_that_is_not_json(self, sandbox: SandboxControl) -> None:
        assert sandbox.call("POST", "/v1/wrapper/accesslayer", data="{tickets") == refused(
            400, "body is not valid JSON"
        )


class TestBulk:
    def test_more_than_50_pairs_is_refused(self, sandbox: SandboxControl) -> None:
        body = [{"eventId": "e", "showIds": [f"s{n}" for n in range(30)]}, {"eventId": "f", "showIds": ["a"] * 21}]

        answer = sandbox.call("POST", "/v1/wrapper/accesslayer/bulk", params={"type": "buy"}, json=body)

        assert answer == refused(400, "at most 50 event/show pairs per request")

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ([{"showIds": ["s"]}], "each item needs an eventId"),
            ([{"eventId": "e", "showIds": []}], "each item needs at least one show id in showIds"),
            ([], "send at least one event with its showIds"),
            ({"eventId": "e"}, "body must be a JSON array"),
        ],
    )
    def test_refused_items(self, sandbox: SandboxControl, body: Any, message: str) -> None:
        assert sandbox.call("POST", "/v1/wrapper/accesslayer/bulk", params={"type": "buy"}, json=body) == refused(
            400, message
        )


class TestTransport:
    def test_missing_key_is_401_in_the_envelope(self, sandbox: SandboxControl) -> None:
        answer = requests.get(f"{sandbox.url}/v1/wrapper/accesslayer", params={"type": "sell"}, timeout=5)

        assert (answer.status_code, answer.json()) == refused(401, "Unauthorized")

    def test_every_answer_has_a_request_id(self, sandbox: SandboxControl) -> None:
        answer = requests.get(f"{sandbox.url}/v1/wrapper/accesslayer", params={"type": "sell"}, timeout=5)

        assert len(answer.headers["X-Request-Id"]) == 32

    def test_unknown_path_and_method(self, sandbox: SandboxControl) -> None:
        assert sandbox.call("GET", "/v1/nothing/here") == refused(404, "Not found")
        assert sandbox.call("DELETE", "/v1/wrapper/accesslayer") == refused(405, "Method DELETE not allowed")


class TestControl:
    def test_stats_count_by_method_and_path_template(self, sandbox: SandboxControl) -> None:
        sandbox.reset_stats()

        sandbox.call("GET", "/v1/wrapper/accesslayer", params={"type": "sell"})
        sandbox.call("GET", "/v1/wrapper/accesslayer", params={"type": "sell"})
        sandbox.call("DELETE", "/v1/tickets/T-1")
        sandbox.call("PUT", "/v1/marketdata/events/E-1/inventory", json={})

        assert sandbox.stats() == {
            "GET /v1/wrapper/accesslayer": 2,
            "DELETE /v1/tickets/:ticketId": 1,
            "PUT /v1/marketdata/events/:externalReferenceId/inventory": 1,
        }
        sandbox.reset_stats()
        assert sandbox.stats() == {}

    def test_faults_read_change_and_restore(self, sandbox: SandboxControl) -> None:
        normal = {"mode": "normal", "latencyMs": 0, "errorRate": 0.0}
        assert requests.get(f"{sandbox.url}/__sandbox/faults", timeout=5).json() == normal

        assert sandbox.faults(mode="down", latencyMs=150) == {"mode": "down", "latencyMs": 150, "errorRate": 0.0}
        assert sandbox.faults(errorRate=0.5) == {"mode": "down", "latencyMs": 150, "errorRate": 0.5}
        sandbox.restore()
        assert requests.get(f"{sandbox.url}/__sandbox/faults", timeout=5).json() == normal

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"mode": "sideways"}, "mode must be one of: normal, down, hang, malformed, oversized"),
            ({"latencyMs": -1}, "latencyMs must be an integer from 0 to 600000"),
            ({"errorRate": 2}, "errorRate must be a number from 0 to 1"),
            ({"speed": 1}, "unknown field(s): speed"),
        ],
    )
    def test_bad_faults_are_refused_and_change_nothing(
        self, sandbox: SandboxControl, body: dict[str, Any], message: str
    ) -> None:
        answer = requests.put(f"{sandbox.url}/__sandbox/faults", json=body, timeout=5)

        assert (answer.status_code, answer.json()) == (400, {"message": message})
        assert requests.get(f"{sandbox.url}/__sandbox/faults", timeout=5).json()["mode"] == "normal"

    def test_control_api_is_not_faulted(self, sandbox: SandboxControl) -> None:
        sandbox.faults(mode="hang")

        assert requests.get(f"{sandbox.url}/__sandbox/stats", timeout=5).status_code == 200
