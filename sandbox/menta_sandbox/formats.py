"""How menta's pages write a price and a seat in the reader's language. The sandbox plays menta, a
service of its own, so it formats them itself: ``$1,200.50`` in English, the symbol after the
amount elsewhere (``1.200,50 €``, ``US$`` for the dollar); "Section A, Row 1, Seat 11"."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def price_text(amount: Decimal, currency: str, symbols: Mapping[str, str]) -> str:
    places = 0 if amount == amount.to_integral_value() else 2
    value = formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    if (get_language() or "en").split("-")[0] == "en":
        symbol = symbols.get(currency)
        return f"{symbol}{value}" if symbol else f"{value} {currency}"
    return f"{value}\u00a0{'US$' if currency == 'USD' else symbols.get(currency, currency)}"


def seat_label(section: str | None, row: str | None, seat: str | None) -> str:
    parts = [
        template % value
        for template, value in ((_("Section %s"), section), (_("Row %s"), row), (_("Seat %s"), seat))
        if value
    ]
    return ", ".join(str(part) for part in parts)
