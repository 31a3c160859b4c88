"""The organizer's ticket report over HTTP: GET /organizer/report/events/<eventId>/tickets."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from salsite import report
from salsite.models import Event


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
