"""The sandbox tells the platform what happened, as menta does: webhooks (contract 8).

``emit`` stores a delivery in the transaction of the change it reports; one thread of the
sandbox process sends what is due, in the current envelope, with the shared secret in
``X-Menta-Secret`` and a Standard Webhooks signature, and retries each delivery with exponential
backoff until the platform answers 2xx (or a day has passed). Every retry sends the same body
under the same ``webhook-id``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Min
from django.utils import timezone
from standardwebhooks import Webhook

from menta_sandbox import wire
from menta_sandbox.models import OutgoingWebhook

logger = logging.getLogger("menta_sandbox")

BATCH = 100
IDLE_SECONDS = 30.0


@dataclass(frozen=True)
class Target:
    """Where deliveries go and how they are retried (``PUT /__sandbox/webhooks`` changes it)."""

    url: str = ""
    secret: str = ""
    signing_secrets: tuple[str, ...] = field(default=(), repr=False)
    backoff: float = 2.0  # seconds before the first retry, doubled at each attempt
    backoff_cap: float = 3600.0
    give_up_after: float = 24 * 3600.0
    timeout: float = 5.0


def _from_settings() -> Target:
    return Target(
        url=settings.SANDBOX_WEBHOOK_URL,
        secret=settings.SANDBOX_WEBHOOK_SECRET,
        signing_secrets=tuple(settings.SANDBOX_WEBHOOK_SIGNING_SECRETS),
        backoff=settings.SANDBOX_WEBHOOK_BACKOFF,
        backoff_cap=settings.SANDBOX_WEBHOOK_BACKOFF_CAP,
    )


def emit(
    action: str, data: Mapping[str, Any], *, type: str | None = None, metadata: Mapping[str, Any] | None = None
) -> OutgoingWebhook:
    """Store a notification for the platform; it is sent once the current transaction commits."""
    delivery = OutgoingWebhook.objects.create(
        webhook_id=f"msg_{uuid.uuid4().hex}",
        action=action,
        body=wire.notification(action, data, type=type, metadata=metadata),
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(sender.wake)
    return delivery


def signature(target: Target, webhook_id: str, at: datetime, body: str) -> str:
    """One ``v1,<base64>`` per signing secret, space-separated (several while keys rotate)."""
    return " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in target.signing_secrets)


class Sender:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._target: Target | None = None
        self._thread: threading.Thread | None = None

    @property
    def target(self) -> Target:
        with self._lock:
            if self._target is None:
                self._target = _from_settings()
            return self._target

    def set_target(self, target: Target) -> None:
        with self._lock:
            self._target = target
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.clear()
            wait = IDLE_SECONDS
            try:
                wait = self.deliver_due()
            except Exception:
                logger.exception("Sending webhooks failed")
            finally:
                close_old_connections()
            self._wake.wait(wait)

    def deliver_due(self) -> float:
        """Send every due delivery once; answers how long to wait before the next is due."""
        target = self.target
        if not target.url:
            return IDLE_SECONDS
        pending = OutgoingWebhook.objects.filter(delivered_at=None, gave_up=False)
        for delivery in pending.filter(next_attempt_at__lte=timezone.now())[:BATCH]:
            self._attempt(delivery, target)
        upcoming: datetime | None = pending.aggregate(at=Min("next_attempt_at"))["at"]
        if upcoming is None:
            return IDLE_SECONDS
        return max(0.0, min(IDLE_SECONDS, (upcoming - timezone.now()).total_seconds()))

    def _attempt(self, delivery: OutgoingWebhook, target: Target) -> None:
        now = timezone.now()
        headers = {
            "Content-Type": "application/json",
            wire.SECRET_HEADER: target.secret,
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
        }
        if target.signing_secrets:
            headers["webhook-signature"] = signature(target, delivery.webhook_id, now, delivery.body)
        status: int | None = None
        try:
            answer = requests.post(
                target.url, data=delivery.body.encode(), headers=headers, timeout=(2, target.timeout)
            )
            status, error = answer.status_code, "" if answer.ok else answer.text[:300]
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: the platform did not answer"
        delivery.attempts += 1
        delivery.last_status, delivery.last_error = status, error
        if status is not None and 200 <= status < 300:
            delivery.delivered_at = timezone.now()
        elif (now - delivery.created).total_seconds() >= target.give_up_after:
            delivery.gave_up = True
            logger.warning(
                "Gave up on webhook %s (%s) after %d attempts", delivery.webhook_id, delivery.action, delivery.attempts
            )
        else:
            delay = min(target.backoff_cap, target.backoff * 2 ** (delivery.attempts - 1))
            delivery.next_attempt_at = now + timedelta(seconds=delay)
        # An update, not a save: a delivery deleted meanwhile (DELETE /__sandbox/webhooks) stays deleted.
        OutgoingWebhook.objects.filter(pk=delivery.pk).update(
            attempts=delivery.attempts,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            gave_up=delivery.gave_up,
            next_attempt_at=delivery.next_attempt_at,
        )


sender = Sender()
