"""``salwidgets.recent``: a few seconds of memory in the process, least recently used dropped first."""

from __future__ import annotations

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
