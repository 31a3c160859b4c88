"""salwidgets' views: the redirect to menta, the way back, and the lazy fragments."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from salwidgets import answers, cache, handoffs, limits, links, slots, users, viewer, wire
from salwidgets import render as renderers
from salwidgets.client import MAX_BULK_PAIRS, MAX_TICKETS_PER_CALL
from salwidgets.conf import get_config
from salwidgets.errors import MentaError, ValidationFailed


def _problem(request: HttpRequest, status: int, title: str, message: str, back: str = "") -> HttpResponse:
    context = {"title": title, "message": message, "back": back}
    response = render(request, "salwidgets/problem.html", context, status=status)
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


def _unavailable(request: HttpRequest) -> HttpResponse:
    return _problem(request, 503, _("Resale is unavailable right now"), _("Please try again in a few minutes."))


def _signed_in_target(seen: viewer.Viewer, reference: links.Reference) -> str | None:
    """Where the signed-in person goes, signed in at menta: one Login Trust call when the link
    enters a flow that has a URL endpoint, else a one-time token on the link's own URL."""
    trust = handoffs.login_trust(seen.person)
    if reference.flow and trust:
        url = handoffs.trusted_url(reference.flow, trust, lang=seen.language, return_to=reference.return_to)
        if url is None or not links.is_allowed(url):
            return None
        return url
    token = handoffs.one_time_token(seen.person)
    if token is None:
        return None
    return links.with_params(reference.url, **{get_config()["OTT_PARAM"]: token.token})


@require_GET
def go(request: HttpRequest) -> HttpResponse:
    """Follow a signed link: check it, sign the person in at menta, redirect."""
    try:
        reference = links.open_reference(request, request.GET.get("ref", ""))
    except links.WrongPerson as exc:
        if not request.user.is_authenticated:
            # A link made for someone signed in, opened after signing out: sign in, then go on.
            return redirect_to_login(request.get_full_path())
        return _problem(request, exc.status, _("This link cannot be used"), str(exc))
    except links.LinkError as exc:
        return _problem(request, exc.status, _("This link cannot be used"), str(exc))
    target = reference.url
    if request.user.is_authenticated:
        verdict = limits.check(request)
        if verdict.limited:
            return _too_many(request, verdict)
        signed_in = _signed_in_target(viewer.of(request), reference)
        if signed_in is None:
            return _unavailable(request)
        target = signed_in
    # menta's pages open in the person's language (a link that names one keeps it).
    params = {wire.LANG: get_language() or settings.LANGUAGE_CODE}
    if reference.return_to:
        params[wire.RETURN_TO] = reference.return_to
    response = HttpResponseRedirect(links.with_params(target, **params))
    response["Referrer-Policy"] = "no-referrer"
    return _private(response)


@require_GET
def back(request: HttpRequest) -> HttpResponse:
    """Where menta sends a person back: forget their cached CTAs, then return to their page."""
    seen = viewer.of(request)
    if seen.signed_in:
        cache.forget_person(seen.person)
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
    seen = viewer.of(request)
    result, verdict = limits.answer(
        request,
        lambda wait: answers.show(type, event_id, show_id, seen.language, wait=wait),
        lambda result: int(result.state == "missing"),
        answers.FAILED,
    )
    html = renderers.components(seen, result, surface=type)
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
    seen = viewer.of(request)
    results, verdict = limits.answer(
        request,
        lambda wait: answers.shows("buy", pairs, seen.language, wait=wait),
        lambda results: limits.calls(len(results.missing), MAX_BULK_PAIRS),
        answers.ShowsResult(dict.fromkeys(pairs, answers.FAILED)),
    )
    items = {
        key: renderers.components(seen, result, surface="buy", kinds=("button",))
        for key, result in results.by_key.items()
    }
    return _fragment(slots.out_of_band("show", items), verdict)


def _own(person: str, kind: str, ids: list[str]) -> list[str]:
    """The ids among ``ids`` that are the person's own (``PERSON_ITEMS``): menta is asked about no
    other. Without ``PERSON_ITEMS`` the site has not said, and every id is asked about."""
    owned = users.own_items(person, kind)
    if owned is None:
        return ids
    mine = set(owned)
    return [item_id for item_id in ids if item_id in mine]


