"""SAL for the platform's own apps: the answers the pages render, as JSON (``/sal/api/v1/``).

The same cached answers, single flight, breaker, rate limit and sanitising as the HTML: each
answer is read with the fragments' functions and secured with the renderers' (every upstream
link checked, then replaced by an absolute link to the site's signed redirect). What differs is
HTTP as apps expect it:

- a weak ``ETag`` from what makes the answer (the cached answer's version, the person, the
  language, the links' epoch), computed before anything is built, so a ``304`` costs one cache
  read; ``Cache-Control`` is the answer's remaining freshness, and never longer than its links
  stay valid for;
- errors as ``{"error": {"code": ..., "message": ...}}`` with a stable code;
- menta down gives the fallback with ``"fallback": true``, never an error.

Who asks: the site's session, or an app's credentials read by the functions
``SALWIDGETS["API_AUTHENTICATION"]`` names (``f(request) -> user or None``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.functional import SimpleLazyObject, empty
from django.utils.http import parse_etags
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from salwidgets import answers, handoffs, limits, links, users, viewer, wire
from salwidgets import render as renderers
from salwidgets.cache import NEAR_SECONDS
from salwidgets.client import MAX_TICKETS_PER_CALL
from salwidgets.conf import get_config
from salwidgets.errors import MentaError, ValidationFailed
from salwidgets.recent import Recent
from salwidgets.seats import seat_label

VERSION = "v1"
KINDS = {"tickets": "ticket", "orders": "order"}
SORTS = renderers.LISTINGS_SORTS
MAX_IDS = 500
MAX_BODY_BYTES = 16 * 1024
VARY = "Cookie, Authorization, Accept-Language"
FALLBACK_MESSAGE = "Resale is unavailable right now. Please try again later."


class Problem(Exception):
    """An answer that is an error: its status, a stable code, a message naming what is wrong."""

    def __init__(self, status: int, code: str, message: str, *, retry_after: int = 0, field: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after, self.field = status, code, message, retry_after, field


def problem_response(exc: Problem) -> JsonResponse:
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.field:
        error["field"] = exc.field
    response = JsonResponse({"error": error}, status=exc.status)
    response["Cache-Control"] = "no-store"
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    if exc.status == 401 and get_config()["API_AUTHENTICATION"]:
        response["WWW-Authenticate"] = 'Bearer realm="sal"'
    return response


def _json_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answers a Problem as JSON; the API's views are CSRF-checked here, for sessions only."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Problem as exc:
            return problem_response(exc)

    wrapped.__name__ = wrapped.__qualname__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _allow(request: HttpRequest, *methods: str) -> None:
    if request.method not in methods:
        raise Problem(405, "method_not_allowed", f"{request.method} is not allowed here; use {', '.join(methods)}.")


# --- who asks -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _authenticator(path: str) -> Callable[[HttpRequest], Any]:
    return cast(Callable[[HttpRequest], Any], import_string(path))


def _without_session(request: HttpRequest) -> bool:
    """No session cookie, and the user not yet read from the session: anonymous to the session
    (an app's request), so that reading the session for its user can be skipped."""
    user = getattr(request, "user", None)
    return (
        isinstance(user, SimpleLazyObject)
        and user._wrapped is empty  # type: ignore[attr-defined]
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _authenticate(request: HttpRequest) -> str:
    """How the caller is signed in: ``session``, ``app`` (an API_AUTHENTICATION function
    accepted them; ``request.user`` is then that account) or ``""`` (anonymous)."""
    if _without_session(request):
        request.user = AnonymousUser()
        viewer.forget(request)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return "session"
    for path in get_config()["API_AUTHENTICATION"]:
        try:
            found = _authenticator(path)(request)
        except PermissionDenied as exc:
            raise Problem(401, "invalid_credentials", str(exc) or _("These credentials are not valid.")) from None
        if found is not None and found.is_authenticated and found.is_active:
            request.user = found
            viewer.forget(request)  # whoever it was built for, it is this account now
            return "app"
    return ""


def _signed_in(request: HttpRequest) -> str:
    how = _authenticate(request)
    if not how:
        raise Problem(401, "not_signed_in", _("Sign in first: this answer is about a person's own tickets."))
    return how


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, answering why it refused (as Django REST framework does)."""

    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


def _no_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _check_csrf(request: HttpRequest, how: str) -> None:
    """A browser's session must prove the page is the site's (as a form does); an app's
    credentials are not sent by a browser on their own, and need no such proof."""
    if how != "session":
        return
    refused = _CsrfCheck(_no_view).process_view(request, _no_view, (), {})
    if refused:
        raise Problem(403, "csrf_failed", f"CSRF check failed: {refused}")


# --- answers as JSON ------------------------------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _money(value: wire.Money) -> dict[str, str]:
    return {"amount": f"{value.amount:.2f}", "currency": value.currency, "text": renderers.money(value)}


def plain(origin: str, value: Any) -> Any:
    """A secured answer (dataclasses of ``wire``) as JSON values: camelCase names, no nulls,
    money with its text in the reader's language, links absolute (on ``origin``, the site as the
    request reached it: a secured link is a path on the site)."""
    if isinstance(value, wire.Money):
        return _money(value)
    if isinstance(value, tuple | list):
        return [plain(origin, item) for item in value]
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if not is_dataclass(value) or isinstance(value, type):
        return value
    found: dict[str, Any] = {}
    kind = getattr(type(value), "kind", None)
    if isinstance(kind, str):
        found["type"] = kind
    for item in fields(value):
        current = getattr(value, item.name)
        if current is None:
            continue
        if item.name in renderers.LINK_FIELDS:
            current = origin + current
        found[_camel(item.name)] = plain(origin, current)
    return found


def _components(seen: viewer.Viewer, components: tuple[wire.Component, ...], buy_flow: tuple[str, ...] = ()) -> Any:
    kept, _dropped = renderers.secure_components(seen, components, buy_flow=buy_flow)
    return plain(seen.origin, kept)


# --- HTTP as apps expect it -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What an answer is made of (its key: the ETag) and how long it stays fresh."""

    key: tuple[Hashable, ...]
    fresh_for: float  # seconds; 0 for a fallback
    build: Callable[[], dict[str, Any]]
    status: int = 200


@dataclass(frozen=True)
class _Served:
    """An answer as sent: kept a moment per process for the same request of the same person."""

    etag: str
    content: bytes
    fresh_until: float  # time.time()
    status: int


# Answers as sent, by request (path and query, person, language, host), for as long as the shared
# cache's answers are kept per process (``cache.NEAR_SECONDS``): a busy show's answer is read,
# secured and serialised once a second per process, not once a request.
_served: Recent[_Served] = Recent(size=4096, seconds=NEAR_SECONDS)


def _epoch() -> tuple[int, float, float]:
    """The links' epoch: answers built in it carry links minted in it, valid for LINK_MAX_AGE
    from then; a client's copy is revalidated before the epoch ends, so it keeps at least half
    of its links' life. (number, start, end)."""
    length = max(1.0, get_config()["LINK_MAX_AGE"] / 2)
    number = int(time.time() // length)
    return number, number * length, (number + 1) * length


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _request_key(request: HttpRequest) -> tuple[Hashable, ...]:
    return (request.get_full_path(), *viewer.identity(request))


def _send(request: HttpRequest, served: _Served) -> HttpResponse:
    """``served``, or ``304`` when the caller holds it already (``If-None-Match``)."""
    held = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))  # weak comparison, as for GET
    if "*" in held or served.etag.removeprefix("W/") in (tag.removeprefix("W/") for tag in held):
        response = HttpResponse(status=304)
        del response["Content-Type"]
    else:
        response = HttpResponse(served.content, status=served.status, content_type="application/json")
    response["ETag"] = served.etag
    max_age = int(served.fresh_until - time.time())
    response["Cache-Control"] = f"private, max-age={max_age}" if max_age > 0 else "private, no-cache"
    response["Vary"] = VARY  # a new response: nothing to merge with yet
    return response


