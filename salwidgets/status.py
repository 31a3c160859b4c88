"""The integration at a glance, for people (the admin's "Status" tab): the outbox's queue, what
menta last took and last told the site, the breaker, the cache's hit rate and menta's latency
over the last hour, and the last 24 hours hour by hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min
from django.db.models.functions import TruncHour
from django.utils import timezone

from salwidgets import breaker, metrics
from salwidgets.models import UNFINISHED, OutboxItem, WebhookDelivery

HOURS = 24
WEBHOOK_PROBLEMS = (
    WebhookDelivery.Outcome.CONFLICT,
    WebhookDelivery.Outcome.FAILED,
    WebhookDelivery.Outcome.REJECTED,
)


@dataclass(frozen=True)
class Sparkline:
    """Counts per hour (or a measure, in ``unit``), oldest first, as an SVG polyline's points
    (0,0 top left)."""

    label: str
    counts: tuple[int, ...]
    unit: str = ""
    width: int = 120
    height: int = 28

    @property
    def description(self) -> str:
        """What the line shows, for people who do not see it."""
        if self.unit:
            return (
                f"{self.label} per hour, last 24 hours: at most {self.most} {self.unit}, "
                f"{self.counts[-1] if self.counts else 0} {self.unit} this hour"
            )
        return f"{self.label} per hour, last 24 hours: {self.total} in all, at most {self.most} in an hour"

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def most(self) -> int:
        return max(self.counts, default=0)

    @property
    def points(self) -> str:
        top = self.most or 1
        step = self.width / max(1, len(self.counts) - 1)
        return " ".join(
            f"{round(n * step, 1)},{round(self.height - 2 - (count / top) * (self.height - 4), 1)}"
            for n, count in enumerate(self.counts)
        )


@dataclass(frozen=True)
class Status:
    waiting: int
    oldest_waiting: datetime | None
    failed: int
    last_delivery: datetime | None
    last_webhook: WebhookDelivery | None
    breaker: breaker.State
    lookups: int  # cache lookups in the last hour
    stale: int
    hits: int
    calls: int  # calls to menta in the last hour
    failed_calls: int
    latency_ms: int | None  # their mean
    deliveries: Sparkline
    delivery_failures: Sparkline
    webhook_problems: Sparkline
    latency: Sparkline

    @property
    def hit_rate(self) -> int | None:
        """Lookups answered from the cache (fresh or stale) in the last hour, in percent."""
        if not self.lookups:
            return None
        return int((self.hits + self.stale) * 100 // self.lookups)


def _per_hour(rows: list[dict[str, object]], start: datetime) -> tuple[int, ...]:
    counts = [0] * HOURS
    for row in rows:
        hour = row["hour"]
        assert isinstance(hour, datetime)
        index = int((hour - start).total_seconds() // 3600)
        if 0 <= index < HOURS:
            counts[index] += int(row["n"])  # type: ignore[call-overload]
    return tuple(counts)


def _hourly(counts: tuple[int, ...]) -> tuple[int, ...]:
    per = metrics.SLOTS_PER_HOUR
    return tuple(sum(counts[hour * per : (hour + 1) * per]) for hour in range(len(counts) // per))


def _mean(total: int, n: int) -> int:
    return round(total / n) if n else 0


def snapshot() -> Status:
    now = timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    slots = HOURS * metrics.SLOTS_PER_HOUR
    series = metrics.series(metrics.SERIES, metrics.slot_of(start.timestamp()), slots)
    last_hour = {name: sum(counts[-metrics.SLOTS_PER_HOUR :]) for name, counts in series.items()}
    hourly = {name: _hourly(counts) for name, counts in series.items()}
    queue = OutboxItem.objects.filter(status__in=UNFINISHED).aggregate(n=Count("id"), oldest=Min("created_at"))
    delivered = (
        OutboxItem.objects.filter(status=OutboxItem.Status.DELIVERED, delivered_at__gte=start)
        .annotate(hour=TruncHour("delivered_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    problems = (
        WebhookDelivery.objects.filter(outcome__in=WEBHOOK_PROBLEMS, received_at__gte=start)
        .annotate(hour=TruncHour("received_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    return Status(
        waiting=int(queue["n"] or 0),
        oldest_waiting=queue["oldest"],
        failed=OutboxItem.objects.filter(status=OutboxItem.Status.FAILED).count(),
        last_delivery=OutboxItem.objects.aggregate(at=Max("delivered_at"))["at"],
        last_webhook=WebhookDelivery.objects.order_by("-received_at", "-id").first(),
        breaker=breaker.state(fresh=True),
        lookups=last_hour["hits"] + last_hour["stale"] + last_hour["misses"],
        hits=last_hour["hits"],
        stale=last_hour["stale"],
        calls=last_hour["menta_calls"],
        failed_calls=last_hour["menta_failed"],
        latency_ms=_mean(last_hour["menta_ms"], last_hour["menta_calls"]) if last_hour["menta_calls"] else None,
        deliveries=Sparkline("Items delivered to menta", _per_hour(list(delivered), start)),
        delivery_failures=Sparkline(
            "Deliveries that failed (to retry or refused)",
            tuple(a + b for a, b in zip(hourly["outbox_retrying"], hourly["outbox_failed"], strict=True)),
        ),
        webhook_problems=Sparkline("Webhooks rejected, in conflict or failed", _per_hour(list(problems), start)),
        latency=Sparkline(
            "menta's mean latency",
            tuple(map(_mean, hourly["menta_ms"], hourly["menta_calls"])),
            unit="ms",
        ),
    )
