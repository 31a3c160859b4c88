"""A price as people read it in the active language: ``$1,200.50`` in English, the symbol after
the amount elsewhere (``1.200,50 €``, with ``US$`` for the dollar). The site's renderers and the
sandbox's pages both format prices with it, each with its own symbols."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language


def price_text(amount: Decimal, currency: str, symbols: Mapping[str, str]) -> str:
    places = 0 if amount == amount.to_integral_value() else 2
    value = formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    if (get_language() or "en").split("-")[0] == "en":
        symbol = symbols.get(currency)
        return f"{symbol}{value}" if symbol else f"{value} {currency}"
    return f"{value}\u00a0{'US$' if currency == 'USD' else symbols.get(currency, currency)}"
