"""The ownership endpoint and its OpenAPI description; the demo includes them under ``menta/``."""

from __future__ import annotations

from django.urls import path

from salwidgets import ownership

app_name = "salwidgets_ownership"

urlpatterns = [
    path("tickets", ownership.tickets, name="tickets"),
    path("openapi.json", ownership.openapi, name="openapi"),
]