def served_recently(request: HttpRequest) -> HttpResponse | None:
    """The answer this process sent for the same request of the same person a moment ago."""
    served = _served.get(_request_key(request))
    return _send(request, served) if served is not None else None


def respond(request: HttpRequest, answer: Answer) -> HttpResponse:
    """The answer (built at most once per version, person and epoch in this process), or ``304``."""
    number, start, end = _epoch()
    now = time.time()
    seen = viewer.of(request)
    key = (VERSION, *answer.key, seen.fingerprint, seen.language, seen.origin, number)
    etag = 'W/"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'

    def build() -> bytes:
        body = answer.build()
        if answer.status == 200:
            body["linksValidUntil"] = _iso(start + get_config()["LINK_MAX_AGE"])
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    content = _built.get_or_build_once(key, build, seconds=min(60.0, max(1.0, end - now)))
    served = _Served(etag, content, now + min(answer.fresh_for, end - now), answer.status)
    _served.put(_request_key(request), served, seconds=min(NEAR_SECONDS, max(0.0, served.fresh_until - now)))
    return _send(request, served)


# Built answers, so that a busy show is secured and serialised once per version, person and epoch.
_built: Recent[bytes] = Recent(size=2048, seconds=60.0)


def _return_page(request: HttpRequest) -> str:
    """Where menta sends the person back after one of the answer's links: ``?return=`` (a path
    on this site), else the home page. (Links are made only when an answer is built.)"""
    # Most ask without a query: its parsing is a tenth of what SAL adds to a show's answer.
    page = request.GET.get("return", "/") if request.META.get("QUERY_STRING") else "/"
    if page != "/" and not links.is_site_path(page):
        raise Problem(400, "invalid_parameter", "return: must be a path on this site, like /shows/1/", field="return")
    return page


