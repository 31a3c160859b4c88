"""SAL answers into HTML, with templates a site can override by name.

Every upstream URL is checked (http(s) to an allowed host, or the component is dropped) and
replaced by a signed link to the site's redirect view before a template sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable
from dataclasses import fields, is_dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from salwidgets import links, metrics, users, wire
from salwidgets.answers import ListingsResult, PersonResult, ShowResult, ShowsResult
from salwidgets.cache import digest as cache_digest
from salwidgets.cache import generation as cache_generation
from salwidgets.conf import get_config
from salwidgets.prices import price_text
from salwidgets.recent import Recent
from salwidgets.seats import seat_label
from salwidgets.viewer import Viewer

logger = logging.getLogger("salwidgets")

LINK_FIELDS = ("url", "more_url")
STATUS_LABELS = {
    "SELLABLE": _("Can be resold"),
    "NOT_SELLABLE": _("Not resellable"),
    "FOR_SALE": _("For sale"),
    "PARTIALLY_FOR_SALE": _("Partly for sale"),
    "SOLD": _("Sold"),
}


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(value: wire.Money | None) -> str:
    """A price in the reader's language: $1,200.50 in English, 1.200,50 US$ in Spanish."""
    return "" if value is None else price_text(value.amount, value.currency, CURRENCY_SYMBOLS)


class _NotAllowed(Exception):
    pass


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url[:40]
    except ValueError:
        return url[:40]


def _secure(value: Any, sign: Callable[[str], str]) -> Any:
    """A copy of ``value`` whose links lead through ``sign``; _NotAllowed if one may not be followed."""
    if isinstance(value, tuple):
        return tuple(_secure(item, sign) for item in value)
    if not is_dataclass(value) or isinstance(value, type):
        return value
    changes: dict[str, Any] = {}
    for item in fields(value):
        current = getattr(value, item.name)
        if current is None:
            continue
        if item.name == "image":
            if not links.is_allowed(current):  # the component still works without its image
                logger.warning("Dropped a SAL component's image: URL to %s not allowed", _host(current))
                changes[item.name] = None
        elif item.name in LINK_FIELDS:
            if not links.is_allowed(current):
                raise _NotAllowed(_host(current))
            changes[item.name] = sign(current)
        elif is_dataclass(current) or isinstance(current, tuple):
            changes[item.name] = _secure(current, sign)
    return replace(value, **changes)


# Rendered HTML, so a busy page renders each show's components once a minute rather than once a
# view. Keys include the person, so links stay theirs. A signed link in it is served for at most
# half its LINK_MAX_AGE, so whoever is shown one has at least the other half to click it.
_recent: Recent[SafeString] = Recent(size=4096, seconds=60.0)
# A page's whole batch (a listing's buttons, My tickets' tickets), keyed as each of its items is
# with what tells the batch apart: one lookup for 50 shows instead of 50 (each takes a lock and
# hashes its key).
_batches: Recent[dict[str, SafeString]] = Recent(size=1024, seconds=60.0)


def _keep_seconds() -> float:
    return min(_recent.seconds, float(get_config()["LINK_MAX_AGE"]) / 2)


def _signer(viewer: Viewer, flow: tuple[str, ...]) -> Callable[[str], str]:
    person, back = viewer.fingerprint, viewer.return_address

    def sign(url: str) -> str:
        return links.sign(person, url, return_to=back, flow=flow)

    return sign


def secure_components(
    viewer: Viewer, components: Iterable[wire.Component], *, buy_flow: tuple[str, ...] = ()
) -> tuple[list[wire.Component], list[wire.Dropped]]:
    """The components with signed links, and those dropped for a link that may not be followed.

    A button of a show's buy answer enters ``buy_flow`` (``("buy", event id, show id)``), so a
    click can open it with one Login Trust call.
    """
    kept: list[wire.Component] = []
    dropped: list[wire.Dropped] = []
    for index, component in enumerate(components):
        sign = _signer(viewer, buy_flow if component.kind == "button" else ())
        try:
            kept.append(_secure(component, sign))
        except _NotAllowed as exc:
            logger.warning("Dropped SAL %s %r: URL to %s not allowed", component.kind, component.id, exc)
            dropped.append(wire.Dropped(index=index, type=component.kind, reason=f"URL not allowed: {exc}"))
    metrics.count("dropped", len(dropped))
    return kept, dropped


def _rendered(key: Hashable, render: Callable[[], str]) -> SafeString:
    """The HTML for ``key`` rendered recently in this process, or ``render()`` now (by one thread
    at a time: the views that ask while it is rendered wait for it).

    Every caller renders with templates, which escape the upstream text. A batch's rendering
    (``_rendered_batch``) waits for its items' here; an item's never waits for a batch's.
    """
    return _recent.get_or_build_once(key, lambda: mark_safe(render()), seconds=_keep_seconds())


