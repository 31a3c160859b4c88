"""The exceptions the menta client raises: one base carrying what a caller needs."""

from __future__ import annotations


class MentaError(Exception):
    """Base of every error the client raises.

    ``status`` is the HTTP status (``None`` when no answer arrived), ``message`` the
    upstream's own message where it sent one, ``request_id`` the upstream's request id.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status})")
        if self.request_id:
            parts.append(f"[request {self.request_id}]")
        return " ".join(parts)


class Unauthorized(MentaError):
    """The API key is missing or wrong (401/403)."""


class ValidationFailed(MentaError):
    """menta refused the request's content (400/422); ``message`` is menta's."""


class NotFound(MentaError):
    """menta does not know the event, show, ticket or listing (404)."""


class RateLimited(MentaError):
    """Too many requests (429); ``retry_after`` is the wait menta asked for, in seconds."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, request_id=request_id)
        self.retry_after = retry_after


class Unavailable(MentaError):
    """menta could not be reached or failed (connection error, timeout, 5xx)."""


class Timeout(Unavailable):
    """menta did not answer within the configured time."""


class MalformedResponse(MentaError):
    """menta answered, but not with the envelope of the contract (or with too much)."""
