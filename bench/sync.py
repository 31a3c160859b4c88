"""``make bench`` (sync part): the outbox from enqueue to acknowledged, and the worker's memory.

The sandbox answers with 150 ms of added latency. Throughput: leads stored through the public
import command, then one ``db_worker`` sends them; items per second from the start of the import
until the sandbox has applied the last one, over several rounds (min, median, max). Memory: the
worker's peak resident size while it delivers 10,000 items, once with 10,000 pending and once with
100,000 pending (it stops after the first 10,000 of those: the rest would take 90 s more to
tell the same); a flat worker has a ratio near 1.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from menta_sandbox import process
from salwidgets import wire
from salwidgets.client import MentaClient
from tests.support.servers import ROOT, manage

API_KEY = "sandbox-demo-key"
EVENT, SHOW = "evt_bench_sync", "show_bench_sync"


def applied(sandbox: str) -> int:
    return int(requests.get(f"{sandbox}/__sandbox/stats", timeout=30).json()["applied"].get("leads", 0))


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run_round(
    directory: Path, sandbox: str, env: dict[str, str], count: int, name: str, deliver: int | None = None
) -> tuple[float, int]:
    """Store ``count`` leads, let one worker deliver ``deliver`` of them (all by default): (items
    delivered per second, the worker's peak RSS in kB)."""
    deliver = count if deliver is None else deliver
    before = applied(sandbox)
    path = directory / f"{name}.csv"
    path.write_text(
        "email,event_id,show_id\n" + "".join(f"{name}{n}@example.com,{EVENT},{SHOW}\n" for n in range(count))
    )
    started = time.monotonic()
    manage(env, "sal_import_leads", str(path), "--type", "VIRTUAL_QUEUE")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.1", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = 0
    try:
        deadline = started + 900
        while applied(sandbox) < before + deliver:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: not delivered within 900 s")
            peak = max(peak, peak_rss_kb(worker.pid))
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        peak = max(peak, peak_rss_kb(worker.pid))
    finally:
        process.stop(worker)
    return deliver / elapsed, peak


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="salbench-sync-") as tmp:
        directory = Path(tmp)
        sandbox = process.start(db=directory / "sandbox.sqlite3")
        try:
            requests.put(f"{sandbox.url}/__sandbox/faults", json={"latencyMs": 150}, timeout=30).raise_for_status()
            client = MentaClient(base_url=sandbox.url, api_key=API_KEY, read_timeout=10)
            client.create_event(
                wire.EventPush(
                    EVENT,
                    "Bench",
                    "The sync benchmark's event",
                    wire.Location("Hall", "City"),
                    (wire.ShowPush(SHOW, "Bench", datetime(2030, 1, 1, tzinfo=UTC)),),
                ).to_wire()
            )
            env = {
                **{key: value for key, value in os.environ.items() if key not in ("MENTA_BASE_URL", "MENTA_API_KEY")},
                "DJANGO_SETTINGS_MODULE": "salsite.settings",
                "DATABASE_URL": f"sqlite:///{directory / 'site.sqlite3'}",
                "SANDBOX_PORT": sandbox.url.rsplit(":", 1)[1],
                "DJANGO_DEBUG": "1",
            }
            manage(env, "migrate", "--verbosity", "0")
            print("Sync: 3 rounds of 5,000 leads, enqueue to acknowledged (sandbox at 150 ms)...", flush=True)
            rates = [run_round(directory, sandbox.url, env, 5000, f"r{n}")[0] for n in range(3)]
            print("Sync: the worker's memory delivering 10,000 leads of 10,000 and of 100,000 pending...", flush=True)
            _rate, small = run_round(directory, sandbox.url, env, 10_000, "m10k")
            _rate, large = run_round(directory, sandbox.url, env, 100_000, "m100k", deliver=10_000)
        finally:
            sandbox.stop()
    print("\nsync path                               min     median     max")
    print(f"leads/s, enqueue to acknowledged  {min(rates):10.0f} {statistics.median(rates):10.0f} {max(rates):10.0f}")
    print(f"worker peak RSS delivering 10k: 10k pending {small / 1024:.1f} MiB, 100k pending {large / 1024:.1f} MiB")
    ratio = large / small if small else float("inf")
    print(f"  ratio 100k/10k {ratio:.2f} (target: flat, <= 1.25) {'ok' if ratio <= 1.25 else 'MISSED'}")


if __name__ == "__main__":
    main()
