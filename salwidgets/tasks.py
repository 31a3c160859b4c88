"""The outbox's task on Django's Tasks API (``django.tasks`` from Django 6, the backport before)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

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
