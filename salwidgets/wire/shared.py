"""What every section of menta's wire format reads with: errors, the envelope, small values and field helpers."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

logger = logging.getLogger("salwidgets.wire")


class WireError(ValueError):
    """An answer does not have the shape the contract gives it."""


# --- envelope -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    status: int
    data: Any
    error_message: str | None


def parse_envelope(body: Any) -> Envelope:
    if not isinstance(body, dict) or "status" not in body or "data" not in body:
        raise WireError("answer is not a menta envelope")
    status = body["status"]
    if not isinstance(status, int) or isinstance(status, bool):
        raise WireError("envelope status is not an integer")
    return Envelope(status=status, data=body["data"], error_message=_error_message(body.get("errors")))


def _error_message(errors: Any) -> str | None:
    """``errors`` as one message, or None for "no error": ``null``, ``[]`` and ``[null]`` [doc]
    mean none; an object with a message, or a list of them, is one error each."""
    items = errors if isinstance(errors, list) else [errors]
    messages = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, dict) and isinstance(item.get("message"), str):
            messages.append(item["message"])
        elif isinstance(item, str):
            messages.append(item)
        else:
            raise WireError("envelope errors is neither null nor a list of objects with a message")
    return "; ".join(messages) if messages else None


# --- small values -------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip("\x00 \t\r\n"):
        raise WireError(f"missing field '{name}'")
    # NUL is the one character PostgreSQL cannot store in text: it is never part of a value.
    return value.replace("\x00", "")


def _opt_text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        raise WireError(f"field '{name}' is not text")
    return value.replace("\x00", "") or None


def _object(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name)
    if not isinstance(value, dict):
        raise WireError(f"missing field '{name}'")
    return value


def _list(raw: Mapping[str, Any], name: str) -> list[Any]:
    value = raw.get(name)
    if not isinstance(value, list):
        raise WireError(f"missing field '{name}'")
    return value


# No price reaches a trillion; a larger amount (or 1E+999999, which formats as a million digits)
# is a fault of the answer, not a price.
MAX_AMOUNT = Decimal(10) ** 12


def _money(raw: Mapping[str, Any]) -> Money:
    amount = raw.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, float, str)):
        raise WireError("missing field 'amount'")
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation as exc:
        raise WireError("field 'amount' is not a number") from exc
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise WireError("field 'amount' is not a finite price")
    return Money(amount=value, currency=_text(raw, "currency"))


def _opt_count(raw: Mapping[str, Any], name: str) -> int | None:
    """A whole number from 0 up to a billion, or None (absent, or anything else)."""
    value = raw.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
        return value
    return None


def _opt_money(raw: Mapping[str, Any], name: str) -> Money | None:
    """An optional price; one that is not a price (NaN, a word, no currency) is left out alone,
    with a log line, and what carries it is kept."""
    value = raw.get(name)
    if not isinstance(value, dict):
        return None
    try:
        return _money(value)
    except WireError as exc:
        logger.info("Dropped the price '%s': %s", name, exc)
        return None


def _link(raw: Mapping[str, Any]) -> Link:
    return Link(label=_text(raw, "label"), url=_text(raw, "url"))


def _opt_link(raw: Mapping[str, Any], name: str) -> Link | None:
    value = raw.get(name)
    return _link(value) if isinstance(value, dict) else None


# --- shared by the sections ---------------------------------------------------------------


def _choice(raw: Mapping[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = raw.get(name)
    return value if value in choices else choices[0]


@dataclass(frozen=True)
class Dropped:
    """A component that was not rendered, and why."""

    index: int
    type: str
    reason: str


_EMAIL = re.compile(r"[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+")


def _email(raw: Mapping[str, Any], name: str) -> str:
    value = _text(raw, name).strip().lower()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise WireError(f"field '{name}' is not an email address")
    return value


def _opt_email(raw: Mapping[str, Any], name: str) -> str | None:
    return _email(raw, name) if raw.get(name) not in (None, "") else None


def _id(raw: Mapping[str, Any], name: str) -> str:
    value = _opt_text(raw, name)
    if value is None or not value.strip():
        raise WireError(f"missing field '{name}'")
    return value


def _ids(raw: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values = _list(raw, name)
    if not all(isinstance(value, (str, int)) and not isinstance(value, bool) for value in values):
        raise WireError(f"field '{name}' must be a list of ids")
    return tuple(str(value).replace("\x00", "") for value in values)


def _loose_text(raw: Mapping[str, Any], name: str) -> str:
    """Text that must not stop what carries it (the holder's name on a resold ticket): "" when
    it is absent or not text."""
    try:
        return _opt_text(raw, name) or ""
    except WireError:
        return ""
