"""The Spanish catalogues: every plural message has the three forms Spanish declares."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = [
    path
    for folder in ("salwidgets", "sandbox/menta_sandbox", "salsite")
    for path in sorted(ROOT.glob(f"{folder}/locale/*/LC_MESSAGES/django.mo"))
]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_plural_has_every_form(path: Path) -> None:
    with path.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    forms = int(catalogue._info["plural-forms"].split("nplurals=")[1].split(";")[0])  # type: ignore[attr-defined]
    plurals = {key[0] for key in catalogue._catalog if isinstance(key, tuple)}  # type: ignore[attr-defined]

    missing = [(msgid, n) for msgid in plurals for n in range(forms) if not catalogue._catalog.get((msgid, n))]  # type: ignore[attr-defined]

    assert forms == 3
    assert plurals
    assert missing == []
