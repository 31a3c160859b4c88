"""``make bench`` (report part): the organizer's ticket report exported as CSV and XLSX.

Two events on one database (SQLite; PostgreSQL when run under scripts/with-postgres), one with
10,000 tickets and one with 100,000 (owners with and without a profile, some tickets refunded,
some transferred). Each export runs in a fresh process: the CSV downloaded as staff would from the
admin, reading the streamed answer chunk by chunk, the XLSX written by the task the worker runs
(the file it stores, with its progress); the process reports its wall time, its resident size
before the request and its peak. Two rounds of the CSV (its time has a target), the first with
the XLSX (its target is its memory). Flat memory means the 100,000-ticket export peaks at about
what the 10,000-ticket one does.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.servers import ROOT, manage

SIZES = {"evt_bench_10k": 10_000, "evt_bench_100k": 100_000}
ROUNDS = 2  # the CSV's, whose time has a target
XLSX_ROUNDS = 1  # the XLSX's target is its memory, which does not vary from run to run
CSV_TARGET_SECONDS = 2.0


def database_url(folder: Path) -> str:
    """SQLite in ``folder``; or, run under scripts/with-postgres, a new database on that server."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        return f"sqlite:///{folder / 'site.sqlite3'}"
    import psycopg

    with psycopg.connect(server.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS salbench_report")
        connection.execute("CREATE DATABASE salbench_report")
    return server.rsplit("/", 1)[0] + "/salbench_report"


def env_for(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salsite.settings",
        "DATABASE_URL": database_url(folder),
        "DJANGO_SECRET_KEY": "report-benchmark",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_DEBUG": "0",
        "DJANGO_REPORTS_ROOT": str(folder / "reports"),
    }


def seed() -> None:
    """The two events, their tickets and owners (run in a child process with Django set up)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from salsite.models import Event, Order, Organizer, Profile, Show, Ticket, TicketOption

    User.objects.create_superuser("bench@example.com", "bench@example.com", "bench-12345")
    organizer = Organizer.objects.create(external_id="org_bench", name="Bench")
    people = User.objects.bulk_create(
        User(username=f"p{n}@example.com", email=f"p{n}@example.com", first_name=f"P{n}", last_name="Owner")
        for n in range(5_000)
    )
    Profile.objects.bulk_create(
        Profile(user=person, phone="+34 600 000 000", residence_country="ES", allow_promo_email=n % 2 == 0)
        for n, person in enumerate(people)
        if n % 3
    )
    for external_id, count in SIZES.items():
        event = Event.objects.create(
            external_id=external_id, title=external_id, description="", venue="Hall", city="City", organizer=organizer
        )
        show = Show.objects.create(event=event, external_id="show", starts_at=timezone.now() + timedelta(days=30))
        option = TicketOption.objects.create(event=event, external_id="GA", name="General", price=Decimal("50"))
        orders = Order.objects.bulk_create(
            Order(reference=f"{external_id}-{n}", user=people[n % len(people)]) for n in range(count // 4)
        )
        for start in range(0, count, 5_000):
            Ticket.objects.bulk_create(
                Ticket(
                    external_id=f"{external_id}-{n}",
                    order=orders[n // 4],
                    holder=people[(n // 4 + (n % 7 == 0)) % len(people)],
                    previous_holder=people[n // 4 % len(people)] if n % 7 == 0 else None,
                    transfers_forward=1 if n % 7 == 0 else 0,
                    show=show,
                    option=option,
                    section="A",
                    row=str(n // 100),
                    seat=str(n % 100),
                    status=Ticket.Status.REFUNDED if n % 50 == 0 else Ticket.Status.VALID,
                    ended_at=timezone.now() if n % 50 == 0 else None,
                )
                for n in range(start, min(start + 5_000, count))
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the planner's statistics, as autovacuum has them by the time anyone exports


def rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def export(event_id: str, kind: str) -> dict[str, float]:
    """One export in a child process, as people get it: the CSV downloaded from the admin, the
    XLSX written by the worker's task. Seconds, bytes, resident size before and at the peak, in kB."""
    from django.contrib.auth.models import User
    from django.test import Client

    from salsite import report
    from salsite.models import Event, ReportExport

    staff = User.objects.get(username="bench@example.com")
    event = Event.objects.get(external_id=event_id)
    client = Client()
    client.force_login(staff)
    before = rss_kb("VmRSS")
    started = time.perf_counter()
    if kind == "csv":
        response = client.get(f"/admin/salsite/event/{event.pk}/report.csv")
        assert response.status_code == 200, response.status_code
        size = sum(len(chunk) for chunk in response.streaming_content)
    else:
        written = ReportExport.objects.create(event=event, requested_by=staff)
        assert report.write_xlsx(written.pk) == ReportExport.Status.READY
        size = ReportExport.objects.get(pk=written.pk).file.size
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "bytes": size, "before_kb": before, "peak_kb": rss_kb("VmHWM")}


