from __future__ import annotations

import importlib.util
from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


def _fresh_on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A new session starts with fresh CTAs: drop what was cached about this person."""
    from salwidgets import cache, users

    cache.forget_person(users.identifier(user))


def _tasks_installed() -> bool:
    """Whether Django's Tasks API is there (``django.tasks``, or the ``django_tasks`` backport of
    the tasks extra); without it the outbox says so when it is first used."""
    return any(importlib.util.find_spec(name) is not None for name in ("django_tasks", "django.tasks"))


class SalWidgetsConfig(AppConfig):
    name = "salwidgets"
    verbose_name = "Smart Access Layer widgets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from salwidgets import (
            checks,  # noqa: F401 (registers the system checks)
            sync,  # noqa: F401 (registers menta's pushes with the outbox)
        )

        user_logged_in.connect(_fresh_on_sign_in, dispatch_uid="salwidgets.fresh_on_sign_in")
        if _tasks_installed():
            from salwidgets import tasks  # noqa: F401 (the outbox's worker: registers its wake-up)
