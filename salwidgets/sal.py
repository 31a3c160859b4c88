"""What a page asks for: a show's components, a person's ticket and order CTAs.

Each function answers from the cache when it can and calls menta only when the caller may
wait (``wait=True``); a stale answer is served while one background refresh runs. Failures
never escape: they come back as ``failed`` results for the caller's fallback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from salwidgets import cache, wire
from salwidgets.client import get_client
from salwidgets.conf import get_config
from salwidgets.errors import MentaError, NotFound

logger = logging.getLogger("salwidgets")

State = Literal["ready", "missing", "failed", "not_found"]


@dataclass(frozen=True)
class ShowResult:
    state: State
    components: tuple[wire.Component, ...] = ()
    dropped: tuple[wire.Dropped, ...] = ()
    entry: cache.Entry[Any] | None = None


@dataclass(frozen=True)
class PersonResult:
    """Per-person answers by id (tickets or orders), or why there are none."""

    state: State
    items: dict[str, Any] = field(default_factory=dict)


# --- shows ----------------------------------------------------------------------------------


def _from_entry(entry: cache.Entry[Any]) -> ShowResult:
    if entry.value is None:
        return ShowResult("not_found", entry=entry)
    return ShowResult("ready", entry.value.components, entry.value.dropped, entry)


def _refresh_in_background(key: str, fetch: Callable[[], object]) -> None:
    """Start one refresh of a stale entry: the first process to take the lock runs it."""
    config = get_config()
    lock_seconds = int(config["CONNECT_TIMEOUT"] + config["READ_TIMEOUT"]) + 2
    if not cache.backend().add(f"{key}:refreshing", 1, timeout=lock_seconds):
        return
    threading.Thread(target=fetch, name="salwidgets-refresh", daemon=True).start()


def fetch_show(type: str, event_id: str | None, show_id: str | None, lang: str) -> ShowResult:
    """Ask menta now and cache what it says (a 404 is cached briefly)."""
    key = cache.show_key(type, event_id, show_id, lang)
    try:
        layer = get_client().access_layer(type, event_id=event_id, show_id=show_id, lang=lang)
    except NotFound:
        return _from_entry(cache.put_show(key, None, max_age=None))
    except MentaError as exc:
        logger.warning("SAL %s components for %s/%s unavailable: %s", type, event_id, show_id, exc)
        return ShowResult("failed")
    finally:
        cache.drop(f"{key}:refreshing")
    return _from_entry(cache.put_show(key, layer, max_age=layer.max_age))


def show(type: str, event_id: str | None, show_id: str | None, lang: str, *, wait: bool) -> ShowResult:
    """A show's components: cached (fresh or stale), fetched if ``wait``, else ``missing``."""
    key = cache.show_key(type, event_id, show_id, lang)
    entry = cache.get_show(key)
    if entry is not None and not entry.partial:
        if not entry.is_fresh():
            _refresh_in_background(key, lambda: fetch_show(type, event_id, show_id, lang))
        return _from_entry(entry)
    if not wait:
        return ShowResult("missing")
    return fetch_show(type, event_id, show_id, lang)


def shows(type: str, pairs: Iterable[tuple[str, str]], lang: str, *, wait: bool) -> dict[tuple[str, str], ShowResult]:
    """Components of many shows (buttons, modals, banners suffice): one bulk call for the missing ones."""
    order = list(dict.fromkeys(pairs))
    results: dict[tuple[str, str], ShowResult] = {}
    missing: list[tuple[str, str]] = []
    for pair in order:
        entry = cache.get_show(cache.show_key(type, *pair, lang))
        if entry is None:
            missing.append(pair)
        else:
            results[pair] = _from_entry(entry)
    if not missing or not wait:
        return {pair: results.get(pair, ShowResult("missing")) for pair in order}
    try:
        answers = get_client().access_layer_bulk(type, missing, lang=lang)
    except MentaError as exc:
        logger.warning("SAL bulk %s components for %d shows unavailable: %s", type, len(missing), exc)
        return {pair: results.get(pair, ShowResult("failed")) for pair in order}
    for answer in answers:
        pair = (answer.event_id, answer.show_id)
        key = cache.show_key(type, *pair, lang)
        if answer.error:
            results[pair] = _from_entry(cache.put_show(key, None, max_age=None))
            continue
        layer = wire.AccessLayer(type, *pair, lang, None, answer.components, answer.dropped)
        results[pair] = _from_entry(cache.put_show(key, layer, max_age=None, partial=True))
    return {pair: results.get(pair, ShowResult("failed")) for pair in order}


# --- a person's tickets and orders ----------------------------------------------------------


def _person(
    kind: str, person: str, ids: list[str], lang: str, wait: bool, fetch: Callable[[], list[Any]], id_of: str
) -> PersonResult:
    if not ids:
        return PersonResult("ready")
    key = cache.person_key(person, kind, ids, lang)
    cached = cache.get_person(key)
    if isinstance(cached, dict):
        return PersonResult("ready", cached)
    if not wait:
        return PersonResult("missing")
    try:
        items = {getattr(item, id_of): item for item in fetch()}
    except MentaError as exc:
        logger.warning("SAL %s CTAs unavailable: %s", kind, exc)
        return PersonResult("failed")
    cache.put_person(key, items)
    return PersonResult("ready", items)


def tickets(person: str, ticket_ids: Iterable[str], lang: str, *, wait: bool) -> PersonResult:
    ids = list(dict.fromkeys(ticket_ids))
    return _person(
        "tickets", person, ids, lang, wait, lambda: get_client().ticket_access(person, ids, lang=lang), "ticket_id"
    )


def orders(person: str, order_ids: Iterable[str], lang: str, *, wait: bool) -> PersonResult:
    ids = list(dict.fromkeys(order_ids))
    return _person(
        "orders", person, ids, lang, wait, lambda: get_client().order_access(person, ids, lang=lang), "order_id"
    )
