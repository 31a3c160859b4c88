from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from salsite import api, views
from salsite.forms import SignInForm

urlpatterns = [
    path("", views.home, name="home"),
    path("events/<str:event_id>/<str:show_id>/", views.show_detail, name="show"),
    path("events/<str:event_id>/<str:show_id>/buy/", views.buy, name="buy"),
    path("events/<str:event_id>/<str:show_id>/notify/", views.notify_me, name="notify-me"),
    path("checkout/<int:cart_id>/", views.cart, name="cart"),
    path("my-tickets/", views.my_tickets, name="my-tickets"),
    path("accounts/profile/", views.account, name="account"),
    path("organizer/report/events/<str:event_id>/tickets", api.ticket_report, name="ticket-report"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/sign-up/", views.sign_up, name="sign-up"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("sal/", include("salwidgets.urls")),
    path("menta/", include("salwidgets.ownership_urls")),
    path("menta/", include("salwidgets.webhook_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/sal/", include("salwidgets.admin_urls")),
    path("admin/", admin.site.urls),
]
