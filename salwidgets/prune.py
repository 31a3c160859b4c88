"""Housekeeping: what salwidgets keeps in the site's database and no longer needs.

Only rows in a final state go, older than their retention: outbox items delivered or superseded
(never a pending, retrying or failed one: those still need the worker or a person), webhook
deliveries that were dealt with (never one still to be retried), and the finished rows of
salwidgets' tasks (with django-tasks' database backend). The worker never touches a row in a final
state again, so pruning is safe while it runs; rows go in batches, each its own short statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.db import models
from django.utils import timezone

from salwidgets.conf import get_config
from salwidgets.models import OutboxItem, WebhookDelivery

BATCH = 2000
FINAL_WEBHOOKS = (
    WebhookDelivery.Outcome.APPLIED,
    WebhookDelivery.Outcome.IGNORED,
    WebhookDelivery.Outcome.DUPLICATE,
    WebhookDelivery.Outcome.REJECTED,
    WebhookDelivery.Outcome.CONFLICT,
)
TASK_PATHS = "salwidgets."  # the task rows of salwidgets' own tasks (not the site's)


@dataclass(frozen=True)
class Retention:
    delivered_days: int
    webhook_days: int
    task_days: int

    @classmethod
    def configured(cls) -> Retention:
        config = get_config()
        return cls(config["KEEP_DELIVERED_DAYS"], config["KEEP_WEBHOOK_DAYS"], config["KEEP_TASK_DAYS"])


def prunable(retention: Retention) -> Iterator[tuple[str, models.QuerySet]]:  # type: ignore[type-arg]
    """What may go, by what people call it."""
    now = timezone.now()
    yield (
        "outbox items delivered or superseded",
        OutboxItem.objects.filter(
            status__in=(OutboxItem.Status.DELIVERED, OutboxItem.Status.SUPERSEDED),
            created_at__lt=now - timedelta(days=retention.delivered_days),
        ),
    )
    yield (
        "webhook deliveries dealt with",
        WebhookDelivery.objects.filter(
            outcome__in=FINAL_WEBHOOKS, received_at__lt=now - timedelta(days=retention.webhook_days)
        ),
    )
    if apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        yield (
            "finished task rows",
            DBTaskResult.objects.finished().filter(
                task_path__startswith=TASK_PATHS, finished_at__lt=now - timedelta(days=retention.task_days)
            ),
        )


def prune(retention: Retention, *, dry_run: bool = False) -> dict[str, int]:
    """Remove (or, in a dry run, count) what ``retention`` lets go: the rows by what they are."""
    removed = {}
    for name, query in prunable(retention):
        if dry_run:
            removed[name] = query.count()
            continue
        total = 0
        while batch := list(query.values_list("pk", flat=True)[:BATCH]):
            query.model.objects.filter(pk__in=batch).delete()
            total += len(batch)
        removed[name] = total
    return removed
