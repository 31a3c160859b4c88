from __future__ import annotations

from django.apps import AppConfig


class SalSiteConfig(AppConfig):
    name = "salsite"
    verbose_name = "Ticketing"
    default_auto_field = "django.db.models.BigAutoField"
