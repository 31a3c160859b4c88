"""The outbox: a durable queue of items stored in the site's transaction and sent later by a worker.

``store`` writes items (and wakes the worker once the transaction commits, or inside it when
the task backend keeps its queue in the same database). ``deliver_due`` is what the worker
runs: it claims due items kind by kind with a lease, sends them in batches, and records each
outcome. Two workers never hold the same item: a claim is one UPDATE on rows still due. A
worker that dies leaves its claim to expire, and a wake-up enqueued for that moment hands the
items to another worker.

The queue knows neither what it carries nor where it goes: each kind's ``send`` is registered
(``register``; ``salwidgets.sync`` registers menta's pushes) and says how it went by raising
``Refused`` (for good) or ``Unavailable`` (try again later); the worker's task registers the
wake-up (``set_waker``).
"""

from __future__ import annotations

import collections
import logging
import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Case, Count, DateTimeField, Exists, F, Min, OuterRef, Q, Value, When
from django.utils import timezone

from salwidgets import metrics, monitoring
from salwidgets.conf import get_config
from salwidgets.models import UNFINISHED, OutboxItem
from salwidgets.privacy import redact

logger = logging.getLogger("salwidgets.outbox")

Status = OutboxItem.Status
WAITING = (Status.PENDING, Status.RETRYING)


@dataclass(frozen=True)
class Item:
    """What ``store`` is given: one push, with the ordering and replacing rules of its kind."""

    kind: str
    key: str
    lane: str
    payload: Any
    after: str = ""


# What became of the items a run handled: the counters of ``Report``, and the metric's labels.
OUTCOMES = ("delivered", "failed", "retrying", "superseded")


@dataclass
class Report:
    """What one ``deliver_due`` run did, by outcome, and how many calls it made."""

    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    superseded: int = 0
    calls: int = 0
    kinds: collections.Counter[str] = field(default_factory=collections.Counter)  # delivered, by kind

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in (*OUTCOMES, "calls")}

    def summary(self) -> str:
        """One line for the worker's log: what was sent, by kind, and what was not."""
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.kinds.items()))
        return (
            f"delivered {self.delivered}{f' ({kinds})' if kinds else ''}; {self.retrying} to retry, "
            f"{self.failed} refused for good, {self.superseded} superseded; {self.calls} calls"
        )


# --- storing --------------------------------------------------------------------------------


def store(items: Sequence[Item]) -> int:
    """Store ``items`` in the caller's transaction and wake the worker; answers how many."""
    if not items:
        return 0
    now = timezone.now()
    with transaction.atomic():
        OutboxItem.objects.bulk_create(
            [
                OutboxItem(
                    kind=item.kind,
                    key=item.key,
                    lane=item.lane,
                    after=item.after,
                    payload=item.payload,
                    created_at=now,
                    next_attempt_at=now,
                )
                for item in items
            ],
            batch_size=1000,
        )
        wake()
    return len(items)


# What runs ``deliver_due`` when items are stored, retried or due again: ``salwidgets.tasks``
# registers its task when the app is ready (with the tasks extra); a site may register its own.
# The queue knows nothing of the task engine, so it points at nothing above it.
Waker = Callable[[datetime | None], None]
_waker: Waker | None = None


def set_waker(waker: Waker | None) -> None:
    """Have ``waker(at)`` arrange one run of ``deliver_due`` (at ``at``, or now)."""
    global _waker
    _waker = waker


def wake(at: datetime | None = None) -> None:
    """Arrange one run of the delivery (at ``at``, or now), through the registered waker."""
    if _waker is None:
        raise ImproperlyConfigured(
            "salwidgets' outbox has no worker to wake: install salwidgets[tasks] and configure "
            "TASKS (see the README's section on the worker)."
        )
    _waker(at)


