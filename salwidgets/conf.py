"""salwidgets' settings: one dict, ``SALWIDGETS``, merged over documented defaults.

Read lazily and cached; the cache is cleared on ``setting_changed`` so that
``override_settings(SALWIDGETS=...)`` works in tests.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    # Where menta lives and the key it knows us by. The key never leaves the server.
    "BASE_URL": "https://api.mentatech.io",
    "API_KEY": "",
    # Timeouts in seconds. Page rendering must not wait long; pushes may.
    "CONNECT_TIMEOUT": 1.0,
    "READ_TIMEOUT": 2.0,
    "PUSH_READ_TIMEOUT": 10.0,
    # Retries of safe calls (reads and upserts): how many, and the total time they may take.
    "MAX_RETRIES": 2,
    "RETRY_BUDGET": 4.0,
    "BACKOFF_BASE": 0.1,
    "BACKOFF_CAP": 1.0,
    # An answer larger than this is refused as malformed rather than read into memory.
    "MAX_RESPONSE_BYTES": 2 * 1024 * 1024,
    # Which of the two documented lead path families the client uses: "ticket-leads" or "users".
    "LEADS_PATH_FAMILY": "ticket-leads",
    # Query parameter that carries a one-time token on a menta URL.
    "OTT_PARAM": "ott",
    # Size of the connection pool shared by all threads of a process.
    "POOL_SIZE": 20,
}


@functools.cache
def get_config() -> dict[str, Any]:
    user = getattr(settings, "SALWIDGETS", {})
    unknown = set(user) - set(DEFAULTS)
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ValueError(f"Unknown SALWIDGETS setting(s): {names}")
    return {**DEFAULTS, **user}


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "SALWIDGETS":
        get_config.cache_clear()
        from salwidgets import client

        client.get_client.cache_clear()
