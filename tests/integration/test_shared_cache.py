"""Two site processes sharing Redis, in front of the sandbox: what a busy production site sees."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
import requests

from menta_sandbox.process import Sandbox
from salwidgets import cache
from tests.conftest import SandboxControl, start_sandbox
from tests.support.servers import Redis, Site, seeded_site_env, start_redis, start_site

# Its processes use databases of their own, whatever DATABASE_URL says: run once, not again on PostgreSQL.
pytestmark = pytest.mark.own_database

SHOW = "/events/evt_hamilton/show_ham_sun/"
BUY_FRAGMENT = "/sal/fragments/buy/?event={}&show={}"
TIMEOUTS = 1.0 + 2.0  # the client's default connect and read timeouts


@dataclass
class Stack:
    redis: Redis
    sandbox: Sandbox
    control: SandboxControl
    sites: list[Site]

    def keys(self) -> dict[bytes, bytes]:
        client = redis.Redis(unix_socket_path=str(self.redis.socket))
        return {key: client.dump(key) or b"" for key in client.scan_iter()}

    def flush(self) -> None:
        """Empty Redis, then let the processes' own copies of its entries expire (they live for
        ``NEAR_SECONDS``: a time, not an event anything could wait for)."""
        redis.Redis(unix_socket_path=str(self.redis.socket)).flushdb()
        time.sleep(cache.NEAR_SECONDS)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    directory: Path = tmp_path_factory.mktemp("stack")
    cache = start_redis(directory)
    sandbox, sandbox_db = start_sandbox(tmp_path_factory)
    env = seeded_site_env(directory, cache, sandbox.url)
    sites = [start_site(env), start_site(env)]
    yield Stack(cache, sandbox, SandboxControl(sandbox.url, sandbox_db), sites)
    for site in sites:
        site.stop()
    sandbox.stop()
    cache.stop()


@pytest.fixture
def fresh(stack: Stack) -> Iterator[Stack]:
    """Nothing cached, normal faults, zeroed counts; restored afterwards."""
    stack.flush()
    stack.control.restore()
    stack.control.reset_stats()
    yield stack
    stack.control.restore()


def get(site: Site, path: str, session: requests.Session | None = None) -> requests.Response:
    return (session or requests).get(site.url + path, timeout=30, allow_redirects=False)


def signed_in(site: Site, email: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{site.url}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    answer = session.post(
        f"{site.url}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": email, "password": "demo12345"},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302
    return session


def test_100_concurrent_requests_for_a_cold_show_make_one_sal_call(fresh: Stack) -> None:
    path = BUY_FRAGMENT.format("evt_hamilton", "show_ham_sun")
    sites = fresh.sites * 50

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda site: get(site, path), sites))

    assert [answer.status_code for answer in answers] == [200] * 100
    assert all('data-sal-component="button"' in answer.text for answer in answers)
    assert fresh.control.stats() == {"GET /v1/wrapper/accesslayer": 1}


def test_warm_pages_call_nothing(fresh: Stack) -> None:
    get(fresh.sites[0], BUY_FRAGMENT.format("evt_hamilton", "show_ham_sun"))
    listing = get(fresh.sites[1], "/").text
    get(fresh.sites[1], re.search(r'class="sal-loader" hx-get="([^"]+)"', listing).group(1).replace("&amp;", "&"))  # type: ignore[union-attr]
    fresh.control.reset_stats()

    pages = [get(site, path) for site in fresh.sites for path in (SHOW, "/") * 5]

    assert all(page.status_code == 200 for page in pages)
    assert all('data-sal-component="button"' in page.text for page in pages)
    assert fresh.control.stats() == {}


@pytest.mark.parametrize("mode", ["down", "hang"])
def test_menta_failing_never_breaks_a_page(fresh: Stack, mode: str) -> None:
    get(fresh.sites[0], BUY_FRAGMENT.format("evt_hamilton", "show_ham_sun"))
    fresh.control.faults(mode=mode)

    warm = get(fresh.sites[1], SHOW)
    started = time.monotonic()
    cold = get(fresh.sites[0], BUY_FRAGMENT.format("evt_hamilton", "show_ham_mat"))
    sell = get(fresh.sites[1], "/sal/fragments/sell/")
    waited = time.monotonic() - started

    assert warm.status_code == 200 and 'data-sal-component="button"' in warm.text
    assert (cold.status_code, cold.text.strip()) == (200, "")
    assert sell.status_code == 200 and "Resale is unavailable right now" in sell.text
    assert waited < 2 * TIMEOUTS + 4  # two cold fragments, each let go at the timeouts (a generous bound)


def test_the_breaker_is_shared_by_the_processes(fresh: Stack) -> None:
    fresh.control.faults(mode="down")
    shows = ["show_ham_mat", "show_ham_eve", "show_ham_sun", "show_bluenote_1", "show_mad_night1"]
    events = ["evt_hamilton"] * 3 + ["evt_bluenote_jazz", "evt_rosalia_motomami"]
    for event_id, show_id in zip(events, shows, strict=True):
        get(fresh.sites[0], BUY_FRAGMENT.format(event_id, show_id))
    opened_after = sum(fresh.control.stats().values())
    fresh.control.restore()

    other = get(fresh.sites[1], BUY_FRAGMENT.format("evt_2024_metallica", "show_nyc_20240815"))

    assert opened_after >= 5
    assert other.text.strip() == ""  # short-cut to the fallback, though menta is back
    assert sum(fresh.control.stats().values()) == opened_after


def test_alices_ctas_are_never_served_to_bob(fresh: Stack) -> None:
    alice = signed_in(fresh.sites[0], "alice@example.com")
    bob = signed_in(fresh.sites[1], "bob@example.com")
    path = "/sal/fragments/tickets/?id=TKT-ALICE-001&id=TKT-ALICE-002"

    alices = get(fresh.sites[0], path, alice).text
    bobs = get(fresh.sites[1], path, bob).text

    assert alices.count('data-sal-status="SELLABLE"') == 2
    # Not bob's tickets: menta is not asked about them for him, and their slots get the fallback.
    assert bobs.count('class="sal-slot sal-slot--ticket"') == 2 and "data-sal-status" not in bobs and "SELL" not in bobs


def test_no_cache_entry_holds_a_one_time_token(fresh: Stack) -> None:
    alice = signed_in(fresh.sites[0], "alice@example.com")
    html = get(fresh.sites[0], "/sal/fragments/tickets/?id=TKT-ALICE-001", alice).text
    link = re.search(r'href="(/sal/go/[^"]+)" data-sal-action="SELL"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]

    location = get(fresh.sites[1], link, alice).headers["Location"]
    token = parse_qs(urlsplit(location).query)["oneTimeToken"][0]

    entries = fresh.keys()
    assert any(b"salwidgets" in key for key in entries)
    assert all(token.encode() not in key + value for key, value in entries.items())
