"""``make bench``: the three pages under load, SAL on against the same pages without SAL.

gunicorn (2 workers x 4 threads) serves the site on Redis, in front of the sandbox with 150 ms
of added latency. wrk drives the load: 8 connections, each making page views as a browser does
(the page, then every fragment it asks htmx to load). Each round starts new processes of the
sites (see ``Bench.restart``) and measures every scenario for a few seconds, and each of those
runs lies between two runs of the page without SAL: its views per second are divided by the
mean of its two neighbours', so that a drift of a shared machine's speed weighs on both sides of
the ratio. The table gives the median ratio over the rounds with its
min and max, so the noise shows instead of hiding in one figure; the ``SAL off`` row compares each
run without SAL with its own two neighbours, which is the noise of the measurement itself. Beside
it, the site's own CPU time per view (its workers', from /proc), and SAL off's over each run's:
the cost of SAL that other tenants of the machine and the load generator do not blur.

Scenarios: the page without SAL (``SAL off``, the baseline), the integration a developer writes
by hand (``hand-written``: menta called on every render, nothing cached), SAL with its answers
cached (``warm``), while a listing changes every second (``listing change``: menta's webhook
drops the show's answers), and the outages (``OUTAGES``: menta down, hanging or failing half its
calls) on answers older than their freshness and after a restart on that stale shared cache, and
menta down with nothing cached (the breaker open: the fallback). For the outages it also counts the
calls menta received while the breaker was open. A ``cold`` view (nothing cached) is measured one
at a time, and first views in Chromium at 320, 390 and 1280 px, nothing cached: how long until the
last SAL answer is on the page (SAL off: until the page is loaded), and how much the page moved
while they arrived (CLS, a sum, not a timing). Then the listing with 50, 200 and 500 shows, and My
tickets with 1,000 tickets, cold and warm.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import pickle
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import redis
import requests
from standardwebhooks import Webhook

from menta_sandbox import process
from salwidgets import breaker
from salwidgets.cache import NEAR_SECONDS, Entry
from tests.support.servers import ROOT, Redis, Site, manage, site_env, start_redis, start_site

SHOW = ("evt_2024_metallica", "show_nyc_20240815")
PAGES = {
    "show": f"/events/{SHOW[0]}/{SHOW[1]}/",
    "listing (50 shows)": "/",
    "my tickets (40 in 10 orders)": "/my-tickets/",
}
# The show whose listing changes in the ``listing change`` scenario of each page, and its seller.
CHANGING = {
    "show": (*SHOW, "someone@example.com"),
    "listing (50 shows)": ("evt_bench_festival", "bench_night_00", "someone@example.com"),
    "my tickets (40 in 10 orders)": ("evt_bench_festival", "bench_night_00", "fan@example.com"),
}
# The key of the breaker's "open until" in Redis (Django's cache prefixes keys with ":<version>:").
BREAKER_OPEN_UNTIL = f":1:{breaker.OPEN_UNTIL}"
FAN = "fan@example.com"
CROWD = "crowd@example.com"  # 1,000 tickets in 250 orders, for the scale check
PASSWORD = "demo12345"
LAZY = re.compile(r'hx-get="([^"]+)"')
ANSWER_KEYS = ("show", "listings", "tickets", "orders")
SAL_KEYS = (*ANSWER_KEYS, "bulk")
VERIFY_SECRET = secrets.token_urlsafe(24)
SIGNING_SECRET = "whsec_" + "YmVuY2gtd2ViaG9vay1zaWduaW5nLXNlY3JldCEhIQ=="
# The scenarios; SAL off runs before and after each of the others. Every other round runs them
# backwards, so that no scenario always follows the same one. Those with a target run in every
# round; the others (a figure to compare, no target) in the first ``COMPARED_ROUNDS``.
# The outages: menta answering 503 to everything, holding every call until it times out, or
# failing half its calls at random. Each is measured twice, on answers cached a while ago (older
# than their freshness, as after an idle minute; the breaker closed, as it is when an outage
# starts) and once more after the site restarts on that stale shared cache (new processes, nothing
# of their own).
OUTAGES = {
    "down": {"mode": "down", "errorRate": 0},
    "hanging": {"mode": "hang", "errorRate": 0},
    "flapping": {"mode": "normal", "errorRate": 0.5},
}
AGES = ("aged", "restarted")
OUTAGE_SCENARIOS = tuple(f"{outage}, {age}" for outage in OUTAGES for age in AGES)
NOTHING_CACHED = "down, nothing cached"
LOAD = ("SAL off", "warm", *OUTAGE_SCENARIOS, NOTHING_CACHED, "listing change", "hand-written")
TARGETED = ("warm", *OUTAGE_SCENARIOS, NOTHING_CACHED)
COMPARED_ROUNDS = 1
# How long each run lasts, and how many rounds. Twelve runs of SAL off in a row, each against its
# two neighbours: at 3 s their ratios had a standard deviation of 0.051 (p95's 0.088), at 5 s
# 0.023 (0.064). wrk counts the views a run completed, so the views in flight when it stops
# (up to one per connection, 8 of about 360 in 3 s) weigh less in a longer run. So 2 rounds of
# 4 s (8 s of load a scenario) rather than 3 of 3 (9 s): the mean of two ratios varies less than
# the median of three of sd 0.051, and `make bench` stays within 20 minutes (22 with 5 s).
# Pinning the site to one CPU and wrk to the other steadied throughput (sd 0.020 at 5 s) but
# not p95 (0.087): not done.
SECONDS = 4.0
ROUNDS = 2
QUICK_ROUNDS = 1
QUICK_SECONDS = 3.0
# While the breaker is open, menta is called only by its probes: at most one a second per site.
TARGET_OPEN_CALLS_PER_SECOND = 1.0
TARGET_RATIO, TARGET_P95 = 0.95, 1.10
WARM_UP_VIEWS = 10
COLD_VIEWS = 5  # one at a time, each after the cache is emptied; the latency has little spread
SETTLE_SECONDS = 5  # at most, after a restart
SCALE_ROUNDS = 2  # the scale check asks whether cost grows linearly, not for a few per cent
# Linear: a show costs at most this much more at 500 shows than at 50 (fixed costs make it less).
LINEAR_SLACK = 1.25
URL_LIMIT = 4094  # the longest request line gunicorn accepts (limit_request_line)
# The JSON API for apps on the same site as its baselines: a show's answer (and its 304) against
# a trivial JSON view (the platform's /api/version), a person's tickets against the platform's own
# JSON of the same tickets without SAL. (baseline, path, ask with the ETag held).
API = {
    "show": ("/api/version", f"/sal/api/v1/shows/{SHOW[0]}/{SHOW[1]}", False),
    "show, 304": ("/api/version", f"/sal/api/v1/shows/{SHOW[0]}/{SHOW[1]}", True),
    "my tickets (40 in 10 orders)": ("/api/me/tickets", "/sal/api/v1/me/tickets", False),
}


# First views in Chromium (Debian's, never a downloaded one), at a phone's widths and a laptop's.
WIDTHS = (320, 390, 1280)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
TARGET_SHIFT = 0.01
# Sums layout shifts (CLS) and notes when htmx last put an answer on the page.
WATCH_FIRST_VIEW = """
window.__shift = 0;
window.__swapped = 0;
window.__fragments = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
}).observe({ type: "layout-shift", buffered: true });
document.addEventListener("htmx:afterSettle", () => { window.__swapped = performance.now(); window.__fragments += 1; });
"""
# A page whose answers are all inline has them at DOMContentLoaded; otherwise at the last swap.
SHOWN_AT = """() => ({
  ms: Math.max(window.__swapped, performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd),
  shift: window.__shift,
  fragments: window.__fragments,
})"""


@dataclass
class FirstView:
    """One cold first view in Chromium: when its last answer arrived (ms from navigation), its CLS."""

    site: str
    width: int
    ms: float
    shift: float
    fragments: int


@dataclass
class Run:
    """One scenario for a few seconds, as wrk saw it, and the SAL calls it made."""

    views: int
    fragments: int
    failures: int
    seconds: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    sal_calls: int = 0
    cpu_seconds: float = 0.0  # the site's workers' CPU time (user and system) during the run
    open_seconds: float = 0.0  # how long the breaker was open during the run
    open_calls: int = 0  # the calls menta received meanwhile
    sal_ms: float = 0.0  # what the answers' Server-Timing gave to SAL, summed: wall time
    sal_cpu_ms: float = 0.0  # and CPU time

    @property
    def rate(self) -> float:
        return self.views / self.seconds

    @property
    def cpu_ms(self) -> float:
        """The site's CPU time per view (its workers'), whatever the machine's other tenants take."""
        return 1000 * self.cpu_seconds / self.views if self.views else 0.0

    @property
    def sal_cpu_per_view(self) -> float:
        """The CPU time a view spent in SAL (its tags on the page, its fragments): ms."""
        return self.sal_cpu_ms / self.views if self.views else 0.0

    @property
    def sal_wall_per_view(self) -> float:
        return self.sal_ms / self.views if self.views else 0.0


