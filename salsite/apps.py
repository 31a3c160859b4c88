from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


def _claim_resales(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Tickets bought on resale for this email before the account existed arrive on sign-in."""
    from salsite import resale

    resale.claim(user)


class SalSiteConfig(AppConfig):
    name = "salsite"
    verbose_name = "Ticketing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from salsite import resale  # noqa: F401 (connects the receivers of menta's webhooks)

        user_logged_in.connect(_claim_resales, dispatch_uid="salsite.claim_resales")