def _person_fragment(request: HttpRequest, kind: str) -> HttpResponse:
    seen = viewer.of(request)
    if not seen.signed_in:
        return _private(HttpResponse(status=204))
    ids = list(dict.fromkeys(request.GET.getlist("id")))
    person, lang = seen.person, seen.language
    own = _own(person, kind, ids)
    result, verdict = limits.answer(
        request,
        lambda wait: answers.for_person(kind, person, own, lang, wait=wait),
        lambda result: (
            limits.calls(sum(map(len, result.missing)), MAX_TICKETS_PER_CALL) or int(result.state == "missing")
        ),
        answers.PersonResult("failed"),
    )
    # An id that is not (or no longer) the person's gets the fallback, so its slot stops loading.
    owned, unowned = set(own), answers.PersonResult("failed")
    items = {
        item_id: renderers.person_item(seen, kind, item_id, result if item_id in owned else unowned) for item_id in ids
    }
    return _fragment(slots.out_of_band(kind, items), verdict)


@require_GET
def tickets_fragment(request: HttpRequest) -> HttpResponse:
    """Status and CTAs of the signed-in person's tickets (``?id=...``), out of band."""
    return _person_fragment(request, "ticket")


@require_GET
def orders_fragment(request: HttpRequest) -> HttpResponse:
    """Status and CTAs of the signed-in person's orders (``?id=...``), out of band."""
    return _person_fragment(request, "order")


@require_GET
def palette(request: HttpRequest, key: str) -> HttpResponse:
    """The stylesheet of one set of component colours; its name is its content, so it never changes."""
    colors = wire.Colors.from_key(key)
    if colors is None:
        raise Http404(_("There are no such colours."))
    response = HttpResponse(renderers.palette_css(colors), content_type="text/css; charset=utf-8")
    patch_cache_control(response, public=True, max_age=365 * 24 * 60 * 60, immutable=True)
    return response


@require_GET
def listings_fragment(request: HttpRequest) -> HttpResponse:
    """A show's resale listings (``?event=&show=&option=&sort=``): what ``sal_listings`` loads lazily."""
    event_id, show_id = request.GET.get("event", ""), request.GET.get("show", "")
    if not (event_id and show_id):
        return HttpResponse(_("Both event and show are required."), status=400, content_type="text/plain")
    sort = request.GET.get("sort", "price")
    result, verdict = limits.answer(
        request,
        lambda wait: answers.listings(event_id, show_id, wait=wait),
        lambda result: int(result.state == "missing"),
        answers.ListingsResult("failed"),
    )
    html = renderers.listings(
        viewer.of(request),
        result,
        event_id=event_id,
        show_id=show_id,
        option=request.GET.get("option") or None,
        sort=sort if sort in renderers.LISTINGS_SORTS else "price",
        csrf_token=get_token(request),
    )
    return _fragment(html, verdict)


def _next_page(request: HttpRequest) -> str:
    """The site page a checkout form was posted from (its ``next`` field, a path on this site)."""
    page = request.POST.get("next", "")
    if links.is_site_path(page):
        return page
    return viewer.of(request).path


def _refused(request: HttpRequest, status: int, text: str, detail: str = "") -> HttpResponse:
    """A checkout menta or the site refused: next to the selection (htmx), else as a page."""
    if getattr(request, "htmx", False):
        html = render_to_string("salwidgets/refusal.html", {"text": text, "detail": detail}, request)
        return _private(HttpResponse(html, status=status))
    return _problem(request, status, _("These tickets cannot be bought together"), text, back=_next_page(request))


@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    """Send the person to menta's checkout of the listings they chose on the site's page."""
    ids = [value for value in request.POST.getlist("listing") if value]
    if not ids:
        return _refused(request, 400, _("Choose at least one ticket."))
    if len(ids) > renderers.LISTINGS_SHOWN:
        return _refused(request, 400, _("Choose at most %(count)d tickets.") % {"count": renderers.LISTINGS_SHOWN})
    verdict = limits.check(request)
    if verdict.limited:
        return _refused(request, 429, _("Too many requests. Please wait a minute and try again."))
    seen = viewer.of(request)
    try:
        url = handoffs.checkout_url(
            ids, person=seen.person if seen.signed_in else None, return_url=seen.back_to(_next_page(request))
        )
    except ValidationFailed as exc:
        return _refused(request, exc.status or 400, renderers.refusal_text(exc.message), exc.message)
    except MentaError:
        return _refused(request, 503, _("Resale is unavailable right now. Please try again in a few minutes."))
    if not links.is_allowed(url):
        return _refused(request, 502, _("Resale is unavailable right now. Please try again in a few minutes."))
    # htmx follows HX-Redirect with a full page load; a plain form post gets a 303 to the checkout.
    response = HttpResponse(status=204 if getattr(request, "htmx", False) else 303)
    response["HX-Redirect" if response.status_code == 204 else "Location"] = url
    response["Referrer-Policy"] = "no-referrer"
    return _private(response)
