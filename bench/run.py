"""``make bench``: the three pages under load, with SAL off, warm, cold, menta down and menta hanging.

gunicorn (2 workers) serves the site on Redis, in front of the sandbox with 150 ms of added
latency. A page view is what a browser does: the page, then every fragment it asks htmx to load.
Every figure is also printed as a ratio to the same page with SAL switched off, measured in this
run, so that the noise of a shared machine cancels out.
"""

from __future__ import annotations

import argparse
import html
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import redis
import requests

from bench.servers import ROOT, Redis, Site, manage, site_env, start_redis, start_site
from salwidgets.sandbox import process

PAGES = {
    "show": "/events/evt_2024_metallica/show_nyc_20240815/",
    "listing (50 shows)": "/",
    "my tickets (40 in 10 orders)": "/my-tickets/",
}
LAZY = re.compile(r'hx-get="([^"]+)"')
SAL_KEYS = ("*salwidgets:v1:show:*", "*salwidgets:v1:tickets:*", "*salwidgets:v1:orders:*", "*salwidgets:v1:bulk:*")


@dataclass
class Result:
    latencies: list[float]
    seconds: float
    sal_calls: int
    views: int
    concurrency: int

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies, n=20)[18] * 1000

    @property
    def worst(self) -> float:
        return max(self.latencies) * 1000

    @property
    def rps(self) -> float:
        """Views per second while the load generator's threads were waiting on the site.

        Wall-clock throughput also counts the generator's own pauses (it shares two cores with
        the servers); both are printed, and the targets are checked on this one.
        """
        return self.views * self.concurrency / sum(self.latencies)

    @property
    def wall_rps(self) -> float:
        return self.views / self.seconds


def view(site: Site, path: str, session: requests.Session) -> None:
    """One page view: the page, then the fragments it loads."""
    page = session.get(site.url + path, timeout=30)
    page.raise_for_status()
    for fragment in LAZY.findall(page.text):
        session.get(site.url + html.unescape(fragment), timeout=30)


