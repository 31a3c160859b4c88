"""System checks: configuration problems reported at start-up, with stable ids and hints.

salwidgets.E001  a CIDR of VERIFY_ALLOWED_IPS, VERIFY_TRUSTED_PROXIES or METRICS_ALLOWED_IPS does not parse
salwidgets.E002  BASE_URL is not an http(s) URL with a host
salwidgets.E003  a timeout is not a positive number of seconds, or too long to render a page
salwidgets.E004  an entry of LINK_HOSTS is not a bare host name
salwidgets.E005  an unknown SALWIDGETS setting
salwidgets.E006  RATE_LIMIT is not "<n>/<period>" (or None)
salwidgets.E007  LOGIN_METHOD is neither "login-trust" nor "one-time-token"
salwidgets.W001  no VERIFY_SECRET: the ownership endpoint refuses every call
salwidgets.W002  no API_KEY outside DEBUG
salwidgets.W003  BASE_URL is plain http to another machine outside DEBUG
salwidgets.W004  outside DEBUG, the cache of SAL answers is kept per process
salwidgets.W005  the probe middleware is in MIDDLEWARE but not first
salwidgets.W006  the admin preview's URLs are included after admin.site.urls, which hides them
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from salwidgets.conf import DEFAULTS, get_config
from salwidgets.links import LOGIN_METHODS
from salwidgets.ownership import networks

PAGE_TIMEOUTS = ("CONNECT_TIMEOUT", "READ_TIMEOUT")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_PAGE_TIMEOUT = 10.0
RATE = re.compile(r"[1-9][0-9]*/[0-9]*[smhd]")
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def _config() -> tuple[dict[str, Any] | None, list[CheckMessage]]:
    try:
        return get_config(), []
    except ValueError as exc:
        return None, [Error(str(exc), hint=f"Known settings: {', '.join(DEFAULTS)}.", id="salwidgets.E005")]


@register(Tags.compatibility)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    config, messages = _config()
    if config is None:
        return messages
    base = urlsplit(str(config["BASE_URL"]))
    if base.scheme not in ("http", "https") or not base.hostname:
        messages.append(
            Error(
                f"SALWIDGETS['BASE_URL'] {config['BASE_URL']!r} is not an http(s) URL with a host.",
                hint="For menta: https://api.mentatech.io",
                id="salwidgets.E002",
            )
        )
    elif base.scheme == "http" and not settings.DEBUG and base.hostname not in LOOPBACK:
        messages.append(
            Warning(
                "SALWIDGETS['BASE_URL'] is plain http: the API key would cross the network in clear.",
                hint="Use https outside the local sandbox.",
                id="salwidgets.W003",
            )
        )
    if not config["API_KEY"] and not settings.DEBUG:
        messages.append(
            Warning(
                "SALWIDGETS['API_KEY'] is empty: menta will refuse every call.",
                hint="Set MENTA_API_KEY to the key menta tech gave you.",
                id="salwidgets.W002",
            )
        )
    for name in (*PAGE_TIMEOUTS, "PUSH_READ_TIMEOUT", "RETRY_BUDGET"):
        value = config[name]
        limit = MAX_PAGE_TIMEOUT if name in PAGE_TIMEOUTS else 120.0
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= limit:
            messages.append(
                Error(
                    f"SALWIDGETS['{name}'] is {value!r}: it must be a number of seconds above 0 and at most {limit:g}.",
                    hint="The defaults suit page rendering: 1 s to connect, 2 s to read.",
                    id="salwidgets.E003",
                )
            )
    rate = config["RATE_LIMIT"]
    if rate is not None and not (isinstance(rate, str) and RATE.fullmatch(rate)):
        messages.append(
            Error(
                f"SALWIDGETS['RATE_LIMIT'] is {rate!r}: it must be calls per period like '60/m', or None.",
                hint="Periods: s, m, h, d (optionally with a count: '100/5m').",
                id="salwidgets.E006",
            )
        )
    if config["LOGIN_METHOD"] not in LOGIN_METHODS:
        messages.append(
            Error(
                f"SALWIDGETS['LOGIN_METHOD'] is {config['LOGIN_METHOD']!r}.",
                hint=f"Use one of: {', '.join(LOGIN_METHODS)}.",
                id="salwidgets.E007",
            )
        )
    backend = settings.CACHES.get(config["CACHE_ALIAS"], {}).get("BACKEND", "")
    if not settings.DEBUG and backend in PER_PROCESS_CACHES:
        messages.append(
            Warning(
                f"SALWIDGETS['CACHE_ALIAS'] {config['CACHE_ALIAS']!r} is a per-process cache ({backend}): "
                "with several workers each calls menta on its own, keeps its own breaker and rate counts, "
                "and misses the invalidations menta's webhooks bring to another.",
                hint="Use a shared cache (Redis or Memcached) in production.",
                id="salwidgets.W004",
            )
        )
    for host in config["LINK_HOSTS"]:
        if not isinstance(host, str) or not host or any(char in host for char in "/:@ "):
            messages.append(
                Error(
                    f"SALWIDGETS['LINK_HOSTS'] entry {host!r} is not a host name.",
                    hint="Write hosts like 'menta.example' or '.mentatech.io' (any subdomain).",
                    id="salwidgets.E004",
                )
            )
    return messages


@register()
def check_ownership_endpoint(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    config, _ = _config()
    if config is None:
        return []
    messages: list[CheckMessage] = []
    if not config["VERIFY_SECRET"]:
        messages.append(
            Warning(
                "SALWIDGETS['VERIFY_SECRET'] is not set: the ownership endpoint refuses every call.",
                hint="Set SAL_VERIFY_SECRET to the secret menta sends in X-Menta-Secret.",
                id="salwidgets.W001",
            )
        )
    for name in ("VERIFY_ALLOWED_IPS", "VERIFY_TRUSTED_PROXIES", "METRICS_ALLOWED_IPS"):
        try:
            networks(config[name])
        except ValueError as exc:
            messages.append(
                Error(f"SALWIDGETS['{name}']: {exc}.", hint="Use CIDRs like 203.0.113.0/24.", id="salwidgets.E001")
            )
    return messages


PROBES = "salwidgets.probes.ProbeMiddleware"


@register()
def check_probes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    if PROBES in middleware and middleware[0] != PROBES:
        return [
            Warning(
                f"{PROBES} is not first in MIDDLEWARE: a load balancer's probe may be redirected to https, "
                "refused for its Host header or given a session before it is answered.",
                hint=f"Move {PROBES!r} to the top of MIDDLEWARE.",
                id="salwidgets.W005",
            )
        ]
    return []


@register(Tags.urls)
def check_admin_urls(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``admin/sal/`` after ``admin/``: the admin's catch-all takes it for an app's page (a 404)."""
    try:
        preview = reverse("salwidgets_admin:preview")
    except NoReverseMatch:  # not included: nothing to hide
        return []
    try:
        found = resolve(preview)
    except Resolver404:
        return []
    if found.namespace == "salwidgets_admin":
        return []
    return [
        Warning(
            f"{preview} is answered by {found.view_name}, not the SAL preview: admin.site.urls comes first in "
            "the URLconf and takes it for a page of its own (a 404).",
            hint='Put path("admin/sal/", include("salwidgets.admin_urls")) before path("admin/", admin.site.urls).',
            id="salwidgets.W006",
        )
    ]
