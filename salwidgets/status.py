"""The integration at a glance, for people (the admin's "Status" tab): the outbox's queue, what
menta last took and last told the site, the breaker, and the last 24 hours hour by hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min
from django.db.models.functions import TruncHour
from django.utils import timezone

from salwidgets import breaker
from salwidgets.models import OutboxItem, WebhookDelivery
from salwidgets.outbox import UNFINISHED

HOURS = 24
WEBHOOK_PROBLEMS = (
    WebhookDelivery.Outcome.CONFLICT,
    WebhookDelivery.Outcome.FAILED,
    WebhookDelivery.Outcome.REJECTED,
)


@dataclass(frozen=True)
class Sparkline:
    """Counts per hour, oldest first, as an SVG polyline's points (0,0 top left)."""

    label: str
    counts: tuple[int, ...]
    width: int = 120
    height: int = 28

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
    deliveries: Sparkline
    webhook_problems: Sparkline


def _per_hour(rows: list[dict[str, object]], start: datetime) -> tuple[int, ...]:
    counts = [0] * HOURS
    for row in rows:
        hour = row["hour"]
        assert isinstance(hour, datetime)
        index = int((hour - start).total_seconds() // 3600)
        if 0 <= index < HOURS:
            counts[index] += int(row["n"])  # type: ignore[call-overload]
    return tuple(counts)


def snapshot() -> Status:
    now = timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
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
        deliveries=Sparkline("Items delivered to menta", _per_hour(list(delivered), start)),
        webhook_problems=Sparkline("Webhooks rejected, in conflict or failed", _per_hour(list(problems), start)),
    )
