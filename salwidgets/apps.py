from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


def _fresh_on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A new session starts with fresh CTAs: drop what was cached about this person."""
    from salwidgets import cache, users

    cache.forget_person(users.identifier(user))


class SalWidgetsConfig(AppConfig):
    name = "salwidgets"
    verbose_name = "Smart Access Layer widgets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from salwidgets import checks  # noqa: F401 (registers the system checks)

        user_logged_in.connect(_fresh_on_sign_in, dispatch_uid="salwidgets.fresh_on_sign_in")