@dataclass
class Measured:
    """A run and the runs without SAL just before and after it."""

    run: Run
    before: Run
    after: Run

    @property
    def ratio(self) -> float:
        """Views per second over SAL off's at the same time (the mean of its neighbours')."""
        return self.run.rate / statistics.mean((self.before.rate, self.after.rate))

    @property
    def p95_ratio(self) -> float:
        return self.run.p95_ms / statistics.mean((self.before.p95_ms, self.after.p95_ms))

    @property
    def cpu_ratio(self) -> float:
        """SAL off's CPU per view over this run's: like ``ratio``, the views a second it allows."""
        return statistics.mean((self.before.cpu_ms, self.after.cpu_ms)) / self.run.cpu_ms


def spread(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


class Bench:
    def __init__(self, directory: Path, rounds: int, seconds: float, connections: int) -> None:
        self.rounds, self.seconds, self.connections = rounds, seconds, connections
        self.cache: Redis = start_redis(directory)
        self.sandbox = process.start(db=directory / "sandbox.sqlite3")
        env = site_env(
            db=directory / "site.sqlite3",
            redis=self.cache,
            sandbox_url=self.sandbox.url,
            SAL_VERIFY_SECRET=VERIFY_SECRET,
            SAL_WEBHOOK_SIGNING_SECRETS=SIGNING_SECRET,
            DJANGO_SETTINGS_MODULE="bench.settings",
        )
        self.env = env
        print("Preparing the demo data, the benchmark's 50 shows and 40 tickets...", flush=True)
        manage({**env, "DJANGO_DEBUG": "1"}, "migrate", "--verbosity", "0")
        manage({**env, "DJANGO_DEBUG": "1"}, "seed_demo")
        self.data(shows=50)
        self.site_envs = {
            "SAL off": {**env, "SAL_ENABLED": "0"},
            "hand-written": {**env, "DJANGO_SETTINGS_MODULE": "bench.handwritten_settings"},
            "SAL on": env,
        }
        self.sites = {name: self.start(name) for name in self.site_envs}
        self.redis = redis.Redis(unix_socket_path=str(self.cache.socket))
        self.cookies = {name: self.sign_in(site, FAN) for name, site in self.sites.items()}
        self.normal()

    def close(self) -> None:
        for server in (*self.sites.values(), self.sandbox, self.cache):
            server.stop()

    def restart(self, *names: str) -> None:
        """New processes for these sites (their sessions, in the database, stay valid).

        How fast a process runs the same code varies by a few per cent from one start to the
        next (where its memory lies, its hash seed): two processes of the same site measured
        side by side differed by up to 6%, more than the costs measured here. Each round starts
        new processes, so that the median over the rounds does not rest on one draw.
        """
        for name in names:
            self.sites[name].stop()
            self.sites[name] = self.start(name)

    def start(self, name: str) -> Site:
        return start_site(self.site_envs[name], workers=2, threads=4)

    def data(self, **options: int) -> None:
        arguments = [f"--{name}={value}" for name, value in options.items()]
        subprocess.run(
            [sys.executable, "-m", "bench.data", *arguments],
            cwd=ROOT,
            env={**self.env, "DJANGO_DEBUG": "1"},
            check=True,
        )

    # --- the sandbox, the cache and the breaker ---------------------------------------------

    def faults(self, **faults: object) -> None:
        requests.put(f"{self.sandbox.url}/__sandbox/faults", json=faults, timeout=5).raise_for_status()

    def sal_calls(self) -> int:
        counts = requests.get(f"{self.sandbox.url}/__sandbox/stats", timeout=5).json()["requests"]
        return sum(count for key, count in counts.items() if " /v1/" in key)

    def normal(self) -> None:
        self.faults(mode="normal", latencyMs=150, errorRate=0)

    def keys(self, name: str) -> list[bytes]:
        return list(self.redis.scan_iter(f"*salwidgets:v1:{name}:*"))

    def forget_answers(self) -> None:
        """Drop every cached SAL answer from Redis, keeping the breaker's state, and wait until
        the processes' own copies of them have expired (``NEAR_SECONDS``)."""
        keys = [key for name in SAL_KEYS for key in self.keys(name)]
        if keys:
            self.redis.delete(*keys)
        for epoch in self.redis.scan_iter("*salwidgets:v1:shows-epoch"):
            self.redis.incr(epoch)
        for generation in self.keys("gen"):
            self.redis.incr(generation)
        time.sleep(NEAR_SECONDS)

    def age_answers(self) -> int:
        """Make every cached SAL answer older than its freshness, as an idle minute would, keeping
        how long Redis keeps it (the processes' own copies expire within ``NEAR_SECONDS``)."""
        aged = 0
        for key in (key for name in ANSWER_KEYS for key in self.keys(name)):
            stored = self.redis.get(key)
            try:
                entry = pickle.loads(stored) if stored else None
            except Exception:  # noqa: BLE001 (a lock or a counter, not an entry)
                continue
            if not isinstance(entry, Entry):
                continue
            now = time.time()
            old = replace(entry, fetched_at=now - 3600, fresh_until=now - 1)
            ttl = self.redis.pttl(key)
            self.redis.set(key, pickle.dumps(old), px=ttl if ttl > 0 else None)
            aged += 1
        time.sleep(NEAR_SECONDS)
        return aged

    def restart_on_stale_cache(self, path: str, cookie: requests.cookies.RequestsCookieJar) -> Site:
        """New processes of SAL on, warmed as SAL off is after its restart (``settle``: the
        processes load their code and the site's own data), but with the breaker held open
        meanwhile, so that nothing is fetched; then the breaker is closed and this second's copies
        left to expire. What is measured next is SAL on new processes whose only answers are the
        stale ones in the shared cache, with nobody yet aware of the outage."""
        self.restart("SAL on")
        site = self.sites["SAL on"]
        self.redis.set(BREAKER_OPEN_UNTIL, pickle.dumps(time.time() + 600))
        self.settle(site, path, cookie)
        self.close_breaker()
        time.sleep(NEAR_SECONDS)
        return site

    def breaker_open(self) -> bool:
        # One GET of the key itself: a SCAN of the whole keyspace every tenth of a second would
        # load the Redis the sites use while they are measured.
        stored = self.redis.get(BREAKER_OPEN_UNTIL)
        return stored is not None and pickle.loads(stored) > time.time()

    @contextmanager
    def watch_breaker(self) -> Iterator[dict[str, float]]:
        """While the block runs: how long the breaker was open, and the calls menta received then."""
        stop, seen = threading.Event(), {"open_seconds": 0.0, "open_calls": 0.0}

        def watch() -> None:
            opened: tuple[float, int] | None = None
            while True:
                stopping = stop.wait(0.1)
                now, is_open = time.monotonic(), self.breaker_open()
                if is_open and opened is None:
                    opened = (now, self.sal_calls())
                if opened is not None and (stopping or not is_open):
                    seen["open_seconds"] += now - opened[0]
                    seen["open_calls"] += self.sal_calls() - opened[1]
                    opened = None
                if stopping:
                    return

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        try:
            yield seen
        finally:
            stop.set()
            thread.join()

    def open_breaker(self, site: Site, cookie: requests.cookies.RequestsCookieJar) -> None:
        """Fail calls until the breaker opens (the slow start of an outage), unmeasured: fragments
        of different shows at once, so that each makes its own call (one fetch per show)."""
        paths = [f"/sal/fragments/buy/?event=evt_bench_festival&show=bench_night_{n:02}" for n in range(8)]

        def fail(path: str) -> None:
            with requests.Session() as session:
                session.cookies.update(cookie)
                session.get(site.url + path, headers={"HX-Request": "true"}, timeout=30)

        for _ in range(5):
            self.forget_answers()
            with ThreadPoolExecutor(len(paths)) as pool:
                list(pool.map(fail, paths))
            if any(b"open-until" in key for key in self.keys("breaker")):
                self.forget_answers()
                return
        raise RuntimeError("the breaker did not open")

    def close_breaker(self) -> None:
        keys = self.keys("breaker")
        if keys:
            self.redis.delete(*keys)

    # --- people and page views --------------------------------------------------------------

    def sign_in(self, site: Site, email: str) -> requests.cookies.RequestsCookieJar:
        with requests.Session() as session:
            form = session.get(f"{site.url}/accounts/login/", timeout=10)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
            assert token is not None
            session.post(
                f"{site.url}/accounts/login/",
                data={"csrfmiddlewaretoken": token.group(1), "login": email, "password": PASSWORD},
                timeout=10,
            ).raise_for_status()
            return session.cookies

    def wrk(
        self, site: Site, path: str, cookie: requests.cookies.RequestsCookieJar, seconds: float, etag: str = ""
    ) -> Run:
        header = "; ".join(f"{name}={value}" for name, value in cookie.items())
        calls = self.sal_calls()
        cpu = workers_cpu(site)
        with self.watch_breaker() as breaker:
            done = self._wrk(site, path, header, seconds, etag)
        line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
        return Run(
            views=result["views"],
            fragments=result["fragments"],
            failures=result["failures"] + result["socket_errors"],
            seconds=result["seconds"],
            p50_ms=result["p50_ms"],
            p95_ms=result["p95_ms"],
            max_ms=result["max_ms"],
            sal_calls=self.sal_calls() - calls,
            cpu_seconds=workers_cpu(site) - cpu,
            open_seconds=breaker["open_seconds"],
            open_calls=int(breaker["open_calls"]),
            sal_ms=result["sal_ms"],
            sal_cpu_ms=result["sal_cpu_ms"],
        )

    def _wrk(
        self, site: Site, path: str, header: str, seconds: float, etag: str = ""
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "wrk",
                f"--threads={self.connections}",
                f"--connections={self.connections}",
                f"--duration={seconds:g}s",
                "--timeout=10s",
                f"--script={ROOT / 'bench' / 'view.lua'}",
                site.url + path,
                "--",
                path,
                header,
                site.url,
                etag,
            ],
            capture_output=True,
            text=True,
            check=True,
        )

    @contextmanager
    def listing_changes(self, site: Site, event_id: str, show_id: str, seller: str) -> Iterator[None]:
        """menta's webhook for a listing of the show, once a second, while the block runs."""
        stop = threading.Event()

        def deliver() -> None:
            number = 0
            while not stop.wait(1.0 if number else 0.0):
                number += 1
                self.listing_webhook(site, event_id, show_id, seller, number)

        thread = threading.Thread(target=deliver, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def listing_webhook(self, site: Site, event_id: str, show_id: str, seller: str, number: int) -> None:
        data = {
            "listingId": f"lst_bench_{number}",
            "ticketIds": [f"TKT-BENCH-{number}"],
            "eventId": event_id,
            "showId": show_id,
            "sellerEmail": seller,
            "price": {"amount": 80, "currency": "USD"},
            "status": "ACTIVE",
        }
        body = json.dumps({"message": {"family": "listing", "action": "listing.updated", "data": data}})
        webhook_id = f"msg_bench_{secrets.token_hex(8)}"
        now = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "X-Menta-Secret": VERIFY_SECRET,
            "Webhook-Id": webhook_id,
            "Webhook-Timestamp": str(int(now.timestamp())),
            "Webhook-Signature": Webhook(SIGNING_SECRET).sign(webhook_id, now, body),
        }
        requests.post(f"{site.url}/menta/webhooks", data=body, headers=headers, timeout=10).raise_for_status()

    # --- the scenarios -----------------------------------------------------------------------

    def scenario(self, name: str, page: str, seconds: float) -> Run:
        path = PAGES[page]
        with_sal = name not in ("SAL off", "hand-written")  # the other scenarios are SAL on's
        site, cookie = self.sites["SAL on" if with_sal else name], self.cookies["SAL on" if with_sal else name]
        self.normal()
        self.close_breaker()
        if name == NOTHING_CACHED:
            self.faults(**OUTAGES["down"])
            self.open_breaker(site, cookie)
            try:
                return self.wrk(site, path, cookie, seconds)
            finally:
                self.normal()
                self.close_breaker()
        if name == "warm":
            # Fresh answers, as a warm site has them between two refreshes (an answer ages past
            # its freshness once a minute, a person's every 30 s). The scenario before may have
            # aged them all: every warm run would then measure their refreshes in the background
            # too, and the sandbox, on the same CPUs, answering them.
            self.forget_answers()
        if with_sal:
            self.warm_up(site, path, cookie, load=name == "warm")
        if name in OUTAGE_SCENARIOS:
            outage, age = name.split(", ")
            self.age_answers()
            self.faults(**OUTAGES[outage])
            try:
                if age == "restarted":
                    site = self.restart_on_stale_cache(path, cookie)
                return self.wrk(site, path, cookie, seconds)
            finally:
                self.normal()
                self.close_breaker()
        if name == "listing change":
            with self.listing_changes(site, *CHANGING[page]):
                return self.wrk(site, path, cookie, seconds)
        return self.wrk(site, path, cookie, seconds)

    def warm_up(self, site: Site, path: str, cookie: requests.cookies.RequestsCookieJar, *, load: bool = True) -> None:
        """Unmeasured: views one at a time until a view loads no fragment (every answer it shows is
        cached), then (with ``load``) a second of load, so that both workers hold their copies."""
        with requests.Session() as session:
            session.cookies.update(cookie)
            for _ in range(WARM_UP_VIEWS):
                if not view(site, path, session).fragments:
                    break
            else:
                raise RuntimeError(f"{path} still loads fragments after {WARM_UP_VIEWS} views")
        if load:
            self.settle(site, path, cookie)

    def settle(self, site: Site, path: str, cookie: requests.cookies.RequestsCookieJar) -> None:
        """Unmeasured seconds of load until no view is a straggler. A new gunicorn worker answers
        its first view after 1.4 to 1.9 s on this kind of machine (it imports the site after the
        master says it listens, then the URLconf on its first request): a single second of load
        left views of a still-booting worker inside the measured run (a p95 of 1 s after a
        restart, where the run after it had 0.3 s)."""
        for _ in range(SETTLE_SECONDS):
            run = self.wrk(site, path, cookie, 1)
            if run.views and run.max_ms <= max(3 * run.p50_ms, 300):
                return

    def load(self, page: str) -> dict[str, list[Measured]]:
        """The scenarios of each round, on new processes of the sites, each between two runs of
        SAL off (shared with the next scenario's): off, warm, off, menta down, off, ... The
        ``SAL off`` entries are its runs with a neighbour on each side in the same round, measured
        against those neighbours."""
        measured: dict[str, list[Measured]] = {name: [] for name in LOAD}
        for number in range(self.rounds):
            started = time.monotonic()
            scenarios = LOAD[1:] if number < COMPARED_ROUNDS else TARGETED
            self.restart("SAL off", "SAL on", *(["hand-written"] if "hand-written" in scenarios else []))
            for name in ("SAL off", "SAL on", *(["hand-written"] if "hand-written" in scenarios else [])):
                self.settle(self.sites[name], PAGES[page], self.cookies[name])
            offs = [self.scenario("SAL off", page, self.seconds)]
            for name in scenarios if number % 2 == 0 else reversed(scenarios):
                run = self.scenario(name, page, self.seconds)
                offs.append(self.scenario("SAL off", page, self.seconds))
                measured[name].append(Measured(run, offs[-2], offs[-1]))
            measured["SAL off"] += [
                Measured(run, before, after) for before, run, after in zip(offs[:-2], offs[1:-1], offs[2:], strict=True)
            ]
            latest = {name: measured[name][-1] for name in scenarios}
            print(
                f"  round {number + 1}: "
                + ", ".join(
                    f"{name} {each.ratio:.2f} (p95 {each.p95_ratio:.2f}, {each.run.sal_calls} calls)"
                    for name, each in latest.items()
                )
                + f" (SAL off {offs[-1].rate:.0f} views/s; the round took {time.monotonic() - started:.0f} s)",
                flush=True,
            )
        return measured

    def cold(self, page: str, views: int = COLD_VIEWS) -> tuple[list[float], list[float], float]:
        """Views one at a time with nothing cached: latency on and off (ms), SAL calls per view on."""
        path = PAGES[page]
        self.normal()
        self.close_breaker()
        timings: dict[str, list[float]] = {"SAL on": [], "SAL off": []}
        calls = 0
        for _ in range(views):
            for name in timings:
                with requests.Session() as session:
                    session.cookies.update(self.cookies[name])
                    self.forget_answers()
                    before = self.sal_calls()
                    started = time.perf_counter()
                    view(self.sites[name], path, session)
                    timings[name].append((time.perf_counter() - started) * 1000)
                    if name == "SAL on":
                        calls += self.sal_calls() - before
        return timings["SAL on"], timings["SAL off"], calls / views

    def first_views(self, page: str) -> list[FirstView]:
        """Chromium opens ``page`` at each of ``WIDTHS`` with nothing cached (SAL on, then SAL off
        for the baseline): when the last SAL answer was on the page, and how much it moved."""
        from playwright.sync_api import sync_playwright

        path = PAGES[page]
        seen = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                for width in WIDTHS:
                    for name in ("SAL on", "SAL off"):
                        self.normal()
                        self.close_breaker()
                        self.forget_answers()
                        site = self.sites[name]
                        context = browser.new_context(base_url=site.url, viewport={"width": width, "height": 800})
                        try:
                            context.add_cookies(
                                [{"name": c.name, "value": c.value or "", "url": site.url} for c in self.cookies[name]]
                            )
                            context.add_init_script(WATCH_FIRST_VIEW)
                            tab = context.new_page()
                            tab.goto(path)
                            tab.wait_for_load_state("networkidle")
                            tab.wait_for_timeout(200)  # the observer's last entries
                            shown = tab.evaluate(SHOWN_AT)
                        finally:
                            context.close()
                        seen.append(FirstView(name, width, shown["ms"], shown["shift"], shown["fragments"]))
            finally:
                browser.close()
        return seen

    def api(self) -> dict[str, list[Measured]]:
        """The JSON API for apps, warm, against the platform's own JSON of the same things on the
        same site (``API``): each run between two of its baseline, the scenarios' order reversed
        every other round. Apps read a show anonymously, and a person's tickets signed in."""
        site = self.sites["SAL on"]
        self.normal()
        self.close_breaker()
        measured: dict[str, list[Measured]] = {name: [] for name in API}
        for number in range(self.rounds):
            for name in API if number % 2 == 0 else reversed(API):
                baseline, path, revalidate = API[name]
                cookie = (
                    self.cookies["SAL on"] if path.endswith("/me/tickets") else requests.cookies.cookiejar_from_dict({})
                )
                self.settle(site, baseline, cookie)
                etag = self.api_warm(site, path, cookie)
                before = self.wrk(site, baseline, cookie, self.seconds)
                run = self.wrk(site, path, cookie, self.seconds, etag if revalidate else "")
                after = self.wrk(site, baseline, cookie, self.seconds)
                measured[name].append(Measured(run, before, after))
            latest = ", ".join(f"{name} {each[-1].ratio:.2f}" for name, each in measured.items() if each)
            print(f"  round {number + 1}: {latest}", flush=True)
        return measured

    def api_warm(self, site: Site, path: str, cookie: requests.cookies.RequestsCookieJar) -> str:
        """Unmeasured: the answer fetched anew and cached, and its ETag. Fetched anew so that it
        stays fresh through the run: an answer that ages past its freshness meanwhile is
        refreshed in the background (one call, while the stale one is served)."""
        self.forget_answers()
        with requests.Session() as session:
            session.cookies.update(cookie)
            for _ in range(3):
                answer = session.get(site.url + path, timeout=30)
                answer.raise_for_status()
                time.sleep(0.3)
            return str(answer.headers["ETag"])

    def scale(self) -> list[tuple[int, list[Measured], int]]:
        """The warm listing at 50, 200 and 500 shows: runs with SAL (at most ``SCALE_ROUNDS``), each
        between two without, and the longest fragment URL of the cold page."""
        rows = []
        for shows in (50, 200, 500):
            self.data(shows=shows)
            self.normal()
            # New processes for each size, as for each round of ``load``: those of the scenarios
            # before held the copies of other pages and outages (a run of the listing at 500
            # shows after them took 1.27 to 2.63 times SAL off's view time, 1.14 on its own).
            self.restart("SAL off", "SAL on")
            off_site, off_cookie = self.sites["SAL off"], self.cookies["SAL off"]
            on_site, on_cookie = self.sites["SAL on"], self.cookies["SAL on"]
            self.settle(off_site, "/", off_cookie)  # unmeasured: warms it
            offs = [self.wrk(off_site, "/", off_cookie, self.seconds)]
            measured = []
            for _ in range(min(self.rounds, SCALE_ROUNDS)):
                self.forget_answers()  # fresh answers, as for ``warm``
                self.warm_up(on_site, "/", on_cookie)
                run = self.wrk(on_site, "/", on_cookie, self.seconds)
                offs.append(self.wrk(off_site, "/", off_cookie, self.seconds))
                measured.append(Measured(run, offs[-2], offs[-1]))
            failures = sum(run.failures for run in offs) + sum(each.run.failures for each in measured)
            if failures:
                raise RuntimeError(f"listing with {shows} shows: {failures} failed requests")
            self.forget_answers()
            longest = self.longest_fragment_url("/", on_cookie)
            rows.append((shows, measured, longest))
            mine = self.ms_per_view([each.run for each in measured])
            print(f"  {shows} shows: {mine:.1f} ms per view with SAL", flush=True)
        return rows

    def ms_per_view(self, runs: list[Run]) -> float:
        """How long a view takes the site, from throughput: its connections over its views per second."""
        return statistics.median(1000 * self.connections / run.rate for run in runs)

    def longest_fragment_url(self, path: str, cookie: requests.cookies.RequestsCookieJar) -> int:
        """A cold view of ``path`` (every fragment must answer 200): its longest fragment URL."""
        with requests.Session() as session:
            session.cookies.update(cookie)
            return view(self.sites["SAL on"], path, session).longest_url

    def crowd(self) -> tuple[int, int]:
        """My tickets of a person with 1,000 tickets, cold then warm: the longest fragment URL of
        each view (every request must answer 200)."""
        self.data(crowd=1000)
        cookie = self.sign_in(self.sites["SAL on"], CROWD)
        self.forget_answers()
        cold = self.longest_fragment_url("/my-tickets/", cookie)
        warm = self.longest_fragment_url("/my-tickets/", cookie)
        return cold, warm


