"""The demo site's background work, on the same task engine as salwidgets' outbox. Each task is
defined beside its work (a cart's expiry in ``checkout``, an export in ``report``); the names here
keep resolving for tasks queued under them."""

from __future__ import annotations

from salsite.checkout import expire_carts, schedule_expiry
from salsite.report import write_report_export

__all__ = ["expire_carts", "schedule_expiry", "write_report_export"]
