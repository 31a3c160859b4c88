"""``salwidgets.seats``: a seat as people read it, in their language."""

from __future__ import annotations

from django.utils import translation

from salwidgets.seats import seat_label


def test_each_part_that_is_known() -> None:
    with translation.override("en"):  # whatever an earlier request left active in this thread
        assert seat_label("A", "1", "11") == "Section A, Row 1, Seat 11"
        assert seat_label("FLOOR", None, "") == "Section FLOOR"
        assert seat_label(None, None, None) == ""


def test_in_spanish() -> None:
    with translation.override("es"):
        assert seat_label("A", "1", "11") == "Sector A, Fila 1, Asiento 11"
