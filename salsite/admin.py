from __future__ import annotations

from django.contrib import admin

from salsite.models import Event, Order, Show, Ticket, TicketOption


class ShowInline(admin.TabularInline[Show, Event]):
    model = Show
    extra = 0


class TicketOptionInline(admin.TabularInline[TicketOption, Event]):
    model = TicketOption
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ["title", "external_id", "city", "venue"]
    search_fields = ["title", "external_id"]
    inlines = [ShowInline, TicketOptionInline]


class TicketInline(admin.TabularInline[Ticket, Order]):
    model = Ticket
    extra = 0
    raw_id_fields = ["holder", "show", "option"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = ["reference", "user", "created_at"]
    search_fields = ["reference", "user__email"]
    inlines = [TicketInline]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    list_display = ["external_id", "holder", "show", "option", "status"]
    list_filter = ["status"]
    search_fields = ["external_id", "holder__email"]
    raw_id_fields = ["order", "holder", "show", "option"]
