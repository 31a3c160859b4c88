"""The admin preview and the health view; include them under the admin, before ``admin.site.urls``:

path("admin/sal/", include("salwidgets.admin_urls")),
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from salwidgets import admin_views

app_name = "salwidgets_admin"

urlpatterns = [
    path("", admin.site.admin_view(admin_views.preview), name="preview"),
    path("components/", admin.site.admin_view(admin_views.components), name="components"),
    path("refresh/", admin.site.admin_view(admin_views.refresh), name="refresh"),
    path("purge/", admin.site.admin_view(admin_views.purge), name="purge"),
    path("ctas/", admin.site.admin_view(admin_views.ctas), name="ctas"),
    path("health/", admin.site.admin_view(admin_views.health_view), name="health"),
]
