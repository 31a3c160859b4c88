"""The platform's own JSON: the organizer's ticket report (GET /organizer/report/events/<eventId>/tickets),
and what the platform's apps read besides SAL (a show, a person's tickets: GET /api/...).

The apps' endpoints read the site's session or an app token (``salsite.app_tokens``), as the SAL
JSON API does; they are also the baseline its benchmark measures SAL against."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from salsite import app_tokens, report
from salsite.models import Event, Show, Ticket
from salsite.views import SHOWN_STATUSES


def _problem(status: int, message: str, **extra: object) -> JsonResponse:
    response = JsonResponse({"message": message, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="ticket report"'
    return response


@require_GET
def ticket_report(request: HttpRequest, event_id: str) -> JsonResponse:
    """``{"total": N, "result": [...]}``: one page of the event's tickets with their owners."""
    try:
        who = report.caller(user=request.user, authorization=request.headers.get("Authorization", ""))
        event = Event.objects.select_related("organizer").filter(external_id=event_id).first()
        if event is None:
            return _problem(404, f"No event {event_id!r} on this platform.")
        report.authorize(who, event)
    except report.ReportError as exc:
        return _problem(exc.status, str(exc))
    parameters = report.ReportParameters(request.GET)
    problems = parameters.problems()
    if problems:
        return _problem(400, "Invalid parameters: " + ", ".join(problems), errors=problems)
    query = report.tickets(
        event,
        exclude_deleted=parameters.cleaned_data["excludeDeleted"],
        since=parameters.cleaned_data["lastUpdatedSince"],
        before=parameters.cleaned_data["lastUpdatedBefore"],
    )
    offset, limit = parameters.cleaned_data["offset"], parameters.cleaned_data["limit"]
    page = list(report.rows(query, start=offset, stop=offset + limit))
    return JsonResponse({"total": query.count(), "result": page})


@require_GET
def version(request: HttpRequest) -> JsonResponse:
    """What an app checks when it starts: the API it talks to and the languages the site speaks."""
    return JsonResponse({"api": 1, "languages": [code for code, _name in settings.LANGUAGES]})


@require_GET
def show(request: HttpRequest, event_id: str, show_id: str) -> JsonResponse:
    """A show as the platform's apps list it: its event, date, venue and ticket options."""
    found = Show.objects.select_related("event").filter(event__external_id=event_id, external_id=show_id).first()
    if found is None:
        return _problem(404, f"No show {show_id!r} of event {event_id!r} on this platform.")
    event = found.event
    options = event.ticket_options.order_by("price", "external_id").values("external_id", "name", "price", "currency")
    return JsonResponse(
        {
            "eventId": event.external_id,
            "showId": found.external_id,
            "title": event.title,
            "venue": event.venue,
            "city": event.city,
            "startsAt": found.starts_at.isoformat(),
            "options": [
                {"id": o["external_id"], "name": o["name"], "price": f"{o['price']:.2f}", "currency": o["currency"]}
                for o in options
            ],
        }
    )


@require_GET
def my_tickets(request: HttpRequest) -> JsonResponse:
    """The signed-in person's tickets, as My tickets lists them (without SAL's statuses)."""
    user = request.user if request.user.is_authenticated else None
    if user is None:
        try:
            user = app_tokens.user_of(request)
        except PermissionDenied as exc:
            return _problem(401, str(exc))
    if user is None:
        return _problem(401, "Sign in, or send an app token: Authorization: Bearer <token>.")
    tickets = (
        Ticket.objects.filter(order__user=user, status__in=SHOWN_STATUSES)
        .select_related("show__event", "option", "order")
        .order_by("-order__created_at", "-order__id", "external_id")
    )
    return JsonResponse(
        {
            "tickets": [
                {
                    "id": ticket.external_id,
                    "order": ticket.order.reference,
                    "eventId": ticket.show.event.external_id,
                    "showId": ticket.show.external_id,
                    "title": ticket.show.event.title,
                    "startsAt": ticket.show.starts_at.isoformat(),
                    "option": ticket.option.name,
                    "seat": ticket.seat_label,
                    "status": ticket.status,
                }
                for ticket in tickets
            ]
        }
    )
