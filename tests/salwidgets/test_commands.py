"""manage.py sal_push_event: a show at menta from the command line, and clear refusals."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import SandboxControl

START = "2030-05-01T20:00:00+00:00"


def test_creates_then_replaces_an_event(site_menta: SandboxControl) -> None:
    out = io.StringIO()
    call_command("sal_push_event", "evt_cmd", "show_cmd", "--title", "First", "--starts", START, stdout=out)
    call_command("sal_push_event", "evt_cmd", "show_cmd", "--title", "Renamed", "--starts", START, stdout=out)

    status, envelope = site_menta.call(
        "GET", "/v1/wrapper/accesslayer", params={"eventId": "evt_cmd", "showId": "show_cmd", "type": "buy"}
    )
    assert status == 200 and envelope["data"]
    assert site_menta.rows("SELECT title FROM menta_sandbox_event WHERE external_id = ?", "evt_cmd") == [("Renamed",)]
    assert "Event evt_cmd with show show_cmd is at menta." in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--starts", "tomorrow"], "--starts 'tomorrow' is not a date and time with a zone"),
        (["--starts", "2030-05-01T20:00:00"], "is not a date and time with a zone"),
        (["--starts", START, "--price", "free"], "--price 'free' is not an amount"),
        (["--starts", START, "--price", "-1"], "--price '-1' must be above 0"),
        (["--starts", START, "--currency", "dollars"], "menta did not take the event"),
    ],
)
def test_bad_input_is_a_clear_error(site_menta: SandboxControl, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        call_command("sal_push_event", "evt_bad", "show_bad", "--title", "Bad", *args)