def fallback(surface: str, *, times: int = 1) -> SafeString:
    """The site's fallback for ``surface`` (``buy``, ``sell``, ``ticket``, ``order``) when menta
    fails, counted ``times`` (the items of a batch that all show it)."""
    metrics.count("fallbacks", times)
    return _rendered(
        ("fallback", surface, get_language()),
        lambda: render_to_string(f"salwidgets/fallback/{surface}.html", {"surface": surface}),
    )


def components(viewer: Viewer, result: ShowResult, *, surface: str, kinds: Iterable[str] | None = None) -> SafeString:
    """A show's components as HTML: the fallback when menta failed, nothing when it knows no such show."""
    if result.state == "failed":
        return fallback(surface)
    wanted = tuple(kinds) if kinds is not None else None

    def render() -> str:
        layer = result.entry.value if result.entry is not None else None
        buy_flow = ("buy", layer.event_id, layer.show_id) if surface == "buy" and layer and layer.show_id else ()
        kept, _dropped = secure_components(
            viewer, (c for c in result.components if wanted is None or c.kind in wanted), buy_flow=buy_flow
        )
        return _components_html(kept, surface)

    return _rendered((surface, wanted, result.identity, viewer.key), render)


def components_of(
    viewer: Viewer, shows: ShowsResult, *, surface: str, kinds: Iterable[str] | None = None
) -> dict[str, SafeString]:
    """``components`` of the shows whose answer is at hand, by ``"<event id>/<show id>"``."""
    if shows.all_failed:  # menta is down
        return dict.fromkeys(shows.by_key, fallback(surface, times=len(shows.results)))
    wanted = tuple(kinds) if kinds is not None else None

    def build() -> dict[str, SafeString]:
        return {
            key: components(viewer, result, surface=surface, kinds=wanted)
            for key, result in shows.by_key.items()
            if result.state != "missing"
        }

    if shows.identity is None or shows.any_failed:  # a fallback is counted at each view
        return build()
    return _batches.get_or_put((surface, wanted, shows.identity, viewer.key), build, seconds=_keep_seconds())


def _components_html(kept: list[wire.Component], surface: str) -> str:
    """Secured components as HTML, with a stylesheet link for each set of colours they carry."""
    if not kept:
        return ""
    items = [(f"salwidgets/components/{component.kind}.html", component) for component in kept]
    palettes = sorted({component.colors.key for component in kept if component.colors is not None})
    context = {
        "items": items,
        "surface": surface,
        "palettes": [reverse("salwidgets:palette", args=[key]) for key in palettes],
    }
    return render_to_string("salwidgets/components.html", context)


def palette_css(colors: wire.Colors) -> str:
    """The stylesheet of one set of colours: custom properties under the class its components carry.

    Only hex colours reach it (``wire.Colors`` keeps nothing else), so nothing from upstream can
    end a rule or call a function; the page's CSP needs no ``'unsafe-inline'`` for it.
    """
    declarations = ";".join(
        f"--sal-palette-{name}:{value}" for name in wire.COLOUR_KEYS if (value := getattr(colors, name)) is not None
    )
    return f".sal-palette-{colors.key}{{{declarations}}}\n"


def lazy(url: str, *, surface: str) -> SafeString:
    """A placeholder that htmx replaces with the fragment at ``url`` once the page has loaded."""
    return mark_safe(render_to_string("salwidgets/lazy.html", {"url": url, "surface": surface}))


# The flow each CTA enters (see ``links.Reference``), by item kind and action; the others
# (P2P, PENDING_PAYOUT_INFO) have no URL endpoint and go with a one-time token.
CTA_FLOWS = {
    "ticket": {"SELL": "sell", "EDIT": "sell", "DETAILS": "details"},
    "order": {"SELL": "order", "EDIT": "order", "MANAGE": "order", "DETAILS": "order"},
}


def secure_ctas(viewer: Viewer, kind: str, item_id: str, ctas: Iterable[wire.Cta]) -> list[wire.Cta]:
    kept = []
    for cta in ctas:
        flow_kind = CTA_FLOWS[kind].get(cta.action)
        try:
            kept.append(_secure(cta, _signer(viewer, (flow_kind, item_id) if flow_kind else ())))
        except _NotAllowed:
            logger.warning("Dropped SAL %s CTA: URL not allowed", cta.action)
    return kept


def person_item(viewer: Viewer, kind: str, item_id: str, result: PersonResult) -> SafeString:
    """One ticket's or order's status and CTAs (``kind`` is ``ticket`` or ``order``)."""
    if result.state == "failed":
        return fallback(kind)
    access = result.items.get(item_id)
    if access is None:
        return SafeString("")

    def render() -> str:
        kept, _dropped = secure_components(viewer, access.components)
        context = {
            "item_id": item_id,
            "access": access,
            "status_label": STATUS_LABELS.get(access.status, access.status),
            "ctas": secure_ctas(viewer, kind, item_id, access.ctas),
            "components": mark_safe(_components_html(kept, "sell")),
        }
        return render_to_string(f"salwidgets/{kind}.html", context)

    # Keyed by the cache entries the answer came from, not by the answer: hashing a ticket's
    # answer (its CTAs and components, frozen dataclasses hashed field by field at every lookup)
    # took 4% of a warm My tickets view with 40 tickets.
    return _rendered((kind, item_id, result.version, viewer.key), render)


