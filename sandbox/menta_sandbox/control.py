"""The sandbox's control API (not part of menta): request counts, switchable faults, webhooks,
and what menta does on its own time (payouts, an organizer's unlock).

State lives in this process (the sandbox runs as one process with a thread per
request), guarded by one lock, so counts are exact under concurrency.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from menta_sandbox import market, notify, wire
from menta_sandbox.models import Listing, OutgoingWebhook

MODES = ("normal", "down", "hang", "malformed", "oversized")
# How long a hanging request is held at most before the thread gives up on it.
HANG_LIMIT_SECONDS = 600.0


@dataclass(frozen=True)
class Faults:
    mode: str = "normal"
    latencyMs: int = 0  # noqa: N815 (the control API's own field names)
    errorRate: float = 0.0  # noqa: N815

    def draw_error(self) -> bool:
        return self.errorRate > 0 and random.random() < self.errorRate


class _State:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._counts: Counter[str] = Counter()
        self._applied: Counter[str] = Counter()
        self._faults = Faults()

    def count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def apply(self, what: str, count: int = 1) -> None:
        """Count pushed items the sandbox took into its state (a refused or failed call adds none)."""
        with self._lock:
            self._applied[what] += count

    def applied(self) -> dict[str, int]:
        with self._lock:
            return dict(self._applied)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()
            self._applied.clear()

    @property
    def faults(self) -> Faults:
        with self._lock:
            return self._faults

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._lock.notify_all()

    def wait_while_hanging(self) -> None:
        """Block until the mode is no longer ``hang`` (or the hang limit passes)."""
        with self._lock:
            self._lock.wait_for(lambda: self._faults.mode != "hang", timeout=HANG_LIMIT_SECONDS)


state = _State()


def parse_faults(body: bytes, current: Faults) -> Faults:
    """Apply a PUT body (any subset of the fields) to ``current``; ValueError names the bad field."""
    changes = _changes(body, {"mode", "latencyMs", "errorRate"})
    faults = current
    if "mode" in changes:
        if changes["mode"] not in MODES:
            raise ValueError(f"mode must be one of: {', '.join(MODES)}")
        faults = replace(faults, mode=changes["mode"])
    if "latencyMs" in changes:
        latency = changes["latencyMs"]
        if not isinstance(latency, int) or isinstance(latency, bool) or not 0 <= latency <= 600_000:
            raise ValueError("latencyMs must be an integer from 0 to 600000")
        faults = replace(faults, latencyMs=latency)
    if "errorRate" in changes:
        rate = changes["errorRate"]
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise ValueError("errorRate must be a number from 0 to 1")
        faults = replace(faults, errorRate=float(rate))
    return faults


def _not_allowed(allowed: str) -> HttpResponse:
    response = JsonResponse({"message": f"method not allowed; use {allowed}"}, status=405)
    response["Allow"] = allowed
    return response


@csrf_exempt
def stats(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return JsonResponse({"requests": state.counts(), "applied": state.applied()})
    if request.method == "DELETE":
        state.reset_counts()
        return JsonResponse({"requests": {}, "applied": {}})
    return _not_allowed("GET, DELETE")


@csrf_exempt
def faults(request: HttpRequest) -> HttpResponse:
    if request.method == "PUT":
        try:
            state.set_faults(parse_faults(request.body, state.faults))
        except ValueError as exc:
            return JsonResponse({"message": str(exc)}, status=400)
    elif request.method == "DELETE":
        state.set_faults(Faults())
    elif request.method != "GET":
        return _not_allowed("GET, PUT, DELETE")
    return JsonResponse(asdict(state.faults))


def _webhook_target(body: bytes, current: notify.Target) -> notify.Target:
    """Apply a PUT body to the webhook target; ValueError names the bad field."""
    changes = _changes(body, {"url", "secret", "signingSecrets", "backoff", "backoffCap"})
    target = current
    for name in ("url", "secret"):
        if name in changes and not isinstance(changes[name], str):
            raise ValueError(f"{name} must be a string")
    target = replace(target, url=changes.get("url", target.url), secret=changes.get("secret", target.secret))
    if target.url and not target.url.startswith(("http://", "https://")):
        raise ValueError("url must be an http(s) URL")
    if "signingSecrets" in changes:
        secrets = changes["signingSecrets"]
        if not isinstance(secrets, list) or not all(isinstance(item, str) and item for item in secrets):
            raise ValueError("signingSecrets must be a list of secrets")
        target = replace(target, signing_secrets=tuple(secrets))
    if "backoff" in changes:
        target = replace(target, backoff=_seconds(changes, "backoff"))
    if "backoffCap" in changes:
        target = replace(target, backoff_cap=_seconds(changes, "backoffCap"))
    return target


def _seconds(changes: dict[str, Any], name: str) -> float:
    value = changes[name]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 86400:
        raise ValueError(f"{name} must be a number of seconds from 0 to 86400")
    return float(value)


def _object_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError as exc:
        raise ValueError("body is not valid JSON") from exc
    if not isinstance(parsed, dict):
        raise ValueError("body must be an object")
    return parsed


def _changes(body: bytes, fields: set[str]) -> dict[str, Any]:
    """A PUT body: an object with any of ``fields`` and no other."""
    changes = _object_body(body)
    unknown = set(changes) - fields
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    return changes


def _emitted(body: bytes) -> OutgoingWebhook:
    """``POST``: send any notification, as menta would (for actions no page of the sandbox makes)."""
    fields = _object_body(body)
    action, data = fields.get("action"), fields.get("data")
    if not isinstance(action, str) or not action:
        raise ValueError("action is required")
    if not isinstance(data, dict):
        raise ValueError("data must be an object")
    kind, metadata = fields.get("type"), fields.get("metadata")
    if kind is not None and not isinstance(kind, str):
        raise ValueError("type must be a string")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError("metadata must be an object")
    with transaction.atomic():
        return notify.emit(action, data, type=kind, metadata=metadata)


def _webhooks_answer() -> JsonResponse:
    target = notify.sender.target
    return JsonResponse(
        {
            "target": {"url": target.url, "signed": bool(target.signing_secrets), "backoff": target.backoff},
            "deliveries": [wire.delivery_row(row) for row in OutgoingWebhook.objects.order_by("-id")[:500]],
        }
    )


@csrf_exempt
def webhooks(request: HttpRequest) -> HttpResponse:
    """The webhooks sent to the platform: list (GET), where to (PUT), emit one (POST), forget (DELETE)."""
    try:
        if request.method == "PUT":
            notify.sender.set_target(_webhook_target(request.body, notify.sender.target))
        elif request.method == "POST":
            return JsonResponse(wire.delivery_row(_emitted(request.body)), status=201)
        elif request.method == "DELETE":
            OutgoingWebhook.objects.all().delete()
        elif request.method != "GET":
            return _not_allowed("GET, PUT, POST, DELETE")
    except ValueError as exc:
        return JsonResponse({"message": str(exc)}, status=400)
    return _webhooks_answer()


@csrf_exempt
def payouts(request: HttpRequest) -> HttpResponse:
    """``POST``: pay sold listings not paid yet (all, or those of ``listingId`` / ``sellerEmail``),
    as menta does some days after a sale; each payout is sent to the platform (payouts.delivered)."""
    if request.method != "POST":
        return _not_allowed("POST")
    try:
        changes = _changes(request.body, {"listingId", "sellerEmail"})
        listings = Listing.objects.all()
        if "listingId" in changes:
            listing_id = str(changes["listingId"])
            if not listing_id.startswith("lst_") or not listing_id[4:].isdigit():
                raise ValueError("listingId must look like lst_12")
            listings = listings.filter(pk=int(listing_id[4:]))
        if "sellerEmail" in changes:
            listings = listings.filter(seller_email=str(changes["sellerEmail"]).strip().lower())
    except ValueError as exc:
        return JsonResponse({"message": str(exc)}, status=400)
    paid = market.pay(listings)
    return JsonResponse({"paid": [listing.public_id for listing in paid]})


@csrf_exempt
def unlock(request: HttpRequest) -> HttpResponse:
    """``POST {"eventId": ..., "showId": ...}``: the organizer unlocks a show's tickets (every show's
    without ``showId``); the platform is told (event.unlock)."""
    if request.method != "POST":
        return _not_allowed("POST")
    try:
        changes = _changes(request.body, {"eventId", "showId"})
        event_id, show_id = changes.get("eventId"), changes.get("showId", "")
        if event_id is None or event_id == "":
            raise ValueError("eventId is required")
        if not isinstance(event_id, str):
            raise ValueError("eventId must be a string")
        if not isinstance(show_id, str):
            raise ValueError("showId must be a string")
        market.unlock(event_id, show_id)
    except ValueError as exc:
        return JsonResponse({"message": str(exc)}, status=400)
    except market.MarketError as exc:
        return JsonResponse({"message": str(exc)}, status=404)
    return JsonResponse({"eventId": event_id, **({"showId": show_id} if show_id else {})}, status=202)