def _limited(verdict: limits.Verdict) -> None:
    if verdict.limited:
        raise Problem(
            429,
            "rate_limited",
            _("This app asked for resale options too often. Please wait a minute and try again."),
            retry_after=verdict.retry_after,
        )


def _fallback() -> dict[str, Any]:
    return {"fallback": True, "message": _(FALLBACK_MESSAGE)}


# --- the endpoints --------------------------------------------------------------------------


@_json_view
def show(request: HttpRequest, event_id: str, show_id: str) -> HttpResponse:
    """``GET shows/<eventId>/<showId>``: the show's buy components."""
    _allow(request, "GET", "HEAD")
    _authenticate(request)
    page = _return_page(request)
    recent = served_recently(request)
    if recent is not None:
        return recent
    seen = viewer.of(request)
    result, verdict = limits.answer(
        request,
        lambda wait: answers.show("buy", event_id, show_id, seen.language, wait=wait),
        lambda result: int(result.state == "missing"),
        answers.FAILED,
    )
    _limited(verdict)
    if result.state == "not_found":
        raise Problem(404, "show_not_found", f"menta offers no resale for show {show_id!r} of event {event_id!r}.")
    entry = result.entry
    fresh_for = entry.fresh_until - time.time() if entry is not None and result.state == "ready" else 0.0

    def build() -> dict[str, Any]:
        body: dict[str, Any] = {"eventId": event_id, "showId": show_id, "enabled": result.state != "off"}
        if result.state == "failed":
            return {**body, **_fallback(), "components": []}
        body["fallback"] = False
        body["components"] = _components(seen.returning_to(page), result.components, ("buy", event_id, show_id))
        if entry is not None:
            body["fetchedAt"] = _iso(entry.fetched_at)
        return body

    return respond(request, Answer(("show", event_id, show_id, result.state, result.identity, page), fresh_for, build))