def workers_cpu(site: Site) -> float:
    """The CPU time (user and system, in seconds) that the site's gunicorn workers have used."""
    master = site.process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker that just ended
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (after the name: fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class View:
    fragments: int
    longest_url: int


def view(site: Site, path: str, session: requests.Session) -> View:
    """One page view: the page, then the fragments it loads (every answer must be a 2xx): how
    many fragments it loaded, and the longest URL it asked for."""
    page = session.get(site.url + path, timeout=30)
    page.raise_for_status()
    longest = len(site.url + path)
    headers = {"HX-Request": "true", "HX-Current-URL": site.url + path}
    fragments = LAZY.findall(page.text)
    for fragment in fragments:
        url = site.url + html.unescape(fragment)
        session.get(url, headers=headers, timeout=30).raise_for_status()
        longest = max(longest, len(url))
    return View(len(fragments), longest)


# --- the report ----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


class Report:
    def __init__(self) -> None:
        self.targets: list[tuple[str, bool]] = []

    def target(self, text: str, ok: bool) -> None:
        self.targets.append((text, ok))

    def load(self, page: str, measured: dict[str, list[Measured]]) -> None:
        print(f"\n{page}")
        print(
            f"  {'scenario':<24}{'views/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'SAL/view':>10}{'CPU ms':>8}"
            f"{'in SAL ms':>11}{'SAL CPU ms':>12}"
            f"   throughput / SAL off: median [min-max]   p95 / SAL off: median [min-max]"
            f"   SAL off's CPU / this: median [min-max]"
        )
        for name in LOAD:
            mine = [each.run for each in measured[name]]
            views = sum(run.views for run in mine)
            calls = sum(run.sal_calls for run in mine) / views if views else 0.0
            failures = sum(run.failures for run in mine)
            ratio, low, high = spread([each.ratio for each in measured[name]])
            p95, p95_low, p95_high = spread([each.p95_ratio for each in measured[name]])
            cpu, cpu_low, cpu_high = spread([each.cpu_ratio for each in measured[name]])
            print(
                f"  {name:<24}{statistics.median(r.rate for r in mine):>9.1f}"
                f"{statistics.median(r.p50_ms for r in mine):>9.1f}{statistics.median(r.p95_ms for r in mine):>9.1f}"
                f"{max(r.max_ms for r in mine):>9.1f}{calls:>10.2f}{statistics.median(r.cpu_ms for r in mine):>8.2f}"
                f"{statistics.median(r.sal_wall_per_view for r in mine):>11.3f}"
                f"{statistics.median(r.sal_cpu_per_view for r in mine):>12.3f}"
                f"   {ratio:>6.2f} [{low:.2f}-{high:.2f}]{'':<20}{p95:>6.2f} [{p95_low:.2f}-{p95_high:.2f}]"
                f"{'':<20}{cpu:>6.2f} [{cpu_low:.2f}-{cpu_high:.2f}]"
                + (f"   {failures} failed requests" if failures else "")
            )
            if name == "warm":
                self.target(
                    f"{page}: warm throughput {ratio:.3f} of SAL off (>= {TARGET_RATIO})", ratio >= TARGET_RATIO
                )
                self.target(f"{page}: warm p95 {p95:.3f} of SAL off (<= {TARGET_P95})", p95 <= TARGET_P95)
                # A warm view shows every answer inline and waits for no call; the calls it counts
                # are refreshes in the background of answers past their freshness (a person's
                # every USER_SECONDS), made while the page is served from the stale entry.
                lazy = sum(run.fragments for run in mine)
                self.target(f"{page}: fragments loaded by warm views {lazy} (0: every answer inline)", lazy == 0)
            if name in OUTAGE_SCENARIOS or name == NOTHING_CACHED:
                self.target(
                    f"{page}: {name}, throughput {ratio:.3f} of SAL off (>= {TARGET_RATIO})", ratio >= TARGET_RATIO
                )
                self.target(f"{page}: {name}, p95 {p95:.3f} of SAL off (<= {TARGET_P95})", p95 <= TARGET_P95)
                open_seconds = sum(run.open_seconds for run in mine)
                if open_seconds >= 1:
                    rate = sum(run.open_calls for run in mine) / open_seconds
                    self.target(
                        f"{page}: {name}, calls to menta while the breaker was open {rate:.2f}/s over"
                        f" {open_seconds:.0f} s (<= {TARGET_OPEN_CALLS_PER_SECOND:g}/s, its probes)",
                        rate <= TARGET_OPEN_CALLS_PER_SECOND,
                    )
            if failures and name != "hand-written":
                self.target(f"{page}: {name}: {failures} failed requests (0)", False)

    def cold(self, page: str, on: list[float], off: list[float], calls: float) -> None:
        ratios = [mine / base for mine, base in zip(on, off, strict=True)]
        ratio, low, high = spread(ratios)
        print(
            f"  {'cold, one by one':<24}{'':>9}{statistics.median(on):>9.1f}{'':>9}{max(on):>9.1f}{calls:>10.2f}"
            f"   latency / SAL off: {ratio:.2f} [{low:.2f}-{high:.2f}] (the view waits for menta's 150 ms)"
        )
        if page.startswith("listing"):
            self.target(f"{page}: SAL calls per cold view {calls:.2f} (one bulk call)", calls <= 1)

    def first_views(self, page: str, seen: list[FirstView]) -> None:
        print("  first views in Chromium, nothing cached: ms to the last answer on the page (SAL off: to loaded), CLS")
        for width in WIDTHS:
            on = next(each for each in seen if each.width == width and each.site == "SAL on")
            off = next(each for each in seen if each.width == width and each.site == "SAL off")
            print(
                f"  {width:>5} px   SAL on {on.ms:7.0f} ms ({on.fragments} swaps), CLS {on.shift:.4f}"
                f"   SAL off {off.ms:7.0f} ms, CLS {off.shift:.4f}"
            )
            self.target(
                f"{page}: first view at {width} px moved by {on.shift:.4f} (CLS <= {TARGET_SHIFT})",
                on.shift <= TARGET_SHIFT,
            )

    def scale(self, rows: list[tuple[int, list[Measured], int]], ms_per_view: Callable[[list[Run]], float]) -> None:
        print("\nlisting, warm, by number of shows")
        print(
            f"  {'shows':>6}{'ms/view on':>12}{'ms/view off':>13}{'on / off: median [min-max]':>30}"
            f"{'ms per show on':>16}{'longest URL':>13}"
        )
        per_show = {}
        for shows, measured, longest in rows:
            mine = ms_per_view([each.run for each in measured])
            base = ms_per_view([measured[0].before, *(each.after for each in measured)])  # each SAL off run once
            ratio, low, high = spread([1 / each.ratio for each in measured])
            per_show[shows] = mine / shows
            print(
                f"  {shows:>6}{mine:>12.1f}{base:>13.1f}{'':>9}{ratio:.2f} [{low:.2f}-{high:.2f}]"
                f"{mine / shows:>16.3f}{longest:>13}"
            )
        fewest, most = min(per_show), max(per_show)
        growth = per_show[most] / per_show[fewest]
        self.target(
            f"listing: ms per show with SAL at {most} shows {growth:.2f}x that at {fewest} (linear: <= {LINEAR_SLACK})",
            growth <= LINEAR_SLACK,
        )
        longest = max(row[2] for row in rows)
        self.target(f"listing: longest fragment URL {longest} characters (<= {URL_LIMIT:,})", longest <= URL_LIMIT)

    def api(self, measured: dict[str, list[Measured]]) -> None:
        print("\nJSON API for apps, warm, on the same site as its baselines: a show (anonymous) and its 304 against")
        print("a trivial JSON view (/api/version), my tickets (signed in) against the same tickets' JSON without SAL")
        print(
            f"  {'answer':<30}{'answers/s':>10}{'baseline/s':>11}{'p95 ms':>8}{'menta/answer':>14}"
            f"   throughput / baseline: median [min-max]   baseline's CPU / this: median [min-max]"
        )
        for name, each in measured.items():
            runs = [m.run for m in each]
            answers = sum(run.views for run in runs)
            calls = sum(run.sal_calls for run in runs) / answers if answers else 0.0
            ratio, low, high = spread([m.ratio for m in each])
            cpu, cpu_low, cpu_high = spread([m.cpu_ratio for m in each])
            base = statistics.median(statistics.mean((m.before.rate, m.after.rate)) for m in each)
            failures = sum(run.failures for run in runs)
            print(
                f"  {name:<30}{statistics.median(r.rate for r in runs):>10.1f}{base:>11.1f}"
                f"{statistics.median(r.p95_ms for r in runs):>8.1f}{calls:>14.4f}"
                f"   {ratio:>6.2f} [{low:.2f}-{high:.2f}]{'':<19}{cpu:>6.2f} [{cpu_low:.2f}-{cpu_high:.2f}]"
                + (f"   {failures} failed requests" if failures else "")
            )
            self.target(
                f"api {name}: throughput {ratio:.3f} of the baseline (>= {TARGET_RATIO})", ratio >= TARGET_RATIO
            )
            self.target(f"api {name}: calls to menta per warm answer {calls:.4f} (0)", calls == 0)
            if failures:
                self.target(f"api {name}: {failures} failed requests (0)", False)

    def crowd(self, cold: int, warm: int) -> None:
        print(
            "\nmy tickets with 1,000 tickets in 250 orders: cold and warm views answered, "
            f"longest URL {max(cold, warm)}"
        )
        self.target(
            f"my tickets, 1,000 tickets: longest fragment URL {max(cold, warm)} characters (<= {URL_LIMIT:,})",
            max(cold, warm) <= URL_LIMIT,
        )

    def verdicts(self) -> bool:
        print("\nTargets:")
        for text, ok in self.targets:
            print(f"  {verdict(ok):<6} {text}")
        return all(ok for _text, ok in self.targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help=f"rounds of the scenarios with a target (default {ROUNDS}; the others {COMPARED_ROUNDS})",
    )
    parser.add_argument(
        "--seconds", type=float, default=SECONDS, help=f"seconds of load per scenario and round (default {SECONDS:g})"
    )
    parser.add_argument("--connections", type=int, default=8, help="connections making views at once (default 8)")
    parser.add_argument("--pages", nargs="*", choices=list(PAGES), default=list(PAGES))
    parser.add_argument("--no-scale", action="store_true", help="skip the 50/200/500 shows and 1,000 tickets")
    parser.add_argument("--no-api", action="store_true", help="skip the JSON API for apps")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a look in a few minutes: {QUICK_ROUNDS} round(s) of {QUICK_SECONDS:g} seconds, without the scale check",
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.no_scale = min(args.rounds, QUICK_ROUNDS), QUICK_SECONDS, True
    report = Report()
    with tempfile.TemporaryDirectory(prefix="salbench-") as directory:
        bench = Bench(Path(directory), args.rounds, args.seconds, args.connections)
        try:
            for page in args.pages:
                print(f"Measuring {page}...", flush=True)
                runs = bench.load(page)
                report.load(page, runs)
                report.cold(page, *bench.cold(page))
                report.first_views(page, bench.first_views(page))
            if not args.no_api:
                print("Measuring the JSON API for apps...", flush=True)
                report.api(bench.api())
            if not args.no_scale:
                print("\nMeasuring the listing with 50, 200 and 500 shows, and 1,000 tickets...", flush=True)
                report.scale(bench.scale(), bench.ms_per_view)
                report.crowd(*bench.crowd())
        finally:
            bench.close()
    if not report.verdicts():
        sys.exit(1)


if __name__ == "__main__":
    main()