class Bench:
    def __init__(self, directory: Path, views: int, concurrency: int) -> None:
        self.views, self.concurrency = views, concurrency
        self.cache: Redis = start_redis(directory)
        self.sandbox = process.start(db=directory / "sandbox.sqlite3")
        env = site_env(db=directory / "site.sqlite3", redis=self.cache, sandbox_url=self.sandbox.url)
        print("Preparing the demo data and the benchmark's 50 shows and 40 tickets...", flush=True)
        manage({**env, "DJANGO_DEBUG": "1"}, "migrate", "--verbosity", "0")
        manage({**env, "DJANGO_DEBUG": "1"}, "seed_demo")
        subprocess.run([sys.executable, "-m", "bench.data"], cwd=ROOT, env={**env, "DJANGO_DEBUG": "1"}, check=True)
        self.on = start_site(env, workers=2, threads=4)
        self.off = start_site({**env, "SAL_ENABLED": "0"}, workers=2, threads=4)
        self.redis = redis.Redis(unix_socket_path=str(self.cache.socket))
        self.cookies = {site.url: self.session(site).cookies for site in (self.on, self.off)}
        self.faults(mode="normal", latencyMs=150)

    def close(self) -> None:
        for server in (self.on, self.off, self.sandbox, self.cache):
            server.stop()

    def faults(self, **faults: object) -> None:
        requests.put(f"{self.sandbox.url}/__sandbox/faults", json=faults, timeout=5).raise_for_status()

    def sal_calls(self) -> int:
        counts = requests.get(f"{self.sandbox.url}/__sandbox/stats", timeout=5).json()["requests"]
        return sum(count for key, count in counts.items() if " /v1/" in key)

    def forget_answers(self) -> None:
        """Drop cached SAL answers, keeping the breaker's state and the ORM cache."""
        for pattern in SAL_KEYS:
            keys = list(self.redis.scan_iter(pattern))
            if keys:
                self.redis.delete(*keys)

    def session(self, site: Site) -> requests.Session:
        session = requests.Session()
        form = session.get(f"{site.url}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token is not None
        session.post(
            f"{site.url}/accounts/login/",
            data={"csrfmiddlewaretoken": token.group(1), "username": "fan@example.com", "password": "demo12345"},
            timeout=10,
        ).raise_for_status()
        return session

    def measure(self, site: Site, path: str, before_each: Callable[[], None] | None = None) -> Result:
        # One sign-in per site for the whole run: signing in drops the person's cached CTAs.
        cookies = self.cookies[site.url]
        local = threading.local()
        sessions: list[requests.Session] = []

        def one(_: int) -> float:
            if not hasattr(local, "session"):
                local.session = requests.Session()
                local.session.cookies.update(cookies)
                sessions.append(local.session)
            if before_each:
                before_each()
            started = time.perf_counter()
            view(site, path, local.session)
            return time.perf_counter() - started

        calls = self.sal_calls()
        started = time.perf_counter()
        with ThreadPoolExecutor(self.concurrency) as pool:
            latencies = list(pool.map(one, range(self.views)))
        seconds = time.perf_counter() - started
        for session in sessions:  # idle keep-alive connections would hold the server's threads
            session.close()
        return Result(latencies, seconds, self.sal_calls() - calls, self.views, self.concurrency)

    def breaker_keys(self) -> list[bytes]:
        return list(self.redis.scan_iter("*salwidgets:v1:breaker:*"))

    def open_breaker(self, site: Site, path: str) -> None:
        """Fail views until the breaker opens (the slow start of an outage), unmeasured."""
        with requests.Session() as session:
            session.cookies.update(self.cookies[site.url])
            for _ in range(20):
                if any(b"open-until" in key for key in self.breaker_keys()):
                    return
                self.forget_answers()
                view(site, path, session)
        raise RuntimeError("the breaker did not open")

    def close_breaker(self) -> None:
        keys = self.breaker_keys()
        if keys:
            self.redis.delete(*keys)

    def run(self) -> list[tuple[str, str, Result]]:
        rows: list[tuple[str, str, Result]] = []
        for page, path in PAGES.items():
            print(f"Measuring {page}...", flush=True)
            self.faults(mode="normal", latencyMs=150)
            rows.append((page, "a) SAL off", self.measure(self.off, path)))
            self.measure(self.on, path)  # warm-up: fills the cache
            rows.append((page, "b) warm", self.measure(self.on, path)))
            rows.append((page, "c) cold", self.measure(self.on, path, self.forget_answers)))
            for mode in ("down", "hang"):
                self.faults(mode=mode, latencyMs=150)
                self.open_breaker(self.on, path)
                rows.append(
                    (
                        page,
                        f"{'d' if mode == 'down' else 'e'}) menta {mode}",
                        self.measure(self.on, path, self.forget_answers),
                    )
                )
                self.faults(mode="normal", latencyMs=150)
                self.close_breaker()
        return rows


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(rows: list[tuple[str, str, Result]]) -> None:
    baseline = {page: result for page, scenario, result in rows if scenario.startswith("a)")}
    header = (
        f"{'page':<30} {'scenario':<14} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'views/s':>7} {'(wall)':>7}"
        f" {'SAL/view':>9}   ratio to a): median   p95  views/s"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for page, scenario, result in rows:
        base = baseline[page]
        print(
            f"{page:<30} {scenario:<14} {result.median:>10.1f} {result.p95:>8.1f} {result.worst:>8.1f} "
            f"{result.rps:>7.1f} {result.wall_rps:>7.1f} "
            f"{result.sal_calls / result.views:>9.2f}   {result.median / base.median:>19.2f} "
            f"{result.p95 / base.p95:>5.2f} {result.rps / base.rps:>6.2f}"
        )
    print("\nTargets:")
    for page, scenario, result in rows:
        ratio = result.rps / baseline[page].rps
        per_view = result.sal_calls / result.views
        if scenario.startswith("b)"):
            print(f"  {page}: warm throughput {ratio:.2f} of SAL off (target >= 0.90) {verdict(ratio >= 0.9)}")
            print(f"  {page}: SAL calls per warm view {per_view:.2f} (target 0) {verdict(result.sal_calls == 0)}")
        elif scenario[:2] in ("d)", "e)"):
            print(
                f"  {page}: {scenario[3:]}: throughput {ratio:.2f} of SAL off (target >= 0.80) {verdict(ratio >= 0.8)}"
            )
        elif scenario.startswith("c)") and page.startswith("listing"):
            print(f"  {page}: SAL calls per cold view {per_view:.2f} (target 1 bulk call) {verdict(per_view <= 1)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--views", type=int, default=200, help="page views per scenario (default 200)")
    parser.add_argument("--concurrency", type=int, default=8, help="views in flight at once (default 8)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="salbench-") as directory:
        bench = Bench(Path(directory), args.views, args.concurrency)
        try:
            report(bench.run())
        finally:
            bench.close()


if __name__ == "__main__":
    main()
