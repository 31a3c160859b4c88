"""``salwidgets.timing``: the ``Server-Timing`` a site gets with the middleware, over HTTP with
Django's test client against the sandbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from salwidgets.timing import ServerTimingMiddleware
from tests.conftest import SandboxControl

SHOW = "/events/evt_2024_metallica/show_nyc_20240815/"
TIMING = re.compile(r'^sal;dur=(\d+\.\d{3});desc="SAL", sal-cpu;dur=(\d+\.\d{3});desc="SAL CPU"$')


@pytest.fixture
def timed(settings: Any) -> None:
    first, *others = settings.MIDDLEWARE
    settings.MIDDLEWARE = [first, "salwidgets.timing.ServerTimingMiddleware", *others]


def spent(response: Any) -> tuple[float, float]:
    """(wall, CPU) in ms, from the answer's Server-Timing."""
    match = TIMING.match(response["Server-Timing"])
    assert match, response["Server-Timing"]
    return float(match.group(1)), float(match.group(2))


def test_a_page_says_how_long_its_sal_tags_took(demo: SandboxControl, client: Client, timed: None) -> None:
    client.get(SHOW)  # the answer fetched and cached

    wall, cpu = spent(client.get(SHOW))

    assert 0 < cpu <= wall + 0.5  # the thread's time, within the clocks' reading of the same span


def test_a_fragment_counts_whole_and_its_wait_for_menta_is_not_cpu(
    demo: SandboxControl, client: Client, timed: None
) -> None:
    loader = BeautifulSoup(client.get(SHOW).content, "html.parser").select_one(".sal-lazy")
    demo.faults(latencyMs=300)

    fragment = client.get(loader["hx-get"], headers={"HX-Request": "true"})

    wall, cpu = spent(fragment)
    assert fragment.status_code == 200 and fragment.content
    assert wall >= 300  # the person waited for menta
    assert cpu < 150  # the server did not work meanwhile


def test_a_page_without_sal_says_nothing(demo: SandboxControl, client: Client, timed: None) -> None:
    assert "Server-Timing" not in client.get("/accounts/login/")


def test_without_the_middleware_no_page_says_anything(demo: SandboxControl, client: Client) -> None:
    client.get(SHOW)

    assert "Server-Timing" not in client.get(SHOW)


def test_the_site_s_own_timings_are_kept() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse()
        response["Server-Timing"] = "db;dur=2"
        return response

    request = RequestFactory().get("/sal/fragments/buy/")
    request.resolver_match = type("Match", (), {"namespaces": ["salwidgets"]})()  # as resolving sets it

    timing = ServerTimingMiddleware(view)(request)["Server-Timing"]

    assert timing.startswith("db;dur=2, sal;dur=")
    assert TIMING.match(timing.removeprefix("db;dur=2, "))
