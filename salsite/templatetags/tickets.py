"""A ticket's QR code, as an image the page's CSP allows (a ``data:`` SVG)."""

from __future__ import annotations

import segno
from django import template

register = template.Library()


@register.filter
def qr_data_uri(locator: str) -> str:
    """The QR code that carries ``locator`` (what the gate scans), as an SVG data URI."""
    return str(segno.make(locator, error="m").svg_data_uri(scale=4, border=2))