def person_items(viewer: Viewer, kind: str, ids: Iterable[str], result: PersonResult) -> dict[str, SafeString]:
    """``person_item`` of each id."""
    wanted = tuple(ids)
    if result.state == "failed":  # menta is down: one fallback for them all
        return dict.fromkeys(wanted, fallback(kind, times=len(wanted)))
    return _batches.get_or_put(
        (kind, wanted, result.version, viewer.key),
        lambda: {item_id: person_item(viewer, kind, item_id, result) for item_id in wanted},
        seconds=_keep_seconds(),
    )


# --- resale listings rendered by the site (contract 4) ---------------------------------------

LISTINGS_SORTS = ("price", "-price")
# At most this many listings are offered on a page; the rest are counted, not rendered.
LISTINGS_SHOWN = 50
REFUSALS = {
    "seats must be contiguous": _("These seats are not next to each other. Choose seats side by side in one row."),
    "listings must share event, show and ticket option": _(
        "These tickets are of different kinds. Choose tickets of one type for this show."
    ),
    "a pack cannot be split": _("Some of these tickets are sold only together. Choose every ticket of the pack."),
    "listing is no longer available": _("One of these tickets was just sold or reserved. Please choose again."),
}


def listings(
    viewer: Viewer,
    result: ListingsResult,
    *,
    event_id: str,
    show_id: str,
    option: str | None,
    sort: str,
    csrf_token: str,
) -> SafeString:
    """A show's resale listings as the site's own form: filter, sort, choose, check out.

    The form is rendered once per answer, person, filter and page: its CSRF field is filled in for
    each request with ``csrf_token`` (``salwidgets/listings.html`` gets a mark in its place).
    """
    if result.state in ("off", "not_found"):
        return SafeString("")
    if result.state == "failed":
        return fallback("buy")
    own = own_tickets(viewer) if result.listings else frozenset()
    page = viewer.path
    identity = (result.entry.fetched_at if result.entry else None, event_id, show_id)
    key = ("listings", identity, own, option, sort, page, viewer.language)
    html = _rendered(key, lambda: _listings_html(result, event_id, show_id, option, sort, own, page))
    return mark_safe(html.replace(CSRF_MARK, escape(csrf_token)))


CSRF_MARK = "salwidgets-csrf-token"


def chosen_listings(listings: Iterable[wire.ListedTicket], option: str | None, sort: str) -> list[wire.ListedTicket]:
    """The listings of ``option`` (all without one), cheapest first (``-price``: dearest first)."""
    chosen = [item for item in listings if not option or item.ticket_option_id == option]
    chosen.sort(key=lambda item: (item.price.amount, item.listing_id), reverse=sort == "-price")
    return chosen


def _listings_html(
    result: ListingsResult,
    event_id: str,
    show_id: str,
    option: str | None,
    sort: str,
    own: frozenset[str],
    page: str,
) -> str:
    options = sorted({item.ticket_option_id for item in result.listings})
    chosen = chosen_listings(result.listings, option, sort)
    rows = [
        {
            "item": item,
            "seat": seat_label(item.section, item.row, item.seat),
            "price": money(item.price),
            # The seller sees their own listing, marked, and is not offered it.
            "own": item.ticket_id in own,
        }
        for item in chosen[:LISTINGS_SHOWN]
    ]
    context = {
        "event_id": event_id,
        "show_id": show_id,
        "dom_id": "sal-listings-" + cache_digest(event_id, show_id)[:10],
        "options": options,
        "option": option or "",
        "sort": sort,
        "rows": rows,
        "offered": any(not row["own"] for row in rows),
        "hidden": max(0, len(chosen) - LISTINGS_SHOWN),
        "page": page,
        "csrf_token": CSRF_MARK,
    }
    return render_to_string("salwidgets/listings.html", context)


# A person's own ticket ids by (person, generation of their cached answers): a change of their
# tickets that menta tells of (forget_person) is seen at once.
_owned: Recent[frozenset[str]] = Recent(size=1024, seconds=30.0)


def own_tickets(viewer: Viewer) -> frozenset[str]:
    """The signed-in person's ticket ids (SALWIDGETS["PERSON_ITEMS"]); none when it is not set."""
    source, person = get_config()["PERSON_ITEMS"], viewer.person
    if not source or not viewer.signed_in:
        return frozenset()
    return _owned.get_or_put(
        (source, person, cache_generation(person)), lambda: frozenset(users.own_items(person, "ticket") or ())
    )


def refusal_text(message: str) -> str:
    """menta's refusal of a checkout in plain words (its own message when it is not one we know)."""
    return str(REFUSALS.get(message, message))
