"""salwidgets' URLs; include them under a prefix of the site's choosing, e.g. ``path("sal/", include(...))``."""

from __future__ import annotations

from django.urls import path

from salwidgets import views

app_name = "salwidgets"

urlpatterns = [
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
