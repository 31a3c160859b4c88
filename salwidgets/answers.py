"""What a page asks for: a show's components, a person's ticket and order CTAs, a show's listed
tickets.

Each is read through the shared cache by ``readthrough.read`` (cached answers, fresh or stale;
one fetch shared by every process when the caller may wait; the breaker respected). This module
says how each kind of answer is fetched from menta, cached and told apart. Failures never escape:
they come back as ``failed`` results for the caller's fallback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from salwidgets import cache, calls, metrics, readthrough, wire
from salwidgets.client import get_client
from salwidgets.conf import get_config
from salwidgets.errors import MentaError, NotFound
from salwidgets.privacy import redact
from salwidgets.recent import Recent

logger = logging.getLogger("salwidgets")

State = readthrough.State
Pair = tuple[str, str]


@dataclass(frozen=True)
class ShowResult:
    state: State
    components: tuple[wire.Component, ...] = ()
    dropped: tuple[wire.Dropped, ...] = ()
    entry: cache.Entry[Any] | None = None

    @functools.cached_property
    def identity(self) -> Hashable:
        """What makes this answer this answer: where and when it was fetched (cheaper than its
        content), for keys of what is built from it."""
        entry = self.entry
        if entry is None or entry.value is None:
            return self.components
        layer = entry.value
        return (layer.type, layer.event_id, layer.show_id, layer.lang, entry.fetched_at, entry.partial)


FAILED = ShowResult("failed")  # one shared answer: a result is frozen
MISSING = ShowResult("missing")


@dataclass(frozen=True, eq=False)
class ShowsResult:
    """The answers for a page's shows, by (event id, show id), in the page's order.

    What is derived from them is computed once per result.
    """

    results: dict[Pair, ShowResult]
    # What makes these answers these answers (the shows asked for, and where and when each cached
    # answer was fetched), for keys of what is built from them; None: not kept for reuse.
    identity: Hashable | None = None

    @functools.cached_property
    def by_key(self) -> dict[str, ShowResult]:
        """The answers by ``"<event id>/<show id>"``, the key a page's show slot has."""
        return {f"{event_id}/{show_id}": result for (event_id, show_id), result in self.results.items()}

    @functools.cached_property
    def missing(self) -> tuple[str, ...]:
        """The keys of the shows whose answer is not at hand, in order."""
        return tuple(key for key, result in self.by_key.items() if result.state == "missing")

    @functools.cached_property
    def any_failed(self) -> bool:
        """Whether some answer failed (its show renders the fallback)."""
        return any(result.state == "failed" for result in self.results.values())

    @functools.cached_property
    def all_failed(self) -> bool:
        """Whether every answer failed (menta is down): one fallback serves them all."""
        return bool(self.results) and all(result.state == "failed" for result in self.results.values())


def enabled() -> bool:
    return bool(get_config()["ENABLED"])


# --- shows ----------------------------------------------------------------------------------


def _from_entry(entry: cache.Entry[Any]) -> ShowResult:
    if entry.value is None:
        return ShowResult("not_found", entry=entry)
    return ShowResult("ready", entry.value.components, entry.value.dropped, entry)


def fetch_show(type: str, event_id: str | None, show_id: str | None, lang: str) -> ShowResult:
    """Ask menta now and cache what it says (a 404 is cached briefly)."""
    key = cache.show_key(type, event_id, show_id, lang)
    try:
        answer = calls.guarded(
            lambda: get_client().access_layer_exchange(type, event_id=event_id, show_id=show_id, lang=lang)
        )
    except NotFound:
        return _from_entry(cache.put_show(key, None, max_age=None))
    except calls.Skipped:
        return FAILED
    except MentaError as exc:
        logger.warning("SAL %s components for %s/%s unavailable: %s", type, event_id, show_id, exc)
        return FAILED
    layer = answer.value
    metrics.count("dropped", len(layer.dropped))
    return _from_entry(cache.put_show(key, layer, max_age=layer.max_age, latency_ms=answer.elapsed_ms))


