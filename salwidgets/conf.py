"""salwidgets' settings: one dict, ``SALWIDGETS``, merged over documented defaults.

Read lazily and cached; the cache is cleared on ``setting_changed`` so that
``override_settings(SALWIDGETS=...)`` works in tests. This module imports nothing of salwidgets:
each module that keeps something built from the settings clears it on its own receiver.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# The defaults of calls to menta, spelled once: the client's and the transport's arguments, and
# the SALWIDGETS settings below, read them. Seconds, unless named otherwise.
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 2.0  # while a page renders: it must not wait long
PUSH_READ_TIMEOUT = 10.0  # pushes of events, tickets, inventory and leads may
MAX_RETRIES = 2  # of safe calls (reads and upserts)
RETRY_BUDGET = 4.0  # the total time those retries may take
BACKOFF_BASE = 0.1
BACKOFF_CAP = 1.0
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
POOL_SIZE = 20  # connections kept open to menta per process


DEFAULTS: dict[str, Any] = {
    # Off: every tag renders nothing and nothing calls menta (a kill switch).
    "ENABLED": True,
    # Where menta lives and the key it knows us by. The key never leaves the server.
    "BASE_URL": "https://api.mentatech.io",
    "API_KEY": "",
    # Timeouts in seconds. Page rendering must not wait long; pushes may.
    "CONNECT_TIMEOUT": CONNECT_TIMEOUT,
    "READ_TIMEOUT": READ_TIMEOUT,
    "PUSH_READ_TIMEOUT": PUSH_READ_TIMEOUT,
    # Retries of safe calls (reads and upserts): how many, and the total time they may take.
    "MAX_RETRIES": MAX_RETRIES,
    "RETRY_BUDGET": RETRY_BUDGET,
    "BACKOFF_BASE": BACKOFF_BASE,
    "BACKOFF_CAP": BACKOFF_CAP,
    # An answer larger than this is refused as malformed rather than read into memory.
    "MAX_RESPONSE_BYTES": MAX_RESPONSE_BYTES,
    # Which of the two documented lead path families the client uses: "ticket-leads" or "users".
    "LEADS_PATH_FAMILY": "ticket-leads",
    # Query parameter that carries a one-time token on a menta URL.
    "OTT_PARAM": "oneTimeToken",
    # How a click signs the person in at menta. "login-trust": one call to the marketplace URL
    # endpoint of the flow (buy, sell, order, details), which answers a URL that already carries
    # a token; "one-time-token": a token call, the token appended to the component's URL. Links
    # that enter no such flow (banners, list items) and people without an email use the token.
    "LOGIN_METHOD": "login-trust",
    # The Login Trust method menta is told (loginTrust[withMethod]).
    "LOGIN_TRUST_METHOD": "email",
    # Size of the connection pool shared by all threads of a process.
    "POOL_SIZE": POOL_SIZE,
    # Hosts that component and CTA URLs may point to (a leading dot admits subdomains).
    # Empty: the host of BASE_URL and menta's own domain.
    "LINK_HOSTS": [],
    # How long a rendered link to menta stays valid, in seconds (it is signed and bound to the user).
    "LINK_MAX_AGE": 3600,
    # How often one client (a signed-in person, else an address) may make the site call menta
    # through the lazy fragments and the redirect view, as django-ratelimit's "<n>/<s|m|h|d>";
    # beyond it they get the fallback (429). Answers served from the cache never count. None: no limit.
    "RATE_LIMIT": "60/m",
    # Dotted path of ``f(user) -> str``, the identifier menta knows a signed-in person by.
    "USER_IDENTIFIER": "salwidgets.users.email",
    # Django cache alias for SAL answers.
    "CACHE_ALIAS": "default",
    # Upper bound on the freshness menta asks for (maxAge), and how long stale answers are kept.
    "FRESH_SECONDS": 60,
    "STALE_SECONDS": 24 * 60 * 60,
    # How long a 404 from menta (unknown event or show) is remembered.
    "NOT_FOUND_SECONDS": 30,
    # How long a person's ticket and order CTAs are cached (under that person's key).
    "USER_SECONDS": 30,
    # Circuit breaker: failures in a row that open it, and seconds it stays open before one probe.
    "BREAKER_FAILURES": 5,
    "BREAKER_COOLDOWN": 30,
    # Dotted path of ``f(days) -> Iterable[(event id, show id)]``: the shows ``sal_warm`` loads
    # (and the admin preview offers).
    "UPCOMING_SHOWS": "",
    # Dotted path of ``f(email) -> (ticket ids, order ids)``: a person's items, for the admin preview
    # and to mark the signed-in person's own listings in {% sal_listings %} (not offered to them).
    "PERSON_ITEMS": "",
    # The site's own stylesheets for the components (static paths, e.g. its --sal-* colours), loaded
    # after salwidgets.css by {% sal_assets %} and by the admin preview, which then looks like the site.
    "THEME_STYLESHEETS": [],
    # Origins allowed to embed a show's components with the <script> snippet (CORS), e.g. https://shop.example.
    "EMBED_ORIGINS": [],
    # The JSON API for the platform's apps (/sal/api/v1/): dotted paths of ``f(request) -> user or
    # None``, tried in order when the request has no signed-in session (an app's bearer token, say).
    # A function raises PermissionDenied for credentials that are present but wrong (a 401).
    "API_AUTHENTICATION": [],
    # The ownership endpoint menta calls (contract 7): the shared secret of header X-Menta-Secret
    # (unset: every call is refused), the CIDRs menta calls from (empty: any), the CIDRs of proxies
    # whose X-Forwarded-For is believed, and the dotted path of ``f(email) -> Iterable[OwnedTicket]``.
    "VERIFY_SECRET": "",
    "VERIFY_ALLOWED_IPS": [],
    "VERIFY_TRUSTED_PROXIES": [],
    "OWNED_TICKETS": "",
    # The webhook receiver (contract 8) takes the secret and addresses above, plus, when set, the
    # Standard Webhooks signing secrets ("whsec_..."; several while a key is being rotated), and
    # refuses bodies larger than WEBHOOK_MAX_BYTES.
    "WEBHOOK_SIGNING_SECRETS": [],
    "WEBHOOK_MAX_BYTES": 256 * 1024,
    # The outbox (salwidgets.sync): seconds before the first retry of a failed delivery (doubled
    # at each attempt, with jitter, up to the cap), and the attempts after which an item fails.
    "SYNC_BACKOFF_BASE": 2.0,
    "SYNC_BACKOFF_CAP": 900.0,
    "SYNC_MAX_ATTEMPTS": 30,
    # An item still undelivered this many seconds after it was stored is logged at WARNING at each
    # retry (the retries before are INFO: a short outage is not worth waking anyone).
    "SYNC_WARN_AFTER": 600,
    # What `manage.py sal_prune` removes, in days of age: outbox items delivered or superseded,
    # webhook deliveries that were dealt with (kept long enough that menta's retries of one are
    # still recognised as replays), and the finished task rows of salwidgets' worker.
    "KEEP_DELIVERED_DAYS": 7,
    "KEEP_WEBHOOK_DAYS": 30,
    "KEEP_TASK_DAYS": 7,
    # The probes a load balancer or an orchestrator calls (salwidgets.probes.ProbeMiddleware):
    # liveness answers without touching anything, readiness checks the site's own databases and
    # caches (the aliases listed; None: all of them). menta's state never makes a node unready.
    "LIVENESS_PATH": "/healthz",
    "READINESS_PATH": "/readyz",
    "READY_DATABASES": None,
    "READY_CACHES": None,
    # Metrics for Prometheus at METRICS_PATH, for the addresses in METRICS_ALLOWED_IPS (CIDRs; the
    # peer's address, no proxy header believed) or any caller with "Authorization: Bearer
    # <METRICS_TOKEN>" when a token is set. None as the path: not served.
    "METRICS_PATH": "/metrics",
    "METRICS_ALLOWED_IPS": ["127.0.0.1/32", "::1/128"],
    "METRICS_TOKEN": "",
}
MENTA_DOMAIN = ".mentatech.io"


@functools.cache
def get_config() -> dict[str, Any]:
    user = getattr(settings, "SALWIDGETS", {})
    unknown = set(user) - set(DEFAULTS)
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ValueError(f"Unknown SALWIDGETS setting(s): {names}")
    return {**DEFAULTS, **user}


def call_seconds() -> float:
    """The longest one call to menta made while a page renders can take (connect plus read)."""
    config = get_config()
    return float(config["CONNECT_TIMEOUT"] + config["READ_TIMEOUT"])


@receiver(setting_changed, dispatch_uid="salwidgets.conf")
def _reset(*, setting: str, **kwargs: Any) -> None:
    # Connected first (every module that reads settings imports this one), so the modules that
    # keep something built from them, and clear it on their own receivers, read the new values.
    if setting == "SALWIDGETS":
        get_config.cache_clear()
