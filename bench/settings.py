"""The demo site as the benchmark runs it: one signed-in person makes every view, so the limit on
how often one person may make the site call menta (``RATE_LIMIT``) is lifted."""

from salsite.settings import *  # noqa: F403
from salsite.settings import SALWIDGETS

SALWIDGETS = {**SALWIDGETS, "RATE_LIMIT": None}
