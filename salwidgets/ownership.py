"""The ownership endpoint menta calls before a listing, a sale or a resale purchase (contract 7).

``GET <prefix>/tickets?user=<email>`` answers every ticket the person owns now and may resell,
from ``SALWIDGETS["OWNED_TICKETS"]``. Only menta may ask: the shared secret in ``X-Menta-Secret``
and, when configured, an address in ``VERIFY_ALLOWED_IPS``.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from salwidgets import wire
from salwidgets.conf import get_config

SECRET_HEADER = "X-Menta-Secret"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(cidrs: Iterable[str]) -> list[Network]:
    """Parse CIDRs (ValueError names the bad one)."""
    parsed = []
    for cidr in cidrs:
        try:
            parsed.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{cidr!r} is not an IP address or CIDR") from None
    return parsed


def within(address: str, allowed: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in allowed)


def client_address(request: HttpRequest) -> str:
    """The caller's address; X-Forwarded-For is believed only from a trusted proxy."""
    address = str(request.META.get("REMOTE_ADDR", ""))
    proxies = networks(get_config()["VERIFY_TRUSTED_PROXIES"])
    if not proxies or not within(address, proxies):
        return address
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not within(hop, proxies):
            return hop
    return address


def _message(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


@cache
def _source(path: str) -> Callable[[str], Iterable[wire.OwnedTicket]]:
    function: Callable[[str], Iterable[wire.OwnedTicket]] = import_string(path)
    return function


def refusal(request: HttpRequest) -> JsonResponse | None:
    """The one answer (401) to a caller that may not ask, or None when it may. Both checks run
    every time and a refusal never says which failed: a caller learns nothing by trying."""
    config = get_config()
    secret = config["VERIFY_SECRET"]
    given = request.headers.get(SECRET_HEADER, "")
    secret_ok = hmac.compare_digest(given.encode(), secret.encode()) and bool(secret)
    allowed = networks(config["VERIFY_ALLOWED_IPS"])
    address_ok = not allowed or within(client_address(request), allowed)
    if not (secret_ok and address_ok):
        return _message(401, "unauthorized")
    return None


def _uncached() -> AbstractContextManager[Any]:
    """The database itself, not a query cache: a refund or resale made by another process a moment
    ago must show in the next answer (django-cachalot is bypassed when installed)."""
    if apps.is_installed("cachalot"):
        from cachalot.api import cachalot_disabled

        disabled: AbstractContextManager[Any] = cachalot_disabled(all_queries=True)
        return disabled
    return nullcontext()


@csrf_exempt
def tickets(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        response = _message(405, "only GET is allowed")
        response["Allow"] = "GET"
        return response
    refused = refusal(request)
    if refused is not None:
        return refused
    email = request.GET.get(wire.OWNED_TICKETS_USER, "").strip()
    if not email:
        return _message(400, "user is required")
    try:
        validate_email(email)
    except ValidationError:
        return _message(400, "user must be an email address")
    path = get_config()["OWNED_TICKETS"]
    with _uncached():
        owned = list(_source(path)(email.lower())) if path else []
    response = JsonResponse(wire.owned_tickets_body(email, owned))
    response["Cache-Control"] = "no-store"
    return response


def openapi(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 description of the ownership endpoint, as this site serves it."""
    message = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
    problem: dict[str, Any] = {"content": {"application/json": {"schema": message}}}
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Ticket ownership (verification endpoint for menta)",
            "version": "1.0.0",
            "description": "Every ticket a person owns now and may resell. menta calls it when the person "
            "enters the resale flow, before a listing, before a sale and before a resale purchase completes.",
        },
        "servers": [{"url": request.build_absolute_uri("/").rstrip("/")}],
        "components": {"securitySchemes": {"mentaSecret": {"type": "apiKey", "in": "header", "name": SECRET_HEADER}}},
        "security": [{"mentaSecret": []}],
        "paths": {
            reverse("salwidgets_ownership:tickets"): {
                "get": {
                    "operationId": "ownedTickets",
                    "summary": "Tickets the person owns now",
                    "parameters": [
                        {
                            "name": wire.OWNED_TICKETS_USER,
                            "in": "query",
                            "required": True,
                            "description": "The person's email",
                            "schema": {"type": "string", "format": "email"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The person's valid tickets (an unknown person has none)",
                            "content": {"application/json": {"schema": wire.owned_tickets_schema()}},
                        },
                        "400": {"description": "user is missing or not an email address", **problem},
                        "401": {"description": "No or wrong secret, or an address not allowed", **problem},
                    },
                }
            }
        },
    }
    return JsonResponse(document)
