"""What the site tells salwidgets about its catalogue: the shows coming up."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from salsite.models import Show


def upcoming_shows(days: int) -> list[tuple[str, str]]:
    """(event id, show id) of every show starting in the next ``days`` days."""
    shows = Show.objects.upcoming().filter(starts_at__lte=timezone.now() + timedelta(days=days))
    return [(show.event.external_id, show.external_id) for show in shows]