def _entries(results: Mapping[Any, ShowResult | ListingsResult]) -> dict[Any, cache.Entry[Any]]:
    """The entries of fetched results (none for those that failed)."""
    return {item: result.entry for item, result in results.items() if result.entry is not None}


def _one(
    key: str, fetch: Callable[[], ShowResult | ListingsResult]
) -> Callable[[list[str]], dict[str, cache.Entry[Any]]]:
    """``fetch`` of a single entry, as ``readthrough.read`` asks for items."""
    return lambda items: _entries({key: fetch()})


def _complete(entry: cache.Entry[Any]) -> bool:
    """A show's own answer, not one a bulk call filled (buttons, modals and banners only)."""
    return not entry.partial


def show(type: str, event_id: str | None, show_id: str | None, lang: str, *, wait: bool) -> ShowResult:
    """A show's components: cached (fresh or stale), fetched if ``wait``, else ``missing``.

    An entry filled by a bulk call lacks lists and maps: it counts as missing here, and is what
    the page shows if the full fetch fails.
    """
    if not enabled():
        return ShowResult("off")
    key = cache.show_key(type, event_id, show_id, lang)
    found = readthrough.read(
        {key: key},
        wait=wait,
        fetch=_one(key, lambda: fetch_show(type, event_id, show_id, lang)),
        lock=lambda items: key,
        usable=_complete,
    )
    entry = found.entries.get(key)
    return _from_entry(entry) if entry is not None else ShowResult(found.state)


def fetch_shows(type: str, pairs: list[Pair], lang: str, *, keep_full: bool = True) -> dict[Pair, ShowResult]:
    """One bulk call (split by the client at 50) that fills each show's entry.

    A bulk answer carries buttons, modals and banners only: with ``keep_full`` a show's full,
    fresh entry is kept rather than replaced by the partial one.
    """
    try:
        answers = calls.guarded(lambda: get_client().access_layer_bulk(type, pairs, lang=lang))
    except calls.Skipped:
        return {pair: FAILED for pair in pairs}
    except MentaError as exc:
        logger.warning("SAL bulk %s components for %d shows unavailable: %s", type, len(pairs), exc)
        return {pair: FAILED for pair in pairs}
    results: dict[Pair, ShowResult] = {}
    for answer in answers:
        pair = (answer.event_id, answer.show_id)
        key = cache.show_key(type, *pair, lang)
        current = cache.get_show(key) if keep_full else None
        if current is not None and not current.partial and current.is_fresh():
            results[pair] = _from_entry(current)
        elif answer.error:
            results[pair] = _from_entry(cache.put_show(key, None, max_age=None))
        else:
            layer = wire.AccessLayer(type, *pair, lang, None, answer.components, answer.dropped)
            results[pair] = _from_entry(cache.put_show(key, layer, max_age=None, partial=True))
    return {pair: results.get(pair, FAILED) for pair in pairs}


def _bulk_key(type: str, lang: str, pairs: list[Pair]) -> str:
    """What one bulk call for ``pairs`` is known by: its lock, and its refresh in the background."""
    return f"{cache.PREFIX}:bulk:{type}:{lang}:{cache.digest(sorted(pairs))}"


def _refresh_stale(type: str, lang: str, pairs: list[Pair], entries: Mapping[Pair, cache.Entry[Any]]) -> None:
    """Stale answers of a listing are served as they are while they are refreshed in the
    background: those a bulk call filled by one bulk call, and each full one (a show page's, with
    its lists and maps, which a bulk answer lacks) by a call of its own."""
    partial = [pair for pair in pairs if entries[pair].partial]
    if partial:
        readthrough.refresh_in_background(_bulk_key(type, lang, partial), lambda: fetch_shows(type, partial, lang))
    for event_id, show_id in (pair for pair in pairs if not entries[pair].partial):
        readthrough.refresh_in_background(
            cache.show_key(type, event_id, show_id, lang),
            functools.partial(fetch_show, type, event_id, show_id, lang),
        )


