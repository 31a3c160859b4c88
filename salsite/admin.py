"""The demo's back office: events and shows (pushed to menta when saved), orders, and ticket actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from guardian.admin import GuardedModelAdminMixin

from salsite import emails, lifecycle, menta_sync, report
from salsite.forms import AccountChangeForm
from salsite.models import (
    Cart,
    Email,
    Event,
    Order,
    Organizer,
    Payout,
    Profile,
    ReportExport,
    Resale,
    ResaleAlert,
    Show,
    Ticket,
    TicketOption,
)


class ShowInline(admin.TabularInline[Show, Event]):
    model = Show
    extra = 0
    fields = ["external_id", "starts_at", "resale_enabled", "native_listings", "hold_until_unlock", "status"]
    readonly_fields = ["status"]


class TicketOptionInline(admin.TabularInline[TicketOption, Event]):
    model = TicketOption
    extra = 0


@admin.register(Organizer)
class OrganizerAdmin(admin.ModelAdmin[Organizer]):
    """Organizers and their API tokens for the ticket report (GET /organizer/report/events/<id>/tickets)."""

    list_display = ["name", "external_id", "token_issued_at"]
    readonly_fields = ["token_issued_at"]
    actions = ["issue_token"]

    @admin.action(description="Issue a new API token (the previous one stops working)")
    def issue_token(self, request: HttpRequest, queryset: QuerySet[Organizer]) -> None:
        for organizer in queryset:
            token = organizer.issue_token()
            self.message_user(
                request,
                f"New API token of {organizer} (shown once, keep it now): {token}",
                messages.SUCCESS,
            )


@admin.register(Event)
class EventAdmin(GuardedModelAdminMixin, admin.ModelAdmin[Event]):
    """Events with their shows and options; "Object permissions" gives one staff account the
    ticket report of one event, and the report's exports are on each event's page."""

    change_form_template = "admin/salsite/event/change_form.html"  # type: ignore[misc]
    list_display = ["title", "external_id", "city", "venue", "organizer"]
    search_fields = ["title", "external_id"]
    inlines = [ShowInline, TicketOptionInline]

    # Staff who may read an event's report see that event (read only) even without the model's
    # own permissions.
    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        events: QuerySet[Event] = super().get_queryset(request)
        if super().has_view_permission(request):
            return events
        return events.filter(pk__in=report.readable_events(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or report.readable_events(request.user).exists()

    def has_view_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        if super().has_view_permission(request, obj):
            return True
        if obj is None:
            return report.readable_events(request.user).exists()
        return report.can_read(request.user, obj)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        exports = [
            path("<path:object_id>/report.<str:kind>", view(self.export_report), name="salsite_event_report"),
            path("<path:object_id>/exports/", view(self.report_exports), name="salsite_event_exports"),
            path(
                "<path:object_id>/exports/<int:export_id>/",
                view(self.report_export),
                name="salsite_event_export",
            ),
            path(
                "<path:object_id>/exports/<int:export_id>/download",
                view(self.download_export),
                name="salsite_event_export_download",
            ),
        ]
        guarded: list[URLPattern] = super().get_urls()
        return exports + guarded

    def _readable(self, request: HttpRequest, object_id: str) -> Event:
        event = self.get_object(request, object_id)
        if event is None:
            raise Http404("No such event.")
        if not report.can_read(request.user, event):
            raise PermissionDenied
        return event

    def export_report(self, request: HttpRequest, object_id: str, kind: str) -> HttpResponseBase:
        """The event's ticket report as a streamed CSV, for staff who may read it; the XLSX is
        written in the background (``report.xlsx`` leads to its page)."""
        event = self._readable(request, object_id)
        if kind == "xlsx":
            return redirect(reverse("admin:salsite_event_exports", args=[event.pk]) + _query(request))
        if kind != "csv":
            raise Http404("The report comes as report.csv, or as an XLSX from the event's exports page.")
        tickets = report.tickets(event, exclude_deleted=request.GET.get("excludeDeleted") == "true")
        name = f"tickets-{event.external_id}-{timezone.localdate():%Y%m%d}.csv"
        response = StreamingHttpResponse(report.csv_chunks(tickets), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def report_exports(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The event's XLSX exports with their progress; a POST asks the worker for a new one."""
        event = self._readable(request, object_id)
        if request.method == "POST":
            exclude = request.POST.get("excludeDeleted") == "true"
            assert isinstance(request.user, User)  # admin_view lets staff alone in
            report.request_xlsx(event, by=request.user, exclude_deleted=exclude)
            self.message_user(request, "The XLSX is being written: this page shows its progress.", messages.SUCCESS)
            return redirect(reverse("admin:salsite_event_exports", args=[event.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": event,
            "title": f"Ticket report exports: {event}",
            "exports": [_shown(event, export) for export in event.report_exports.select_related("requested_by")[:20]],
            "exclude_deleted": request.GET.get("excludeDeleted") == "true",
        }
        return TemplateResponse(request, "admin/salsite/event/exports.html", context)

    def report_export(self, request: HttpRequest, object_id: str, export_id: int) -> HttpResponse:
        """One export's row of that page (what the page polls while the worker writes)."""
        event = self._readable(request, object_id)
        export = get_object_or_404(event.report_exports.select_related("requested_by"), pk=export_id)
        return TemplateResponse(request, "admin/salsite/event/export_row.html", {"export": _shown(event, export)})

    def download_export(self, request: HttpRequest, object_id: str, export_id: int) -> HttpResponseBase:
        event = self._readable(request, object_id)
        export = get_object_or_404(event.report_exports, pk=export_id, status=ReportExport.Status.READY)
        try:
            stored = export.file.open("rb")
        except FileNotFoundError:
            raise Http404("This export's file is gone from the reports storage: prepare a new one.") from None
        return FileResponse(
            stored, as_attachment=True, filename=report.export_name(export), content_type=report.XLSX_TYPE
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # After the inlines: menta gets the event with its shows and options as saved.
        super().save_related(request, form, formsets, change)
        menta_sync.event_changed(form.instance)


def _query(request: HttpRequest) -> str:
    return f"?{request.GET.urlencode()}" if request.GET else ""


def _shown(event: Event, export: ReportExport) -> dict[str, Any]:
    """An export as its row shows it: state, progress and links."""
    url = reverse("admin:salsite_event_export", args=[event.pk, export.pk])
    stalled = report.stalled(export)
    return {
        "export": export,
        "url": url,
        "download": url + "download" if export.status == ReportExport.Status.READY else "",
        "polling": export.status in report.UNFINISHED and not stalled,
        "stalled": stalled,
        "percent": round(100 * export.written / export.total) if export.total else 0,
    }


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin[Show]):
    list_display = [
        "__str__",
        "external_id",
        "status",
        "resale_enabled",
        "native_listings",
        "hold_until_unlock",
        "unlocked_at",
    ]
    readonly_fields = ["unlocked_at"]
    list_filter = ["status", "event"]
    actions = ["cancel_shows"]

    def save_model(self, request: HttpRequest, obj: Show, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        menta_sync.event_changed(obj.event)

    @admin.action(description="Cancel the selected shows")
    def cancel_shows(self, request: HttpRequest, queryset: QuerySet[Show]) -> None:
        with transaction.atomic():
            shows = list(queryset.select_related("event").filter(status=Show.Status.LIVE))
            for show in shows:
                show.status = Show.Status.CANCELLED
                show.save(update_fields=["status"])
                menta_sync.show_cancelled(show)
        self.message_user(request, f"{len(shows)} show(s) cancelled; menta is told.", messages.SUCCESS)


class TicketInline(admin.TabularInline[Ticket, Order]):
    model = Ticket
    extra = 0
    fields = ("external_id", "holder", "show", "option", "section", "row", "seat", "status")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = ["reference", "user", "created_at"]
    search_fields = ["reference", "user__email"]
    inlines = [TicketInline]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin[Cart]):
    list_display = ["id", "user", "show", "option", "quantity", "status", "expires_at"]
    list_filter = ["status"]
    readonly_fields = ["user", "show", "option", "quantity", "created_at", "expires_at", "status", "order"]


class TransferForm(forms.Form):
    email = forms.EmailField(label="New holder's email", help_text="The person must have an account on the site.")

    def clean_email(self) -> Any:
        email = self.cleaned_data["email"]
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError("No account has this email address.")
        return user


def _each(
    request: HttpRequest, admin_: admin.ModelAdmin[Ticket], tickets: QuerySet[Ticket], change: Callable[[Ticket], Any]
) -> None:
    done, refused = 0, []
    for ticket in tickets:
        try:
            change(ticket)
            done += 1
        except lifecycle.TicketError as exc:
            refused.append(str(exc))
    if done:
        admin_.message_user(request, f"{done} ticket(s) changed; menta is told.", messages.SUCCESS)
    for message in refused:
        admin_.message_user(request, message, messages.WARNING)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    list_display = ["external_id", "holder", "show", "option", "status", "paid", "listed_at", "checked_in_at"]
    list_filter = ["status"]
    search_fields = ["external_id", "holder__email"]
    readonly_fields = [
        "external_id",
        "order",
        "holder",
        "show",
        "option",
        "status",
        "locator",
        "listed_at",
        "checked_in_at",
        "reissued_from",
        "listing_id",
        "listing_price",
        "listing_currency",
        "payout",
    ]
    actions = ["refund", "cancel", "check_in", "transfer"]

    @admin.display(boolean=True, description="Paid out", ordering="payout")
    def paid(self, ticket: Ticket) -> bool:
        return ticket.payout_id is not None

    @admin.action(description="Refund the selected tickets")
    def refund(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        _each(request, self, queryset, lambda ticket: lifecycle.end(ticket, Ticket.Status.REFUNDED))

    @admin.action(description="Cancel the selected tickets")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        _each(request, self, queryset, lambda ticket: lifecycle.end(ticket, Ticket.Status.CANCELLED))

    @admin.action(description="Check in the selected tickets")
    def check_in(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        _each(request, self, queryset, lifecycle.check_in)

    @admin.action(description="Transfer the selected tickets to another account")
    def transfer(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> HttpResponse | None:
        form = TransferForm(request.POST if "email" in request.POST else None)
        if form.is_bound and form.is_valid():
            to = form.cleaned_data["email"]
            _each(request, self, queryset, lambda ticket: lifecycle.transfer(ticket, to))
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Transfer tickets",
            "form": form,
            "tickets": queryset,
            "action": "transfer",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/salsite/ticket/transfer.html", context)


@admin.register(Resale)
class ResaleAdmin(admin.ModelAdmin[Resale]):
    """Tickets menta sold or transferred; a row without "issued" waits for the buyer to sign up."""

    list_display = ["ticket", "buyer_email", "transfer", "created_at", "issued"]
    list_filter = ["transfer"]
    search_fields = ["ticket__external_id", "buyer_email"]
    readonly_fields = [field.name for field in Resale._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin[Payout]):
    """What menta paid sellers (payouts.delivered); the tickets of each read "Paid" in My tickets."""

    list_display = ["paid_at", "seller_email", "show", "amount", "currency", "listing_ids"]
    search_fields = ["seller_email", "key"]
    readonly_fields = [field.name for field in Payout._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ResaleAlert)
class ResaleAlertAdmin(admin.ModelAdmin[ResaleAlert]):
    """People who asked to hear when resale tickets appear for a show."""

    list_display = ["email", "show", "language", "created_at", "last_sent_at", "unsubscribed_at"]
    list_filter = ["unsubscribed_at"]
    search_fields = ["email"]
    readonly_fields = ["created_at", "last_sent_at"]


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin[Email]):
    """Every email the site sends people, with its delivery: "Not delivered" ones were refused by
    the mail server for good (a bad address) or ran out of attempts."""

    list_display = [
        "created_at",
        "kind",
        "to",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["to", "key"]
    readonly_fields = [field.name for field in Email._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send the selected emails again now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Email]) -> None:
        count = emails.retry_now(queryset)
        self.message_user(request, f"{count} email(s) will be sent again.", messages.SUCCESS)


class ProfileInline(admin.StackedInline[Profile, User]):
    model = Profile
    can_delete = False
    readonly_fields = ["updated_at"]


class AccountAdmin(UserAdmin[User]):
    form = AccountChangeForm
    inlines = [ProfileInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The person's tickets name them in the organizer's report: those rows changed too.
        super().save_related(request, form, formsets, change)
        report.touch_owned_by(form.instance)


admin.site.unregister(User)
admin.site.register(User, AccountAdmin)