def child(env: dict[str, str], *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.report", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    """Run the part; the number of targets missed."""
    missed = 0
    with tempfile.TemporaryDirectory(prefix="salbench-report-") as tmp:
        env = env_for(Path(tmp))
        database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
        manage(env, "migrate", "--verbosity", "0")
        print(f"Report ({database}): seeding 10,000 and 100,000 tickets...", flush=True)
        child(env, "--seed")
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        for n in range(ROUNDS):
            kinds = ("csv", "xlsx") if n < XLSX_ROUNDS else ("csv",)
            named = " and ".join(kind.upper() for kind in kinds)
            print(f"Report ({database}): round {n + 1} of {ROUNDS} ({named}, each size)...", flush=True)
            for kind in kinds:
                for event_id in SIZES:
                    results.setdefault((kind, event_id), []).append(child(env, "--export", event_id, kind))
    print(f"\nticket report export ({database})")
    print("                          seconds min / median / max    file MB   RSS MiB: before  peak  (export's own)")
    for (kind, event_id), runs in results.items():
        seconds = [run["seconds"] for run in runs]
        worst = max(runs, key=lambda run: run["peak_kb"] - run["before_kb"])
        print(
            f"{kind:<5} {SIZES[event_id]:>7,} tickets {min(seconds):7.2f} {statistics.median(seconds):7.2f}"
            f" {max(seconds):7.2f}   {runs[0]['bytes'] / 1e6:8.1f}   {worst['before_kb'] / 1024:13.1f}"
            f" {worst['peak_kb'] / 1024:5.1f}  {(worst['peak_kb'] - worst['before_kb']) / 1024:6.1f}"
        )
    for kind in ("csv", "xlsx"):
        small = max(run["peak_kb"] for run in results[(kind, "evt_bench_10k")])
        large = max(run["peak_kb"] for run in results[(kind, "evt_bench_100k")])
        ratio = large / small
        verdict = "ok" if ratio <= 1.25 else "MISSED"
        missed += verdict != "ok"
        print(f"  {kind} peak RSS ratio 100k/10k {ratio:.2f} (target: flat, <= 1.25) {verdict}")
    csv_seconds = statistics.median(run["seconds"] for run in results[("csv", "evt_bench_100k")])
    verdict = "ok" if csv_seconds <= CSV_TARGET_SECONDS else "MISSED"
    missed += verdict != "ok"
    print(f"  csv 100,000 tickets median {csv_seconds:.2f} s (target: <= {CSV_TARGET_SECONDS:.0f} s) {verdict}")
    return missed


def _in_child(args: list[str]) -> None:
    import django

    django.setup()
    if args[0] == "--seed":
        seed()
        print(json.dumps({}))
    else:
        print(json.dumps(export(args[1], args[2])))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        _in_child(sys.argv[1:])
    else:
        sys.exit(1 if main() else 0)