def shows(type: str, pairs: Iterable[Pair], lang: str, *, wait: bool) -> ShowsResult:
    """Components of many shows (buttons, modals, banners suffice): one bulk call for the missing ones."""
    order = list(dict.fromkeys(pairs))
    if not enabled():
        return ShowsResult({pair: ShowResult("off") for pair in order})
    keys = {pair: cache.show_key(type, *pair, lang) for pair in order}
    found = readthrough.read(
        keys,
        wait=wait,
        fetch=lambda missing: _entries(fetch_shows(type, missing, lang)),
        lock=lambda missing: _bulk_key(type, lang, missing),
        refresh=lambda stale, entries: _refresh_stale(type, lang, stale, entries),
    )
    unanswered = MISSING if found.state == "missing" else FAILED
    fetched = tuple((keys[pair], entry.fetched_at) for pair, entry in found.entries.items())
    listing = (type, lang, tuple(order))
    identity = (*listing, found.state, fetched)

    def build() -> ShowsResult:
        results = {pair: _from_entry(found.entries[pair]) if pair in found.entries else unanswered for pair in order}
        return ShowsResult(results, identity)

    # A listing asks for the same shows at every view and finds the same entries until one is
    # fetched again: the result built for them once, not 50 of them at every view. Kept by the
    # listing (its type, language and shows) with the identity it was built for, which names every
    # entry's fetch: a minute, as long as a rendering, and replaced when an entry is fetched
    # again, so that neither a result built again each second (500 objects a second at 500 shows
    # for the garbage collector's full passes) nor the results of earlier fetches pile up.
    kept = _shows.get(listing)
    if kept is not None and kept.identity == identity:
        return kept
    result = build()
    _shows.put(listing, result)
    return result


_shows: Recent[ShowsResult] = Recent(size=256, seconds=60.0)


# --- a person's tickets and orders ----------------------------------------------------------

# A person's items are cached, fetched and loaded lazily in groups of at most GROUP_SIZE ids and
# GROUP_CHARS characters of query string, so that no fragment URL grows with their number.
GROUP_SIZE = 50
GROUP_CHARS = 3000


def groups(ids: Iterable[str], param: str = "id") -> list[tuple[str, ...]]:
    """``ids`` in order, in the groups that are cached and loaded together (``param`` names them
    in a fragment's query string)."""
    return list(_groups(tuple(ids), param))


@functools.lru_cache(maxsize=1024)  # a pure function: a person's page asks for the same at every view
def _groups(ids: tuple[str, ...], param: str) -> tuple[tuple[str, ...], ...]:
    found: list[tuple[str, ...]] = []
    current: list[str] = []
    size = 0
    for item in ids:
        length = len(param) + 2 + len(quote(item, safe=""))  # "&id=" and the id
        if current and (len(current) >= GROUP_SIZE or size + length > GROUP_CHARS):
            found.append(tuple(current))
            current, size = [], 0
        current.append(item)
        size += length
    if current:
        found.append(tuple(current))
    return tuple(found)


@dataclass(frozen=True)
class PersonResult:
    """Per-person answers by id (tickets or orders), or why there are none. ``missing`` is the
    groups of ids not at hand when the caller could not wait (state ``missing``)."""

    state: State
    items: dict[str, Any] = field(default_factory=dict)
    missing: tuple[tuple[str, ...], ...] = ()
    version: tuple[tuple[str, float], ...] = ()  # the cache entries the items came from: key, fetched at


def _holds_items(entry: cache.Entry[Any]) -> bool:
    return isinstance(entry.value, dict)


