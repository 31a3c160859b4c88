"""Redis killed under load: the site under gunicorn (two workers, DEBUG off) keeps answering every
page, login included, without a single 5xx, and uses Redis again once it is back; meanwhile its
readiness probe says the node is not ready (its cache does not answer) and its liveness probe
that the process is."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.conftest import start_sandbox
from tests.integration.test_shared_cache import signed_in
from tests.support.servers import seeded_site_env, start_redis, start_site

# Its processes use databases of their own, whatever DATABASE_URL says: run once, not again on PostgreSQL.
pytestmark = pytest.mark.own_database

SHOW = "/events/evt_2024_metallica/show_nyc_20240815/"
FRAGMENT = "/sal/fragments/buy/?event=evt_2024_metallica&show=show_nyc_20240815"
LISTINGS = "/sal/fragments/listings/?event=evt_2024_metallica&show=show_nyc_20240815"


class Load:
    """Eight threads asking for the site's pages until stopped, counting answers by status."""

    def __init__(self, requests_: list[Callable[[], requests.Response]]) -> None:
        self.requests = requests_
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(8)]

    def _run(self, n: int) -> None:
        while not self._stop.is_set():
            for call in self.requests[n % len(self.requests) :] + self.requests[: n % len(self.requests)]:
                try:
                    status = call().status_code
                except requests.RequestException as exc:
                    with self._lock:
                        self.errors.append(repr(exc))
                    continue
                with self._lock:
                    self.statuses[status] += 1

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def total(self) -> int:
        with self._lock:
            return sum(self.statuses.values())

    def wait_for(self, more: int) -> None:
        """Until ``more`` answers have come in (the load's own pace, not a fixed time)."""
        target = self.total() + more
        deadline = time.monotonic() + 60
        while self.total() < target and time.monotonic() < deadline:
            time.sleep(0.05)


def test_killing_redis_under_load_costs_no_5xx(tmp_path_factory: pytest.TempPathFactory) -> None:
    directory: Path = tmp_path_factory.mktemp("redis-down")
    cache = start_redis(directory)
    sandbox, _db = start_sandbox(tmp_path_factory)
    # bob signs in again and again from one address: more than the 30 a minute an address may.
    env = {**seeded_site_env(directory, cache, sandbox.url), "DJANGO_LOGIN_RATE_LIMIT": "10000/m/ip"}
    site = start_site(env, workers=2, threads=4)
    try:
        alice = signed_in(site, "alice@example.com")

        one_at_a_time = threading.Lock()

        def login() -> requests.Response:
            # bob signs in from one place at a time: concurrent sign-ins of one account from one
            # address contend for its rate limit's lock, and all but one are refused.
            with one_at_a_time:
                session = signed_in(site, "bob@example.com")
            return session.get(f"{site.url}/my-tickets/", timeout=30, allow_redirects=False)

        pages = [
            lambda: requests.get(f"{site.url}/", timeout=30),
            lambda: requests.get(site.url + SHOW, timeout=30),
            lambda: requests.get(site.url + FRAGMENT, timeout=30),
            lambda: alice.get(f"{site.url}/my-tickets/", timeout=30, allow_redirects=False),
            login,
        ]
        with Load(pages) as load:
            load.wait_for(60)
            cache.stop()  # killed: every connection to it is refused from now on
            before_kill = load.total()
            load.wait_for(150)
            during = load.total() - before_kill
            # The load balancer's view meanwhile: the process is live, the node not ready.
            probes_down = [requests.get(f"{site.url}{path}", timeout=30) for path in ("/healthz", "/readyz")]
            cache = start_redis(directory)  # back, empty, on the same socket
            load.wait_for(100)
            probes_back = [requests.get(f"{site.url}{path}", timeout=30) for path in ("/healthz", "/readyz")]

        print(f"answers {dict(load.statuses)}, {during} while Redis was down")
        assert load.errors == []
        assert not [status for status in load.statuses if status >= 500], load.statuses
        assert set(load.statuses) <= {200, 302}, load.statuses
        assert during >= 150
        assert [probe.status_code for probe in probes_down] == [200, 503]
        assert probes_down[1].json()["checks"]["cache:default"] != "ok"
        assert probes_down[1].json()["checks"]["database:default"] == "ok"
        assert [probe.status_code for probe in probes_back] == [200, 200]
        # Recovered: the show's components and listings are cached in Redis again, so the page renders
        # them inline.
        requests.get(site.url + FRAGMENT, timeout=30)
        requests.get(site.url + LISTINGS, timeout=30)
        page = requests.get(site.url + SHOW, timeout=30).text
        assert 'data-sal-component="button"' in page and "sal-lazy" not in page
    finally:
        site.stop()
        sandbox.stop()
        cache.stop()
