"""``salwidgets.recent``: a few seconds of memory in the process, least recently used dropped first."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from salwidgets import recent
from salwidgets.recent import Recent


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(recent.time, "monotonic", fake.monotonic)
    return fake


def test_a_value_lasts_its_seconds(clock: Clock) -> None:
    kept = Recent[str](size=4, seconds=5)
    kept.put("a", "first")
    kept.put("b", "second", seconds=1)
    kept.put("c", "third", seconds=60)  # never longer than the cache's own

    clock.now += 2
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == ("first", None, "third")
    clock.now += 4
    assert (kept.get("a"), kept.get("c")) == (None, None)


def test_the_least_recently_used_goes_first(clock: Clock) -> None:
    kept = Recent[int](size=2, seconds=5)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "a" is now the most recent

    kept.put("c", 3)

    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)
    kept.clear()
    assert kept.get("a") is None


def test_get_or_put_builds_once_while_the_value_is_kept() -> None:
    recent: Recent[str] = Recent(size=4, seconds=60)
    built: list[str] = []

    def build() -> str:
        built.append("x")
        return "value"

    assert [recent.get_or_put("k", build), recent.get_or_put("k", build)] == ["value", "value"]
    assert built == ["x"]


def test_threads_asking_for_a_key_being_built_wait_for_that_build() -> None:
    recent: Recent[str] = Recent(size=4, seconds=60)
    started, release = threading.Event(), threading.Event()
    builds: list[str] = []

    def build() -> str:
        builds.append(threading.current_thread().name)
        started.set()
        release.wait(5)
        return "html"

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(recent.get_or_build_once, "page", build)
        assert started.wait(5)
        others = [pool.submit(recent.get_or_build_once, "page", build) for _ in range(3)]
        release.set()
        answers = [first.result(5), *(other.result(5) for other in others)]

    assert answers == ["html"] * 4
    assert len(builds) == 1


def test_when_the_build_fails_a_waiting_thread_builds_for_itself() -> None:
    recent: Recent[str] = Recent(size=4, seconds=60)
    started, release = threading.Event(), threading.Event()

    def failing() -> str:
        started.set()
        release.wait(5)
        raise RuntimeError("upstream broke")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(recent.get_or_build_once, "page", failing)
        assert started.wait(5)
        second = pool.submit(recent.get_or_build_once, "page", lambda: "second's own")
        release.set()
        with pytest.raises(RuntimeError, match="upstream broke"):
            first.result(5)
        assert second.result(5) == "second's own"

    assert recent.get_or_build_once("page", lambda: "not built again") == "second's own"


def test_every_copy_is_dropped_at_once_and_when_the_settings_change(settings: Any) -> None:
    first, second = Recent[str](size=4, seconds=60), Recent[int](size=4, seconds=60)
    first.put("a", "kept")
    second.put("b", 1)

    recent.forget_all()

    assert (first.get("a"), second.get("b")) == (None, None)
    first.put("a", "kept again")
    settings.SALWIDGETS = {**settings.SALWIDGETS, "FRESH_SECONDS": 12}
    assert first.get("a") is None


def test_kept_pairs_stay_the_same_until_their_value_is_replaced_or_dropped(clock: Clock) -> None:
    kept = Recent[str](size=4, seconds=5)
    kept.put("a", "first")
    kept.put("b", "second")
    kept.put("c", "third", seconds=1)

    seen = kept.get_kept(["a", "b", "c", "missing"])
    assert {key: value for key, (_, value) in seen.items()} == {"a": "first", "b": "second", "c": "third"}
    assert seen["a"][0] == clock.now + 5 and kept.still_kept(seen)

    kept.put("b", "second")  # the same value, put again: a new pair
    assert not kept.still_kept(seen)
    seen = kept.get_kept(["a", "b"])
    kept.delete("a")
    assert not kept.still_kept(seen)

    clock.now += 2  # "c" expired: it is not kept any more
    assert kept.get_kept(["b", "c"]).keys() == {"b"}


def test_last_is_the_value_last_kept_expired_or_not_until_it_is_dropped(clock: Clock) -> None:
    kept = Recent[str](size=2, seconds=1)
    kept.put("a", "first")
    clock.now += 5

    assert kept.get("a") is None and kept.last("a") == "first"
    kept.put("a", "second")
    assert kept.last("a") == "second"
    kept.delete("a")
    assert kept.last("a") is None
    kept.put("b", "b")
    kept.put("c", "c")
    kept.put("d", "d")  # "b" pushed out
    assert kept.last("b") is None and kept.last("missing") is None
