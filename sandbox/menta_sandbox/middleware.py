"""What every contract call goes through (key, faults, counts), and one-time-token sign-in."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import translation

from menta_sandbox import tokens, wire
from menta_sandbox.control import state
from menta_sandbox.texts import language

logger = logging.getLogger("menta_sandbox")

CONTRACT_PREFIX = "/v1/"
OVERSIZED_BYTES = 5 * 1024 * 1024
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def route_key(request: HttpRequest) -> str:
    """``"<METHOD> <path template>"``, e.g. ``"DELETE /v1/tickets/:ticketId"``."""
    try:
        route = resolve(request.path_info).route
    except Resolver404:
        return f"{request.method} {request.path_info}"
    template = _CONVERTER.sub(r":\1", route)
    return f"{request.method} /{template}"


def _oversized_body() -> Iterator[bytes]:
    yield b'{"status": 200, "errors": null, "data": {"padding": "'
    chunk = b"x" * 65536
    for _ in range(OVERSIZED_BYTES // len(chunk)):
        yield chunk
    yield b'"}}'


class ContractMiddleware:
    """Applies to ``/v1/``: counts the call, plays the current fault, checks the API key."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path_info.startswith(CONTRACT_PREFIX):
            return self.get_response(request)
        request_id = uuid.uuid4().hex
        response = self._answer(request)
        response["X-Request-Id"] = request_id
        return response

    def _answer(self, request: HttpRequest) -> HttpResponseBase:
        state.count(route_key(request))
        faults = state.faults
        if faults.latencyMs:
            time.sleep(faults.latencyMs / 1000)
        if faults.mode == "down":
            return wire.envelope(503, message="Service unavailable")
        if faults.mode == "hang":
            state.wait_while_hanging()
            return wire.envelope(503, message="Service unavailable")
        if faults.draw_error():
            return wire.envelope(500, message="Internal server error")
        if faults.mode == "malformed":
            return HttpResponse(b'{"status": 200, "data": {"components": [{"type": ', content_type="application/json")
        if faults.mode == "oversized":
            return StreamingHttpResponse(_oversized_body(), content_type="application/json")
        if request.headers.get("Authorization") != settings.SANDBOX_API_KEY:
            return wire.envelope(401, message="Unauthorized")
        try:
            resolve(request.path_info)
        except Resolver404:
            return wire.envelope(404, message="Not found")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path_info.startswith(CONTRACT_PREFIX):
            return None
        logger.exception("Sandbox failed on %s %s", request.method, request.path_info)
        return wire.envelope(500, message="Internal server error")


class OneTimeTokenSignInMiddleware:
    """On a hosted page, ``?oneTimeToken=`` signs the person in once, then drops the token from the URL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        param = settings.SANDBOX_OTT_PARAM
        if param not in request.GET or request.path_info.startswith((CONTRACT_PREFIX, "/__sandbox/")):
            return self.get_response(request)
        user = tokens.redeem(request.GET[param])
        if user is None:
            return render(
                request,
                "menta_sandbox/message.html",
                {
                    "title": "This sign-in link cannot be used",
                    "message": "It has expired or was used already. Go back to your ticketing site and "
                    "follow the link again.",
                },
                status=403,
            )
        request.session.cycle_key()
        request.session["user"] = user
        rest = request.GET.copy()
        del rest[param]
        query = urlencode(list(rest.lists()), doseq=True)
        return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))


SESSION_LANG = "menta_sandbox_lang"


class LanguageMiddleware:
    """Hosted pages in the language their link names (``?lang=es``), kept for the rest of the
    visit; English otherwise. Contract calls say their language in their own parameters."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith((CONTRACT_PREFIX, "/__sandbox/")):
            return self.get_response(request)
        asked = request.GET.get(wire.LANG)
        lang = language(asked or request.session.get(SESSION_LANG))
        if asked:
            request.session[SESSION_LANG] = lang
        with translation.override(lang):
            request.LANGUAGE_CODE = lang
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        return response
