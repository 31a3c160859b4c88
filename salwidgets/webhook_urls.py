"""The webhook receiver; the demo includes it under ``menta/`` (so menta posts to ``/menta/webhooks``)."""

from __future__ import annotations

from django.urls import path

from salwidgets import webhooks

app_name = "salwidgets_webhooks"

urlpatterns = [
    path("webhooks", webhooks.receive, name="receive"),
]
