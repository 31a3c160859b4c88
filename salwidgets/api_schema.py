"""The OpenAPI 3.1 description of the JSON API (``/sal/api/v1/openapi.json``), as this site serves it:
what apps generate their clients from, and what the tests check the live endpoints against."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from salwidgets import render as renderers
from salwidgets import wire
from salwidgets.api import MAX_IDS, SORTS
from salwidgets.conf import get_config

TEXT = {"type": "string"}
URL = {"type": "string", "format": "uri"}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


MONEY = _object(
    ["amount", "currency", "text"],
    amount={"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "Decimal, two places"},
    currency={**TEXT, "description": "ISO 4217 code"},
    text={**TEXT, "description": "The price as people read it in the answer's language"},
)
LINK = _object(["label", "url"], label=TEXT, url=URL)
COLORS = _object([], **{name: {"type": "string", "pattern": "^#[0-9a-f]{3,6}$"} for name in wire.COLOUR_KEYS})
COMPONENT = {
    **_object(
        ["type", "id"],
        type={"type": "string", "enum": ["button", "banner", "modal", "list", "map"]},
        id=TEXT,
        label=TEXT,
        url={**URL, "description": "The site's signed redirect to menta (absolute)"},
        style={"type": "string", "enum": list(wire.BUTTON_STYLES)},
        badge=TEXT,
        title=TEXT,
        description=TEXT,
        triggerLabel=TEXT,
        cta=LINK,
        items={
            "type": "array",
            "items": _object(
                ["listingId", "label", "price", "url"],
                listingId=TEXT,
                ticketOptionId=TEXT,
                label=TEXT,
                price=MONEY,
                url=URL,
                section=TEXT,
                row=TEXT,
                seat=TEXT,
            ),
        },
        moreUrl=URL,
        sections={
            "type": "array",
            "items": _object(
                ["sectionId", "label", "available", "url"],
                sectionId=TEXT,
                label=TEXT,
                available={"type": "integer"},
                url=URL,
                minPrice=MONEY,
            ),
        },
        mode={**TEXT, "description": "menta's class: buy or sell"},
        image=URL,
        colors=COLORS,
        placement=TEXT,
    ),
    "description": "A component, secured as the HTML's: its links lead through the site's redirect.",
}
COMPONENTS = {"type": "array", "items": COMPONENT}
ANSWER = {
    "enabled": {"type": "boolean", "description": "false while the site has SAL switched off"},
    "fallback": {"type": "boolean", "description": "true when menta cannot answer: show `message` instead"},
    "message": {**TEXT, "description": "The fallback's text, in the answer's language"},
    "linksValidUntil": {"type": "string", "format": "date-time", "description": "The answer's links work until then"},
}
ERROR = _object(
    ["error"],
    error=_object(
        ["code", "message"],
        code={**TEXT, "description": "Stable: invalid_parameter, not_signed_in, rate_limited, show_not_found..."},
        message=TEXT,
        field={**TEXT, "description": "The parameter or body field at fault"},
    ),
)


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


CACHE_HEADERS = {
    "ETag": {"schema": TEXT, "description": "Send it back in If-None-Match: 304 while the answer holds"},
    "Cache-Control": {"schema": TEXT, "description": "private, max-age: the answer's remaining freshness"},
}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "headers": CACHE_HEADERS,
            "content": {"application/json": {"schema": schema}},
        },
        "304": {
            "description": "Not modified: the answer the If-None-Match names still holds",
            "headers": CACHE_HEADERS,
        },
        "400": _problem("A parameter is not valid (error.field names it)"),
        "401": _problem("Not signed in, or credentials that are not valid"),
        "429": {
            **_problem("This client made the site call menta too often"),
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
        },
    }


RETURN = {
    "name": "return",
    "in": "query",
    "required": False,
    "description": "Where menta sends the person back after a link of the answer: a path on this site (default /)",
    "schema": {"type": "string", "pattern": "^/"},
}
PATH = [
    {"name": "eventId", "in": "path", "required": True, "schema": TEXT, "description": "The event's id at menta"},
    {"name": "showId", "in": "path", "required": True, "schema": TEXT, "description": "The show's id at menta"},
]
PERSON_ITEM = _object(
    ["id", "status", "statusText", "actions", "components"],
    id=TEXT,
    status={"type": "string", "enum": sorted(renderers.STATUS_LABELS)},
    statusText={**TEXT, "description": "The status as people read it, in the answer's language"},
    reason={**TEXT, "description": "Why a ticket cannot be resold"},
    listingPrice=MONEY,
    ticketIds={"type": "array", "items": TEXT, "description": "An order's tickets"},
    actions={
        "type": "array",
        "items": _object(
            ["action", "label", "url"],
            action={"type": "string", "enum": sorted({*wire.TICKET_ACTIONS, *wire.ORDER_ACTIONS})},
            label=TEXT,
            url={**URL, "description": "Bound to this person: it signs them in at menta when followed"},
        ),
    },
    components=COMPONENTS,
)


def _mine(plural: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"my{plural.title()}",
            "summary": f"The signed-in person's {plural}, with status and resale actions",
            "security": [{"session": []}, *([{"bearer": []}] if get_config()["API_AUTHENTICATION"] else [])],
            "parameters": [
                {
                    "name": "id",
                    "in": "query",
                    "required": False,
                    "description": f"Only these of the person's {plural} (all of them without it)",
                    "schema": {"type": "array", "items": TEXT, "maxItems": MAX_IDS},
                    "style": "form",
                    "explode": True,
                },
                RETURN,
            ],
            "responses": _answer(
                f"The person's {plural} that menta answers for",
                _object(
                    ["enabled", "fallback", "items"],
                    **ANSWER,
                    items={"type": "array", "items": PERSON_ITEM},
                ),
            ),
        }
    }


def document(request: HttpRequest) -> dict[str, Any]:
    schemes: dict[str, Any] = {
        "session": {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME},
    }
    anyone: list[dict[str, list[str]]] = [{}, {"session": []}]
    if get_config()["API_AUTHENTICATION"]:
        schemes["bearer"] = {"type": "http", "scheme": "bearer", "description": "The platform's app credentials"}
        anyone.append({"bearer": []})
    show = reverse("salwidgets:api-show", args=["{eventId}", "{showId}"])
    listings = reverse("salwidgets:api-listings", args=["{eventId}", "{showId}"])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Smart Access Layer for the platform's apps",
            "version": "1.0.0",
            "description": "The resale entry points the site's pages show, as JSON: the same cached "
            "answers, sanitised the same way, with links through the site's signed redirect.",
        },
        "servers": [{"url": request.build_absolute_uri("/").rstrip("/")}],
        "components": {"securitySchemes": schemes},
        "paths": {
            show.replace("%7B", "{").replace("%7D", "}"): {
                "get": {
                    "operationId": "show",
                    "summary": "A show's buy components",
                    "security": anyone,
                    "parameters": [*PATH, RETURN],
                    "responses": {
                        **_answer(
                            "The show's components, or the fallback (fallback: true) when menta cannot answer",
                            _object(
                                ["eventId", "showId", "enabled", "fallback", "components"],
                                eventId=TEXT,
                                showId=TEXT,
                                **ANSWER,
                                components=COMPONENTS,
                                fetchedAt={"type": "string", "format": "date-time"},
                            ),
                        ),
                        "404": _problem("menta offers no resale for this show"),
                    },
                }
            },
            listings.replace("%7B", "{").replace("%7D", "}"): {
                "get": {
                    "operationId": "listings",
                    "summary": "A show's resale listings, cheapest first",
                    "security": anyone,
                    "parameters": [
                        *PATH,
                        {"name": "option", "in": "query", "required": False, "schema": TEXT},
                        {"name": "sort", "in": "query", "required": False, "schema": {"enum": list(SORTS)}},
                    ],
                    "responses": {
                        **_answer(
                            "The listings (at most 50; `more` counts the rest)",
                            _object(
                                ["eventId", "showId", "enabled", "fallback", "listings"],
                                eventId=TEXT,
                                showId=TEXT,
                                **ANSWER,
                                ticketOptionIds={"type": "array", "items": TEXT},
                                listings={
                                    "type": "array",
                                    "items": _object(
                                        ["listingId", "ticketId", "ticketOptionId", "price", "type", "quantity", "own"],
                                        listingId=TEXT,
                                        ticketId=TEXT,
                                        ticketOptionId=TEXT,
                                        price=MONEY,
                                        type={"type": "string", "enum": list(wire.LISTED_TYPES)},
                                        quantity={"type": "integer", "minimum": 1},
                                        own={"type": "boolean", "description": "The person's own listing"},
                                        packId=TEXT,
                                        section=TEXT,
                                        row=TEXT,
                                        seat=TEXT,
                                        seatText=TEXT,
                                    ),
                                },
                                more={"type": "integer", "minimum": 0},
                            ),
                        ),
                        "404": _problem("menta lists no tickets for this show"),
                    },
                },
                "post": {
                    "operationId": "checkout",
                    "summary": "Start the checkout of listings the person chose",
                    "description": "With the site's session, send the CSRF token (X-CSRFToken) as its forms do.",
                    "security": anyone,
                    "parameters": PATH,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": _object(
                                    ["listingIds"],
                                    listingIds={
                                        "type": "array",
                                        "items": {"type": "string", "minLength": 1},
                                        "minItems": 1,
                                        "maxItems": renderers.LISTINGS_SHOWN,
                                    },
                                    returnTo={"type": "string", "pattern": "^/"},
                                )
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "menta's checkout page for these listings: open it now",
                            "content": {"application/json": {"schema": _object(["checkoutUrl"], checkoutUrl=URL)}},
                        },
                        "400": _problem("The body is not valid (error.field names the field)"),
                        "401": _problem("Credentials that are not valid"),
                        "403": _problem("A session without the CSRF token"),
                        "413": _problem("The body is too large"),
                        "415": _problem("The body is not JSON"),
                        "422": _problem("menta refused these listings together (the message says why)"),
                        "429": _problem("Too many requests"),
                        "502": _problem("menta answered with a page the site may not send people to"),
                        "503": _problem("menta cannot answer now"),
                    },
                },
            },
            reverse("salwidgets:api-my-tickets"): _mine("tickets"),
            reverse("salwidgets:api-my-orders"): _mine("orders"),
        },
    }


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 description of the JSON API."""
    return JsonResponse(document(request))
