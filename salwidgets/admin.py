"""The outbox and the webhook deliveries in the admin: what is waiting for menta, what failed and
why, "retry now"; what menta told the site and what became of it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from salwidgets import outbox, webhooks
from salwidgets.models import OutboxItem, WebhookDelivery

# Typed for mypy; at run time Django's classes are not subscriptable (unless a site patches them).
if TYPE_CHECKING:
    OutboxItemAdminBase = admin.ModelAdmin[OutboxItem]
    WebhookDeliveryAdminBase = admin.ModelAdmin[WebhookDelivery]
else:
    OutboxItemAdminBase = WebhookDeliveryAdminBase = admin.ModelAdmin


def _cut(text: str, length: int) -> str:
    """``text`` in at most ``length`` characters, the whole of it in a tooltip (lists fit 1280 px)."""
    if len(text) <= length:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[: length - 1].rstrip())


def _moment(moment: datetime) -> str:
    """A time as the list needs it: "23:45" today, "3 Dec 23:45" another day."""
    local = timezone.localtime(moment)
    return f"{local:%H:%M}" if local.date() == timezone.localdate() else f"{local:%-d %b %H:%M}"


@admin.register(OutboxItem)
class OutboxItemAdmin(OutboxItemAdminBase):
    # Four columns, so that status, attempts, next attempt and last error stay in view at 1280 px
    # beside the admin's navigation and the filters (631 px for the table).
    list_display = ["kind", "item_key", "state", "error"]
    list_display_links = ["item_key"]
    list_filter = ["status", "kind"]
    search_fields = ["key"]
    ordering = ["-id"]
    actions = ["retry_now"]
    readonly_fields = [field.name for field in OutboxItem._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Key", ordering="key")
    def item_key(self, item: OutboxItem) -> str:
        return _cut(item.key, 20)

    @admin.display(description="State", ordering="status")
    def state(self, item: OutboxItem) -> str:
        """ "Retrying, 7 attempts, next 23:45": the status with what the worker does next."""
        parts = [item.get_status_display()]
        if item.attempts:
            parts.append(f"{item.attempts} attempt{'s' if item.attempts != 1 else ''}")
        if item.status in (OutboxItem.Status.PENDING, OutboxItem.Status.RETRYING):
            parts.append(f"next {_moment(item.next_attempt_at)}")
        return ", ".join(parts)

    @admin.display(description="Last error", ordering="last_error")
    def error(self, item: OutboxItem) -> str:
        """menta's last status and message ("503: ..."), cut to fit."""
        if not item.last_error:
            return ""
        status = f"{item.last_status}: " if item.last_status else ""
        return _cut(status + item.last_error, 32)

    @admin.action(description="Retry now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxItem]) -> None:
        count = outbox.retry_now(queryset)
        self.message_user(request, f"{count} item(s) will be sent again now.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(WebhookDeliveryAdminBase):
    list_display = ["received", "action", "outcome", "short_error"]
    list_display_links = ["received"]
    list_filter = ["outcome", "action"]
    search_fields = ["webhook_id", "body"]
    date_hierarchy = "received_at"
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    actions = ["apply_again"]

    @admin.display(description="Received", ordering="received_at")
    def received(self, delivery: WebhookDelivery) -> str:
        return _moment(delivery.received_at)

    @admin.display(description="Error", ordering="error")
    def short_error(self, delivery: WebhookDelivery) -> str:
        return _cut(delivery.error, 40)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False

    def has_apply_permission(self, request: HttpRequest) -> bool:
        # Applying changes the site's tickets: the permission to change deliveries, which the
        # change form never uses (deliveries are read-only), stands for it.
        return bool(request.user.has_perm("salwidgets.change_webhookdelivery"))

    @admin.action(description="Apply again (failed or conflicting deliveries)", permissions=["apply"])
    def apply_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        outcomes: Counter[str] = Counter()
        for delivery in queryset.order_by("received_at", "pk"):
            outcomes[webhooks.apply_again(delivery)] += 1
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        self.message_user(request, f"Applied again: {summary}.", messages.SUCCESS)
