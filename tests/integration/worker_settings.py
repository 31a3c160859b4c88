"""The site's settings with short push timeouts and backoff, so that a dead worker's claim expires in
seconds and retries come quickly (the tests wait on them)."""

from salsite.settings import *  # noqa: F403
from salsite.settings import SALWIDGETS

SALWIDGETS = {
    **SALWIDGETS,
    "PUSH_READ_TIMEOUT": 2.0,
    "RETRY_BUDGET": 1.0,
    "SYNC_BACKOFF_BASE": 0.2,
    "SYNC_BACKOFF_CAP": 1.0,
}
