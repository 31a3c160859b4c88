"""Which of salwidgets' copies in a process earn their place: warm views without each, against
the same views with all of them.

A warm view reads its answers from Redis, assembles them, secures their links, renders their
HTML (or, for the JSON API, serialises them). Each in-process copy skips some of that work for a
second or a minute:

- ``entries``: the shared cache's entries (``cache._near``, a second), no round trip to Redis;
- ``html``: a component's, a ticket's or an order's rendered HTML (``render._recent``);
- ``batches``: a page's batch as a whole, for as long as its entries stay the same: a listing's
  answers assembled (``answers._shows``, a second), a listing's buttons' and a person's items'
  HTML (``render._batches``);
- ``own tickets``: the person's own ticket ids, from the site (``render._owned``);
- ``api built`` and ``api served``: the JSON API's serialised answers, by version and by request.

(The others are not copies of answers: the breaker's memo of absent answers, ``readthrough._absent``,
serves outages only, and ``readthrough._queued`` times refreshes.)

One process, Django's test client (no server, no network: the cost of the work itself), Redis
on a Unix socket, the demo with the benchmark's 50 shows and a fan with 40 tickets, every answer
cached and fresh. A round measures each page with all copies, then without one of them, then
with all again, and so on: each ratio is views per second without the copy over the mean of its
two neighbours with all of them (below 1: the copy saves that much). The median of the rounds,
with its min and max.

Run as ``python -m bench.layers [--rounds N] [--seconds S] [--page P] [--copy C]`` (about 6
minutes with the defaults); the table is in docs/explanation/benchmark.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PAGES = {
    "show page": "/events/evt_2024_metallica/show_nyc_20240815/",
    "listing (50 shows)": "/",
    "my tickets (40)": "/my-tickets/",
    "API show": "/sal/api/v1/shows/evt_2024_metallica/show_nyc_20240815",
    "API my tickets": "/sal/api/v1/me/tickets",
}
FAN = "fan@example.com"
COPIES = ("entries", "html", "batches", "own tickets", "api built", "api served")


def layers() -> dict[str, list[Any]]:
    """Each copy by name, as the ``Recent``s that hold it."""
    from salwidgets import answers, api, cache, readthrough, render

    return {
        "entries": [cache._near],
        "html": [render._recent],
        "batches": [readthrough._fresh_reads, answers._shows, render._batches],
        "own tickets": [render._owned],
        "api built": [api._built],
        "api served": [api._served],
    }


def without(copies: list[Any]) -> Callable[[], None]:
    """Turn ``copies`` off (nothing is kept in them); the function turns them back on."""
    sizes = [copy.size for copy in copies]
    for copy in copies:
        copy.size = 0
        copy.clear()

    def restore() -> None:
        for copy, size in zip(copies, sizes, strict=True):
            copy.size = size

    return restore


def rate(view: Callable[[], None], seconds: float) -> float:
    """Views a second, over about ``seconds``."""
    for _ in range(3):
        view()
    views, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        view()
        views += 1
    return views / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=2, help="seconds per measurement (default 2)")
    parser.add_argument("--page", action="append", choices=PAGES, help="only these pages (default all)")
    parser.add_argument("--copy", action="append", choices=COPIES, help="only without these copies (default each)")
    options = parser.parse_args()
    pages = {name: PAGES[name] for name in options.page or PAGES}

    from menta_sandbox import process
    from tests.support.servers import ROOT, manage, seeded_site_env, start_redis

    with tempfile.TemporaryDirectory(prefix="salwidgets-layers-") as name:
        directory = Path(name)
        redis = start_redis(directory)
        sandbox = process.start(db=directory / "sandbox.sqlite3")
        try:
            print("Preparing the demo data, the benchmark's 50 shows and 40 tickets...", flush=True)
            env = {**seeded_site_env(directory, redis, sandbox.url), "DJANGO_SETTINGS_MODULE": "bench.settings"}
            manage(env, "collectstatic", "--noinput")
            subprocess.run(
                [sys.executable, "-m", "bench.data", "--shows=50"],
                cwd=ROOT,
                env={**env, "DJANGO_DEBUG": "1"},
                check=True,
            )
            os.environ.update(env)
            measure(pages, options.copy or list(COPIES), options.rounds, options.seconds)
        finally:
            sandbox.stop()
            redis.stop()


def measure(pages: dict[str, str], names: list[str], rounds: int, seconds: float) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.get(username=FAN))

    def view(path: str) -> Callable[[], None]:
        def get() -> None:
            response = client.get(path)
            if response.status_code != 200:
                sys.exit(f"{path} answered {response.status_code}")

        return get

    copies = {name: found for name, found in layers().items() if name in names}
    ratios: dict[str, dict[str, list[float]]] = {page: {name: [] for name in copies} for page in pages}
    per_view: dict[str, list[float]] = {page: [] for page in pages}
    for page, path in pages.items():
        get = view(path)
        get()  # every answer fetched, then cached
        time.sleep(0.2)
        for number in range(rounds):
            names = list(copies) if number % 2 == 0 else list(reversed(copies))
            previous = rate(get, seconds)
            per_view[page].append(1000 / previous)
            for name in names:
                restore = without(copies[name])
                try:
                    off = rate(get, seconds)
                finally:
                    restore()
                after = rate(get, seconds)
                ratios[page][name].append(off / ((previous + after) / 2))
                per_view[page].append(1000 / after)
                previous = after
        print(f"  {page}: {statistics.median(per_view[page]):.2f} ms a view with every copy", flush=True)
    report(ratios, per_view, rounds, seconds)


def report(
    ratios: dict[str, dict[str, list[float]]], per_view: dict[str, list[float]], rounds: int, seconds: float
) -> None:
    names, pages = list(next(iter(ratios.values()))), list(ratios)
    print(f"\nViews a second without each copy over with every copy ({rounds} rounds of {seconds:g} s;")
    print("median [min-max]; below 1: the copy saves that much of a warm view)\n")
    print("| copy | " + " | ".join(pages) + " |")
    print("|---|" + "---|" * len(pages))
    print("| ms a view with every copy | " + " | ".join(f"{statistics.median(per_view[p]):.2f}" for p in pages) + " |")
    for name in names:
        cells = []
        for page in pages:
            values = ratios[page][name]
            cells.append(f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
