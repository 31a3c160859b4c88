"""The admin preview: what menta will show on a page, and any person's CTAs, before customers see them.

Staff only (each view goes through ``admin.site.admin_view``), each view with its own permission
(``salwidgets.models.Preview``). Components render with the same
templates and CSS as the pages; CTAs are listed with their targets, not linked, so no token is
ever minted from here.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_POST

from salwidgets import answers, cache, health, metrics, status, viewer
from salwidgets import render as renderers
from salwidgets.client import get_client
from salwidgets.conf import get_config
from salwidgets.errors import MentaError

TYPES = cache.SHOW_TYPES
# The preview's permissions (salwidgets.models.Preview): a show's components, and a person's CTAs.
COMPONENTS = "salwidgets.preview_components"
PERSON = "salwidgets.preview_person"


def _choices() -> list[str]:
    source = get_config()["UPCOMING_SHOWS"]
    return [f"{event_id}/{show_id}" for event_id, show_id in import_string(source)(365)] if source else []


def _query(request: Any) -> dict[str, str]:
    data = request.POST if request.method == "POST" else request.GET
    languages = [code for code, _name in settings.LANGUAGES]
    kind = data.get("type", "buy")
    lang = data.get("lang", languages[0])
    event, show = data.get("event", "").strip(), data.get("show", "").strip()
    if not (event or show) and "/" in data.get("pick", ""):
        event, _sep, show = data["pick"].partition("/")
    return {
        "event": event,
        "show": show,
        "type": kind if kind in TYPES else "buy",
        "lang": lang if lang in languages else languages[0],
    }


def _cache_state(entry: cache.Entry[Any] | None) -> dict[str, Any]:
    if entry is None:
        return {"name": "missing"}
    name = "fresh" if entry.is_fresh() else "stale"
    return {
        "name": f"{name}, from a bulk call" if entry.partial else name,
        "age": round(entry.age, 1),
        "fresh_for": round(max(0.0, entry.fresh_until - time.time()), 1),
        "latency_ms": round(entry.latency_ms, 1) if entry.latency_ms is not None else None,
        "not_found": entry.value is None,
    }


def _components_panel(request: HttpRequest, note: str = "") -> HttpResponse:
    query = _query(request)
    context: dict[str, Any] = {"query": query, "note": note, "counters": _counters()}
    if query["type"] == "buy" and not (query["event"] and query["show"]):
        context["error"] = "Pick a show, or type its event id and show id."
        return render(request, "salwidgets/admin/components_panel.html", context)
    event_id, show_id = query["event"] or None, query["show"] or None
    key = cache.show_key(query["type"], event_id, show_id, query["lang"])
    entry = cache.get_show(key)
    with translation.override(query["lang"]):
        if entry is not None and entry.value is not None:
            result = answers.ShowResult("ready", entry.value.components, entry.value.dropped, entry)
            seen = viewer.of(request).speaking(query["lang"])
            context["rendered"] = renderers.components(seen, result, surface=query["type"])
            _kept, url_dropped = renderers.secure_components(seen, entry.value.components)
            context["dropped"] = [*entry.value.dropped, *url_dropped]
    try:
        answer = get_client().access_layer_exchange(
            query["type"], event_id=event_id, show_id=show_id, lang=query["lang"]
        )
        context["raw"] = json.dumps(answer.raw, indent=2, ensure_ascii=False)
        context["raw_ms"] = round(answer.elapsed_ms, 1)
        if "dropped" not in context:
            context["dropped"] = list(answer.value.dropped)
    except MentaError as exc:
        context["raw_error"] = str(exc)
    context.update(key=key, state=_cache_state(entry))
    return render(request, "salwidgets/admin/components_panel.html", context)


def _counters() -> list[tuple[str, int]]:
    totals = metrics.totals()
    return [(label, totals[name]) for name, label in metrics.NAMES.items()]


@require_GET
def preview(request: HttpRequest) -> HttpResponse:
    """The preview's page, with the tabs the staff member may use (403 without either)."""
    allowed = [
        tab
        for tab, permission in (("components", COMPONENTS), ("ctas", PERSON), ("status", COMPONENTS))
        if request.user.has_perm(permission)
    ]
    if not allowed:
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": "Smart Access Layer preview",
        "query": _query(request),
        "choices": _choices(),
        "languages": settings.LANGUAGES,
        "types": TYPES,
        "tab": request.GET.get("tab") if request.GET.get("tab") in allowed else allowed[0],
        "tabs": allowed,
        "user_email": request.GET.get("user", ""),
        "themes": get_config()["THEME_STYLESHEETS"],
    }
    if context["tab"] == "status":
        context["status"] = status.snapshot()
    return render(request, "salwidgets/admin/preview.html", context)


@require_GET
def components(request: HttpRequest) -> HttpResponse:
    return _components_panel(request)


@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    result = answers.fetch_show(query["type"], query["event"] or None, query["show"] or None, query["lang"])
    note = (
        "Fetched from menta just now." if result.state != "failed" else "menta did not answer; the cache is unchanged."
    )
    return _components_panel(request, note)


@require_POST
def purge(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    cache.drop(cache.show_key(query["type"], query["event"] or None, query["show"] or None, query["lang"]))
    return _components_panel(request, "Purged: the next page view asks menta again.")


@require_GET
def ctas(request: HttpRequest) -> HttpResponse:
    """A person's ticket and order statuses and CTAs as they would see them (targets shown, not linked)."""
    email = request.GET.get("user", "").strip().lower()
    lang = _query(request)["lang"]
    context: dict[str, Any] = {"user_email": email}
    source = get_config()["PERSON_ITEMS"]
    if not email:
        context["error"] = "Type the person's email."
    elif not source:
        context["error"] = "Set SALWIDGETS['PERSON_ITEMS'] to list a person's tickets and orders."
    else:
        ticket_ids, order_ids = import_string(source)(email)
        tickets = answers.tickets(email, ticket_ids, lang, wait=True)
        orders = answers.orders(email, order_ids, lang, wait=True)
        context["failed"] = "failed" in (tickets.state, orders.state)
        items = [
            *(("Order", order_id, orders.items.get(order_id)) for order_id in order_ids),
            *(("Ticket", ticket_id, tickets.items.get(ticket_id)) for ticket_id in ticket_ids),
        ]
        # The status as the person reads it, in the language asked for (the code stays an attribute).
        with translation.override(lang):
            labels = {code: str(label) for code, label in renderers.STATUS_LABELS.items()}
            context["rows"] = [
                (kind, item_id, access, labels.get(access.status, access.status) if access else "")
                for kind, item_id, access in items
            ]
    return render(request, "salwidgets/admin/ctas_panel.html", context)


@require_GET
def health_view(request: HttpRequest) -> JsonResponse:
    report = health.check()
    return JsonResponse(report.as_dict(), status=200 if report.ok else 503)
