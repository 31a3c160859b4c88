from __future__ import annotations

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "menta_sandbox"
    label = "menta_sandbox"
    verbose_name = "menta sandbox"
    default_auto_field = "django.db.models.BigAutoField"
