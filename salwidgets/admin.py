"""The outbox and the webhook deliveries in the admin: what is waiting for menta, what failed and
why, "retry now"; what menta told the site and what became of it."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from salwidgets import outbox, webhooks
from salwidgets.models import OutboxItem, WebhookDelivery

# Typed for mypy; at run time Django's classes are not subscriptable (unless a site patches them).
if TYPE_CHECKING:
    OutboxItemAdminBase = admin.ModelAdmin[OutboxItem]
    WebhookDeliveryAdminBase = admin.ModelAdmin[WebhookDelivery]
else:
    OutboxItemAdminBase = WebhookDeliveryAdminBase = admin.ModelAdmin


@admin.register(OutboxItem)
class OutboxItemAdmin(OutboxItemAdminBase):
    list_display = ["id", "kind", "key", "status", "attempts", "next_attempt_at", "last_status", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["key"]
    ordering = ["-id"]
    actions = ["retry_now"]
    readonly_fields = [field.name for field in OutboxItem._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxItem]) -> None:
        count = outbox.retry_now(queryset)
        self.message_user(request, f"{count} item(s) will be sent again now.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(WebhookDeliveryAdminBase):
    list_display = ["id", "received_at", "action", "outcome", "webhook_id", "remote_addr", "error"]
    list_filter = ["outcome", "action"]
    search_fields = ["webhook_id", "body"]
    date_hierarchy = "received_at"
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    actions = ["apply_again"]

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
