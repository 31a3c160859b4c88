"""``manage.py sal_prune``: what is done and old goes, in batches; nothing the worker or a person
still needs ever does."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import hypothesis
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from salsite.tasks import expire_carts
from salwidgets import prune, tasks
from salwidgets.models import OutboxItem, WebhookDelivery

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def item(status: str, age: timedelta, n: int = 0) -> OutboxItem:
    return OutboxItem.objects.create(
        kind="ticket", key=f"t{n}", lane=f"t{n}", payload={}, status=status, created_at=timezone.now() - age
    )


def delivery(outcome: str, age: timedelta, n: int = 0) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        webhook_id=f"msg_{n}", key=f"k{n}", outcome=outcome, received_at=timezone.now() - age
    )


def task_row(task: Any, status: str, age: timedelta) -> DBTaskResult:
    result = task.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(status=status, finished_at=timezone.now() - age)
    return DBTaskResult.objects.get(pk=result.id)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("sal_prune", *args, stdout=out)
    return out.getvalue()


def test_what_is_done_and_old_goes_and_nothing_else() -> None:
    old, recent = 8 * DAY, 6 * DAY
    gone = [
        item(OutboxItem.Status.DELIVERED, old, 1),
        item(OutboxItem.Status.SUPERSEDED, old, 2),
        delivery(WebhookDelivery.Outcome.APPLIED, 31 * DAY, 1),
        delivery(WebhookDelivery.Outcome.DUPLICATE, 31 * DAY, 2),
        task_row(tasks.deliver, "SUCCESSFUL", old),
        task_row(tasks.deliver, "FAILED", old),
    ]
    kept = [
        item(OutboxItem.Status.DELIVERED, recent, 3),
        *(item(status, 90 * DAY, 4 + n) for n, status in enumerate(("pending", "retrying", "sending", "failed"))),
        delivery(WebhookDelivery.Outcome.APPLIED, 29 * DAY, 3),
        delivery(WebhookDelivery.Outcome.FAILED, 90 * DAY, 4),  # still to be retried
        task_row(tasks.deliver, "SUCCESSFUL", recent),
        task_row(tasks.deliver, "READY", old),
        task_row(expire_carts, "SUCCESSFUL", old),  # the site's own task: not salwidgets' to remove
    ]

    dry = run("--dry-run")

    assert dry.splitlines() == [
        "Would remove 2 outbox items delivered or superseded.",
        "Would remove 2 webhook deliveries dealt with.",
        "Would remove 2 finished task rows.",
    ]
    assert OutboxItem.objects.count() + WebhookDelivery.objects.count() + DBTaskResult.objects.count() == 16
    done = run()
    assert done.splitlines()[-1] == "Removed 6 rows in all."
    for row in gone:
        assert not type(row).objects.filter(pk=row.pk).exists(), row
    for row in kept:
        assert type(row).objects.filter(pk=row.pk).exists(), row
    assert run().splitlines()[-1] == "Removed 0 rows in all."


def test_retention_from_the_settings_or_the_command_line(settings: Any) -> None:
    three_days_old = item(OutboxItem.Status.DELIVERED, 3 * DAY)
    settings.SALWIDGETS = {**settings.SALWIDGETS, "KEEP_DELIVERED_DAYS": 2}

    assert run("--dry-run").splitlines()[0] == "Would remove 1 outbox items delivered or superseded."
    assert run("--dry-run", "--delivered-days", "5").splitlines()[0] == (
        "Would remove 0 outbox items delivered or superseded."
    )
    run("--delivered-days", "0")
    assert not OutboxItem.objects.filter(pk=three_days_old.pk).exists()


def test_many_rows_go_in_batches(django_assert_max_num_queries: Any) -> None:
    OutboxItem.objects.bulk_create(
        OutboxItem(
            kind="lead", key=f"l{n}", lane=f"l{n}", payload={}, status="delivered", created_at=timezone.now() - 9 * DAY
        )
        for n in range(2 * prune.BATCH + 5)
    )

    with django_assert_max_num_queries(12):  # three batches of two statements, then the other tables
        out = run()

    assert out.splitlines()[0] == f"Removed {2 * prune.BATCH + 5} outbox items delivered or superseded."
    assert OutboxItem.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--task-days", "-1"], "argument --task-days: -1 is not a number of days (0 or more)"),
        (["--webhook-days", "a week"], "argument --webhook-days: 'a week' is not a number of days"),
    ],
)
def test_a_bad_retention_is_a_one_line_error(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as refused:
        run(*args)
    assert str(refused.value) == f"Error: {message}"


STATUSES = [choice for choice, _label in OutboxItem.Status.choices]
OUTCOMES = [choice for choice, _label in WebhookDelivery.Outcome.choices]


@hypothesis.settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=st.lists(st.tuples(st.sampled_from(STATUSES), st.integers(0, 20)), max_size=12),
    deliveries=st.lists(st.tuples(st.sampled_from(OUTCOMES), st.integers(0, 40)), max_size=12),
)
def test_only_final_rows_past_their_retention_ever_go(
    items: list[tuple[str, int]], deliveries: list[tuple[str, int]]
) -> None:
    OutboxItem.objects.all().delete()
    WebhookDelivery.objects.all().delete()
    made_items = [
        (item(status, days * DAY + timedelta(hours=1), n), status, days) for n, (status, days) in enumerate(items)
    ]
    made = [
        (delivery(outcome, days * DAY + timedelta(hours=1), n), outcome, days)
        for n, (outcome, days) in enumerate(deliveries)
    ]

    run()

    left = set(OutboxItem.objects.values_list("pk", flat=True))
    for row, status, days in made_items:
        goes = status in ("delivered", "superseded") and days >= 7
        assert (row.pk not in left) == goes, (status, days)
    left = set(WebhookDelivery.objects.values_list("pk", flat=True))
    for row, outcome, days in made:
        goes = outcome in prune.FINAL_WEBHOOKS and days >= 30
        assert (row.pk not in left) == goes, (outcome, days)
