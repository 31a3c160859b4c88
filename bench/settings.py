"""The demo site as the benchmark runs it: one signed-in person makes every view, so the limit on
how often one person may make the site call menta (``RATE_LIMIT``) is lifted; every answer says in
``Server-Timing`` how long SAL took of it, which the benchmark sums per view."""

from salsite.settings import *  # noqa: F403
from salsite.settings import MIDDLEWARE, SALWIDGETS

SALWIDGETS = {**SALWIDGETS, "RATE_LIMIT": None}
MIDDLEWARE = [MIDDLEWARE[0], "salwidgets.timing.ServerTimingMiddleware", *MIDDLEWARE[1:]]  # after the probes
