"""A seat as people read it, in their language: "Section A, Row 1, Seat 11" / "Sector A, Fila 1, Asiento 11"."""

from __future__ import annotations

from django.utils.translation import gettext as _


def seat_label(section: str | None, row: str | None, seat: str | None) -> str:
    parts = [
        template % value
        for template, value in ((_("Section %s"), section), (_("Row %s"), row), (_("Seat %s"), seat))
        if value
    ]
    return ", ".join(str(part) for part in parts)
