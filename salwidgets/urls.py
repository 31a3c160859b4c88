"""salwidgets' URLs; include them under a prefix of the site's choosing, e.g. ``path("sal/", include(...))``."""

from __future__ import annotations

from django.urls import path

from salwidgets import api, api_schema, views

app_name = "salwidgets"

urlpatterns = [
    # The JSON API for the platform's apps (the same answers as the fragments), first: an app's
    # request is matched without trying the page fragments' patterns.
    path("api/v1/shows/<str:event_id>/<str:show_id>", api.show, name="api-show"),
    path("api/v1/shows/<str:event_id>/<str:show_id>/listings", api.listings, name="api-listings"),
    path("api/v1/me/tickets", api.my_tickets, name="api-my-tickets"),
    path("api/v1/me/orders", api.my_orders, name="api-my-orders"),
    path("api/v1/openapi.json", api_schema.openapi, name="api-openapi"),
    path("api/<path:rest>", api.not_found, name="api-not-found"),
    path("go/", views.go, name="go"),
    path("back/", views.back, name="back"),
    path("fragments/shows/", views.shows_fragment, name="shows"),
    path("fragments/tickets/", views.tickets_fragment, name="tickets"),
    path("fragments/orders/", views.orders_fragment, name="orders"),
    path("fragments/listings/", views.listings_fragment, name="listings"),
    path("checkout/", views.checkout, name="checkout"),
    path("fragments/<str:type>/", views.show_fragment, name="show"),
    path("palettes/<str:key>.css", views.palette, name="palette"),
]
