"""The site's settings with short backoff and a short retry budget, so that a dead worker's claim
expires in seconds and retries come quickly (the tests wait on them). The push timeout keeps room
for a loaded machine: with 2 s, two of these tests failed in CI beside the rest of the suite, and
a push that times out is sent again (one bulk call more than the test counts)."""

from salsite.settings import *  # noqa: F403
from salsite.settings import SALWIDGETS

SALWIDGETS = {
    **SALWIDGETS,
    "PUSH_READ_TIMEOUT": 8.0,
    "RETRY_BUDGET": 1.0,
    "SYNC_BACKOFF_BASE": 0.2,
    "SYNC_BACKOFF_CAP": 1.0,
}
