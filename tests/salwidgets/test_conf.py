"""``salwidgets.conf``: one settings dict over documented defaults, re-read when settings change."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import salwidgets.conf
from salwidgets import client, conf


def test_the_defaults_under_the_site_s_settings(settings: Any) -> None:
    settings.SALWIDGETS = {"API_KEY": "k", "READ_TIMEOUT": 3.5}

    config = conf.get_config()

    assert (config["API_KEY"], config["READ_TIMEOUT"], config["CONNECT_TIMEOUT"]) == ("k", 3.5, 1.0)
    assert conf.call_seconds() == 4.5


def test_an_unknown_setting_is_refused_by_name(settings: Any) -> None:
    settings.SALWIDGETS = {"API_KEY": "k", "BASE_ULR": "https://x", "TIMEOUT": 1}

    with pytest.raises(ValueError, match="Unknown SALWIDGETS setting\\(s\\): BASE_ULR, TIMEOUT"):
        conf.get_config()


def test_a_change_reaches_the_modules_that_keep_what_they_built(settings: Any) -> None:
    settings.SALWIDGETS = {"BASE_URL": "http://127.0.0.1:1", "API_KEY": "first"}
    before = client.get_client()

    settings.SALWIDGETS = {"BASE_URL": "http://127.0.0.1:2", "API_KEY": "second"}

    assert client.get_client() is not before
    assert client.get_client().transport.base_url == "http://127.0.0.1:2"


def test_it_imports_nothing_of_salwidgets() -> None:
    """The bottom of the house: every module reads settings from here, so nothing here points up."""
    tree = ast.parse(Path(salwidgets.conf.__file__).read_text())

    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)] + [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    ]

    assert [name for name in imported if name.startswith("salwidgets")] == []