def _wanted_ids(request: HttpRequest, kind: str, person: str) -> list[str]:
    """The person's ids of ``kind``: all of them (``PERSON_ITEMS``), or those of ``?id=`` among them."""
    asked = list(dict.fromkeys(value for value in request.GET.getlist("id") if value))
    if len(asked) > MAX_IDS:
        raise Problem(400, "invalid_parameter", f"id: at most {MAX_IDS} ids in one request.", field="id")
    owned = users.own_items(person, kind)
    if owned is None:
        if not asked:
            raise Problem(
                400, "invalid_parameter", "id: name the items (?id=...); this site does not list them.", field="id"
            )
        return asked
    mine = set(owned)
    return [item for item in asked if item in mine] if asked else owned


def _person_item(seen: viewer.Viewer, kind: str, item_id: str, access: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "status": access.status,
        "statusText": str(renderers.STATUS_LABELS.get(access.status, access.status)),
    }
    if kind == "ticket":
        if access.reason:
            item["reason"] = access.reason
        if access.listing_price is not None:
            item["listingPrice"] = _money(access.listing_price)
    else:
        item["ticketIds"] = list(access.ticket_ids)
    item["actions"] = plain(seen.origin, renderers.secure_ctas(seen, kind, item_id, access.ctas))
    item["components"] = _components(seen, access.components)
    return item


def _mine(request: HttpRequest, plural: str) -> HttpResponse:
    _allow(request, "GET", "HEAD")
    _signed_in(request)
    kind = KINDS[plural]
    page = _return_page(request)
    recent = served_recently(request)
    if recent is not None:
        return recent
    seen = viewer.of(request)
    ids = _wanted_ids(request, kind, seen.person)
    result, verdict = limits.answer(
        request,
        lambda wait: answers.for_person(kind, seen.person, ids, seen.language, wait=wait),
        lambda result: (
            limits.calls(sum(map(len, result.missing)), MAX_TICKETS_PER_CALL) or int(result.state == "missing")
        ),
        answers.PersonResult("failed"),
    )
    _limited(verdict)
    config = get_config()
    oldest = min((fetched for _key, fetched in result.version), default=None)
    fresh_for = oldest + config["USER_SECONDS"] - time.time() if oldest and result.state == "ready" else 0.0

    def build() -> dict[str, Any]:
        returning = seen.returning_to(page)
        body: dict[str, Any] = {"enabled": result.state != "off"}
        if result.state == "failed":
            return {**body, **_fallback(), "items": []}
        answered = [item_id for item_id in ids if item_id in result.items]
        return {
            **body,
            "fallback": False,
            "items": [_person_item(returning, kind, item_id, result.items[item_id]) for item_id in answered],
        }

    identity = result.version or (result.state,)
    return respond(request, Answer((plural, tuple(ids), result.state, identity, page), fresh_for, build))


@_json_view
def my_tickets(request: HttpRequest) -> HttpResponse:
    """``GET me/tickets``: the signed-in person's tickets with status, actions and components."""
    return _mine(request, "tickets")


@_json_view
def my_orders(request: HttpRequest) -> HttpResponse:
    """``GET me/orders``: the signed-in person's orders with status, actions and components."""
    return _mine(request, "orders")


def _listing(item: wire.ListedTicket, own: frozenset[str]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "listingId": item.listing_id,
        "ticketId": item.ticket_id,
        "ticketOptionId": item.ticket_option_id,
        "price": _money(item.price),
        "type": item.type,
        "quantity": item.quantity,
        "own": item.ticket_id in own,
    }
    for name in ("pack_id", "section", "row", "seat"):
        if (value := getattr(item, name)) is not None:
            found[_camel(name)] = value
    seat = seat_label(item.section, item.row, item.seat)
    if seat:
        found["seatText"] = str(seat)
    return found