def retry_now(items: Iterable[OutboxItem]) -> int:
    """Make failed or waiting items due at once (the admin's "retry now"); answers how many."""
    ids = [item.pk for item in items]
    count = OutboxItem.objects.filter(pk__in=ids, status__in=(*WAITING, Status.FAILED)).update(
        status=Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    if count:
        wake()
    return count


def counts() -> dict[str, int]:
    """Items by status, for the health view and ``sal_ping`` (delivered and superseded left out)."""
    rows = (
        OutboxItem.objects.filter(status__in=(*UNFINISHED, Status.FAILED))
        .values("status")
        .annotate(total=Count("id"))
        .order_by()
    )
    found = {row["status"]: row["total"] for row in rows}
    return {str(status): int(found.get(status, 0)) for status in (*UNFINISHED, Status.FAILED)}


# --- delivering -----------------------------------------------------------------------------


class Refused(Exception):
    """Raised by a kind's ``send``: the receiver refused the items for good (not retried).
    ``each`` says the refusal may be one item's: a batch is then sent again item by item."""

    def __init__(self, message: str, status: int | None = None, *, each: bool = False) -> None:
        super().__init__(message)
        self.message, self.status, self.each = message, status, each


class Unavailable(Exception):
    """Raised by a kind's ``send``: the receiver could not take the items now; try again later
    (after ``retry_after`` seconds at the least, when it said)."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after


Send = Callable[[Any, list[OutboxItem]], dict[int, str]]


@dataclass(frozen=True)
class Kind:
    """How items of one kind are sent: ``send(connection, items)`` answers the refused items'
    messages by id; ``delivered(items)``, if any, runs after a batch is acknowledged."""

    name: str
    send: Send
    batch: int = 1
    replaces: bool = False  # a newer item with the same key makes an older waiting one moot
    delivered: Callable[[list[OutboxItem]], None] | None = None


# The kinds in the order of a round (registration order), and what opens a connection for them.
KINDS: dict[str, Kind] = {}
_connect: Callable[[], Any] | None = None


def register(kinds: Sequence[Kind], connect: Callable[[], Any]) -> None:
    """Have ``deliver_due`` send ``kinds`` (in this order), through ``connect()``'s connection."""
    global _connect
    KINDS.update((kind.name, kind) for kind in kinds)
    _connect = connect


def lease_seconds() -> float:
    """How long a claim lasts: longer than the slowest push can take, retries included."""
    config = get_config()
    return float(config["CONNECT_TIMEOUT"] + config["PUSH_READ_TIMEOUT"] + config["RETRY_BUDGET"] + 5)


def backoff(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: exponential, capped, with jitter."""
    config = get_config()
    ceiling = min(float(config["SYNC_BACKOFF_CAP"]), float(config["SYNC_BACKOFF_BASE"]) * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


def _due(now: datetime) -> Q:
    return Q(status__in=WAITING, next_attempt_at__lte=now) | Q(status=Status.SENDING, claimed_until__lt=now)


def _supersede(kind: Kind) -> int:
    newer = OutboxItem.objects.filter(
        kind=kind.name, key=OuterRef("key"), id__gt=OuterRef("id"), status__in=(*WAITING, Status.SENDING)
    )
    return (
        OutboxItem.objects.filter(kind=kind.name, status__in=WAITING)
        .filter(Exists(newer))
        .update(status=Status.SUPERSEDED, claim="", last_error="replaced by a newer push")
    )


def _claim(kind: Kind, now: datetime) -> tuple[str, list[OutboxItem]]:
    """Take up to one batch of due items of ``kind`` whose lanes have nothing earlier unfinished."""
    earlier = OutboxItem.objects.filter(
        Q(lane=OuterRef("lane")) | Q(lane=OuterRef("after")), id__lt=OuterRef("id"), status__in=UNFINISHED
    )
    candidates = list(
        OutboxItem.objects.filter(_due(now), kind=kind.name)
        .filter(~Exists(earlier))
        .order_by("id")
        .values_list("id", flat=True)[: kind.batch]
    )
    if not candidates:
        return "", []
    token = uuid.uuid4().hex
    OutboxItem.objects.filter(_due(now), pk__in=candidates).update(
        status=Status.SENDING,
        claim=token,
        claimed_until=now + timedelta(seconds=lease_seconds()),
        attempts=F("attempts") + 1,
    )
    return token, list(OutboxItem.objects.filter(claim=token, status=Status.SENDING).order_by("id"))


def _finish(token: str, ids: Iterable[int], **changes: Any) -> int:
    return OutboxItem.objects.filter(claim=token, pk__in=list(ids), status=Status.SENDING).update(
        claim="", claimed_until=None, **changes
    )


def _fail(token: str, item: OutboxItem, message: str, status: int | None) -> int:
    logger.warning("Outbox item %s (%s %s) refused for good: %s", item.pk, item.kind, redact(item.key), redact(message))
    return _finish(token, [item.pk], status=Status.FAILED, last_error=message, last_status=status)


def _retry(token: str, items: list[OutboxItem], error: Unavailable, report: Report) -> None:
    """Mark a batch for a later attempt, each item at its own backoff, in one statement (those out
    of attempts fail)."""
    now = timezone.now()
    limit = int(get_config()["SYNC_MAX_ATTEMPTS"])
    wait = error.retry_after or 0.0
    again = []
    for item in items:
        if item.attempts >= limit:
            report.failed += _fail(token, item, f"gave up after {item.attempts} attempts: {error}", error.status)
        else:
            again.append(item)
    if not again:
        return
    warn_after = int(get_config()["SYNC_WARN_AFTER"])
    overdue = [item for item in again if now - item.created_at > timedelta(seconds=warn_after)]
    if overdue:
        oldest = min(overdue, key=lambda item: item.created_at)
        logger.warning(
            "menta outbox: %d %s item(s) still undelivered after %d minutes or more (oldest: item %s, %d attempts): %s",
            len(overdue),
            oldest.kind,
            warn_after // 60,
            oldest.pk,
            oldest.attempts,
            redact(error),
        )
    attempt_at = Case(
        *(
            When(pk=item.pk, then=Value(now + timedelta(seconds=max(float(wait), backoff(item.attempts)))))
            for item in again
        ),
        output_field=DateTimeField(),
    )
    report.retrying += _finish(
        token,
        [item.pk for item in again],
        status=Status.RETRYING,
        next_attempt_at=attempt_at,
        last_error=str(error),
        last_status=error.status,
    )


def _send(connection: Any, kind: Kind, token: str, items: list[OutboxItem], report: Report) -> None:
    report.calls += 1
    try:
        refused = kind.send(connection, items)
    except Refused as exc:
        if exc.each and len(items) > 1:  # one bad item must not sink the batch: find it by sending each alone
            report.calls -= 1
            for item in items:
                _send(connection, kind, token, [item], report)
            return
        for item in items:
            report.failed += _fail(token, item, exc.message, exc.status)
        return
    except Unavailable as exc:
        logger.info("Outbox: %d %s item(s) to retry: %s", len(items), kind.name, redact(exc))
        _retry(token, items, exc, report)
        return
    for item in items:
        if item.pk in refused:
            report.failed += _fail(token, item, refused[item.pk], 400)
    delivered = [item for item in items if item.pk not in refused]
    finished = _finish(
        token,
        [item.pk for item in delivered],
        status=Status.DELIVERED,
        delivered_at=timezone.now(),
        last_status=200,
        last_error="",
    )
    report.delivered += finished
    report.kinds[kind.name] += finished
    if kind.delivered is not None and delivered:
        kind.delivered(delivered)


def deliver_due(connection: Any = None, *, max_rounds: int = 1000) -> Report:
    """Send every item that is due, kind by kind, until none is left; answers what happened.
    ``connection`` is what the kinds send through (by default, the registered ``connect()``)."""
    if connection is None:
        if _connect is None:
            raise ImproperlyConfigured("salwidgets' outbox has no kinds registered: is salwidgets in INSTALLED_APPS?")
        connection = _connect()
    report = Report()
    watched = False
    for _round in range(max_rounds):
        progressed = False
        for kind in KINDS.values():
            if kind.replaces:
                report.superseded += _supersede(kind)
            token, items = _claim(kind, timezone.now())
            if not items:
                continue
            if not watched:
                # Should this worker die holding the claim, another run takes over when it expires.
                wake(timezone.now() + timedelta(seconds=lease_seconds() + 1))
                watched = True
            progressed = True
            _send(connection, kind, token, items, report)
        if not progressed:
            break
    earliest = OutboxItem.objects.filter(status=Status.RETRYING).aggregate(at=Min("next_attempt_at"))["at"]
    if earliest is not None and report.retrying:
        wake(earliest)
    for outcome in OUTCOMES:
        if getattr(report, outcome):
            monitoring.OUTBOX.labels(outcome=outcome).inc(getattr(report, outcome))
    if report.retrying or report.failed:
        metrics.count("outbox_retrying", report.retrying)
        metrics.count("outbox_failed", report.failed)
        metrics.flush()  # a worker may sit idle for long: the status tab reads these now
    return report
