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

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from salwidgets import links, metrics, wire
from salwidgets.conf import get_config
from salwidgets.recent import Recent
from salwidgets.sal import PersonResult, ShowResult

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
    if value is None:
        return ""
    amount = f"{value.amount:,.2f}".removesuffix(".00")
    symbol = CURRENCY_SYMBOLS.get(value.currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {value.currency}"


class _NotAllowed(Exception):
    pass


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
        if item.name in LINK_FIELDS or item.name == "image_url":
            if not links.is_allowed(current):
                raise _NotAllowed(urlsplit(current).hostname or current[:40])
            if item.name in LINK_FIELDS:
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
    """Drop this process's recently rendered HTML (when settings change)."""
    _recent.clear()


def return_address(request: HttpRequest) -> str:
    """Where menta sends the person back to: the page they are on, through ``salwidgets:back``."""
    known = getattr(request, "_salwidgets_return", None)
    if known is not None:
        return str(known)
    page = request.get_full_path()
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.current_url_abs_path:
        page = htmx.current_url_abs_path
    if not url_has_allowed_host_and_scheme(page, allowed_hosts=None):
        page = "/"
    address = request.build_absolute_uri(f"{reverse('salwidgets:back')}?{urlencode({'next': page})}")
    request._salwidgets_return = address  # type: ignore[attr-defined]
    return address


def secure_components(
    request: HttpRequest, components: Iterable[wire.Component]
) -> tuple[list[wire.Component], list[wire.Dropped]]:
    """The components with signed links, and those dropped for a link that may not be followed."""
    back = return_address(request)

    def sign(url: str) -> str:
        return links.sign(request, url, return_to=back)

    kept: list[wire.Component] = []
    dropped: list[wire.Dropped] = []
    for index, component in enumerate(components):
        try:
            kept.append(_secure(component, sign))
        except _NotAllowed as exc:
            logger.warning("Dropped SAL %s %r: URL to %s not allowed", component.kind, component.id, exc)
            dropped.append(wire.Dropped(index=index, type=component.kind, reason=f"URL not allowed: {exc}"))
    metrics.count("dropped", len(dropped))
    return kept, dropped


def _rendered(key: Hashable, render: Callable[[], str]) -> SafeString:
    """The HTML for ``key`` rendered recently in this process, or ``render()`` now.

    Every caller renders with templates, which escape the upstream text.
    """
    html = _recent.get(key)
    if html is None:
        html = mark_safe(render())
        _recent.put(key, html, seconds=_keep_seconds())
    return html


def fallback(request: HttpRequest, surface: str) -> SafeString:
    """The site's fallback for ``surface`` (``buy``, ``sell``, ``ticket``, ``order``) when menta fails."""
    metrics.count("fallbacks")
    return _rendered(
        ("fallback", surface, get_language()),
        lambda: render_to_string(f"salwidgets/fallback/{surface}.html", {"surface": surface}, request),
    )


def _identity(result: ShowResult) -> Hashable:
    """What makes an answer this answer: where and when it was fetched (cheaper than its content)."""
    entry = result.entry
    if entry is None or entry.value is None:
        return result.components
    layer = entry.value
    return (layer.type, layer.event_id, layer.show_id, layer.lang, entry.fetched_at, entry.partial)


def components(
    request: HttpRequest, result: ShowResult, *, surface: str, kinds: Iterable[str] | None = None
) -> SafeString:
    """A show's components as HTML: the fallback when menta failed, nothing when it knows no such show."""
    if result.state == "failed":
        return fallback(request, surface)
    wanted = tuple(kinds) if kinds is not None else None

    def render() -> str:
        kept, _dropped = secure_components(
            request, (c for c in result.components if wanted is None or c.kind in wanted)
        )
        if not kept:
            return ""
        items = [(f"salwidgets/components/{component.kind}.html", component) for component in kept]
        return render_to_string("salwidgets/components.html", {"items": items, "surface": surface}, request)

    person, back = links.person_of(request), return_address(request)
    return _rendered((surface, wanted, _identity(result), person, back, get_language()), render)


def lazy(request: HttpRequest, url: str, *, surface: str) -> SafeString:
    """A placeholder that htmx replaces with the fragment at ``url`` once the page has loaded."""
    return mark_safe(render_to_string("salwidgets/lazy.html", {"url": url, "surface": surface}, request))


def _secure_ctas(request: HttpRequest, ctas: Iterable[wire.Cta]) -> list[wire.Cta]:
    back = return_address(request)
    kept = []
    for cta in ctas:
        try:
            kept.append(_secure(cta, lambda url: links.sign(request, url, return_to=back)))
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
        context = {
            "item_id": item_id,
            "access": access,
            "status_label": STATUS_LABELS.get(access.status, access.status),
            "ctas": _secure_ctas(request, access.ctas),
        }
        return render_to_string(f"salwidgets/{kind}.html", context, request)

    person, back = links.person_of(request), return_address(request)
    return _rendered((kind, access, person, back, get_language()), render)
