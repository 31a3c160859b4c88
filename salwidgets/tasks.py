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
    """Enqueue one run of the delivery task (at ``at``, or now)."""
    enqueue_once(deliver, at)


def enqueue_once(task: Any, at: datetime | None = None) -> None:
    """Enqueue one run of ``task`` (at ``at``, or now): at most one run now per transaction.

    With the database backend the task row is written in the current transaction, so it exists
    exactly when the work stored beside it does. Other backends are asked after the commit; if
    that fails, the work stays stored and the next wake-up (any later change, or a retry) does it.
    """
    queued = task if at is None else task.using(run_after=at)
    backend = queued.get_backend()
    if at is not None and not backend.supports_defer:
        return
    name = str(task.module_path)
    if at is None and _woken_in_this_transaction(name):
        return  # one run handles everything the transaction stores
    if stores_in_database(backend):
        _enqueue(queued)
    else:
        transaction.on_commit(lambda: _enqueue(queued))
    if at is None:
        _note_woken(name)


class _Woken:
    """A do-nothing commit callback that marks a transaction (or savepoint) as having woken a
    task: Django drops it with the savepoint or transaction that rolls back, and with it the
    task row or the pending enqueue it stands for."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self) -> None:
        if _woken().get(self.name) is self:
            del _woken()[self.name]


_local = threading.local()


def _woken() -> dict[str, _Woken]:
    if not hasattr(_local, "woken"):
        _local.woken = {}
    return _local.woken  # type: ignore[no-any-return]


def _woken_in_this_transaction(name: str) -> bool:
    connection = transaction.get_connection()
    marker = _woken().get(name)
    if marker is None or not connection.in_atomic_block:
        return False
    return any(callback is marker for _savepoints, callback, _robust in connection.run_on_commit)


def _note_woken(name: str) -> None:
    if transaction.get_connection().in_atomic_block:
        marker = _woken()[name] = _Woken(name)
        transaction.on_commit(marker)


def _enqueue(task: Any) -> None:
    try:
        task.enqueue()
    except Exception:
        logger.exception("Could not enqueue task %s; what it would do waits for its next run", task.module_path)


outbox.set_waker(wake)
