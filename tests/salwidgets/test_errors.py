"""``salwidgets.errors``: what the client's exceptions say about a failed call."""

from __future__ import annotations

import pytest

from salwidgets import errors


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (errors.Unavailable("menta could not be reached"), "menta could not be reached"),
        (errors.NotFound("Show not found", status=404), "Show not found (HTTP 404)"),
        (
            errors.ValidationFailed("price is required", status=422, request_id="req_1"),
            "price is required (HTTP 422) [request req_1]",
        ),
        (errors.RateLimited("Slow down", retry_after=2.5), "Slow down (HTTP 429)"),
    ],
)
def test_the_message_names_the_status_and_menta_request_id(error: errors.MentaError, text: str) -> None:
    assert str(error) == text


def test_one_base_catches_every_failure_and_a_timeout_is_unavailability() -> None:
    assert issubclass(errors.Timeout, errors.Unavailable)
    for kind in (errors.Unauthorized, errors.ValidationFailed, errors.NotFound, errors.RateLimited, errors.Unavailable):
        assert issubclass(kind, errors.MentaError)
    assert errors.RateLimited("Slow down", retry_after=2.5).retry_after == 2.5
