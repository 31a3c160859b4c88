"""``salwidgets.prices``: a price as people read it in the active language."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from salwidgets.prices import price_text

SYMBOLS = {"USD": "$", "EUR": "€"}


@pytest.mark.parametrize(
    ("lang", "amount", "currency", "text"),
    [
        ("en", "1200.50", "USD", "$1,200.50"),
        ("en", "95", "USD", "$95"),
        ("en", "10", "PEN", "10 PEN"),
        ("es", "1200.50", "USD", "1\u00a0200,50\u00a0US$"),
        ("es", "95", "EUR", "95\u00a0€"),
        ("es", "10", "PEN", "10\u00a0PEN"),
    ],
)
def test_amount_grouping_decimals_and_symbol_follow_the_language(
    lang: str, amount: str, currency: str, text: str
) -> None:
    with translation.override(lang):
        assert price_text(Decimal(amount), currency, SYMBOLS) == text
