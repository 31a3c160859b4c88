from __future__ import annotations

from django.apps import AppConfig


class SalWidgetsConfig(AppConfig):
    name = "salwidgets"
    verbose_name = "Smart Access Layer widgets"
    default_auto_field = "django.db.models.BigAutoField"
