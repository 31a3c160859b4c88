"""The outbox's task on Django's Tasks API (``django.tasks`` from Django 6, the backport before),
and how the outbox wakes it: imported when the app is ready, it registers ``wake`` with the outbox."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from django_tasks import task
else:
    try:
        from django.tasks import task
    except ImportError:
        from django_tasks import task

from salwidgets import outbox

logger = logging.getLogger("salwidgets.outbox")


@task()
def deliver() -> dict[str, int]:
    """Send what is due in the outbox; the answer (counts by outcome) is kept as the task's result."""
    started = time.monotonic()
    report = outbox.deliver_due()
    if report.calls or report.superseded:
        logger.info("menta outbox: %s, in %.2f s", report.summary(), time.monotonic() - started)
    return report.as_dict()


def stores_in_database(backend: Any) -> bool:
    """Whether ``backend`` keeps its queue in the site's database (so enqueueing is transactional)."""
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:
        return False
    return isinstance(backend, DatabaseBackend)


def wake(at: datetime | None = None) -> None:
    """Enqueue one run of the delivery task (at ``at``, or now).

    With the database backend the task row is written in the current transaction, so it exists
    exactly when the items do. Other backends are asked after the commit; if that fails, the
    items stay stored and the next wake-up (any later push, or a retry) sends them.
    """
    task = deliver if at is None else deliver.using(run_after=at)
    backend = task.get_backend()
    if at is not None and not backend.supports_defer:
        return
    if at is None and _woken_in_this_transaction():
        return  # one run delivers everything the transaction stores
    if stores_in_database(backend):
        _enqueue(task)
    else:
        transaction.on_commit(lambda: _enqueue(task))
    if at is None:
        _note_woken()


class _Woken:
    """A do-nothing commit callback that marks a transaction (or savepoint) as having woken the
    worker: Django drops it with the savepoint or transaction that rolls back, and with it the
    task row or the pending enqueue it stands for."""

    def __call__(self) -> None:
        _local.woken = None


_local = threading.local()


def _woken_in_this_transaction() -> bool:
    connection = transaction.get_connection()
    marker = getattr(_local, "woken", None)
    if marker is None or not connection.in_atomic_block:
        return False
    return any(callback is marker for _savepoints, callback, _robust in connection.run_on_commit)


def _note_woken() -> None:
    if transaction.get_connection().in_atomic_block:
        _local.woken = _Woken()
        transaction.on_commit(_local.woken)


def _enqueue(task: Any) -> None:
    try:
        task.enqueue()
    except Exception:
        logger.exception("Could not enqueue the menta outbox delivery; stored items wait for the next run")


outbox.set_waker(wake)
