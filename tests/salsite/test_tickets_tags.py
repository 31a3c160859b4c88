"""A ticket's QR code: what the gate scans, encoded once per locator."""

from __future__ import annotations

import base64
from urllib.parse import unquote

import segno

from salsite.templatetags.tickets import qr_data_uri


def svg(data_uri: str) -> str:
    head, _, body = data_uri.partition(",")
    assert head.startswith("data:image/svg+xml")
    return base64.b64decode(body).decode() if head.endswith(";base64") else unquote(body)


def test_the_code_carries_the_locator() -> None:
    expected = segno.make("LOC-1", error="m").svg_data_uri(scale=4, border=2)

    assert qr_data_uri("LOC-1") == expected
    assert svg(qr_data_uri("LOC-1")).startswith("<svg")


def test_a_new_locator_gets_a_new_code_and_the_old_one_stays_its_own() -> None:
    first = qr_data_uri("LOC-2")

    assert qr_data_uri("LOC-3") != first  # a resale issues a new locator: the page shows its code
    assert qr_data_uri("LOC-2") == first
