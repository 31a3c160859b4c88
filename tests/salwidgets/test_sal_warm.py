"""``sal_warm``: the coming days' shows loaded with bulk calls into the entries pages read."""

from __future__ import annotations

import io
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command
from django.test import Client

from tests.conftest import SandboxControl


def test_fills_the_listing_with_one_bulk_call_per_language(demo: SandboxControl, client: Client) -> None:
    demo.reset_stats()

    call_command("sal_warm", "--days", "60", stdout=io.StringIO())
    html = BeautifulSoup(client.get("/").content, "html.parser")

    assert demo.stats() == {"POST /v1/wrapper/accesslayer/bulk": 2}  # English and Spanish
    assert html.select_one(".sal-loader") is None
    assert len(html.select(".show-card .sal-button")) == 7  # Blue Note has resale off
    assert demo.stats() == {"POST /v1/wrapper/accesslayer/bulk": 2}


def test_only_the_days_asked_for(demo: SandboxControl) -> None:
    out = io.StringIO()

    call_command("sal_warm", "--days", "11", "--lang", "en", stdout=out)

    assert out.getvalue().strip() == "Warmed 2 shows in 1 language(s)."


def test_menta_down_is_reported(demo: SandboxControl) -> None:
    demo.faults(mode="down")

    with pytest.raises(CommandError, match="8 could not be loaded"):
        call_command("sal_warm", "--days", "60", "--lang", "en", stdout=io.StringIO())


@pytest.mark.django_db
def test_needs_a_source_of_shows(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "UPCOMING_SHOWS": ""}

    with pytest.raises(CommandError, match="UPCOMING_SHOWS"):
        call_command("sal_warm")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_only(demo: SandboxControl) -> None:
    terminal = Terminal()

    call_command("sal_warm", "--days", "60", stdout=terminal, stderr=io.StringIO())

    lines = terminal.getvalue().split("\n")
    assert lines[0].startswith("\rWarming 8/16 (shows x languages), 0 failed\rWarming 16/16")
    assert lines[1] == "Warmed 8 shows in 2 language(s)."


def test_only_the_sites_languages(demo: SandboxControl) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("sal_warm", "--lang", "xx", "--lang", "es", stdout=io.StringIO())

    assert str(refused.value) == "--lang xx: not one of the site's languages (en, es)."


def test_a_per_process_cache_is_warned_about(demo: SandboxControl) -> None:
    errors = io.StringIO()

    call_command("sal_warm", "--days", "1", "--lang", "en", stdout=io.StringIO(), stderr=errors)

    assert errors.getvalue().startswith("Warning: the SAL cache ('default', LocMemCache) is this process's own")
