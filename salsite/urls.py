from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from salsite import accounts, api, views

# The admin signs in through the site's sign-in (rate-limited failed attempts), not a form of its own.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    # salwidgets' fragments and API first: they are asked for more often than any page.
    path("sal/", include("salwidgets.urls")),
    path("", views.home, name="home"),
    path("events/<str:event_id>/<str:show_id>/", views.show_detail, name="show"),
    path("events/<str:event_id>/<str:show_id>/buy/", views.buy, name="buy"),
    path("events/<str:event_id>/<str:show_id>/notify/", views.notify_me, name="notify-me"),
    path("checkout/<int:cart_id>/", views.cart, name="cart"),
    path("my-tickets/", views.my_tickets, name="my-tickets"),
    path("accounts/profile/", views.account, name="account"),
    path("alerts/<str:token>/unsubscribe/", views.alert_unsubscribe, name="alert-unsubscribe"),
    path("organizer/report/events/<str:event_id>/tickets", api.ticket_report, name="ticket-report"),
    path("api/version", api.version, name="api-version"),
    path("api/shows/<str:event_id>/<str:show_id>", api.show, name="api-show"),
    path("api/me/tickets", api.my_tickets, name="api-my-tickets"),
    path("accounts/login/", accounts.SignIn.as_view(), name="account_login"),
    path("accounts/signup/", accounts.SignUp.as_view(), name="account_signup"),
    path("accounts/sign-up/", RedirectView.as_view(pattern_name="account_signup", query_string=True, permanent=True)),
    path("accounts/", include("allauth.urls")),
    path("menta/", include("salwidgets.ownership_urls")),
    path("menta/", include("salwidgets.webhook_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/sal/", include("salwidgets.admin_urls")),
    path("admin/", admin.site.urls),
]
