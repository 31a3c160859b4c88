"""``salwidgets.cache``: entries with their freshness, this process's copies, a person's
generation, and dropping a show's or a person's answers."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.core.cache import caches

from salwidgets import cache, recent


def shared() -> Any:
    """The shared cache itself, as another process sees it (no copy of this process in between)."""
    return caches["default"]


def test_an_entry_is_fresh_for_max_age_capped_by_the_setting_and_kept_stale_for_longer(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "FRESH_SECONDS": 60, "STALE_SECONDS": 3600}
    key = cache.show_key("buy", "evt", "show", "en")

    short = cache.put_show(key, "answer", max_age=5)
    capped = cache.put_show(key, "answer", max_age=600)

    assert round(short.fresh_until - short.fetched_at) == 5
    assert round(capped.fresh_until - capped.fetched_at) == 60
    assert cache.get_show(key) == capped


def test_a_404_is_remembered_for_not_found_seconds(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "NOT_FOUND_SECONDS": 7}

    entry = cache.put_show(cache.show_key("buy", "evt", "gone", "en"), None, max_age=None)

    assert entry.value is None and round(entry.fresh_until - entry.fetched_at) == 7


def test_a_fresh_entry_is_read_from_the_shared_cache_once_then_from_this_process() -> None:
    key = cache.show_key("buy", "evt", "show", "en")
    written = cache.put_show(key, "first", max_age=None)
    cache.forget_near()
    assert cache.get_show(key) == written

    shared().delete(key)  # another process dropped it: this one keeps its copy a moment longer

    assert cache.get_show(key) == written
    cache.forget_near()
    assert cache.get_show(key) is None


def test_an_entry_read_again_unchanged_keeps_the_object_this_process_had(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(recent.time, "monotonic", lambda: now[0])
    key = cache.show_key("buy", "evt", "again", "en")
    first = cache.put_show(key, {"answer": 1}, max_age=None)
    cache.forget_near()
    had = cache.get_show(key)
    assert had == first and had is not first  # read from the shared cache: a new object

    # The process's copy expires and the entry is read again: the same write, so the object the
    # process had (the one just read is let go at once, and what was built from it stays valid).
    now[0] += cache.NEAR_SECONDS + 1
    assert cache.get_show(key) is had

    # Another process fetched it again, with the same answer: a new write, so the new entry.
    later = dataclasses.replace(first, fetched_at=first.fetched_at + 1, fresh_until=first.fresh_until + 1)
    shared().set(key, later, timeout=60)
    now[0] += cache.NEAR_SECONDS + 1
    read = cache.get_show(key)
    assert read == later and read is not had


def test_a_reread_looks_past_this_processs_copy() -> None:
    key = cache.show_key("buy", "evt", "stale", "en")
    cache.put_show(key, "old", max_age=0)
    shared().delete(key)  # another process dropped it
    assert cache.get_show(key) is not None

    assert cache.reread(key) is None
    assert cache.get_show(key) is None


def test_many_entries_come_in_one_read_and_what_is_missing_is_left_out() -> None:
    keys = [cache.show_key("buy", "evt", f"show{n}", "en") for n in range(3)]
    for key in keys[:2]:
        cache.put_show(key, key, max_age=None)
    cache.forget_near()

    found = cache.get_entries(keys)

    assert sorted(found) == sorted(keys[:2]) and all(found[key].value == key for key in keys[:2])


def test_forgetting_a_show_drops_both_types_every_language_and_its_listings_here_at_once() -> None:
    keys = [cache.show_key(type, "evt", "show", lang) for type in ("buy", "sell") for lang in ("en", "es")]
    listings = cache.listings_key("evt", "show")
    other = cache.show_key("buy", "evt", "other", "en")
    for key in [*keys, listings, other]:
        cache.put_show(key, "answer", max_age=None)

    cache.forget_show("evt", "show")

    assert [cache.get_show(key) for key in [*keys, listings]] == [None] * 5
    assert cache.get_show(other) is not None


def test_a_persons_keys_change_when_they_are_forgotten_and_name_neither_them_nor_their_items() -> None:
    before = cache.person_key("alice@example.com", "tickets", ["T2", "T1"], "en")

    assert before == cache.person_key("alice@example.com", "tickets", ["T1", "T2"], "en")
    assert "alice" not in before and "T1" not in before
    cache.forget_person("alice@example.com")

    assert cache.person_key("alice@example.com", "tickets", ["T1", "T2"], "en") != before
    assert cache.person_key("bob@example.com", "tickets", ["T1", "T2"], "en") != before


def test_a_persons_answer_is_fresh_for_user_seconds_and_then_served_stale(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "USER_SECONDS": 30, "STALE_SECONDS": 3600}
    key = cache.person_key("alice@example.com", "tickets", ["T1"], "en")

    entry = cache.put_person(key, {"T1": "answer"})

    assert round(entry.fresh_until - entry.fetched_at) == 30
    assert cache.get_show(key) == entry


def test_a_counter_is_created_at_need() -> None:
    assert cache.increment(f"{cache.PREFIX}:test-counter") == 1
    assert cache.increment(f"{cache.PREFIX}:test-counter", 4) == 5
