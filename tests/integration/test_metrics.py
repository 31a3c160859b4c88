"""Prometheus scrapes a site of two gunicorn workers: whichever worker answers, the counts are
the site's (prometheus_client's multiprocess mode), and they agree with what menta received."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from salwidgets import cache
from tests.conftest import SandboxControl, start_sandbox
from tests.support.servers import seeded_site_env, start_redis, start_site

# Its processes use databases of their own, whatever DATABASE_URL says: run once, not again on PostgreSQL.
pytestmark = pytest.mark.own_database

SHOWS = [
    ("evt_2024_metallica", "show_nyc_20240815"),
    ("evt_hamilton", "show_ham_sun"),
    ("evt_rosalia_motomami", "show_mad_night1"),
]


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def test_two_workers_one_count(tmp_path_factory: pytest.TempPathFactory) -> None:
    directory: Path = tmp_path_factory.mktemp("metrics")
    multiproc = directory / "prometheus"
    multiproc.mkdir()
    redis = start_redis(directory)
    sandbox, sandbox_db = start_sandbox(tmp_path_factory)
    menta = SandboxControl(sandbox.url, sandbox_db)
    env = {**seeded_site_env(directory, redis, sandbox.url), "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    site = start_site(env, workers=2, threads=2)
    try:
        time.sleep(cache.NEAR_SECONDS)
        menta.reset_stats()
        # Fragments of shows nothing has cached: each one call to menta, spread over both workers
        # (a new connection per request).
        for event, show in SHOWS * 3:
            answer = requests.get(f"{site.url}/sal/fragments/buy/?event={event}&show={show}&lang=en", timeout=30)
            assert answer.status_code == 200
        received = sum(count for call, count in menta.stats().items() if call.startswith("GET /v1/wrapper/accesslayer"))
        master = site.process.pid
        workers = set(Path(f"/proc/{master}/task/{master}/children").read_text().split())
        counted = {path.stem.rsplit("_", 1)[-1] for path in multiproc.glob("counter_*.db")}

        scrapes = [requests.get(f"{site.url}/metrics", timeout=30) for _ in range(6)]
    finally:
        site.stop()
        sandbox.stop()
        redis.stop()

    assert len(workers) == 2 and workers <= counted, (workers, counted)  # both workers counted
    assert {scrape.status_code for scrape in scrapes} == {200}
    assert scrapes[0].headers["Content-Type"].startswith("text/plain; version=0.0.4")
    texts = {scrape.text.replace(" ", "") for scrape in scrapes}
    calls = [samples(scrape.text, "salwidgets_menta_calls_total") for scrape in scrapes]
    assert all(each == calls[0] for each in calls), texts  # any worker answers with the same sums
    ok = calls[0][(("endpoint", "GET /v1/wrapper/accesslayer"), ("outcome", "ok"))]
    assert ok == received == len(SHOWS)  # one call per show; the repeats were served from the cache
    lookups = samples(scrapes[0].text, "salwidgets_cache_lookups_total")
    assert lookups[(("result", "miss"),)] >= len(SHOWS)
    assert lookups[(("result", "hit"),)] >= 2 * len(SHOWS)
    seconds = samples(scrapes[0].text, "salwidgets_menta_call_seconds_count")
    assert seconds[(("endpoint", "GET /v1/wrapper/accesslayer"),)] == len(SHOWS)
    assert samples(scrapes[0].text, "salwidgets_breaker_open") == {(): 0.0}
