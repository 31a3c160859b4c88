"""SAL answers into HTML, with templates a site can override by name.

Every upstream URL is checked (http(s) to an allowed host, or the component is dropped) and
replaced by a signed link to the site's redirect view before a template sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable
from dataclasses import fields, is_dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from salwidgets import links, metrics, users, wire
from salwidgets.cache import digest as cache_digest
from salwidgets.cache import generation as cache_generation
from salwidgets.conf import get_config
from salwidgets.prices import price_text
from salwidgets.recent import Recent
from salwidgets.sal import ListingsResult, PersonResult, ShowResult, ShowsResult
from salwidgets.seats import seat_label

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


def _keep_seconds() -> float:
    return min(_recent.seconds, float(get_config()["LINK_MAX_AGE"]) / 2)


def forget_rendered() -> None:
    """Drop this process's recently rendered HTML and the people's own tickets (when settings change)."""
    _recent.clear()
    _recent_batches.clear()
    _owned.clear()


@receiver(setting_changed, dispatch_uid="salwidgets.render")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "SALWIDGETS":
        forget_rendered()


def _current_page(request: HttpRequest) -> str:
    """The page a person is on, path and query: the page itself when this is its htmx fragment."""
    # The header read first: django-htmx's ``request.htmx`` reads every header of the request.
    htmx = getattr(request, "htmx", None) if "HTTP_HX_REQUEST" in request.META else None
    return str(htmx.current_url_abs_path) if htmx and htmx.current_url_abs_path else request.get_full_path()


def return_to_page(request: HttpRequest, page: str) -> None:
    """Links made for this request return to ``page`` (a path on this site), not to the page the
    request is for (an API's answer is not a page a person returns to)."""
    request._salwidgets_return = back_url(request, page)  # type: ignore[attr-defined]


def return_address(request: HttpRequest) -> str:
    """Where menta sends the person back to: the page they are on, through ``salwidgets:back``."""
    known = getattr(request, "_salwidgets_return", None)
    if known is not None:
        return str(known)
    page = _current_page(request)
    if not url_has_allowed_host_and_scheme(page, allowed_hosts=None):
        page = "/"
    address = back_url(request, page)
    request._salwidgets_return = address  # type: ignore[attr-defined]
    return address


def _viewer(request: HttpRequest) -> tuple[str, str, str]:
    """What HTML kept for reuse depends on besides the answer: who sees it, on which page of
    which host, in which language (the inputs of ``return_address``, cheaper than computing it)."""
    known: tuple[str, str] | None = getattr(request, "_salwidgets_viewer", None)
    if known is None:
        host = str(request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", ""))
        known = links.person_of(request), f"{request.scheme}://{host}{_current_page(request)}"
        request._salwidgets_viewer = known  # type: ignore[attr-defined]
    return (*known, get_language())


def back_url(request: HttpRequest, page: str) -> str:
    """The absolute URL of ``salwidgets:back`` that returns to ``page`` (a path on this site)."""
    return request.build_absolute_uri(f"{reverse('salwidgets:back')}?{urlencode({'next': page})}")


def _signer(request: HttpRequest, back: str, flow: tuple[str, ...]) -> Callable[[str], str]:
    def sign(url: str) -> str:
        return links.sign(request, url, return_to=back, flow=flow)

    return sign


def secure_components(
    request: HttpRequest, components: Iterable[wire.Component], *, buy_flow: tuple[str, ...] = ()
) -> tuple[list[wire.Component], list[wire.Dropped]]:
    """The components with signed links, and those dropped for a link that may not be followed.

    A button of a show's buy answer enters ``buy_flow`` (``("buy", event id, show id)``), so a
    click can open it with one Login Trust call.
    """
    back = return_address(request)
    kept: list[wire.Component] = []
    dropped: list[wire.Dropped] = []
    for index, component in enumerate(components):
        sign = _signer(request, back, buy_flow if component.kind == "button" else ())
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


def fallback(request: HttpRequest, surface: str, *, times: int = 1) -> SafeString:
    """The site's fallback for ``surface`` (``buy``, ``sell``, ``ticket``, ``order``) when menta
    fails, counted ``times`` (the items of a batch that all show it)."""
    metrics.count("fallbacks", times)
    return _rendered(
        ("fallback", surface, get_language()),
        lambda: render_to_string(f"salwidgets/fallback/{surface}.html", {"surface": surface}, request),
    )


def components(
    request: HttpRequest, result: ShowResult, *, surface: str, kinds: Iterable[str] | None = None
) -> SafeString:
    """A show's components as HTML: the fallback when menta failed, nothing when it knows no such show."""
    if result.state == "failed":
        return fallback(request, surface)
    wanted = tuple(kinds) if kinds is not None else None

    def render() -> str:
        layer = result.entry.value if result.entry is not None else None
        buy_flow = ("buy", layer.event_id, layer.show_id) if surface == "buy" and layer and layer.show_id else ()
        kept, _dropped = secure_components(
            request, (c for c in result.components if wanted is None or c.kind in wanted), buy_flow=buy_flow
        )
        return _components_html(request, kept, surface)

    return _rendered((surface, wanted, result.identity, _viewer(request)), render)


# The HTML of every item of a page's batch (a listing's buttons, a person's tickets), kept like
# ``_recent``'s.
_recent_batches: Recent[dict[str, SafeString]] = Recent(size=256, seconds=60.0)


def _rendered_batch(key: Hashable, render: Callable[[], dict[str, SafeString]]) -> dict[str, SafeString]:
    """``_rendered`` for a batch: the HTML of each item, by id, rendered by one thread at a time
    (the views of a page that arrive while its batch is rendered wait for that rendering)."""
    return _recent_batches.get_or_build_once(key, render, seconds=_keep_seconds())


def components_of(
    request: HttpRequest, shows: ShowsResult, *, surface: str, kinds: Iterable[str] | None = None
) -> dict[str, SafeString]:
    """``components`` of the shows whose answer is at hand, by ``"<event id>/<show id>"``,
    rendered once per set of answers, person and page."""
    if shows.all_failed:  # menta is down
        return dict.fromkeys(shows.by_key, fallback(request, surface, times=len(shows.results)))
    wanted = tuple(kinds) if kinds is not None else None

    def render() -> dict[str, SafeString]:
        return {
            key: components(request, result, surface=surface, kinds=wanted)
            for key, result in shows.by_key.items()
            if result.state != "missing"
        }

    return _rendered_batch((surface, wanted, shows.version, _viewer(request)), render)


def _components_html(request: HttpRequest, kept: list[wire.Component], surface: str) -> str:
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
    return render_to_string("salwidgets/components.html", context, request)


def palette_css(colors: wire.Colors) -> str:
    """The stylesheet of one set of colours: custom properties under the class its components carry.

    Only hex colours reach it (``wire.Colors`` keeps nothing else), so nothing from upstream can
    end a rule or call a function; the page's CSP needs no ``'unsafe-inline'`` for it.
    """
    declarations = ";".join(
        f"--sal-palette-{name}:{value}" for name in wire.COLOUR_KEYS if (value := getattr(colors, name)) is not None
    )
    return f".sal-palette-{colors.key}{{{declarations}}}\n"


def lazy(request: HttpRequest, url: str, *, surface: str) -> SafeString:
    """A placeholder that htmx replaces with the fragment at ``url`` once the page has loaded."""
    return mark_safe(render_to_string("salwidgets/lazy.html", {"url": url, "surface": surface}, request))


# The flow each CTA enters (see ``links.Reference``), by item kind and action; the others
# (P2P, PENDING_PAYOUT_INFO) have no URL endpoint and go with a one-time token.
CTA_FLOWS = {
    "ticket": {"SELL": "sell", "EDIT": "sell", "DETAILS": "details"},
    "order": {"SELL": "order", "EDIT": "order", "MANAGE": "order", "DETAILS": "order"},
}


def secure_ctas(request: HttpRequest, kind: str, item_id: str, ctas: Iterable[wire.Cta]) -> list[wire.Cta]:
    back = return_address(request)
    kept = []
    for cta in ctas:
        flow_kind = CTA_FLOWS[kind].get(cta.action)
        try:
            kept.append(_secure(cta, _signer(request, back, (flow_kind, item_id) if flow_kind else ())))
        except _NotAllowed:
            logger.warning("Dropped SAL %s CTA: URL not allowed", cta.action)
    return kept


def person_item(request: HttpRequest, kind: str, item_id: str, result: PersonResult) -> SafeString:
    """One ticket's or order's status and CTAs (``kind`` is ``ticket`` or ``order``)."""
    if result.state == "failed":
        return fallback(request, kind)
    access = result.items.get(item_id)
    if access is None:
        return SafeString("")

    def render() -> str:
        kept, _dropped = secure_components(request, access.components)
        context = {
            "item_id": item_id,
            "access": access,
            "status_label": STATUS_LABELS.get(access.status, access.status),
            "ctas": secure_ctas(request, kind, item_id, access.ctas),
            "components": mark_safe(_components_html(request, kept, "sell")),
        }
        return render_to_string(f"salwidgets/{kind}.html", context, request)

    return _rendered((kind, access, _viewer(request)), render)


def person_items(request: HttpRequest, kind: str, ids: Iterable[str], result: PersonResult) -> dict[str, SafeString]:
    """``person_item`` of each id, rendered once per set of answers, person and page."""
    wanted = tuple(ids)
    if result.state == "failed":  # menta is down: one fallback for them all
        return dict.fromkeys(wanted, fallback(request, kind, times=len(wanted)))
    if not result.version:
        return {item_id: person_item(request, kind, item_id, result) for item_id in wanted}
    return _rendered_batch(
        ("people", kind, result.version, wanted, _viewer(request)),
        lambda: {item_id: person_item(request, kind, item_id, result) for item_id in wanted},
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


def page_path(request: HttpRequest) -> str:
    """The path of the page a person is on (the page itself when this is its lazy fragment)."""
    path = urlsplit(_current_page(request)).path
    return path if url_has_allowed_host_and_scheme(path, allowed_hosts=None) else "/"


def listings(
    request: HttpRequest, result: ListingsResult, *, event_id: str, show_id: str, option: str | None, sort: str
) -> SafeString:
    """A show's resale listings as the site's own form: filter, sort, choose, check out.

    The form is rendered once per answer, person, filter and page, without the request: its CSRF
    field is filled in for each request (``salwidgets/listings.html`` gets ``csrf_token``).
    """
    if result.state in ("off", "not_found"):
        return SafeString("")
    if result.state == "failed":
        return fallback(request, "buy")
    own = own_tickets(request) if result.listings else frozenset()
    page = page_path(request)
    identity = (result.entry.fetched_at if result.entry else None, event_id, show_id)
    key = ("listings", identity, own, option, sort, page, get_language())
    html = _rendered(key, lambda: _listings_html(result, event_id, show_id, option, sort, own, page))
    return mark_safe(html.replace(CSRF_MARK, escape(get_token(request))))


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


def own_tickets(request: HttpRequest) -> frozenset[str]:
    """The signed-in person's ticket ids (SALWIDGETS["PERSON_ITEMS"]); none when it is not set."""
    source = get_config()["PERSON_ITEMS"]
    user = getattr(request, "user", None)
    if not source or user is None or not user.is_authenticated:
        return frozenset()
    person = users.identifier(user)
    return _owned.get_or_put(
        (source, person, cache_generation(person)), lambda: frozenset(users.own_items(person, "ticket") or ())
    )


def refusal_text(message: str) -> str:
    """menta's refusal of a checkout in plain words (its own message when it is not one we know)."""
    return str(REFUSALS.get(message, message))