def _person(
    kind: str,
    person: str,
    ids: list[str],
    lang: str,
    wait: bool,
    fetch: Callable[[list[str]], list[Any]],
    id_of: str,
) -> PersonResult:
    """The person's answers, group by group: cached (a stale group is served while it is
    refreshed in the background), else fetched in one call if ``wait``."""
    if not enabled():
        return PersonResult("off")
    keyed = {group: cache.person_key(person, kind, list(group), lang) for group in groups(ids)}

    def fetch_groups(wanted: list[tuple[str, ...]]) -> dict[tuple[str, ...], cache.Entry[Any]]:
        try:
            answers = {
                getattr(item, id_of): item for item in calls.guarded(lambda: fetch([i for g in wanted for i in g]))
            }
        except calls.Skipped:
            return {}
        except MentaError as exc:
            logger.warning("SAL %s CTAs unavailable: %s", kind, redact(exc))
            return {}
        return {
            group: cache.put_person(keyed[group], {item: answers[item] for item in group if item in answers})
            for group in wanted
        }

    def lock(wanted: list[tuple[str, ...]]) -> str:
        if len(wanted) == 1:
            return keyed[wanted[0]]
        return f"{cache.PREFIX}:groups:{cache.digest(*(keyed[group] for group in wanted))}"

    found = readthrough.read(keyed, wait=wait, fetch=fetch_groups, lock=lock, usable=_holds_items)
    if found.state == "failed":
        return PersonResult("failed")
    items: dict[str, Any] = {}
    for entry in found.entries.values():
        items.update(entry.value or {})
    version = tuple((keyed[group], entry.fetched_at) for group, entry in found.entries.items())
    return PersonResult(found.state, items, found.missing, version)


# A person's items by kind: how their answers are cached, asked for, and told apart.
_PERSON_KINDS: dict[str, tuple[str, Callable[..., list[Any]], str]] = {
    "ticket": ("tickets", lambda client, *args, **options: client.ticket_access(*args, **options), "ticket_id"),
    "order": ("orders", lambda client, *args, **options: client.order_access(*args, **options), "order_id"),
}


def for_person(kind: str, person: str, ids: Iterable[str], lang: str, *, wait: bool) -> PersonResult:
    """A person's answers for their tickets or orders (``kind`` is ``ticket`` or ``order``)."""
    cached_as, ask, id_of = _PERSON_KINDS[kind]
    return _person(
        cached_as,
        person,
        list(dict.fromkeys(ids)),
        lang,
        wait,
        lambda wanted: ask(get_client(), person, wanted, lang=lang),
        id_of,
    )


def tickets(person: str, ticket_ids: Iterable[str], lang: str, *, wait: bool) -> PersonResult:
    return for_person("ticket", person, ticket_ids, lang, wait=wait)


def orders(person: str, order_ids: Iterable[str], lang: str, *, wait: bool) -> PersonResult:
    return for_person("order", person, order_ids, lang, wait=wait)


# --- resale listings rendered by the site (contract 4) ----------------------------------------


@dataclass(frozen=True)
class ListingsResult:
    state: State
    listings: tuple[wire.ListedTicket, ...] = ()
    entry: cache.Entry[Any] | None = None


def _listings_from_entry(entry: cache.Entry[Any]) -> ListingsResult:
    if entry.value is None:
        return ListingsResult("not_found", entry=entry)
    return ListingsResult("ready", entry.value, entry)


def fetch_listings(event_id: str, show_id: str) -> ListingsResult:
    key = cache.listings_key(event_id, show_id)
    try:
        listings, dropped = calls.guarded(lambda: get_client().listed_tickets(event_id, show_id=show_id))
    except NotFound:
        return _listings_from_entry(cache.put_show(key, None, max_age=None))
    except calls.Skipped:
        return ListingsResult("failed")
    except MentaError as exc:
        logger.warning("Resale listings of %s/%s unavailable: %s", event_id, show_id, exc)
        return ListingsResult("failed")
    metrics.count("dropped", len(dropped))
    return _listings_from_entry(cache.put_show(key, listings, max_age=None))


def listings(event_id: str, show_id: str, *, wait: bool) -> ListingsResult:
    """A show's listed tickets, cached like its components and dropped with them (``forget_show``)."""
    if not enabled():
        return ListingsResult("off")
    key = cache.listings_key(event_id, show_id)
    found = readthrough.read(
        {key: key}, wait=wait, fetch=_one(key, lambda: fetch_listings(event_id, show_id)), lock=lambda items: key
    )
    entry = found.entries.get(key)
    return _listings_from_entry(entry) if entry is not None else ListingsResult(found.state)
