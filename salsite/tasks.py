"""The demo site's own background work, on the same task engine as salwidgets' outbox."""

from __future__ import annotations

import logging

from django_tasks import task

from salsite.models import Cart

logger = logging.getLogger("salsite")


@task()
def expire_carts() -> int:
    """End the carts whose hold ran out (each run ends every overdue cart, not only its own)."""
    from salsite import checkout

    return checkout.expire_overdue()


@task()
def write_report_export(export_id: int) -> str:
    """Write one XLSX of an event's ticket report (requested in the admin)."""
    from salsite import report

    return report.write_xlsx(export_id)


def schedule_expiry(cart: Cart) -> None:
    try:
        expire_carts.using(run_after=cart.expires_at).enqueue()
    except Exception:
        logger.exception("Could not schedule the expiry of cart %s", cart.pk)
