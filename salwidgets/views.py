"""salwidgets' views: the redirect to menta, the way back, and the lazy fragments."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salwidgets import cache, limits, links, sal, slots, users
from salwidgets import render as renderers
from salwidgets.conf import get_config

R = TypeVar("R")


def _problem(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    response = render(request, "salwidgets/problem.html", {"title": title, "message": message}, status=status)
    add_never_cache_headers(response)
    return response


def _too_many(request: HttpRequest, verdict: limits.Verdict) -> HttpResponse:
    response = _problem(
        request,
        429,
        _("Too many requests"),
        _("This page asked for resale options too often. Please wait a minute and try again."),
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _answer(
    request: HttpRequest, ask: Callable[[bool], R], missing: Callable[[R], bool], failed: R
) -> tuple[R, limits.Verdict]:
    """What the cache has (``ask(False)``); else menta's answer (``ask(True)``), unless this client
    made the site call menta too often: then ``failed`` (the fallback) and a limited verdict."""
    result = ask(False)
    if not missing(result):
        return result, limits.Verdict(False)
    verdict = limits.check(request)
    return (failed if verdict.limited else ask(True)), verdict


def _fragment(html: str, verdict: limits.Verdict) -> HttpResponse:
    """A fragment; when limited, its fallback with 429 (salwidgets.js swaps it in all the same)."""
    response = _private(HttpResponse(html, status=429 if verdict.limited else 200))
    if verdict.limited:
        response["Retry-After"] = str(verdict.retry_after)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    """Per-person content: never stored by a shared cache, never reused for another cookie."""
    add_never_cache_headers(response)
    patch_vary_headers(response, ["Cookie"])
    return response


@require_GET
def go(request: HttpRequest) -> HttpResponse:
    """Follow a signed link: check it, mint a one-time token for the signed-in person, redirect."""
    try:
        target, return_to = links.open_reference(request, request.GET.get("ref", ""))
    except links.LinkError as exc:
        return _problem(request, exc.status, _("This link cannot be used"), str(exc))
    params: dict[str, str] = {}
    if return_to:
        params[links.RETURN_TO] = return_to
    if request.user.is_authenticated:
        verdict = limits.check(request)
        if verdict.limited:
            return _too_many(request, verdict)
        token = sal.one_time_token(users.identifier(request.user))
        if token is None:
            return _problem(request, 503, _("Resale is unavailable right now"), _("Please try again in a few minutes."))
        params[get_config()["OTT_PARAM"]] = token.token
    response = HttpResponseRedirect(links.with_params(target, **params))
    response["Referrer-Policy"] = "no-referrer"
    return _private(response)


@require_GET
def back(request: HttpRequest) -> HttpResponse:
    """Where menta sends a person back: forget their cached CTAs, then return to their page."""
    if request.user.is_authenticated:
        cache.forget_person(users.identifier(request.user))
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return _private(HttpResponseRedirect(target))


def _with_embed_origin(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    origin = request.headers.get("Origin")
    if origin and origin in get_config()["EMBED_ORIGINS"]:
        response["Access-Control-Allow-Origin"] = origin
        patch_vary_headers(response, ["Origin"])
    return response


@require_GET
def show_fragment(request: HttpRequest, type: str) -> HttpResponse:
    """A show's components (``type`` buy or sell), fetched now: what a lazy placeholder loads."""
    if type not in cache.SHOW_TYPES:
        raise Http404(_("There are no components of this type."))
    event_id = request.GET.get("event") or None
    show_id = request.GET.get("show") or None
    if type == "buy" and not (event_id and show_id):
        return HttpResponse(_("Both event and show are required."), status=400, content_type="text/plain")
    lang = get_language()
    result, verdict = _answer(
        request,
        lambda wait: sal.show(type, event_id, show_id, lang, wait=wait),
        lambda result: result.state == "missing",
        sal.ShowResult("failed"),
    )
    html = renderers.components(request, result, surface=type)
    return _with_embed_origin(request, _fragment(html, verdict))


@require_GET
def shows_fragment(request: HttpRequest) -> HttpResponse:
    """Buy buttons of many shows (``?show=<eventId>/<showId>``), out of band, from one bulk call."""
    pairs = []
    for value in request.GET.getlist("show"):
        event_id, _sep, show_id = value.partition("/")
        if not (event_id and show_id):
            return HttpResponse(_("Each show is <eventId>/<showId>."), status=400, content_type="text/plain")
        pairs.append((event_id, show_id))
    lang = get_language()
    results, verdict = _answer(
        request,
        lambda wait: sal.shows("buy", pairs, lang, wait=wait),
        lambda results: any(result.state == "missing" for result in results.values()),
        {pair: sal.ShowResult("failed") for pair in pairs},
    )
    items = {
        f"{event_id}/{show_id}": renderers.components(request, result, surface="buy", kinds=("button",))
        for (event_id, show_id), result in results.items()
    }
    return _fragment(slots.out_of_band(request, "show", items), verdict)


def _person_fragment(request: HttpRequest, kind: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _private(HttpResponse(status=204))
    ids = request.GET.getlist("id")
    person, lang = users.identifier(request.user), get_language()
    result, verdict = _answer(
        request,
        lambda wait: sal.for_person(kind, person, ids, lang, wait=wait),
        lambda result: result.state == "missing",
        sal.PersonResult("failed"),
    )
    items = {item_id: renderers.person_item(request, kind, item_id, result) for item_id in ids}
    return _fragment(slots.out_of_band(request, kind, items), verdict)


@require_GET
def tickets_fragment(request: HttpRequest) -> HttpResponse:
    """Status and CTAs of the signed-in person's tickets (``?id=...``), out of band."""
    return _person_fragment(request, "ticket")


@require_GET
def orders_fragment(request: HttpRequest) -> HttpResponse:
    """Status and CTAs of the signed-in person's orders (``?id=...``), out of band."""
    return _person_fragment(request, "order")
