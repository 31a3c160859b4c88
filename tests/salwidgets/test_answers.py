"""The cache policy and the breaker, in one process against the sandbox."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.cache import caches

from salwidgets import answers, breaker, cache, calls, readthrough, render, wire
from salwidgets.viewer import Viewer
from tests.conftest import SandboxControl, World

SAL = "GET /v1/wrapper/accesslayer"


@pytest.fixture
def show(site_menta: SandboxControl, world: World) -> tuple[str, str]:
    event_id, (show_id,) = world.event()
    return event_id, show_id


def test_fresh_for_max_age_capped_by_the_setting(show: tuple[str, str], settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "FRESH_SECONDS": 5}

    result = answers.show("buy", *show, "en", wait=True)

    assert result.entry is not None
    assert round(result.entry.fresh_until - result.entry.fetched_at) == 5  # the sandbox asks for 60


def test_stale_is_served_while_one_refresh_runs(
    show: tuple[str, str], site_menta: SandboxControl, settings: Any
) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "FRESH_SECONDS": 0}
    first = answers.show("buy", *show, "en", wait=True)
    site_menta.faults(mode="down")
    site_menta.reset_stats()

    again = answers.show("buy", *show, "en", wait=False)

    assert again.state == "ready" and again.components == first.components
    assert readthrough.refreshes_done(timeout=10)
    assert site_menta.stats()[SAL] >= 1
    assert cache.get_show(cache.show_key("buy", *show, "en")) is not None  # kept: a failed refresh loses nothing


def test_while_menta_fails_a_stale_answer_is_refreshed_once_per_retry_period_not_at_every_view(
    show: tuple[str, str], site_menta: SandboxControl, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "FRESH_SECONDS": 0, "BREAKER_FAILURES": 1000}
    monkeypatch.setattr(readthrough, "REFRESH_RETRY_SECONDS", 0.5)
    first = answers.show("buy", *show, "en", wait=True)
    site_menta.faults(mode="down")  # the breaker stays closed, as while menta fails half its calls
    site_menta.reset_stats()

    answers.show("buy", *show, "en", wait=False)
    assert readthrough.refreshes_done(timeout=10)
    one_refresh = site_menta.stats()[SAL]  # its call, and the transport's retries
    for _view in range(30):
        assert answers.show("buy", *show, "en", wait=False).components == first.components
        assert readthrough.refreshes_done(timeout=10)
    assert site_menta.stats()[SAL] == one_refresh

    time.sleep(0.6)
    site_menta.restore()
    answers.show("buy", *show, "en", wait=False)  # the retry period is over: the next view refreshes it
    assert readthrough.refreshes_done(timeout=10)
    assert site_menta.stats()[SAL] == one_refresh + 1
    assert cache.get_show(cache.show_key("buy", *show, "en")).fetched_at > first.entry.fetched_at  # type: ignore[union-attr]


def test_a_person_s_answers_are_fetched_once_for_pages_that_ask_at_the_same_time(
    world: World, site_menta: SandboxControl
) -> None:
    event_id, (show_id,) = world.event()
    owner = f"{world.id('fan')}@example.com"
    ticket_ids = [world.ticket(event_id, show_id, owner) for _ticket in range(2)]
    site_menta.faults(latencyMs=300)
    site_menta.reset_stats()
    results: list[answers.PersonResult] = []

    pages = [
        threading.Thread(target=lambda: results.append(answers.tickets(owner, ticket_ids, "en", wait=True)))
        for _page in range(3)
    ]
    for page in pages:
        page.start()
    for page in pages:
        page.join(timeout=30)

    assert [result.state for result in results] == ["ready"] * 3
    assert all(set(result.items) == set(ticket_ids) for result in results)
    assert site_menta.stats()["POST /v1/wrapper/accesslayer"] == 1  # single flight, as for shows


def test_a_404_is_remembered_briefly(site_menta: SandboxControl, settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "NOT_FOUND_SECONDS": 30}
    site_menta.reset_stats()

    first = answers.show("buy", "evt_unknown", "show", "en", wait=True)
    second = answers.show("buy", "evt_unknown", "show", "en", wait=True)

    assert (first.state, second.state) == ("not_found", "not_found")
    assert site_menta.stats() == {SAL: 1}


def test_the_kill_switch(show: tuple[str, str], site_menta: SandboxControl, settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "ENABLED": False}
    site_menta.reset_stats()

    assert answers.show("buy", *show, "en", wait=True).state == "off"
    assert answers.tickets("a@example.com", ["T"], "en", wait=True).state == "off"
    assert site_menta.stats() == {}


class TestBreaker:
    def test_opens_after_failures_in_a_row_and_stops_calling(
        self, site_menta: SandboxControl, world: World, settings: Any
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "BREAKER_FAILURES": 3, "BREAKER_COOLDOWN": 600, "MAX_RETRIES": 0}
        event_id, show_ids = world.event(shows=4)
        site_menta.faults(mode="down")
        site_menta.reset_stats()

        results = [answers.show("buy", event_id, show_id, "en", wait=True).state for show_id in show_ids]

        assert results == ["failed"] * 4
        assert site_menta.stats() == {SAL: 3}
        assert breaker.state().name == "open"

    def test_after_the_cooldown_one_probe_in_the_background_closes_it(
        self, site_menta: SandboxControl, world: World, settings: Any
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "BREAKER_FAILURES": 1, "BREAKER_COOLDOWN": 0, "MAX_RETRIES": 0}
        event_id, show_ids = world.event(shows=2)
        site_menta.faults(mode="down")
        answers.show("buy", event_id, show_ids[0], "en", wait=True)
        assert breaker.state().name == "half-open"
        site_menta.restore()
        site_menta.reset_stats()

        # Even a caller that may wait gets the fallback at once: the probe is not a page's to wait on.
        asked = answers.show("buy", event_id, show_ids[1], "en", wait=True)
        assert asked.state == "failed"
        assert readthrough.refreshes_done(timeout=5)

        assert site_menta.stats() == {SAL: 1}
        assert breaker.state().name == "closed"
        assert answers.show("buy", event_id, show_ids[1], "en", wait=False).state == "ready"

    def test_a_call_stops_retrying_once_another_process_opens_the_breaker(
        self, site_menta: SandboxControl, show: tuple[str, str], settings: Any
    ) -> None:
        settings.SALWIDGETS = {
            **settings.SALWIDGETS,
            **{"BREAKER_FAILURES": 100, "MAX_RETRIES": 8, "RETRY_BUDGET": 10},
            **{"BACKOFF_BASE": 0.1, "BACKOFF_CAP": 0.1},
        }
        site_menta.faults(mode="down")
        site_menta.reset_stats()
        # Another process opens the circuit while this one's call is between its retries.
        opener = threading.Timer(0.15, lambda: cache.backend().set(breaker.OPEN_UNTIL, time.time() + 600, None))
        opener.start()

        result = answers.show("buy", *show, "en", wait=True)
        opener.join()

        assert result.state == "failed"
        assert 1 <= site_menta.stats()[SAL] <= 3  # not the 9 attempts it may make with the breaker closed

    def test_only_one_probe_at_a_time(self, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "BREAKER_FAILURES": 1, "BREAKER_COOLDOWN": 0}
        breaker.record_failure()

        assert [breaker.allow() for _ in range(3)] == [True, False, False]

    def test_refusals_do_not_count_against_menta(self, site_menta: SandboxControl, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "BREAKER_FAILURES": 1}

        answers.show("buy", "evt_unknown", "show", "en", wait=True)

        assert breaker.state().name == "closed"


def test_a_page_fetch_ends_before_its_waiters_stop_waiting_and_the_lock_outlives_both(
    show: tuple[str, str], site_menta: SandboxControl, settings: Any
) -> None:
    # Retries that could go on for 30 s (503s, quick to retry) if the fetch had no deadline.
    settings.SALWIDGETS = {
        **settings.SALWIDGETS,
        **{"CONNECT_TIMEOUT": 0.2, "READ_TIMEOUT": 0.3, "MAX_RETRIES": 100, "RETRY_BUDGET": 30},
        **{"BACKOFF_BASE": 0.02, "BACKOFF_CAP": 0.02, "BREAKER_FAILURES": 100},
    }
    site_menta.faults(mode="down", latencyMs=50)

    started = time.monotonic()
    result = answers.show("buy", *show, "en", wait=True)
    took = time.monotonic() - started

    assert result.state == "failed"
    assert took < readthrough._wait_seconds() < readthrough._lock_seconds()
    assert calls.fetch_seconds() == 0.5


def test_background_refreshes_run_on_a_bounded_pool(world: World, site_menta: SandboxControl, settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "FRESH_SECONDS": 0}
    event_id, show_ids = world.event(shows=12)
    for show_id in show_ids:
        answers.show("buy", event_id, show_id, "en", wait=True)
    site_menta.faults(latencyMs=300)

    for show_id in show_ids:  # every entry is stale: each view queues a refresh
        assert answers.show("buy", event_id, show_id, "en", wait=False).state == "ready"
    running = [thread for thread in threading.enumerate() if thread.name.startswith("salwidgets-refresh")]

    assert 1 <= len(running) <= readthrough.REFRESH_THREADS
    assert readthrough.refreshes_done(timeout=30)


def test_with_the_breaker_open_a_page_does_not_look_again_for_what_no_cache_had(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "BREAKER_FAILURES": 1}
    breaker.record_failure()
    key = cache.show_key("buy", "evt_x", "show_x", "en")

    assert answers.show("buy", "evt_x", "show_x", "en", wait=False).state == "failed"
    layer = wire.AccessLayer("buy", "evt_x", "show_x", "en", None, (), ())
    caches["default"].set(key, cache.Entry(layer, 0.0, 2e9))  # another process's answer

    assert answers.show("buy", "evt_x", "show_x", "en", wait=False).state == "failed"  # not looked for
    breaker.record_success()
    assert answers.show("buy", "evt_x", "show_x", "en", wait=False).state == "ready"


def test_a_listing_s_answers_stay_the_same_until_one_of_them_changes(site_menta: SandboxControl, world: World) -> None:
    event_id, show_ids = world.event(shows=3)
    pairs = [(event_id, show_id) for show_id in show_ids]
    answers.shows("buy", pairs, "en", wait=True)

    first = answers.shows("buy", pairs, "en", wait=False)
    again = answers.shows("buy", pairs, "en", wait=False)
    assert again is first  # built once for the same entries, not 50 results at every view
    assert [result.identity for result in again.results.values()] == [r.identity for r in first.results.values()]
    assert first.missing == () and list(first.by_key) == [f"{event_id}/{show_id}" for show_id in show_ids]

    cache.forget_show(event_id, show_ids[1])  # what a webhook does when a listing changes
    answers.shows("buy", pairs, "en", wait=True)
    changed = answers.shows("buy", pairs, "en", wait=False)

    pairs_of = zip(changed.results.values(), first.results.values(), strict=True)
    assert [result.identity == old.identity for result, old in pairs_of] == [True, False, True]
    assert changed.identity != first.identity


def test_a_read_of_fresh_copies_answers_the_same_until_a_copy_changes_or_an_entry_turns_stale() -> None:
    keys = {n: cache.show_key("buy", "evt_reads", f"show_{n}", "en") for n in range(3)}
    for n, key in keys.items():
        cache.put_show(key, f"answer {n}", max_age=None)
    stale: list[int] = []

    def read() -> readthrough.Found[int]:
        return readthrough.read(
            keys, wait=False, fetch=lambda items: {}, lock=lambda items: "reads", refresh=lambda s, e: stale.extend(s)
        )

    cache.forget_near()
    assert read() is not read()  # the first reads the shared cache; the second, from copies, is kept
    kept = read()
    assert read() is kept and kept.state == "ready" and kept.entries[1].value == "answer 1"

    cache.put_show(keys[1], "changed", max_age=None)  # this process fetched it again
    changed = read()
    assert changed is not kept and changed.entries[1].value == "changed"
    assert read() is changed

    cache.forget_show("evt_reads", "show_2")  # a webhook said it changed
    assert read().missing == (2,)

    now = time.time()
    shared, copy = cache.Entry("soon stale", now, now + 0.3), cache.put_show(keys[2], "answer 2", max_age=None)
    caches["default"].set(keys[0], shared)
    cache.keep_copy(keys[0], shared)
    fresh = read()
    assert read() is fresh and fresh.entries[2] == copy and stale == []
    time.sleep(0.35)
    assert read().entries[0] == shared and stale == [0]  # served stale, and refreshed


def test_a_listing_s_buttons_follow_a_changed_answer_at_the_next_view(site_menta: SandboxControl, world: World) -> None:
    """The HTML of a listing's buttons is kept as a whole (``render.components_of``): a show whose
    answer changed shows the new one at once, the others keep theirs."""
    event_id, show_ids = world.event(shows=3)
    pairs = [(event_id, show_id) for show_id in show_ids]
    seen = Viewer(language="en")
    answers.shows("buy", pairs, "en", wait=True)
    before = render.components_of(seen, answers.shows("buy", pairs, "en", wait=False), surface="buy")
    assert all("<a " in html for html in before.values())

    # Another process stores menta's new answer for the second show: it has no buttons any more.
    key = cache.show_key("buy", event_id, show_ids[1], "en")
    empty = wire.AccessLayer("buy", event_id, show_ids[1], "en", None, (), ())
    caches["default"].set(key, cache.Entry(empty, time.time(), time.time() + 60))
    cache.forget_near()
    after = render.components_of(seen, answers.shows("buy", pairs, "en", wait=False), surface="buy")

    names = [f"{event_id}/{show_id}" for show_id in show_ids]
    assert [after[name] == before[name] for name in names] == [True, False, True]
    assert after[names[1]] == ""


def test_a_listing_refreshes_its_stale_buttons_with_one_bulk_call_in_the_background(
    site_menta: SandboxControl, world: World, settings: Any
) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "FRESH_SECONDS": 0}
    event_id, show_ids = world.event(shows=3)
    pairs = [(event_id, show_id) for show_id in show_ids]
    answers.shows("buy", pairs, "en", wait=True)
    site_menta.reset_stats()
    time.sleep(cache.NEAR_SECONDS)  # this process's copies of the answers expire

    stale = answers.shows("buy", pairs, "en", wait=False)  # served as they are, at once
    assert stale.missing == () and not stale.all_failed
    assert readthrough.refreshes_done(timeout=10)

    assert site_menta.stats() == {"POST /v1/wrapper/accesslayer/bulk": 1}
    # A show page's full answer is refreshed by a full call, not replaced by a bulk one's buttons.
    answers.show("buy", *pairs[0], "en", wait=True)
    site_menta.reset_stats()
    time.sleep(cache.NEAR_SECONDS)
    answers.shows("buy", pairs, "en", wait=False)
    assert readthrough.refreshes_done(timeout=10)
    assert site_menta.stats() == {"POST /v1/wrapper/accesslayer/bulk": 1, SAL: 1}
    assert not cache.get_show(cache.show_key("buy", *pairs[0], "en")).partial


def test_shows_not_at_hand_are_missing_in_the_page_s_order(site_menta: SandboxControl, world: World) -> None:
    event_id, show_ids = world.event(shows=3)
    pairs = [(event_id, show_id) for show_id in show_ids]
    answers.shows("buy", pairs[1:2], "en", wait=True)

    found = answers.shows("buy", pairs, "en", wait=False)

    assert found.missing == (f"{event_id}/{show_ids[0]}", f"{event_id}/{show_ids[2]}")
    assert not found.all_failed


def test_a_listing_s_result_is_the_same_object_while_its_answers_are_the_same_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seconds apart, the process reads a listing's answers again from the shared cache: while
    they are the same writes, the listing's result is the one built before (built again each
    second, at 500 shows, it was 500 objects more a second for the garbage collector)."""
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    pairs = [("evt_same", f"show_{n}") for n in range(3)]
    for pair in pairs:
        cache.put_show(cache.show_key("buy", *pair, "en"), None, max_age=None)
    cache.forget_near()
    first = answers.shows("buy", pairs, "en", wait=False)

    now[0] += 5 * cache.NEAR_SECONDS
    assert answers.shows("buy", pairs, "en", wait=False) is first

    cache.put_show(cache.show_key("buy", *pairs[1], "en"), None, max_age=None)  # fetched again
    changed = answers.shows("buy", pairs, "en", wait=False)
    assert changed is not first and changed.results[pairs[1]].entry != first.results[pairs[1]].entry
