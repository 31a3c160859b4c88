"""The outbox: pushes stored in the site's transaction, delivered to menta later by a worker.

``store`` writes items (and wakes the worker once the transaction commits, or inside it when
the task backend keeps its queue in the same database). ``deliver_due`` is what the worker
runs: it claims due items kind by kind with a lease, sends them in batches, and records each
outcome. Two workers never hold the same item: a claim is one UPDATE on rows still due. A
worker that dies leaves its claim to expire, and a wake-up enqueued for that moment hands the
items to another worker.
"""

from __future__ import annotations

import collections
import contextlib
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

from salwidgets import cache, metrics, monitoring
from salwidgets.client import MAX_LEADS_PER_CALL, MentaClient, get_client
from salwidgets.conf import get_config
from salwidgets.errors import MentaError, NotFound, ValidationFailed
from salwidgets.models import UNFINISHED, OutboxItem
from salwidgets.privacy import redact

logger = logging.getLogger("salwidgets.outbox")

Status = OutboxItem.Status
WAITING = (Status.PENDING, Status.RETRYING)
TICKETS_PER_CALL = 500


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

Send = Callable[[MentaClient, list[OutboxItem]], dict[int, str]]


@dataclass(frozen=True)
class Kind:
    """How items of one kind are sent: ``send`` answers the refused items' messages by id."""

    name: str
    send: Send
    batch: int = 1
    replaces: bool = False  # a newer item with the same key makes an older waiting one moot
    holds: bool = False  # its payload is a ticket issued to someone (buyer.email)


def _holders(items: Iterable[OutboxItem]) -> set[str]:
    """The emails the tickets of ``items`` were issued to."""
    found = set()
    for item in items:
        buyer = item.payload.get("buyer") if isinstance(item.payload, dict) else None
        email = buyer.get("email") if isinstance(buyer, dict) else None
        if isinstance(email, str) and email.strip():
            found |= {email.strip(), email.strip().lower()}
    return found


def _each(call: Callable[[MentaClient, OutboxItem], None]) -> Send:
    def send(client: MentaClient, items: list[OutboxItem]) -> dict[int, str]:
        for item in items:
            call(client, item)
        return {}

    return send


def _event(client: MentaClient, item: OutboxItem) -> None:
    try:
        client.update_event(item.payload)
    except NotFound:
        client.create_event(item.payload)


def _cancel(client: MentaClient, item: OutboxItem) -> None:
    client.cancel_event(item.payload["event_id"], show_id=item.payload.get("show_id"))


def _delete(client: MentaClient, item: OutboxItem) -> None:
    # NotFound: it never reached menta, or was deleted already; either way it is gone.
    with contextlib.suppress(NotFound):
        client.delete_ticket(item.key)


def _inventory(client: MentaClient, item: OutboxItem) -> None:
    client.update_inventory(item.payload["event_id"], item.payload["inventory"], show_id=item.payload["show_id"])


def _leads(client: MentaClient, items: list[OutboxItem]) -> dict[int, str]:
    result = client.send_leads([item.payload for item in items])
    return {items[rejected.index].pk: rejected.message for rejected in result.rejected}


def _all(call: Callable[[MentaClient, list[Any]], None]) -> Send:
    def send(client: MentaClient, items: list[OutboxItem]) -> dict[int, str]:
        call(client, [item.payload for item in items])
        return {}

    return send


# The order of a round: an event before its rules and tickets, tickets before their admissions.
KINDS = {
    kind.name: kind
    for kind in (
        Kind("event", _each(_event), replaces=True),
        Kind("event.cancel", _each(_cancel)),
        Kind("rules", _each(lambda client, item: client.define_rules(item.payload)), replaces=True),
        Kind("ticket", _all(MentaClient.create_tickets), batch=TICKETS_PER_CALL, holds=True),
        Kind("ticket.update", _each(lambda client, item: client.update_ticket(item.key, item.payload)), holds=True),
        Kind("ticket.delete", _each(_delete)),
        Kind("admission", _all(MentaClient.admit_tickets), batch=TICKETS_PER_CALL),
        Kind("inventory", _each(_inventory), replaces=True),
        Kind("lead", _leads, batch=MAX_LEADS_PER_CALL),
    )
}


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
    logger.warning(
        "menta refused outbox item %s (%s %s) for good: %s", item.pk, item.kind, redact(item.key), redact(message)
    )
    return _finish(token, [item.pk], status=Status.FAILED, last_error=message, last_status=status)


def _retry(token: str, items: list[OutboxItem], error: MentaError, report: Report) -> None:
    """Mark a batch for a later attempt, each item at its own backoff, in one statement (those out
    of attempts fail)."""
    now = timezone.now()
    limit = int(get_config()["SYNC_MAX_ATTEMPTS"])
    wait = getattr(error, "retry_after", None) or 0.0
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


def _send(client: MentaClient, kind: Kind, token: str, items: list[OutboxItem], report: Report) -> None:
    report.calls += 1
    try:
        refused = kind.send(client, items)
    except (ValidationFailed, NotFound) as exc:
        if len(items) > 1:  # one bad item must not sink the batch: find it by sending each alone
            report.calls -= 1
            for item in items:
                _send(client, kind, token, [item], report)
            return
        report.failed += _fail(token, items[0], exc.message, exc.status)
        return
    except MentaError as exc:
        if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
            for item in items:
                report.failed += _fail(token, item, exc.message, exc.status)
            return
        logger.info("menta outbox: %d %s item(s) to retry: %s", len(items), kind.name, redact(exc))
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
    if kind.holds:
        # menta knows these tickets now: what their holders were told about them (not resellable,
        # or not theirs) is out of date, and their next view asks again.
        for person in _holders(delivered):
            cache.forget_person(person)


def deliver_due(client: MentaClient | None = None, *, max_rounds: int = 1000) -> Report:
    """Send every item that is due, kind by kind, until none is left; answers what happened."""
    client = client or get_client()
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
            _send(client, kind, token, items, report)
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
