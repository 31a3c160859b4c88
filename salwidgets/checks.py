"""System checks: configuration problems reported at start-up, with stable ids and hints."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register

from salwidgets.conf import get_config
from salwidgets.ownership import networks


@register()
def check_ownership_endpoint(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    config = get_config()
    messages: list[CheckMessage] = []
    if not config["VERIFY_SECRET"]:
        messages.append(
            Warning(
                "SALWIDGETS['VERIFY_SECRET'] is not set: the ownership endpoint refuses every call.",
                hint="Set SAL_VERIFY_SECRET to the secret menta sends in X-Menta-Secret.",
                id="salwidgets.W001",
            )
        )
    for name in ("VERIFY_ALLOWED_IPS", "VERIFY_TRUSTED_PROXIES"):
        try:
            networks(config[name])
        except ValueError as exc:
            messages.append(
                Error(f"SALWIDGETS['{name}']: {exc}.", hint="Use CIDRs like 203.0.113.0/24.", id="salwidgets.E001")
            )
    return messages