@_json_view
def listings(request: HttpRequest, event_id: str, show_id: str) -> HttpResponse:
    """``GET shows/<eventId>/<showId>/listings``: the show's resale listings (``?option=``,
    ``?sort=price|-price``); ``POST`` with ``{"listingIds": [...]}`` starts their checkout."""
    _allow(request, "GET", "HEAD", "POST")
    if request.method == "POST":
        return _checkout(request)
    _authenticate(request)
    option = request.GET.get("option") or None
    sort = request.GET.get("sort", "price")
    if sort not in SORTS:
        raise Problem(400, "invalid_parameter", f"sort: must be one of {', '.join(SORTS)}.", field="sort")
    recent = served_recently(request)
    if recent is not None:
        return recent
    result, verdict = limits.answer(
        request,
        lambda wait: answers.listings(event_id, show_id, wait=wait),
        lambda result: int(result.state == "missing"),
        answers.ListingsResult("failed"),
    )
    _limited(verdict)
    if result.state == "not_found":
        raise Problem(404, "show_not_found", f"menta lists no tickets for show {show_id!r} of event {event_id!r}.")
    own = renderers.own_tickets(viewer.of(request)) if result.listings else frozenset()
    entry = result.entry
    fresh_for = entry.fresh_until - time.time() if entry is not None and result.state == "ready" else 0.0

    def build() -> dict[str, Any]:
        body: dict[str, Any] = {"eventId": event_id, "showId": show_id, "enabled": result.state != "off"}
        if result.state == "failed":
            return {**body, **_fallback(), "listings": []}
        chosen = renderers.chosen_listings(result.listings, option, sort)
        return {
            **body,
            "fallback": False,
            "ticketOptionIds": sorted({item.ticket_option_id for item in result.listings}),
            "listings": [_listing(item, own) for item in chosen[: renderers.LISTINGS_SHOWN]],
            "more": max(0, len(chosen) - renderers.LISTINGS_SHOWN),
        }

    identity = (result.state, entry.fetched_at if entry is not None else None, own, option, sort)
    return respond(request, Answer(("listings", event_id, show_id, *identity), fresh_for, build))


def _checkout_body(request: HttpRequest) -> tuple[list[str], str]:
    if len(request.body) > MAX_BODY_BYTES:
        raise Problem(413, "too_large", f"The body is over {MAX_BODY_BYTES} bytes.")
    if request.content_type != "application/json":
        raise Problem(415, "unsupported_media_type", "Send the body as application/json.")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "invalid_json", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise Problem(400, "invalid_json", "The body must be a JSON object.")
    ids = body.get("listingIds")
    if not isinstance(ids, list) or not ids or not all(isinstance(item, str) and item.strip() for item in ids):
        raise Problem(400, "invalid_parameter", "listingIds: a list of one or more listing ids.", field="listingIds")
    ids = list(dict.fromkeys(ids))
    if len(ids) > renderers.LISTINGS_SHOWN:
        raise Problem(
            400,
            "invalid_parameter",
            f"listingIds: at most {renderers.LISTINGS_SHOWN} listings in one checkout.",
            field="listingIds",
        )
    page = body.get("returnTo", "/")
    if not links.is_site_path(page):
        raise Problem(
            400, "invalid_parameter", "returnTo: must be a path on this site, like /shows/1/", field="returnTo"
        )
    return ids, page


def _checkout(request: HttpRequest) -> HttpResponse:
    how = _authenticate(request)
    _check_csrf(request, how)
    ids, page = _checkout_body(request)
    verdict = limits.check(request)
    _limited(verdict)
    seen = viewer.of(request)
    try:
        url = handoffs.checkout_url(ids, person=seen.person if seen.signed_in else None, return_url=seen.back_to(page))
    except ValidationFailed as exc:
        message = renderers.refusal_text(exc.message)
        raise Problem(422, "checkout_refused", message) from None
    except MentaError:
        raise Problem(
            503, "menta_unavailable", _("Resale is unavailable right now. Please try again in a few minutes.")
        ) from None
    if not links.is_allowed(url):
        raise Problem(
            502, "menta_unavailable", _("Resale is unavailable right now. Please try again in a few minutes.")
        )
    response = JsonResponse({"checkoutUrl": url})
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@_json_view
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Anything else under the API's prefix: JSON, not the site's HTML 404 page."""
    raise Problem(404, "not_found", f"No such endpoint: {request.path}")
